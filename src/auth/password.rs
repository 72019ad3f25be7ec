//! Password hashes: argon2id in PHC strings.
//!
//! Parameters are OWASP's first recommendation for argon2id (19 MiB of
//! memory, 2 passes, 1 lane): about 20 ms per hash on one core here, which
//! keeps a login cheap for people and expensive for guessing. Hashing runs on
//! the blocking pool so it never stalls the async runtime.
//!
//! The server's [`Pepper`] is argon2id's secret parameter: a hash is
//! worthless without the `keys/pepper` file. Hashes written before the
//! pepper existed verify without it (`pepper: None`) until the user's next
//! login re-hashes them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;

use super::pepper::Pepper;
use super::Secret;

/// Memory cost in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;

/// Shortest password accepted for a user.
pub const MIN_LENGTH: usize = 10;

fn hasher(pepper: Option<&Pepper>) -> Argon2<'_> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    match pepper {
        Some(p) => Argon2::new_with_secret(p.bytes(), Algorithm::Argon2id, Version::V0x13, params)
            .expect("a 32-byte secret is valid"),
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
    }
}

/// Hash a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`)
/// with the pepper as argon2id's secret.
pub fn hash(password: &Secret, pepper: &Pepper) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(Some(pepper))
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the PHC string `phc` (constant time in the
/// password; parameters are taken from the string). `pepper` is `None` for
/// a hash written before the pepper existed.
pub fn verify(password: &Secret, phc: &str, pepper: Option<&Pepper>) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher(pepper)
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: Secret, pepper: Pepper) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password, &pepper))
        .await
        .map_err(|e| format!("hash task: {e}"))?
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(password: Secret, phc: String, pepper: Option<Pepper>) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc, pepper.as_ref()))
        .await
        .unwrap_or(false)
}

/// A new random password: 24 characters from a 56-letter alphabet without
/// look-alikes (about 139 bits).
pub fn generate() -> Secret {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = crate::signing::random_bytes::<48>();
    // Rejection sampling keeps every letter equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(24);
    let mut pool = bytes.into_iter().collect::<Vec<_>>();
    while out.len() < 24 {
        let b = match pool.pop() {
            Some(b) => b,
            None => {
                pool = crate::signing::random_bytes::<48>().to_vec();
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
        let pepper = Pepper::from_bytes([7; 32]);
        let pw = Secret::new("correct horse battery");
        let h = hash(&pw, &pepper).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, &h, Some(&pepper)));
        assert!(!verify(
            &Secret::new("correct horse battery!"),
            &h,
            Some(&pepper)
        ));
        assert!(!verify(&pw, "not a phc string", Some(&pepper)));
        // Same password, new salt, different hash.
        assert_ne!(h, hash(&pw, &pepper).unwrap());
        // Without the pepper, or with another, the hash is worthless.
        assert!(!verify(&pw, &h, None));
        assert!(!verify(&pw, &h, Some(&Pepper::from_bytes([8; 32]))));
    }

    #[test]
    fn hashes_from_before_the_pepper_verify_without_it() {
        let pw = Secret::new("correct horse battery");
        let legacy = hasher(None)
            .hash_password(pw.expose().as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify(&pw, &legacy, None));
        assert!(!verify(&pw, &legacy, Some(&Pepper::from_bytes([7; 32]))));
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
