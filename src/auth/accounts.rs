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
use crate::graph::time::{now_rfc3339, parse_rfc3339};
use crate::graph::views::Props;
use crate::graph::{GraphError, GraphStore, Node, Value};
use crate::params;

const USER_CREATE: &str = include_str!("../../cypher/auth/user_create.cypher");
const USER_BY_NAME: &str = include_str!("../../cypher/auth/user_by_name.cypher");
const USER_BY_UID: &str = include_str!("../../cypher/auth/user_by_uid.cypher");
const USERS_LIST: &str = include_str!("../../cypher/auth/users_list.cypher");
const USER_SET_DISABLED: &str = include_str!("../../cypher/auth/user_set_disabled.cypher");
const USER_SET_PASSWORD: &str = include_str!("../../cypher/auth/user_set_password.cypher");
const KEY_CREATE: &str = include_str!("../../cypher/auth/key_create.cypher");
const KEY_BY_HASH: &str = include_str!("../../cypher/auth/key_by_hash.cypher");
const KEY_BY_ID: &str = include_str!("../../cypher/auth/key_by_id.cypher");
const KEYS_LIST: &str = include_str!("../../cypher/auth/keys_list.cypher");
const KEY_REVOKE: &str = include_str!("../../cypher/auth/key_revoke.cypher");
const KEY_TOUCH: &str = include_str!("../../cypher/auth/key_touch.cypher");
const SESSION_CREATE: &str = include_str!("../../cypher/auth/session_create.cypher");
const SESSION_BY_UID: &str = include_str!("../../cypher/auth/session_by_uid.cypher");
const SESSION_ROTATE: &str = include_str!("../../cypher/auth/session_rotate.cypher");
const SESSION_REVOKE: &str = include_str!("../../cypher/auth/session_revoke.cypher");

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

    /// Make the `admin` user if there is none. Returns the password when one
    /// was generated (it is also written to `keys/admin-credentials`, 0600).
    pub async fn bootstrap_admin(&self) -> Result<Option<(Secret, PathBuf)>, AccountError> {
        if self.user_by_name(ADMIN).await?.is_some() {
            return Ok(None);
        }
        let (pw, generated) = match &self.settings.admin_password {
            Some(p) => (p.clone(), false),
            None => (password::generate(), true),
        };
        let tier = self.settings.admin_tier.clone();
        match self.create_user(ADMIN, &pw, Scopes::ALL, Some(&tier)).await {
            Ok(_) => {}
            // Another process made it between the check and now.
            Err(AccountError::Conflict(..)) => return Ok(None),
            Err(e) => return Err(e),
        }
        if !generated {
            return Ok(None);
        }
        let path = self.keys_dir.join("admin-credentials");
        let _ = std::fs::remove_file(&path);
        crate::signing::write_private_file(
            &path,
            format!("user: {ADMIN}\npassword: {}\n", pw.expose()).as_bytes(),
        )
        .map_err(|e| AccountError::Internal(format!("writing {}: {e}", path.display())))?;
        Ok(Some((pw, path)))
    }

    /// Create a user; the name must be free.
    pub async fn create_user(
        &self,
        name: &str,
        pw: &Secret,
        scopes: Scopes,
        tier: Option<&str>,
    ) -> Result<User, AccountError> {
        check_user_name(name)?;
        password::check_new(pw).map_err(|m| AccountError::invalid("weak_password", m))?;
        let tier = self.known_tier(tier.unwrap_or(&self.settings.default_tier))?;
        if scopes == Scopes::default() {
            return Err(AccountError::invalid(
                "invalid_scopes",
                "Give the user at least one scope: read, write or admin.",
            ));
        }
        let hash = password::hash_blocking(pw.clone(), self.pepper.clone())
            .await
            .map_err(AccountError::Internal)?;
        let uid = uuid::Uuid::new_v4().to_string();
        let rows = self
            .store
            .write(
                USER_CREATE,
                params! {
                    "name" => name, "uid" => &uid, "password_hash" => &hash,
                    "scopes" => scopes.to_value(), "tier" => &tier, "now" => now_rfc3339(),
                },
            )
            .await?;
        if rows.first("created").and_then(Value::as_bool) != Some(true) {
            return Err(AccountError::Conflict(
                "user_exists",
                format!("There is already a user named '{name}'."),
            ));
        }
        let node = rows
            .first("u")
            .and_then(Value::as_node)
            .ok_or_else(|| AccountError::Internal("user create returned no node".into()))?;
        Ok(User::from_node(node))
    }

    /// The user named `name`, their password hash, and whether that hash is
    /// peppered (false for one migrated from before the pepper).
    async fn user_by_name(&self, name: &str) -> Result<Option<(User, String, bool)>, AccountError> {
        let rows = self
            .store
            .read(USER_BY_NAME, params! { "name" => name })
            .await?;
        Ok(rows.first("u").and_then(Value::as_node).map(|n| {
            (
                User::from_node(n),
                Props(&n.properties).string("password_hash"),
                n.properties.get("pepper").and_then(Value::as_bool) == Some(true),
            )
        }))
    }

    /// The user with id `uid` (cached).
    async fn user(&self, uid: &str) -> Result<Option<Arc<User>>, AccountError> {
        if let Some(u) = self.users.get(uid) {
            return Ok(Some(u));
        }
        let rows = self
            .store
            .read(USER_BY_UID, params! { "uid" => uid })
            .await?;
        let Some(user) = rows
            .first("u")
            .and_then(Value::as_node)
            .map(User::from_node)
        else {
            return Ok(None);
        };
        let user = Arc::new(user);
        self.users.insert(uid.to_string(), user.clone());
        Ok(Some(user))
    }

    /// Every user, with how many live keys each owns.
    pub async fn list_users(&self) -> Result<Vec<(User, u64)>, AccountError> {
        let rows = self.store.read(USERS_LIST, params! {}).await?;
        Ok(rows
            .rows
            .iter()
            .filter_map(|r| {
                let u = r.first()?.as_node()?;
                Some((
                    User::from_node(u),
                    r.get(1).and_then(Value::as_u64).unwrap_or(0),
                ))
            })
            .collect())
    }

    /// Disable (or enable) a user: a disabled user's keys and tokens stop working.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<User, AccountError> {
        let rows = self
            .store
            .write(
                USER_SET_DISABLED,
                params! { "name" => name, "disabled" => disabled, "now" => now_rfc3339() },
            )
            .await?;
        let user = rows
            .first("u")
            .and_then(Value::as_node)
            .map(User::from_node)
            .ok_or_else(|| no_user(name))?;
        self.users.invalidate(&user.id);
        Ok(user)
    }

    /// Set a user's password.
    pub async fn set_password(&self, name: &str, pw: &Secret) -> Result<User, AccountError> {
        password::check_new(pw).map_err(|m| AccountError::invalid("weak_password", m))?;
        self.set_password_hash(name, pw).await
    }

    /// Store a peppered hash of `pw` for the user named `name`.
    async fn set_password_hash(&self, name: &str, pw: &Secret) -> Result<User, AccountError> {
        let hash = password::hash_blocking(pw.clone(), self.pepper.clone())
            .await
            .map_err(AccountError::Internal)?;
        let rows = self
            .store
            .write(
                USER_SET_PASSWORD,
                params! { "name" => name, "password_hash" => &hash, "now" => now_rfc3339() },
            )
            .await?;
        rows.first("u")
            .and_then(Value::as_node)
            .map(User::from_node)
            .ok_or_else(|| no_user(name))
    }

    fn known_tier(&self, tier: &str) -> Result<String, AccountError> {
        if self.settings.tiers.contains_key(tier) {
            Ok(tier.to_string())
        } else {
            Err(AccountError::invalid(
                "unknown_tier",
                format!(
                    "There is no tier '{tier}'; the tiers are: {}.",
                    self.settings
                        .tiers
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }

    // ---- login sessions ----------------------------------------------------

    /// Check a password and start a session. Attempts are limited per user
    /// name and per client address, before any hashing.
    pub async fn login(
        &self,
        name: &str,
        pw: Secret,
        client: Option<IpAddr>,
    ) -> Result<Tokens, AccountError> {
        let per_min = self.settings.login_attempts_per_min;
        let mut buckets = vec![(format!("login-user:{}", name.to_lowercase()), per_min)];
        if let Some(ip) = client {
            buckets.push((format!("login-ip:{ip}"), per_min.saturating_mul(3)));
        }
        for (bucket, limit) in buckets {
            let d = self.limiter.check(&bucket, Class::Login, limit);
            if let Some(wait) = d.retry_after {
                tracing::warn!(user = %name, client = ?client, "login throttled");
                return Err(AccountError::RateLimited {
                    code: "too_many_login_attempts",
                    message: format!("Too many login attempts; try again in {wait} seconds."),
                    decision: Box::new(d),
                });
            }
        }
        let found = self.user_by_name(name).await?;
        let (hash, peppered) = match &found {
            Some((_, h, peppered)) => (h.clone(), *peppered),
            None => (self.dummy_hash().await?, true),
        };
        let ok = password::verify_blocking(pw.clone(), hash, peppered.then(|| self.pepper.clone()))
            .await;
        let user = match found {
            Some((user, _, peppered)) if ok && !user.disabled => {
                if !peppered {
                    self.set_password_hash(&user.name, &pw).await?;
                    tracing::info!(user = %user.name, "password hash peppered at login");
                }
                user
            }
            _ => {
                tracing::info!(user = %name, client = ?client, "login refused");
                return Err(unauthorized(
                    "invalid_credentials",
                    "The user name or password is wrong.",
                ));
            }
        };
        let sid = uuid::Uuid::new_v4().to_string();
        let jti = uuid::Uuid::new_v4().to_string();
        let expires = time::OffsetDateTime::now_utc() + self.settings.refresh_ttl;
        self.store
            .write(
                SESSION_CREATE,
                params! {
                    "user" => &user.id, "sid" => &sid, "jti" => self.pepper.hash_secret(&jti),
                    "now" => now_rfc3339(),
                    "expires_at" => crate::graph::time::rfc3339(expires),
                },
            )
            .await?;
        tracing::info!(user = %user.name, session = %sid, "login");
        Ok(self.tokens(user, &sid, &jti))
    }

    fn tokens(&self, user: User, sid: &str, refresh_jti: &str) -> Tokens {
        let s = &self.settings;
        let access_jti = uuid::Uuid::new_v4().to_string();
        Tokens {
            access_token: self
                .jwt
                .issue(Kind::Access, &user.id, sid, &access_jti, s.access_ttl),
            token_type: "Bearer",
            expires_in: s.access_ttl.as_secs(),
            refresh_token: self
                .jwt
                .issue(Kind::Refresh, &user.id, sid, refresh_jti, s.refresh_ttl),
            refresh_expires_in: s.refresh_ttl.as_secs(),
            user,
        }
    }

    async fn dummy_hash(&self) -> Result<String, AccountError> {
        self.dummy_hash
            .get_or_try_init(|| password::hash_blocking(password::generate(), self.pepper.clone()))
            .await
            .cloned()
            .map_err(AccountError::Internal)
    }

    /// Trade a refresh token for new tokens. A token that is not the session's
    /// current one is a replay: the whole session is revoked.
    pub async fn refresh(&self, token: &Secret) -> Result<Tokens, AccountError> {
        let claims = self
            .jwt
            .verify(token.expose(), Kind::Refresh)
            .map_err(token_error)?;
        let session = self.session(&claims.sid).await?;
        if session.as_ref().is_none_or(|s| s.revoked) {
            return Err(unauthorized(
                "session_revoked",
                "This login session has ended; log in again.",
            ));
        }
        let new_jti = uuid::Uuid::new_v4().to_string();
        let rotated = self
            .store
            .write(
                SESSION_ROTATE,
                params! {
                    "sid" => &claims.sid, "old" => self.pepper.hash_secret(&claims.jti),
                    "new" => self.pepper.hash_secret(&new_jti), "now" => now_rfc3339(),
                },
            )
            .await?;
        if rotated.rows.is_empty() {
            self.revoke_session(&claims.sid, "refresh_token_reuse")
                .await?;
            tracing::warn!(session = %claims.sid, user_id = %claims.sub, "refresh token reused; session revoked");
            return Err(unauthorized(
                "refresh_token_reused",
                "This refresh token was already used, so the session was ended to be safe; log in again.",
            ));
        }
        let user = self.live_user(&claims.sub).await?;
        Ok(self.tokens((*user).clone(), &claims.sid, &new_jti))
    }

    /// End the session of the caller (a login; keys are revoked, not logged out).
    pub async fn logout(&self, caller: &Principal) -> Result<(), AccountError> {
        match &caller.credential {
            Credential::Session { sid } => self.revoke_session(sid, "logout").await,
            Credential::ApiKey { .. } => Err(AccountError::invalid(
                "not_a_session",
                "Logging out ends a login session; an API key is revoked with DELETE /api/v1/keys/{id}.",
            )),
        }
    }

    async fn revoke_session(&self, sid: &str, reason: &str) -> Result<(), AccountError> {
        self.store
            .write(
                SESSION_REVOKE,
                params! { "sid" => sid, "reason" => reason, "now" => now_rfc3339() },
            )
            .await?;
        self.sessions.invalidate(sid);
        Ok(())
    }

    async fn session(&self, sid: &str) -> Result<Option<SessionState>, AccountError> {
        if let Some(s) = self.sessions.get(sid) {
            return Ok(Some(s));
        }
        let rows = self
            .store
            .read(SESSION_BY_UID, params! { "sid" => sid })
            .await?;
        let Some(n) = rows.first("s").and_then(Value::as_node) else {
            return Ok(None);
        };
        let s = SessionState {
            user_id: Props(&n.properties).string("user"),
            revoked: n
                .properties
                .get("revoked")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        };
        self.sessions.insert(sid.to_string(), s.clone());
        Ok(Some(s))
    }

    async fn live_user(&self, uid: &str) -> Result<Arc<User>, AccountError> {
        match self.user(uid).await? {
            Some(u) if !u.disabled => Ok(u),
            Some(_) => Err(unauthorized(
                "user_disabled",
                "This user is disabled; ask an administrator.",
            )),
            None => Err(unauthorized(
                "invalid_token",
                "The user of this credential no longer exists.",
            )),
        }
    }

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

    async fn authenticate_key(&self, key: &str) -> Result<Principal, AccountError> {
        let invalid = || unauthorized("invalid_api_key", "The API key is not valid.");
        if !api_key::well_formed(key) {
            return Err(invalid());
        }
        let hash = api_key::hash(key, &self.pepper);
        let entry = match self.keys.get(&hash) {
            Some(e) => e,
            None => {
                let rows = self
                    .store
                    .read(KEY_BY_HASH, params! { "hash" => &hash })
                    .await?;
                let (Some(k), Some(u)) = (
                    rows.first("k").and_then(Value::as_node),
                    rows.first("u").and_then(Value::as_node),
                ) else {
                    return Err(invalid());
                };
                let e = Arc::new(KeyEntry {
                    info: KeyInfo::from_node(k, &Props(&u.properties).string("name")),
                    hash: Props(&k.properties).string("hash"),
                    user_id: Props(&u.properties).string("uid"),
                    touched: AtomicI64::new(0),
                });
                self.keys.insert(hash.clone(), e.clone());
                e
            }
        };
        if !api_key::same_hash(&entry.hash, &hash) {
            return Err(invalid());
        }
        if entry.info.revoked {
            return Err(unauthorized("api_key_revoked", "This API key was revoked."));
        }
        if entry.info.expired() {
            return Err(unauthorized(
                "api_key_expired",
                "This API key has expired; make a new one.",
            ));
        }
        let user = self.live_user(&entry.user_id).await?;
        self.touch(&entry);
        Ok(Principal {
            user_id: user.id.clone(),
            user: user.name.clone(),
            // A key never does more than its owner may.
            scopes: Scopes::of(
                &Scope::ALL
                    .into_iter()
                    .filter(|s| entry.info.scopes.has(*s) && user.scopes.allows(*s))
                    .collect::<Vec<_>>(),
            ),
            tier: entry.info.tier.clone(),
            credential: Credential::ApiKey {
                id: entry.info.id.clone(),
                prefix: entry.info.prefix.clone(),
            },
        })
    }

    /// Write `last_used_at` in the background, at most once a minute per key.
    fn touch(&self, entry: &KeyEntry) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let last = entry.touched.load(Ordering::Relaxed);
        if now - last < TOUCH_EVERY_SECS
            || entry
                .touched
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let store = self.store.clone();
        let id = entry.info.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store
                .write(KEY_TOUCH, params! { "id" => &id, "now" => now_rfc3339() })
                .await
            {
                tracing::warn!(key = %id, error = %e, "recording key use failed");
            }
        });
    }

    async fn authenticate_token(&self, token: &str) -> Result<Principal, AccountError> {
        let claims = self.jwt.verify(token, Kind::Access).map_err(token_error)?;
        match self.session(&claims.sid).await? {
            Some(s) if !s.revoked && s.user_id == claims.sub => {}
            _ => {
                return Err(unauthorized(
                    "session_revoked",
                    "This login session has ended; log in again.",
                ))
            }
        }
        let user = self.live_user(&claims.sub).await?;
        Ok(Principal {
            user_id: user.id.clone(),
            user: user.name.clone(),
            scopes: user.scopes,
            tier: user.tier.clone(),
            credential: Credential::Session { sid: claims.sid },
        })
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

    /// Make a key. `by` is the API caller (`None` for the CLI, which acts as
    /// the data directory's owner): a key never gets scopes its creator or
    /// its owner lacks, and keys for other users or tiers need `admin`.
    pub async fn create_key(
        &self,
        req: NewKeyRequest,
        by: Option<&Principal>,
    ) -> Result<CreatedKey, AccountError> {
        let owner_name = req
            .user
            .clone()
            .or_else(|| by.map(|p| p.user.clone()))
            .unwrap_or_else(|| ADMIN.to_string());
        let scopes = Scopes::parse_list(&req.scopes)
            .map_err(|m| AccountError::invalid("invalid_scopes", format!("{}.", capitalise(&m))))?;
        // Checked before the lookup, so non-admins cannot probe user names.
        if let Some(p) = by {
            if owner_name != p.user && !p.scopes.allows(Scope::Admin) {
                return Err(AccountError::InsufficientScope {
                    need: Scope::Admin,
                    message: "Making a key for another user needs the admin scope.".into(),
                });
            }
            if !p.scopes.covers(scopes) {
                return Err(AccountError::InsufficientScope {
                    need: Scope::ALL
                        .into_iter()
                        .rfind(|s| scopes.has(*s) && !p.scopes.allows(*s))
                        .unwrap_or(Scope::Admin),
                    message: format!(
                        "A key cannot have scopes its creator lacks: you hold {}.",
                        p.scopes.names().join(", ")
                    ),
                });
            }
        }
        let (owner, ..) = self
            .user_by_name(&owner_name)
            .await?
            .ok_or_else(|| no_user(&owner_name))?;
        if !owner.scopes.covers(scopes) {
            return Err(AccountError::invalid(
                "invalid_scopes",
                format!(
                    "The user '{}' holds only {}; a key cannot have more.",
                    owner.name,
                    owner.scopes.names().join(", ")
                ),
            ));
        }
        if owner.disabled {
            return Err(AccountError::invalid(
                "user_disabled",
                format!("The user '{}' is disabled.", owner.name),
            ));
        }
        let tier = match req.tier.as_deref() {
            Some(t) if t != owner.tier => {
                if by.is_some_and(|p| !p.scopes.allows(Scope::Admin)) {
                    return Err(AccountError::InsufficientScope {
                        need: Scope::Admin,
                        message: "Choosing another tier than the owner's needs the admin scope."
                            .into(),
                    });
                }
                self.known_tier(t)?
            }
            _ => owner.tier.clone(),
        };
        let name = req.name.unwrap_or_else(|| "key".into());
        if name.is_empty() || name.len() > 100 {
            return Err(AccountError::invalid(
                "invalid_parameter",
                "A key name has 1 to 100 characters.",
            ));
        }
        let expires_at = match req.expires_in_days {
            Some(0) => {
                return Err(AccountError::invalid(
                    "invalid_parameter",
                    "expires_in_days must be at least 1.",
                ))
            }
            Some(d) => Some(crate::graph::time::rfc3339(
                time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(d.min(36_500))),
            )),
            None => None,
        };
        let new = api_key::generate(&self.pepper);
        let rows = self
            .store
            .write(
                KEY_CREATE,
                params! {
                    "user" => &owner.id, "id" => &new.id, "name" => &name, "prefix" => &new.prefix,
                    "hash" => &new.hash, "scopes" => scopes.to_value(), "tier" => &tier,
                    "now" => now_rfc3339(), "expires_at" => expires_at.map_or(Value::Null, Value::String),
                },
            )
            .await?;
        let node = rows
            .first("k")
            .and_then(Value::as_node)
            .ok_or_else(|| AccountError::Internal("key create returned no node".into()))?;
        let info = KeyInfo::from_node(node, &owner.name);
        tracing::info!(key = %info.id, prefix = %info.prefix, owner = %owner.name, scopes = ?scopes, "api key created");
        Ok(CreatedKey {
            key: new.key.expose().to_string(),
            info,
        })
    }

    /// Keys of one user, or of everyone (`None`).
    pub async fn list_keys(&self, user: Option<&str>) -> Result<Vec<KeyInfo>, AccountError> {
        let rows = self
            .store
            .read(
                KEYS_LIST,
                params! { "user" => user.map_or(Value::Null, |u| Value::String(u.into())) },
            )
            .await?;
        Ok(rows
            .rows
            .iter()
            .filter_map(|r| {
                let k = r.first()?.as_node()?;
                Some(KeyInfo::from_node(k, r.get(1)?.as_str()?))
            })
            .collect())
    }

    /// Revoke a key at once. `by` may revoke its own keys; others' need admin
    /// (and to anyone else they do not exist).
    pub async fn revoke_key(
        &self,
        id: &str,
        by: Option<&Principal>,
    ) -> Result<KeyInfo, AccountError> {
        let missing = || {
            AccountError::NotFound(
                "key_not_found",
                format!("There is no API key '{id}' of yours."),
            )
        };
        let rows = self.store.read(KEY_BY_ID, params! { "id" => id }).await?;
        let owner = rows
            .first("user")
            .and_then(Value::as_str)
            .ok_or_else(missing)?;
        if let Some(p) = by {
            if owner != p.user && !p.scopes.allows(Scope::Admin) {
                return Err(missing());
            }
        }
        let rows = self
            .store
            .write(KEY_REVOKE, params! { "id" => id, "now" => now_rfc3339() })
            .await?;
        let k = rows
            .first("k")
            .and_then(Value::as_node)
            .ok_or_else(missing)?;
        self.keys.invalidate(&Props(&k.properties).string("hash"));
        let info = KeyInfo::from_node(k, owner);
        tracing::info!(key = %info.id, owner = %owner, "api key revoked");
        Ok(info)
    }

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

fn no_user(name: &str) -> AccountError {
    AccountError::NotFound(
        "user_not_found",
        format!("There is no user named '{name}'."),
    )
}

/// A 401 with a stable code.
pub fn unauthorized(code: &'static str, message: &str) -> AccountError {
    AccountError::Unauthorized {
        code,
        message: message.to_string(),
    }
}

fn token_error(e: TokenError) -> AccountError {
    match e {
        TokenError::Expired => unauthorized(
            "token_expired",
            "The token has expired; refresh it or log in again.",
        ),
        TokenError::Invalid => unauthorized("invalid_token", "The token is not valid."),
    }
}

/// User names: 1 to 64 letters, digits, `.`, `_`, `-` and `@`.
fn check_user_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AccountError::invalid(
            "invalid_user_name",
            format!(
                "'{name}' is not a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@'."
            ),
        ))
    }
}
