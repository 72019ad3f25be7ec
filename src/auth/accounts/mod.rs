//! Users, API keys and login sessions, kept in the account store (never in
//! the analysis graph that analysts query):
//! `(:User)-[:OWNS]->(:ApiKey)`, `(:User)-[:HAS_SESSION]->(:Session)`.
//!
//! Every stored secret is peppered ([`Pepper`]): passwords are argon2id with
//! the pepper as secret, key hashes and the session's current refresh-token
//! id are HMAC-SHA-256 under it. A user whose hash predates the pepper
//! (`pepper` unset, from a migrated data directory) is re-hashed at their
//! next successful login.
//!
//! A login starts a session: a family of refresh tokens of which exactly one
//! (`current`) is live. Refreshing swaps it for a new one in one conditional
//! write; presenting any older token of the family means it was stolen or
//! replayed, and the whole family is revoked. Access tokens name their session,
//! so logging out (or a detected reuse) stops them too.
//!
//! Lookups on the request path are cached for a few seconds. Changes made
//! through this process drop the cached entry at once; changes made by another
//! process on the same data directory (the CLI beside a running server) are
//! seen when the entry expires, within [`CACHE_TTL`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use moka::sync::Cache;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::ToSchema;

use super::jwt::{JwtKeys, Kind, TokenError};
use super::pepper::Pepper;
use super::rate_limit::{Class, Decision, RateLimiter, Tier};
use super::usage::Usage;
use super::AuthSettings;
use super::{api_key, password, Credential, Principal, Scope, Scopes, Secret};
use super::{capitalise, AccountError};

mod keys;
mod sessions;
mod users;
use crate::graph::time::{now_rfc3339, parse_rfc3339};
use crate::graph::views::Props;
use crate::graph::{GraphError, GraphStore, Node, Value};
use crate::params;

const USER_CREATE: &str = include_str!("../../../cypher/auth/user_create.cypher");
const USER_BY_NAME: &str = include_str!("../../../cypher/auth/user_by_name.cypher");
const USER_BY_UID: &str = include_str!("../../../cypher/auth/user_by_uid.cypher");
const USERS_LIST: &str = include_str!("../../../cypher/auth/users_list.cypher");
const USER_SET_DISABLED: &str = include_str!("../../../cypher/auth/user_set_disabled.cypher");
const USER_SET_PASSWORD: &str = include_str!("../../../cypher/auth/user_set_password.cypher");
const KEY_CREATE: &str = include_str!("../../../cypher/auth/key_create.cypher");
const KEY_BY_HASH: &str = include_str!("../../../cypher/auth/key_by_hash.cypher");
const KEY_BY_ID: &str = include_str!("../../../cypher/auth/key_by_id.cypher");
const KEYS_LIST: &str = include_str!("../../../cypher/auth/keys_list.cypher");
const KEY_REVOKE: &str = include_str!("../../../cypher/auth/key_revoke.cypher");
const KEY_TOUCH: &str = include_str!("../../../cypher/auth/key_touch.cypher");
const SESSION_CREATE: &str = include_str!("../../../cypher/auth/session_create.cypher");
const SESSION_BY_UID: &str = include_str!("../../../cypher/auth/session_by_uid.cypher");
const SESSION_ROTATE: &str = include_str!("../../../cypher/auth/session_rotate.cypher");
const SESSION_REVOKE: &str = include_str!("../../../cypher/auth/session_revoke.cypher");

/// How long request-path lookups (keys, users, sessions) are cached.
pub const CACHE_TTL: Duration = Duration::from_secs(10);
/// `last_used_at` of a key is written at most this often.
const TOUCH_EVERY_SECS: i64 = 60;
/// The user made on first start.
pub const ADMIN: &str = "admin";

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Scopes,
    pub tier: String,
    pub disabled: bool,
    pub created_at: String,
}

impl User {
    fn from_node(n: &Node) -> Self {
        User {
            id: Props(&n.properties).string("uid"),
            name: Props(&n.properties).string("name"),
            scopes: n
                .properties
                .get("scopes")
                .map(Scopes::from_value)
                .unwrap_or_default(),
            tier: Props(&n.properties).string("tier"),
            disabled: n
                .properties
                .get("disabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            created_at: Props(&n.properties).string("created_at"),
        }
    }
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// The owner's name.
    pub user: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Scopes,
    pub tier: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
    pub revoked_at: Option<String>,
}

impl KeyInfo {
    fn from_node(k: &Node, user: &str) -> Self {
        KeyInfo {
            id: Props(&k.properties).string("uid"),
            name: Props(&k.properties).string("name"),
            prefix: Props(&k.properties).string("prefix"),
            user: user.to_string(),
            scopes: k
                .properties
                .get("scopes")
                .map(Scopes::from_value)
                .unwrap_or_default(),
            tier: Props(&k.properties).string("tier"),
            created_at: Props(&k.properties).string("created_at"),
            expires_at: Props(&k.properties).str("expires_at"),
            last_used_at: Props(&k.properties).str("last_used_at"),
            revoked: k
                .properties
                .get("revoked")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            revoked_at: Props(&k.properties).str("revoked_at"),
        }
    }

    fn expired(&self) -> bool {
        self.expires_at
            .as_deref()
            .and_then(parse_rfc3339)
            .is_some_and(|t| t <= time::OffsetDateTime::now_utc())
    }
}

/// A key just made: the only time the key itself is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key. Store it now: it cannot be shown again.
    pub key: String,
    #[serde(flatten)]
    pub info: KeyInfo,
}

/// What `POST /keys` (and `bingraph keys create`) asks for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyRequest {
    /// A label for people (default: `key`).
    pub name: Option<String>,
    /// Any of `read`, `write`, `admin`; no more than the owner and the caller hold.
    pub scopes: Vec<String>,
    /// Days until the key stops working (default: never).
    pub expires_in_days: Option<u32>,
    /// The owner's name (default: the caller). Another user needs `admin`.
    pub user: Option<String>,
    /// Rate-limit tier (default: the owner's). Another tier than one's own needs `admin`.
    pub tier: Option<String>,
}

/// A login's tokens.
#[derive(Serialize, ToSchema)]
pub struct Tokens {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Trade for new tokens at `POST /auth/refresh`; each is good for one use.
    pub refresh_token: String,
    pub refresh_expires_in: u64,
    pub user: User,
}

/// A key as cached on the request path.
struct KeyEntry {
    info: KeyInfo,
    hash: String,
    user_id: String,
    /// Unix time `last_used_at` was last written.
    touched: AtomicI64,
}

#[derive(Clone)]
struct SessionState {
    user_id: String,
    revoked: bool,
}

/// The accounts service.
pub struct Accounts {
    store: Arc<dyn GraphStore>,
    jwt: JwtKeys,
    pepper: Pepper,
    pub settings: AuthSettings,
    keys_dir: PathBuf,
    pub limiter: RateLimiter,
    pub usage: Usage,
    keys: Cache<String, Arc<KeyEntry>>,
    users: Cache<String, Arc<User>>,
    sessions: Cache<String, SessionState>,
    jobs: Cache<String, Arc<Semaphore>>,
    /// A hash to verify against when the user does not exist, so an unknown
    /// name takes as long as a wrong password.
    dummy_hash: tokio::sync::OnceCell<String>,
}

impl Accounts {
    /// Open on the account store `store`, with the JWT secret and the pepper
    /// under `keys_dir` (made on first use).
    pub fn open(
        store: Arc<dyn GraphStore>,
        settings: AuthSettings,
        keys_dir: PathBuf,
    ) -> std::io::Result<Self> {
        let jwt = JwtKeys::load_or_create(&keys_dir)?;
        let pepper = Pepper::load_or_create(&keys_dir)?;
        Ok(Accounts {
            store,
            jwt,
            pepper,
            settings,
            keys_dir,
            limiter: RateLimiter::new(Duration::from_secs(60)),
            usage: Usage::default(),
            keys: short_lived_cache(),
            users: short_lived_cache(),
            sessions: short_lived_cache(),
            jobs: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            dummy_hash: tokio::sync::OnceCell::new(),
        })
    }

    /// The account store (never the analysis graph).
    pub fn store(&self) -> &dyn GraphStore {
        self.store.as_ref()
    }

    /// The server's pepper (migration re-hashes stored secrets with it).
    pub fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    /// The limits of `tier` (the default tier's when it is unknown).
    pub fn tier(&self, tier: &str) -> &Tier {
        self.settings
            .tiers
            .get(tier)
            .or_else(|| self.settings.tiers.get(&self.settings.default_tier))
            .expect("the default tier exists (checked when the config is loaded)")
    }

    // ---- users -----------------------------------------------------------

    // ---- login sessions ----------------------------------------------------

    // ---- authenticating a request -----------------------------------------

    /// The caller named by the request's `X-API-Key` or `Authorization: Bearer`.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AccountError> {
        let from_key_header = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if let Some(key) = from_key_header {
            return self.authenticate_key(key).await;
        }
        let Some(authorization) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(unauthorized(
                "missing_credentials",
                "This route needs credentials: send an API key as 'X-API-Key: <key>', or a token from POST /api/v1/auth/login as 'Authorization: Bearer <token>'.",
            ));
        };
        match authorization
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
        {
            Some(t) if t.starts_with("bg_") => self.authenticate_key(t).await,
            Some(t) => self.authenticate_token(t).await,
            None => Err(unauthorized(
                "invalid_credentials",
                "The Authorization header must be 'Bearer <token or API key>'.",
            )),
        }
    }

    /// Count a request against the caller's limit for `class`.
    pub fn rate_limit(&self, caller: &Principal, class: Class) -> Decision {
        let limit = self.tier(&caller.tier).limit(class);
        self.limiter.check(&caller.bucket(), class, limit)
    }

    /// A slot for one submission in progress, if the caller's tier has one free.
    pub fn job_slot(&self, caller: &Principal) -> Option<OwnedSemaphorePermit> {
        let cap = self.tier(&caller.tier).concurrent_jobs.max(1) as usize;
        self.jobs
            .get_with(caller.bucket(), || Arc::new(Semaphore::new(cap)))
            .try_acquire_owned()
            .ok()
    }

    /// Submissions the caller has in progress, and the cap.
    pub fn jobs_running(&self, caller: &Principal) -> (u32, u32) {
        let cap = self.tier(&caller.tier).concurrent_jobs.max(1);
        let free = self
            .jobs
            .get(&caller.bucket())
            .map_or(cap as usize, |s| s.available_permits()) as u32;
        (cap.saturating_sub(free), cap)
    }

    // ---- API keys ----------------------------------------------------------

    // ---- usage -------------------------------------------------------------

    /// `(binaries uploaded in all, their bytes, uploaded since `since`)`.
    pub async fn uploads(
        &self,
        user_id: &str,
        since: &str,
    ) -> Result<(u64, u64, u64), AccountError> {
        Ok(super::uploads::totals(self.store(), user_id, since).await?)
    }

    /// The file names `caller` may see for each of `shas`: their own
    /// uploads' names, or everyone's for an admin.
    pub async fn upload_names(
        &self,
        caller: &Principal,
        shas: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<String>>, GraphError> {
        super::uploads::names(self.store(), &caller.viewer(), shas).await
    }
}

fn short_lived_cache<V: Clone + Send + Sync + 'static>() -> Cache<String, V> {
    Cache::builder()
        .max_capacity(100_000)
        .time_to_live(CACHE_TTL)
        .build()
}

/// A 401 with a stable code.
pub fn unauthorized(code: &'static str, message: &str) -> AccountError {
    AccountError::Unauthorized {
        code,
        message: message.to_string(),
    }
}
