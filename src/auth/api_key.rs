//! API keys: `bg_live_` followed by 64 hex digits (256 random bits).
//!
//! The key is shown once, when it is made. The account store keeps its
//! peppered hash (HMAC-SHA-256 under the server's pepper of its SHA-256: a
//! fast hash is right here, the key is random, not a password) and its first
//! 16 characters so people can tell their keys apart.

use subtle::ConstantTimeEq;

use super::pepper::Pepper;
use super::Secret;

/// Every key starts with this.
pub const PREFIX: &str = "bg_live_";
/// Characters of a key kept for display.
pub const SHOWN: usize = 16;
const SECRET_HEX: usize = 64;

/// A freshly made key.
#[derive(Debug)]
pub struct NewKey {
    /// The whole key; give it to the user once.
    pub key: Secret,
    /// Its first characters, for display.
    pub prefix: String,
    /// The peppered hash of the whole key, hex.
    pub hash: String,
    /// The key's id (not secret): `key_` and 16 hex digits.
    pub id: String,
}

/// Make a new key.
pub fn generate(pepper: &Pepper) -> NewKey {
    let key = format!(
        "{PREFIX}{}",
        hex::encode(crate::signing::random_bytes::<32>())
    );
    NewKey {
        prefix: key[..SHOWN].to_string(),
        hash: hash(&key, pepper),
        id: format!("key_{}", hex::encode(crate::signing::random_bytes::<8>())),
        key: Secret::new(key),
    }
}

/// The stored form of a key: its peppered hash, hex.
pub fn hash(key: &str, pepper: &Pepper) -> String {
    pepper.hash_secret(key)
}

/// Whether `s` has the shape of a key (checked before any lookup).
pub fn well_formed(s: &str) -> bool {
    s.len() == PREFIX.len() + SECRET_HEX
        && s.starts_with(PREFIX)
        && s[PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compare two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_well_formed_unique_and_hashed() {
        let pepper = Pepper::from_bytes([3; 32]);
        let a = generate(&pepper);
        let b = generate(&pepper);
        assert!(well_formed(a.key.expose()), "{}", a.key.expose());
        assert_ne!(a.key.expose(), b.key.expose());
        assert_ne!(a.id, b.id);
        assert!(a.key.expose().starts_with(&a.prefix));
        assert_eq!(a.hash, hash(a.key.expose(), &pepper));
        assert!(same_hash(&a.hash, &hash(a.key.expose(), &pepper)));
        assert_ne!(a.hash, hash(a.key.expose(), &Pepper::from_bytes([4; 32])));
        assert!(!same_hash(&a.hash, &b.hash));
        assert!(!well_formed("bg_live_xyz"));
        assert!(!well_formed(
            &a.key.expose().replace("bg_live_", "bg_test_")
        ));
        // Debug never shows the key.
        assert!(!format!("{a:?}").contains(a.key.expose()));
    }
}
