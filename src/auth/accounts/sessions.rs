//! Login sessions: login, refresh-token rotation (with reuse detection), logout,
//! and the access tokens that name their session.

use super::*;

pub(super) fn token_error(e: TokenError) -> AccountError {
    match e {
        TokenError::Expired => unauthorized(
            "token_expired",
            "The token has expired; refresh it or log in again.",
        ),
        TokenError::Invalid => unauthorized("invalid_token", "The token is not valid."),
    }
}

impl Accounts {
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

    pub(super) fn tokens(&self, user: User, sid: &str, refresh_jti: &str) -> Tokens {
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

    pub(super) async fn dummy_hash(&self) -> Result<String, AccountError> {
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

    pub(super) async fn revoke_session(&self, sid: &str, reason: &str) -> Result<(), AccountError> {
        self.store
            .write(
                SESSION_REVOKE,
                params! { "sid" => sid, "reason" => reason, "now" => now_rfc3339() },
            )
            .await?;
        self.sessions.invalidate(sid);
        Ok(())
    }

    pub(super) async fn session(&self, sid: &str) -> Result<Option<SessionState>, AccountError> {
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

    pub(super) async fn live_user(&self, uid: &str) -> Result<Arc<User>, AccountError> {
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

    pub(super) async fn authenticate_token(&self, token: &str) -> Result<Principal, AccountError> {
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
}
