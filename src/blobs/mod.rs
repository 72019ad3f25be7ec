//! Content-addressed file store: `blobs/<aa>/<bb>/<sha256>` under the data dir.
//!
//! Files are written to a temporary name and renamed, so a reader never sees
//! half a file and a crash leaves at most a stray temporary.

use std::io::Write;
use std::path::{Path, PathBuf};

mod digests;
pub use digests::Digests;

/// The blob store rooted at `<data_dir>/blobs`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

fn valid(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("blobs"),
        }
    }

    /// Where the blob with this sha256 lives (or would live).
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        valid(sha256).then(|| {
            self.root
                .join(&sha256[..2])
                .join(&sha256[2..4])
                .join(sha256)
        })
    }

    /// Store `bytes` under `sha256` (the caller computed it); a no-op when present.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self
            .path(sha256)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256"))?;
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    /// Remove a blob; removing one that is not there is not an error.
    pub fn remove(&self, sha256: &str) -> std::io::Result<()> {
        let Some(path) = self.path(sha256) else {
            return Ok(());
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Read a blob; `Ok(None)` when it is not stored.
    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(sha256) else {
            return Ok(None);
        };
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        let sha = crate::analysis::hashes(b"hello").sha256;
        store.put(&sha, b"hello").unwrap();
        store.put(&sha, b"hello").unwrap();
        assert_eq!(store.get(&sha).unwrap().as_deref(), Some(&b"hello"[..]));
        let p = store.path(&sha).unwrap();
        assert!(p.starts_with(dir.path().join("blobs").join(&sha[..2]).join(&sha[2..4])));
        assert_eq!(store.get(&"0".repeat(64)).unwrap(), None);
        assert!(store.path("../etc/passwd").is_none());
    }
}
