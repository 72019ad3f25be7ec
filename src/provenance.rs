//! Signed provenance: the service's Ed25519 key, canonical JSON, and the
//! offline check behind `bingraph verify`.
//!
//! A provenance document is JSON whose `signature` member signs the
//! canonical form of everything else: object keys sorted by their UTF-8
//! bytes, no insignificant whitespace, numbers and strings as serde_json
//! writes them. Its `reports` member holds the sha256 of each rendered
//! report, so a downloaded report is checked by hashing it.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use rand_core::{OsRng, RngCore};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The signing key's file under the keys directory (32-byte seed, hex).
const KEY_FILE: &str = "signing-key";

/// The service's signing key.
pub struct Signer {
    key: SigningKey,
}

/// The public half, as the API serves it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    /// Always `ed25519`.
    pub algorithm: &'static str,
    /// The 32-byte public key, base64.
    pub public_key: String,
    /// First 16 hex digits of the sha256 of the public key.
    pub key_id: String,
}

impl Signer {
    /// Load the key from `keys_dir`, making one (mode 0600) on first use.
    pub fn open(keys_dir: &Path) -> std::io::Result<Signer> {
        let path: PathBuf = keys_dir.join(KEY_FILE);
        if path.exists() {
            return Signer::open_existing(&path);
        }
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        match crate::signing::write_private_file(&path, hex::encode(seed).as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        // Another process may have won the race to create it: use what is on disk.
        Signer::open_existing(&path)
    }

    fn open_existing(path: &Path) -> std::io::Result<Signer> {
        let text = std::fs::read_to_string(path)?;
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a 64-digit hex Ed25519 seed", path.display()),
                )
            })?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public(&self) -> PublicKey {
        public_of(&self.key.verifying_key())
    }

    /// Sign `doc` (an object): adds a `signature` member over its canonical form.
    pub fn sign(&self, mut doc: Map<String, Value>) -> Value {
        doc.remove("signature");
        let bytes = canonical(&Value::Object(doc.clone()));
        let sig = self.key.sign(&bytes);
        let public = self.public();
        doc.insert(
            "signature".into(),
            serde_json::json!({
                "algorithm": "ed25519",
                "key_id": public.key_id,
                "public_key": public.public_key,
                "value": B64.encode(sig.to_bytes()),
                "signed": "canonical JSON of this document without its signature member (keys sorted, no whitespace)",
            }),
        );
        Value::Object(doc)
    }
}

fn public_of(k: &VerifyingKey) -> PublicKey {
    PublicKey {
        algorithm: "ed25519",
        public_key: B64.encode(k.as_bytes()),
        key_id: hex::encode(Sha256::digest(k.as_bytes()))[..16].to_string(),
    }
}

/// Canonical JSON bytes: sorted keys, no whitespace.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sort(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sort(v)).unwrap_or_default()
}

/// sha256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a successful check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The report format whose hash matched (`json`, `sarif`, `html`, `md`).
    pub format: String,
    pub key_id: String,
    pub subject_sha256: String,
    pub job_id: String,
}

/// Why a report or provenance document did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the provenance document is not valid: {0}")]
    Malformed(String),
    #[error("the signature does not match the provenance document (it was changed after signing, or signed by another key)")]
    BadSignature,
    #[error("the provenance was signed by key {found}, not the expected key {expected}")]
    WrongKey { expected: String, found: String },
    #[error("the report's sha256 {0} is not one the provenance signs (the report was changed, or belongs to another analysis)")]
    ReportMismatch(String),
}

/// Check `provenance` (JSON bytes) and that `report` is one of the reports it
/// signs. `expected_key` (base64 public key or key id) pins the signer.
pub fn verify(
    provenance: &[u8],
    report: &[u8],
    expected_key: Option<&str>,
) -> Result<Verified, VerifyError> {
    let doc: Value = serde_json::from_slice(provenance)
        .map_err(|e| VerifyError::Malformed(format!("not JSON: {e}")))?;
    let Value::Object(mut doc) = doc else {
        return Err(VerifyError::Malformed("not a JSON object".into()));
    };
    let sig = doc
        .remove("signature")
        .ok_or_else(|| VerifyError::Malformed("no signature member".into()))?;
    let field = |k: &str| {
        sig.get(k)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| VerifyError::Malformed(format!("signature.{k} is missing")))
    };
    if field("algorithm")? != "ed25519" {
        return Err(VerifyError::Malformed(
            "only ed25519 signatures are supported".into(),
        ));
    }
    let key_bytes: [u8; 32] = B64
        .decode(field("public_key")?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            VerifyError::Malformed("signature.public_key is not 32 bytes of base64".into())
        })?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| VerifyError::Malformed("signature.public_key is not an Ed25519 key".into()))?;
    let public = public_of(&key);
    if let Some(expected) = expected_key {
        if expected != public.public_key && expected != public.key_id {
            return Err(VerifyError::WrongKey {
                expected: expected.to_string(),
                found: public.key_id,
            });
        }
    }
    let sig_bytes: [u8; 64] = B64
        .decode(field("value")?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            VerifyError::Malformed("signature.value is not 64 bytes of base64".into())
        })?;
    let body = Value::Object(doc);
    key.verify(&canonical(&body), &Signature::from_bytes(&sig_bytes))
        .map_err(|_| VerifyError::BadSignature)?;
    let digest = sha256_hex(report);
    let reports = body
        .get("reports")
        .and_then(Value::as_object)
        .ok_or_else(|| VerifyError::Malformed("no reports member".into()))?;
    let format = reports
        .iter()
        .find(|(_, v)| v.get("sha256").and_then(Value::as_str) == Some(digest.as_str()))
        .map(|(k, _)| k.clone())
        .ok_or(VerifyError::ReportMismatch(digest))?;
    Ok(Verified {
        format,
        key_id: public.key_id,
        subject_sha256: body
            .pointer("/subject/sha256")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        job_id: body
            .get("job_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": "x"}});
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            r#"{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::open(dir.path()).unwrap();
        let again = Signer::open(dir.path()).unwrap();
        assert_eq!(signer.public().public_key, again.public().public_key);
        let report = b"{\"report\":1}".to_vec();
        let mut doc = Map::new();
        doc.insert("job_id".into(), "job_1".into());
        doc.insert(
            "reports".into(),
            serde_json::json!({"json": {"sha256": sha256_hex(&report)}}),
        );
        let signed = serde_json::to_vec_pretty(&signer.sign(doc)).unwrap();
        let ok = verify(&signed, &report, Some(&signer.public().key_id)).unwrap();
        assert_eq!(ok.format, "json");
        let mut bad_report = report.clone();
        bad_report[2] ^= 1;
        assert!(matches!(
            verify(&signed, &bad_report, None),
            Err(VerifyError::ReportMismatch(_))
        ));
        let text = String::from_utf8(signed.clone()).unwrap();
        let forged = text.replace("job_1", "job_2");
        assert_eq!(
            verify(forged.as_bytes(), &report, None),
            Err(VerifyError::BadSignature)
        );
        assert!(matches!(
            verify(&signed, &report, Some("0000000000000000")),
            Err(VerifyError::WrongKey { .. })
        ));
    }
}
