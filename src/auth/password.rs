//! Password hashes: argon2id in PHC strings.
//!
//! Parameters are OWASP's first recommendation for argon2id (19 MiB of
//! memory, 2 passes, 1 lane): about 20 ms per hash on one core here, which
//! keeps a login cheap for people and expensive for guessing. Hashing runs on
//! the blocking pool so it never stalls the async runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;

use super::Secret;

/// Memory cost in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;

/// Shortest password accepted for a user.
pub const MIN_LENGTH: usize = 10;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hash a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &Secret) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the PHC string `phc` (constant time in the
/// password; parameters are taken from the string).
pub fn verify(password: &Secret, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: Secret) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| format!("hash task: {e}"))?
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(password: Secret, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// A new random password: 24 characters from a 56-letter alphabet without
/// look-alikes (about 139 bits).
pub fn generate() -> Secret {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = super::random_bytes::<48>();
    // Rejection sampling keeps every letter equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(24);
    let mut pool = bytes.into_iter().collect::<Vec<_>>();
    while out.len() < 24 {
        let b = match pool.pop() {
            Some(b) => b,
            None => {
                pool = super::random_bytes::<48>().to_vec();
                continue;
            }
        };
        if (b as usize) < limit {
            out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
        }
    }
    Secret::new(out)
}

/// Check a new password against the rules; the error is a sentence for people.
pub fn check_new(password: &Secret) -> Result<(), String> {
    let p = password.expose();
    if p.chars().count() < MIN_LENGTH {
        return Err(format!(
            "The password is too short: use at least {MIN_LENGTH} characters."
        ));
    }
    if p.len() > 1024 {
        return Err("The password is too long: use at most 1024 bytes.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_carry_their_parameters() {
        let pw = Secret::new("correct horse battery");
        let h = hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, &h));
        assert!(!verify(&Secret::new("correct horse battery!"), &h));
        assert!(!verify(&pw, "not a phc string"));
        // Same password, new salt, different hash.
        assert_ne!(h, hash(&pw).unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate();
        let b = generate();
        assert_eq!(a.expose().len(), 24);
        assert_ne!(a.expose(), b.expose());
        assert!(check_new(&a).is_ok());
        assert!(check_new(&Secret::new("short")).is_err());
    }
}
