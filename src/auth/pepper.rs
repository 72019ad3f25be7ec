//! The pepper: a server secret mixed into every stored credential, so that a
//! copy of the account store alone cracks nothing.
//!
//! It is 32 random bytes in `keys/pepper` (hex, mode 0600), made on first
//! start. API-key and refresh-token hashes are HMAC-SHA-256 under it of the
//! secret's SHA-256 (so a hash stored before the pepper existed, a plain
//! SHA-256, is re-hashed at migration without knowing the secret); argon2id
//! takes it as its secret parameter for passwords.
//!
//! Losing the file makes every password, key and session stop working; back
//! it up with the data directory, and keep it out of database dumps.

use std::path::Path;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The server secret (never printed).
#[derive(Clone)]
pub struct Pepper(Arc<[u8; 32]>);

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper([redacted])")
    }
}

impl Pepper {
    /// Read `dir/pepper`, making it first if there is none.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let secret = crate::signing::load_or_create_secret(&dir.join("pepper"), 32, 32)?;
        let mut bytes = [0u8; 32];
        // A longer file (made by hand) keeps its first 32 bytes.
        bytes.copy_from_slice(&secret[..32]);
        Ok(Pepper(Arc::new(bytes)))
    }

    /// A pepper from given bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Pepper(Arc::new(bytes))
    }

    /// The secret, for argon2id's secret parameter.
    pub fn bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The stored form of a random secret (an API key, a refresh token id):
    /// HMAC-SHA-256 under the pepper of its SHA-256, hex.
    pub fn hash_secret(&self, secret: &str) -> String {
        self.seal_sha256(&hex::encode(Sha256::digest(secret.as_bytes())))
    }

    /// The stored form of a secret of which only the SHA-256 (hex) is known:
    /// how hashes written before the pepper are migrated.
    pub fn seal_sha256(&self, sha256_hex: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.bytes()).expect("HMAC takes any key");
        mac.update(sha256_hex.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peppered_hashes_depend_on_the_pepper_and_migrate_from_sha256() {
        let a = Pepper::from_bytes([1; 32]);
        let b = Pepper::from_bytes([2; 32]);
        let key = "bg_live_0123";
        assert_ne!(a.hash_secret(key), b.hash_secret(key));
        assert_ne!(a.hash_secret(key), hex::encode(Sha256::digest(key)));
        // What migration computes from a stored SHA-256 equals a fresh hash.
        assert_eq!(
            a.seal_sha256(&hex::encode(Sha256::digest(key))),
            a.hash_secret(key)
        );
        assert_eq!(a.hash_secret(key).len(), 64);
        assert!(!format!("{a:?}").contains("01"));
    }

    #[test]
    fn the_file_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Pepper::load_or_create(dir.path()).unwrap();
        let b = Pepper::load_or_create(dir.path()).unwrap();
        assert_eq!(a.bytes(), b.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("pepper"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("pepper"), "zz").unwrap();
        assert!(Pepper::load_or_create(dir.path()).is_err());
    }
}
