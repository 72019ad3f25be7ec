//! Digests: compact read models of one binary, written at ingest beside its
//! subgraph and read by the API's first pages (`digests/<aa>/<sha256>.<kind>`
//! under the data dir). A digest is derived data: the graph stays the source
//! of truth, a missing, stale or unreadable digest is rebuilt from it.
//!
//! Each digest carries a stamp of the subgraph it was taken from (the
//! binary's `ingested_at`); a reader passes the stamp it sees in the graph,
//! so a digest that a later write made stale is never used.
//!
//! A file is `BGDG`, the kind's layout version (u32, little endian), the
//! stamp's length (u16, little endian) and bytes, then the value as
//! MessagePack; written to a temporary name and renamed.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::valid;

const MAGIC: &[u8; 4] = b"BGDG";

/// The digests rooted at `<data_dir>/digests`.
#[derive(Debug, Clone)]
pub struct Digests {
    root: PathBuf,
}

/// Every kind of digest a binary may have (removed together).
pub const KINDS: &[&str] = &["callgraph", "symbols", "strings", "signatures"];

impl Digests {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("digests"),
        }
    }

    fn path(&self, sha256: &str, kind: &str) -> Option<PathBuf> {
        (valid(sha256) && kind.bytes().all(|b| b.is_ascii_lowercase())).then(|| {
            self.root
                .join(&sha256[..2])
                .join(format!("{sha256}.{kind}"))
        })
    }

    /// Write the digest `kind` of binary `sha256` (replacing an older one).
    pub fn put<T: Serialize>(
        &self,
        sha256: &str,
        kind: &str,
        version: u32,
        stamp: &str,
        value: &T,
    ) -> std::io::Result<()> {
        let path = self
            .path(sha256, kind)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256"))?;
        let mut bytes = Vec::with_capacity(1 << 16);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&version.to_le_bytes());
        let stamp = &stamp.as_bytes()[..stamp.len().min(u16::MAX as usize)];
        bytes.extend_from_slice(&(stamp.len() as u16).to_le_bytes());
        bytes.extend_from_slice(stamp);
        rmp_serde::encode::write(&mut bytes, value)
            .map_err(|e| std::io::Error::other(format!("encoding the {kind} digest: {e}")))?;
        let dir = path.parent().expect("digest paths have a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{sha256}.{kind}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    /// Read the digest `kind` of binary `sha256` taken from the subgraph
    /// stamped `stamp`: `Ok(None)` when there is none, or it has another
    /// layout version or stamp, or it does not decode (it is then rebuilt
    /// from the graph; the last case is logged).
    pub fn get<T: DeserializeOwned>(
        &self,
        sha256: &str,
        kind: &str,
        version: u32,
        stamp: &str,
    ) -> std::io::Result<Option<T>> {
        let Some(path) = self.path(sha256, kind) else {
            return Ok(None);
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if bytes.len() < 10 || &bytes[..4] != MAGIC || bytes[4..8] != version.to_le_bytes() {
            return Ok(None);
        }
        let n = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let Some(body) = bytes.get(10 + n..) else {
            return Ok(None);
        };
        if &bytes[10..10 + n] != stamp.as_bytes() {
            return Ok(None);
        }
        match rmp_serde::from_slice(body) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::warn!(sha256, kind, error = %e, "unreadable digest; rebuilding it from the graph");
                Ok(None)
            }
        }
    }

    /// Remove every digest of binary `sha256` (before its subgraph is
    /// rewritten or removed); removing what is not there is not an error.
    pub fn remove(&self, sha256: &str) -> std::io::Result<()> {
        for kind in KINDS {
            let Some(path) = self.path(sha256, kind) else {
                return Ok(());
            };
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_versions_stamps_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let d = Digests::new(dir.path());
        let sha = crate::analysis::hashes(b"x").sha256;
        let get = |version, stamp| {
            d.get::<Vec<u32>>(&sha, "callgraph", version, stamp)
                .unwrap()
        };
        assert_eq!(get(1, "t1"), None);
        d.put(&sha, "callgraph", 1, "t1", &vec![1u32, 2, 3])
            .unwrap();
        assert_eq!(get(1, "t1"), Some(vec![1, 2, 3]));
        // Another layout version, another subgraph, or bytes that do not
        // decode as the type asked for: none (rebuilt from the graph).
        assert_eq!(get(2, "t1"), None);
        assert_eq!(get(1, "t2"), None);
        assert_eq!(get(1, ""), None);
        assert_eq!(d.get::<String>(&sha, "callgraph", 1, "t1").unwrap(), None);
        // A truncated file is none too.
        let path = d.path(&sha, "callgraph").unwrap();
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..11]).unwrap();
        assert_eq!(get(1, "t1"), None);
        d.remove(&sha).unwrap();
        d.remove(&sha).unwrap();
        assert!(!path.exists());
        assert!(d.put(&sha, "../x", 1, "t", &1u32).is_err());
        assert!(d.put("../etc", "callgraph", 1, "t", &1u32).is_err());
    }
}
