//! A parse-level check that a Cypher query only reads.
//!
//! The store's read-only transaction is the real barrier; this check runs
//! first so a caller learns which clause is not allowed, and so backends whose
//! server does not enforce read-only access modes (ArcadeDB's Bolt plugin)
//! still refuse writes. It tokenizes the query (skipping string literals,
//! backquoted names, comments, parameters, property keys, labels and map
//! keys) and looks for the clauses that write, and for procedure calls
//! outside a small read-only list.

/// A clause that writes, and where it starts (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteClause {
    /// e.g. `CREATE`, `DETACH DELETE`, `LOAD CSV`, `CALL apoc.create.node`.
    pub clause: String,
    pub line: u32,
    pub column: u32,
}

/// Procedures a read-only query may call.
const READ_ONLY_PROCEDURES: &[&str] = &[
    "db.labels",
    "db.relationshiptypes",
    "db.propertykeys",
    "db.indexes",
    "db.constraints",
    "db.schema.visualization",
    "db.schema.nodetypeproperties",
    "db.schema.reltypeproperties",
    "dbms.components",
    "dbms.procedures",
    "dbms.functions",
    "show",
];

#[derive(Debug, Clone, PartialEq)]
struct Token {
    word: String,
    /// The character just before the token (ignoring spaces): `.`, `:`, `$`...
    before: Option<char>,
    /// The character just after (ignoring spaces).
    after: Option<char>,
    line: u32,
    column: u32,
}

/// Whether the word at `i` stands where a clause keyword can: property
/// keys (n.set), labels (:Set), parameters ($set), map keys ({set: 1}) and
/// aliases (RETURN x AS set) are names, not clauses.
fn keyword_position(tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    let after_as = i > 0 && tokens[i - 1].word.eq_ignore_ascii_case("AS") && t.before == Some('a');
    !(matches!(t.before, Some('.' | ':' | '$')) || t.after == Some(':') || after_as)
}

/// Where `query` names another database (`USE db`, Neo4j 4+), if it does:
/// `/cypher` runs on the analysis graph only, never on the account store.
pub fn database_switch(query: &str) -> Option<(u32, u32)> {
    let tokens = words(query);
    (0..tokens.len())
        .find(|&i| tokens[i].word.eq_ignore_ascii_case("USE") && keyword_position(&tokens, i))
        .map(|i| (tokens[i].line, tokens[i].column))
}

/// The first clause of `query` that writes, if any.
pub fn first_write_clause(query: &str) -> Option<WriteClause> {
    let tokens = words(query);
    for (i, t) in tokens.iter().enumerate() {
        if !keyword_position(&tokens, i) {
            continue;
        }
        let upper = t.word.to_ascii_uppercase();
        let next = tokens.get(i + 1).map(|n| n.word.to_ascii_uppercase());
        let clause = match upper.as_str() {
            "CREATE" | "MERGE" | "SET" | "DELETE" | "REMOVE" | "DROP" | "FOREACH" => {
                Some(upper.clone())
            }
            "DETACH" if next.as_deref() == Some("DELETE") => Some("DETACH DELETE".into()),
            "LOAD" if next.as_deref() == Some("CSV") => Some("LOAD CSV".into()),
            "CALL" if t.after != Some('{') => {
                let name = procedure_name(&tokens[i + 1..]);
                let lower = name.to_ascii_lowercase();
                (!READ_ONLY_PROCEDURES.contains(&lower.as_str())).then(|| format!("CALL {name}"))
            }
            _ => None,
        };
        if let Some(clause) = clause {
            return Some(WriteClause {
                clause,
                line: t.line,
                column: t.column,
            });
        }
    }
    None
}

/// `db.schema.visualization` from the words after CALL.
fn procedure_name(rest: &[Token]) -> String {
    let mut name = String::new();
    for (i, t) in rest.iter().enumerate() {
        if i > 0 && t.before != Some('.') {
            break;
        }
        if i > 0 {
            name.push('.');
        }
        name.push_str(&t.word);
    }
    name
}

/// The identifier-like words of a query, outside literals and comments.
fn words(query: &str) -> Vec<Token> {
    let chars: Vec<char> = query.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let mut last_sig: Option<char> = None;
    let advance = |c: char, line: &mut u32, col: &mut u32| {
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        // Comments.
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            col += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            i += 2;
            col += 2;
            continue;
        }
        // String literals and backquoted names.
        if c == '\'' || c == '"' || c == '`' {
            let quote = c;
            advance(c, &mut line, &mut col);
            i += 1;
            while i < chars.len() && chars[i] != quote {
                if chars[i] == '\\' && quote != '`' {
                    advance(chars[i], &mut line, &mut col);
                    i += 1;
                }
                if i < chars.len() {
                    advance(chars[i], &mut line, &mut col);
                    i += 1;
                }
            }
            advance(quote, &mut line, &mut col);
            i += 1;
            last_sig = Some(quote);
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let (start_line, start_col) = (line, col);
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after = chars[i..].iter().find(|c| !c.is_whitespace()).copied();
            out.push(Token {
                word,
                before: last_sig,
                after,
                line: start_line,
                column: start_col,
            });
            last_sig = Some('a');
            continue;
        }
        if !c.is_whitespace() {
            last_sig = Some(c);
        }
        advance(c, &mut line, &mut col);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(q: &str) -> Option<String> {
        first_write_clause(q).map(|w| w.clause)
    }

    #[test]
    fn reads_pass() {
        for q in [
            "MATCH (n:Binary) RETURN n.sha256 LIMIT 5",
            "MATCH (n) WHERE n.name = 'CREATE TABLE x; DELETE' RETURN n",
            "MATCH (n:`Set`) RETURN n.set, n.create AS created",
            "// CREATE (x)\nMATCH (n) RETURN count(n) /* MERGE */",
            "MATCH (n {merge: 1}) RETURN $delete",
            "WITH 'a\\'CREATE' AS s RETURN s",
            "CALL db.labels() YIELD label RETURN label",
            "MATCH (n) CALL { WITH n MATCH (n)-->(m) RETURN count(m) AS c } RETURN n, c",
            "MATCH (f:Function) RETURN f.name ORDER BY f.name DESC",
            "MATCH (n) RETURN n.text AS set, n.x AS delete",
        ] {
            assert_eq!(clause(q), None, "{q}");
        }
    }

    #[test]
    fn writes_are_named_with_their_position() {
        let w = first_write_clause("MATCH (n)\n  DETACH DELETE n").unwrap();
        assert_eq!(
            (w.clause.as_str(), w.line, w.column),
            ("DETACH DELETE", 2, 3)
        );
        for (q, want) in [
            ("CREATE (n:X)", "CREATE"),
            ("USE accounts MATCH (n) SET n.x = 1", "SET"),
            ("match (n) set n.x = 1", "SET"),
            ("MERGE (n:X {uid: 1})", "MERGE"),
            ("MATCH (n) REMOVE n:Label", "REMOVE"),
            ("DROP INDEX foo", "DROP"),
            ("LOAD CSV FROM 'file:///x' AS r RETURN r", "LOAD CSV"),
            ("MATCH (n) FOREACH (x IN [1] | SET n.a = x)", "FOREACH"),
            ("CALL apoc.create.node(['X'], {})", "CALL apoc.create.node"),
            ("MATCH (n) CALL { CREATE (m) } RETURN n", "CREATE"),
            ("MATCH (n) WITH n MATCH (m) DELETE m", "DELETE"),
        ] {
            assert_eq!(clause(q).as_deref(), Some(want), "{q}");
        }
    }

    #[test]
    fn another_database_is_named_with_its_position() {
        assert_eq!(
            database_switch("USE accounts MATCH (u:User) RETURN u"),
            Some((1, 1))
        );
        assert_eq!(
            database_switch("MATCH (n)\nCALL { use accounts MATCH (u) RETURN u }\nRETURN n"),
            Some((2, 8))
        );
        for q in [
            "MATCH (n {use: 1}) RETURN n.use AS use",
            "MATCH (n:Use) WHERE n.x = 'USE accounts' RETURN $use",
            "// USE accounts\nMATCH (n) RETURN n",
        ] {
            assert_eq!(database_switch(q), None, "{q}");
        }
    }
}
