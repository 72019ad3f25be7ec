//! `bingraph users …` and `bingraph keys …`: accounts from the command line.

use super::*;

/// `bingraph users add`: a new user; the password from stdin, or generated and printed.
pub async fn users_add(
    config: Config,
    name: &str,
    scopes: &str,
    tier: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let scopes = Scopes::parse(scopes).map_err(|m| anyhow::anyhow!("{m}"))?;
    let (pw, generated) = if password_stdin {
        (password_from_stdin()?, false)
    } else {
        (crate::auth::password::generate(), true)
    };
    let app = open_accounts(config).await?;
    let user = app.auth.create_user(name, &pw, scopes, tier).await?;
    println!(
        "created user {} (scopes {}, tier {})",
        user.name,
        user.scopes.names().join(","),
        user.tier
    );
    if generated {
        println!("password (shown once):");
        println!("{}", pw.expose());
    }
    Ok(())
}

/// `bingraph users list`.
pub async fn users_list(config: Config) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let users = app.auth.list_users().await?;
    let rows: Vec<Vec<String>> = users
        .into_iter()
        .map(|(u, keys)| {
            vec![
                u.name,
                u.scopes.names().join(","),
                u.tier,
                if u.disabled { "disabled" } else { "active" }.into(),
                keys.to_string(),
                u.created_at,
            ]
        })
        .collect();
    print_rows(
        &["name", "scopes", "tier", "state", "keys", "created"],
        rows,
    )?;
    Ok(())
}

/// `bingraph users disable|enable`.
pub async fn users_set_disabled(config: Config, name: &str, disabled: bool) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let user = app.auth.set_disabled(name, disabled).await?;
    println!(
        "user {} is {}",
        user.name,
        if user.disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

/// `bingraph users passwd`: a new password from stdin, or generated and printed.
pub async fn users_passwd(config: Config, name: &str, password_stdin: bool) -> anyhow::Result<()> {
    let (pw, generated) = if password_stdin {
        (password_from_stdin()?, false)
    } else {
        (crate::auth::password::generate(), true)
    };
    let app = open_accounts(config).await?;
    app.auth.set_password(name, &pw).await?;
    println!("password of {name} changed");
    if generated {
        println!("new password (shown once):");
        println!("{}", pw.expose());
    }
    Ok(())
}

/// `bingraph keys create`: the key alone on the last line of stdout.
pub async fn keys_create(config: Config, req: NewKeyRequest) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let created = app.auth.create_key(req, None).await?;
    let k = &created.info;
    println!("id:      {}", k.id);
    println!("name:    {}", k.name);
    println!("user:    {}", k.user);
    println!("scopes:  {}", k.scopes.names().join(","));
    println!("tier:    {}", k.tier);
    println!("expires: {}", k.expires_at.as_deref().unwrap_or("never"));
    println!("The key is shown once; store it now:");
    println!("{}", created.key);
    Ok(())
}

/// `bingraph keys list`.
pub async fn keys_list(config: Config, user: Option<&str>) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let keys = app.auth.list_keys(user).await?;
    let rows: Vec<Vec<String>> = keys
        .into_iter()
        .map(|k| {
            let state = if k.revoked {
                "revoked"
            } else if k
                .expires_at
                .as_deref()
                .and_then(crate::graph::time::parse_rfc3339)
                .is_some_and(|t| t <= time::OffsetDateTime::now_utc())
            {
                "expired"
            } else {
                "active"
            };
            vec![
                k.id,
                k.prefix,
                k.user,
                k.name,
                k.scopes.names().join(","),
                k.tier,
                state.into(),
                k.created_at,
                k.expires_at.unwrap_or_else(|| "never".into()),
                k.last_used_at.unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    print_rows(
        &[
            "id",
            "prefix",
            "user",
            "name",
            "scopes",
            "tier",
            "state",
            "created",
            "expires",
            "last used",
        ],
        rows,
    )?;
    Ok(())
}

/// `bingraph keys revoke`.
pub async fn keys_revoke(config: Config, id: &str) -> anyhow::Result<()> {
    let app = open_accounts(config).await?;
    let k = app.auth.revoke_key(id, None).await?;
    println!("revoked {} ({}, user {})", k.id, k.prefix, k.user);
    Ok(())
}
