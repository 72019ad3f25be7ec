//! Key material on disk: random secrets in files only their owner can read.
//! The JWT secret, the pepper and the provenance signing key are made here on
//! first start and read back afterwards.

use std::path::Path;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand_core::{OsRng, RngCore};
    let mut buf = [0u8; N];
    OsRng.fill_bytes(&mut buf);
    buf
}

/// Write a file only its owner can read (0600), in a directory only its owner
/// can enter (0700). Fails if the file exists.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The secret (hex) in `path`, made first from `len` random bytes, 0600, if
/// there is none (another process making it first is fine: theirs is read).
/// Fails if the file holds fewer than `min` bytes or is not hex.
pub fn load_or_create_secret(path: &Path, len: usize, min: usize) -> std::io::Result<Vec<u8>> {
    if !path.exists() {
        let mut bytes = vec![0u8; len];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        match write_private_file(path, hex::encode(bytes).as_bytes()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    let text = std::fs::read_to_string(path)?;
    match hex::decode(text.trim()) {
        Ok(secret) if secret.len() >= min => Ok(secret),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} must hold at least {min} bytes as hex", path.display()),
        )),
    }
}
