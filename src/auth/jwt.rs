//! Access and refresh tokens: JWTs signed with HS256 and the service's secret
//! (`keys/jwt-secret`, 64 random bytes made on first start, mode 0600).
//!
//! Only HS256 is accepted: a token naming any other algorithm (`none`
//! included) fails. A token says what it is (`typ`), so a refresh token is
//! never taken as an access token or the other way round.

use std::path::Path;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// `iss` of every token.
pub const ISSUER: &str = "bingraph";

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Access,
    Refresh,
}

/// The claims of both kinds of token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user's id.
    pub sub: String,
    /// The login session (refresh-token family) the token belongs to.
    pub sid: String,
    /// Unique per token.
    pub jti: String,
    pub typ: Kind,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

/// The signing secret, as keys for signing and checking.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Read `dir/jwt-secret`, creating it on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let secret = crate::signing::load_or_create_secret(&dir.join("jwt-secret"), 64, 32)?;
        Ok(Self::from_secret(&secret))
    }

    /// A signed token for `sub` in session `sid`, valid for `ttl`.
    pub fn issue(&self, kind: Kind, sub: &str, sid: &str, jti: &str, ttl: Duration) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            sub: sub.into(),
            sid: sid.into(),
            jti: jti.into(),
            typ: kind,
            iat: now,
            exp: now + ttl.as_secs() as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The claims of a valid, unexpired token of `kind`.
    pub fn verify(&self, token: &str, kind: Kind) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.typ != kind {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn tokens_verify_for_their_kind_only() {
        let keys = JwtKeys::from_secret(&[7u8; 64]);
        let t = keys.issue(Kind::Access, "u1", "s1", "j1", Duration::from_secs(60));
        let c = keys.verify(&t, Kind::Access).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
        assert_eq!(
            keys.verify(&t, Kind::Refresh).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn other_secrets_tampering_and_alg_none_fail() {
        let keys = JwtKeys::from_secret(&[7u8; 64]);
        let other = JwtKeys::from_secret(&[8u8; 64]);
        let t = other.issue(Kind::Access, "u1", "s1", "j1", Duration::from_secs(60));
        assert_eq!(
            keys.verify(&t, Kind::Access).unwrap_err(),
            TokenError::Invalid
        );

        let good = keys.issue(Kind::Access, "u1", "s1", "j1", Duration::from_secs(60));
        let parts: Vec<&str> = good.split('.').collect();
        let forged_payload = b64(&format!(
            r#"{{"iss":"bingraph","sub":"admin","sid":"s1","jti":"j1","typ":"access","iat":0,"exp":{}}}"#,
            i64::MAX / 2
        ));
        let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            keys.verify(&tampered, Kind::Access).unwrap_err(),
            TokenError::Invalid
        );

        let none = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            forged_payload
        );
        assert_eq!(
            keys.verify(&none, Kind::Access).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn expired_tokens_say_so() {
        let keys = JwtKeys::from_secret(&[7u8; 64]);
        let claims = Claims {
            iss: ISSUER.into(),
            sub: "u1".into(),
            sid: "s1".into(),
            jti: "j1".into(),
            typ: Kind::Access,
            iat: 1,
            exp: 2,
        };
        let t =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(
            keys.verify(&t, Kind::Access).unwrap_err(),
            TokenError::Expired
        );
    }
}
