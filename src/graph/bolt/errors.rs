//! Bolt failures as [`GraphError`]s: which are worth a retry, syntax errors
//! with their position, and failures reported in a PULL.

use super::*;

pub(super) fn transient(e: &neo4rs::Error) -> bool {
    match e {
        neo4rs::Error::Neo4j(n) => n.code().starts_with("Neo.TransientError"),
        neo4rs::Error::IOError { .. } | neo4rs::Error::ConnectionError => true,
        // A transient failure answered to PULL (ArcadeDB reports a write
        // conflict, `DeadlockDetected`, there) is as transient as one
        // answered to RUN: the transaction was rolled back.
        neo4rs::Error::UnexpectedMessage(text) => {
            pull_failure(text).is_some_and(|(code, _)| code.starts_with("Neo.TransientError"))
        }
        _ => false,
    }
}

pub(super) fn convert(e: neo4rs::Error) -> GraphError {
    match &e {
        neo4rs::Error::Neo4j(n) => classify(n.code(), n.message().to_string()),
        // neo4rs 0.8 reports a FAILURE answered to PULL (an error met while
        // the rows stream: a type error, a division by zero) as an
        // unexpected message, with the failure's code and message inside.
        neo4rs::Error::UnexpectedMessage(text) => match pull_failure(text) {
            Some((code, message)) => classify(&code, message),
            None => GraphError::Backend(e.to_string()),
        },
        _ => GraphError::Backend(e.to_string()),
    }
}

/// The `code` and `message` of a FAILURE in neo4rs's debug text of it.
pub(super) fn pull_failure(text: &str) -> Option<(String, String)> {
    let value = |key: &str| -> Option<String> {
        let at = text.find(&format!("\"{key}\""))?;
        let rest = &text[at..];
        let start = rest.find("value: \"")? + "value: \"".len();
        let rest = &rest[start..];
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '"' => return Some(out),
                c => out.push(c),
            }
        }
        None
    };
    if !text.contains("Failure") {
        return None;
    }
    Some((value("code")?, value("message").unwrap_or_default()))
}

/// A server's error by its Neo4j status code.
pub(super) fn classify(code: &str, message: String) -> GraphError {
    if code.contains("SyntaxError") || message.contains("Syntax error") {
        let (line, column) = position(&message);
        GraphError::Syntax {
            message,
            line,
            column,
        }
    } else if code.contains("AccessMode") || code.contains("ForbiddenOnReadOnly") {
        GraphError::ReadOnly
    } else if code.starts_with("Neo.ClientError") {
        GraphError::Query(message)
    } else {
        GraphError::Backend(format!("{code}: {message}"))
    }
}

/// `line 3, column 7` (Neo4j) or `line 3:7` (ArcadeDB) from an error message.
pub(super) fn position(message: &str) -> (u32, u32) {
    let lower = message.to_ascii_lowercase();
    let Some(i) = lower.find("line ") else {
        return (1, 1);
    };
    let rest = &lower[i + 5..];
    let digits = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    let line: u32 = digits(rest).parse().unwrap_or(1);
    let after = &rest[digits(rest).len()..];
    let col_text = after
        .strip_prefix(':')
        .map(str::to_string)
        .or_else(|| after.find("column ").map(|j| after[j + 7..].to_string()))
        .unwrap_or_default();
    let column: u32 = digits(&col_text).parse().unwrap_or(1);
    (line.max(1), column.max(1))
}
