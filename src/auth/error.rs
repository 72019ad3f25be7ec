//! Why an account operation failed. `error.rs` maps each case to the API's
//! envelope (status and code); nothing here knows about HTTP.

use crate::auth::rate_limit::Decision;
use crate::auth::Scope;
use crate::graph::GraphError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AccountError {
    /// No such user or key.
    #[error("{1}")]
    NotFound(&'static str, String),
    /// A request the account rules refuse (weak password, unknown tier, …).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The user or key exists already.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// No credentials, or ones that do not hold.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// A valid credential without the scope asked for.
    #[error("{message}")]
    InsufficientScope { need: Scope, message: String },
    /// Too many attempts.
    #[error("{message}")]
    RateLimited {
        code: &'static str,
        message: String,
        decision: Box<Decision>,
    },
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Anything else (a key file, a hashing failure); logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl AccountError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AccountError::Invalid {
            code,
            message: message.into(),
        }
    }
}

/// The first letter upper-cased (error messages built from lower-case parts).
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
