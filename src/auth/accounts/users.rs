//! Users: the first admin, creation, listing, disabling, passwords and tiers.

use super::*;

pub(super) fn no_user(name: &str) -> AccountError {
    AccountError::NotFound(
        "user_not_found",
        format!("There is no user named '{name}'."),
    )
}

/// User names: 1 to 64 letters, digits, `.`, `_`, `-` and `@`.
pub(super) fn check_user_name(name: &str) -> Result<(), AccountError> {
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

impl Accounts {
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
    pub(super) async fn user_by_name(
        &self,
        name: &str,
    ) -> Result<Option<(User, String, bool)>, AccountError> {
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
    pub(super) async fn user(&self, uid: &str) -> Result<Option<Arc<User>>, AccountError> {
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
    pub(super) async fn set_password_hash(
        &self,
        name: &str,
        pw: &Secret,
    ) -> Result<User, AccountError> {
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

    pub(super) fn known_tier(&self, tier: &str) -> Result<String, AccountError> {
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
}
