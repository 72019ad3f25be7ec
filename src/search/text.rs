//! The `identifier` analyzer (see `index/schema.json`) and highlighting.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Longest word indexed, in bytes.
pub const MAX_WORD: usize = 80;

/// One word of `text` with its parts (empty when the word has only one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub whole: String,
    pub parts: Vec<String>,
    pub from: usize,
    pub to: usize,
}

/// Split text into words (runs of alphanumerics and `_`), each lower-cased
/// with its snake_case / camelCase parts.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let in_word = c.is_alphanumeric() || c == '_';
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let w = &text[s..i];
                let whole = w.to_lowercase();
                if whole.len() <= MAX_WORD && !w.chars().all(|c| c == '_') {
                    let mut parts = split_parts(w);
                    if parts.len() == 1 && parts[0] == whole {
                        parts.clear();
                    }
                    out.push(Word {
                        whole,
                        parts,
                        from: s,
                        to: i,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// `SSL_CTX_new` -> ssl, ctx, new; `getAddrInfoW` -> get, addr, info, w;
/// `HTTPServer2` -> http, server2.
fn split_parts(w: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for piece in w.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = piece.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0 && c.is_uppercase() && {
                let prev = chars[i - 1];
                prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase()))
            };
            if boundary && !cur.is_empty() {
                parts.push(std::mem::take(&mut cur).to_lowercase());
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            parts.push(cur.to_lowercase());
        }
    }
    parts
}

/// The tantivy tokenizer: each word whole, then its parts at the same position.
#[derive(Clone, Default)]
pub struct IdentifierTokenizer {
    tokens: Vec<Token>,
}

pub struct IdentifierStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = IdentifierStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IdentifierStream<'a> {
        self.tokens.clear();
        for (pos, w) in words(text).into_iter().enumerate() {
            let (from, to) = (w.from, w.to);
            let mut push = |t: String| {
                self.tokens.push(Token {
                    offset_from: from,
                    offset_to: to,
                    position: pos,
                    text: t,
                    position_length: 1,
                });
            };
            push(w.whole);
            for p in w.parts {
                push(p);
            }
        }
        IdentifierStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for IdentifierStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Where the query's words (whole or as parts) occur in `text`, as merged
/// `[start, end)` character offsets.
pub fn highlight(text: &str, query: &[Word]) -> Vec<[usize; 2]> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        // Lower-casing changed byte lengths: match on the original text only.
        return spans(text, text, query);
    }
    spans(text, &lower, query)
}

fn spans(text: &str, hay: &str, query: &[Word]) -> Vec<[usize; 2]> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for w in query {
        let needles: Vec<&str> = if w.parts.is_empty() {
            vec![w.whole.as_str()]
        } else {
            std::iter::once(w.whole.as_str())
                .chain(w.parts.iter().map(String::as_str))
                .collect()
        };
        for n in needles.into_iter().filter(|n| !n.is_empty()) {
            let mut from = 0;
            while let Some(i) = hay[from..].find(n) {
                ranges.push((from + i, from + i + n.len()));
                from += i + n.len();
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .filter(|(s, e)| text.is_char_boundary(*s) && text.is_char_boundary(*e))
        .map(|(s, e)| [text[..s].chars().count(), text[..e].chars().count()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut t = IdentifierTokenizer::default();
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn identifiers_split_sensibly() {
        assert_eq!(tokens("SSL_CTX_new"), ["ssl_ctx_new", "ssl", "ctx", "new"]);
        assert_eq!(
            tokens("getAddrInfoW"),
            ["getaddrinfow", "get", "addr", "info", "w"]
        );
        assert_eq!(tokens("HTTPServer2"), ["httpserver2", "http", "server2"]);
        assert_eq!(
            tokens("std::vector<int>::push_back"),
            ["std", "vector", "int", "push_back", "push", "back"]
        );
        assert_eq!(tokens("malloc"), ["malloc"]);
        assert_eq!(tokens("Usage: %s [-v] FILE"), ["usage", "s", "v", "file"]);
        assert!(tokens(&"x".repeat(81)).is_empty());
    }

    #[test]
    fn highlights_are_char_offsets() {
        let q = words("ctx_new");
        assert_eq!(highlight("SSL_CTX_new", &q), vec![[4, 11]]);
        let q = words("usage");
        assert_eq!(highlight("é Usage: x", &q), vec![[2, 7]]);
    }
}
