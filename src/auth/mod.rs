//! Who is calling and what they may do.
//!
//! - [`password`]: argon2id hashes, computed on the blocking pool.
//! - [`jwt`]: access and refresh tokens (HS256, secret in `keys/jwt-secret`).
//! - [`api_key`]: `bg_live_` keys, stored peppered and compared in constant time.
//! - [`pepper`]: the server secret in `keys/pepper` every stored secret depends on.
//! - [`accounts`]: users, API keys and login sessions in the account store
//!   (never the analysis graph); login, refresh with reuse detection,
//!   logout, and authenticating a request.
//! - [`uploads`]: who uploaded which binary under which file names and tags.
//! - [`migrate`]: moving accounts of the old layout out of the analysis graph.
//! - [`rate_limit`]: GCRA buckets per caller and endpoint class, and the tiers.
//! - [`usage`]: API calls counted per user and month.
//!
//! Scopes nest: `admin` allows everything `write` allows, which allows
//! everything `read` allows.

pub mod accounts;
pub mod api_key;
mod error;
pub mod jwt;
pub mod migrate;
pub mod password;
pub mod pepper;
pub mod rate_limit;
pub mod uploads;
pub mod usage;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::graph::Value;

pub use accounts::Accounts;
pub use error::{capitalise, AccountError};

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            other => Err(format!(
                "'{other}' is not a scope; use read, write or admin"
            )),
        }
    }
}

/// A set of scopes, checked with the nesting admin ⊇ write ⊇ read.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub const ALL: Scopes = Scopes(0b111);

    pub fn of(scopes: &[Scope]) -> Self {
        Scopes(scopes.iter().fold(0, |acc, s| acc | s.bit()))
    }

    /// Parse `read,write` (commas or spaces); at least one scope.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_list(s.split([',', ' ']).filter(|p| !p.trim().is_empty()))
    }

    /// Parse a list of scope names; at least one.
    pub fn parse_list<I, S>(items: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut bits = 0;
        for item in items {
            bits |= item.as_ref().parse::<Scope>()?.bit();
        }
        if bits == 0 {
            return Err("give at least one scope: read, write or admin".into());
        }
        Ok(Scopes(bits))
    }

    /// Read a stored `scopes` property (a list of names); unknown names are ignored.
    pub fn from_value(v: &Value) -> Self {
        match v {
            Value::List(items) => Scopes(
                items
                    .iter()
                    .filter_map(|i| i.as_str()?.parse::<Scope>().ok())
                    .fold(0, |acc, s| acc | s.bit()),
            ),
            Value::String(s) => Scopes::parse(s).unwrap_or_default(),
            _ => Scopes::default(),
        }
    }

    pub fn to_value(self) -> Value {
        Value::List(
            self.names()
                .into_iter()
                .map(|n| Value::String(n.into()))
                .collect(),
        )
    }

    pub fn has(self, s: Scope) -> bool {
        self.0 & s.bit() != 0
    }

    /// Whether a caller holding these scopes may do what `need` guards.
    pub fn allows(self, need: Scope) -> bool {
        match need {
            Scope::Read => self.0 != 0,
            Scope::Write => self.has(Scope::Write) || self.has(Scope::Admin),
            Scope::Admin => self.has(Scope::Admin),
        }
    }

    /// Whether everything `other` allows is allowed by `self` too.
    pub fn covers(self, other: Scopes) -> bool {
        Scope::ALL.iter().all(|s| !other.has(*s) || self.allows(*s))
    }

    pub fn names(self) -> Vec<&'static str> {
        Scope::ALL
            .iter()
            .filter(|s| self.has(**s))
            .map(|s| s.name())
            .collect()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.names().join(","))
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

/// A password or token as it travels through the code: never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user's id (`uid` of the `User` node).
    pub user_id: String,
    pub user: String,
    /// What this credential may do (a key's own scopes, or the user's for a login).
    pub scopes: Scopes,
    /// Rate-limit tier.
    pub tier: String,
    pub credential: Credential,
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiKey { id: String, prefix: String },
    Session { sid: String },
}

impl Principal {
    /// Whose file names and tags this caller sees: their own (their user
    /// id), or everyone's for an admin ([`crate::search::ALL_VIEWERS`]).
    pub fn viewer(&self) -> String {
        if self.scopes.allows(Scope::Admin) {
            crate::search::ALL_VIEWERS.to_string()
        } else {
            self.user_id.clone()
        }
    }

    /// The rate-limit bucket owner: each key has its own; a login session
    /// shares its user's.
    pub fn bucket(&self) -> String {
        match &self.credential {
            Credential::ApiKey { id, .. } => format!("key:{id}"),
            Credential::Session { .. } => format!("user:{}", self.user_id),
        }
    }
}

/// Accounts, tokens and rate limits.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of an access token.
    pub access_ttl: std::time::Duration,
    /// Lifetime of a refresh token (and of the login session).
    pub refresh_ttl: std::time::Duration,
    /// Tier of new users.
    pub default_tier: String,
    /// Tier of the `admin` user made on first start.
    pub admin_tier: String,
    /// Rate-limit tiers by name.
    pub tiers: std::collections::BTreeMap<String, rate_limit::Tier>,
    /// Login attempts a minute per user name (three times this per client address).
    pub login_attempts_per_min: u32,
    /// Password for the `admin` user made on first start (`BINGRAPH_ADMIN_PASSWORD`);
    /// a random one is printed when unset.
    pub admin_password: Option<Secret>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            access_ttl: std::time::Duration::from_secs(15 * 60),
            refresh_ttl: std::time::Duration::from_secs(30 * 24 * 3600),
            default_tier: "starter".into(),
            admin_tier: "enterprise".into(),
            tiers: rate_limit::default_tiers(),
            login_attempts_per_min: 10,
            admin_password: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest() {
        let read = Scopes::parse("read").unwrap();
        let write = Scopes::parse("write").unwrap();
        let admin = Scopes::parse("admin").unwrap();
        assert!(read.allows(Scope::Read) && !read.allows(Scope::Write));
        assert!(write.allows(Scope::Read) && write.allows(Scope::Write));
        assert!(!write.allows(Scope::Admin));
        assert!(admin.allows(Scope::Write) && admin.allows(Scope::Admin));
        assert!(admin.covers(Scopes::ALL));
        assert!(write.covers(read) && !read.covers(write) && !write.covers(admin));
        assert!(!Scopes::default().allows(Scope::Read));
    }

    #[test]
    fn scopes_parse_and_round_trip() {
        let s = Scopes::parse("write, read").unwrap();
        assert_eq!(s.names(), vec!["read", "write"]);
        assert_eq!(Scopes::from_value(&s.to_value()), s);
        assert!(Scopes::parse("").is_err());
        assert!(Scopes::parse("read,root").unwrap_err().contains("root"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }
}
