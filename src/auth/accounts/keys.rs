//! API keys: creation (scopes no wider than the creator's), listing, revocation
//! and authentication by key (cached, last use written at most once a minute).

use super::users::no_user;
use super::*;

impl Accounts {
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

    pub(super) async fn authenticate_key(&self, key: &str) -> Result<Principal, AccountError> {
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
    pub(super) fn touch(&self, entry: &KeyEntry) {
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
}
