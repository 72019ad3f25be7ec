//! Function signatures for similarity search.
//!
//! A function becomes a weighted set of features chosen to survive a change
//! of compiler, optimization level and (partly) architecture:
//!
//! | prefix | feature | weight ([`Weights::DEFAULT`]) |
//! |---|---|---|
//! | `I:` | an imported function it calls | 8 |
//! | `S:` | a string it references | 8 |
//! | `C:` | a constant operand ≥ 0x100 that is not an address | 8 |
//! | `c:` | a small constant operand (2..0xff) | 3 |
//! | (same) | the imports, strings and large constants of its callees, two levels down (what inlining would bring in) | 2 less per level |
//! | `P:` | two imports called one after the other | 3 |
//! | `U:` `G:` `g:` | instruction classes (load, store, arith, cmp, jcc, ...): counts, 2-grams within a block, and 2-grams of the classes left when data moves are dropped | 1 + log2(count) ≤ 4, 1, 1 |
//! | `K:` `R:` `B:` `L:` `X:` `M:` `D:` | shape, log2 buckets: callees, callers, blocks, loops, indirect calls, imports, globals | 3 |
//!
//! Similarity is the weighted Jaccard index of two feature sets (Σ min / Σ max
//! of the weights). For search, the set is hashed into a 64-slot MinHash; its
//! 32 bands of 2 slots are the LSH tokens indexed by tantivy, and the
//! candidates that share the most (and rarest) bands are re-ranked by the
//! exact weighted Jaccard over the stored features.
//!
//! The exact tier is separate: the function's instructions with branch
//! targets, addresses and PC-relative offsets masked, hashed with SHA-256.
//! The same code at another address, in another binary or another container
//! format gets the same `exact_hash`.

use base64::Engine;
use serde::{Deserialize, Serialize};

mod features;

pub use features::Extracted;

use crate::analysis::{AnalysisError, BinaryFacts};

/// MinHash slots per signature.
pub const MINHASH: usize = 64;
/// LSH bands (of `MINHASH / BANDS` slots each).
pub const BANDS: usize = 32;
/// Below this many instructions a function is "tiny": its matches are low-confidence.
pub const TINY_INSTRUCTIONS: u32 = 12;
/// Most items of each kind kept as readable evidence.
const EVIDENCE_CAP: usize = 16;

/// Readable facts behind a signature, returned as the shared evidence of a match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// Imported functions called.
    pub imports: Vec<String>,
    /// Strings referenced.
    pub strings: Vec<String>,
    /// Constant operands (hex).
    pub constants: Vec<String>,
}

impl Evidence {
    /// What both sides have.
    pub fn shared(&self, other: &Evidence) -> Evidence {
        let both = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|x| b.contains(x)).cloned().collect()
        };
        Evidence {
            imports: both(&self.imports, &other.imports),
            strings: both(&self.strings, &other.strings),
            constants: both(&self.constants, &other.constants),
        }
    }
}

/// One function's signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub addr: u64,
    /// SHA-256 (first 16 bytes, hex) of the masked instruction stream.
    pub exact: String,
    /// Feature hash and weight, sorted by hash, one entry per hash.
    pub features: Vec<(u32, u8)>,
    pub instructions: u32,
    pub blocks: u32,
    pub evidence: Evidence,
}

impl Signature {
    /// Too small for a match to mean much (stubs, getters, thunks).
    pub fn tiny(&self) -> bool {
        self.instructions < TINY_INSTRUCTIONS || self.features.len() < 8
    }

    /// 64-slot weighted MinHash (a feature of weight w counts as w elements).
    pub fn minhash(&self) -> [u32; MINHASH] {
        let mut out = [u32::MAX; MINHASH];
        for &(h, w) in &self.features {
            for rep in 0..u64::from(w) {
                let x = mix(u64::from(h) | (rep << 32));
                for (k, slot) in out.iter_mut().enumerate() {
                    let v = (x.wrapping_mul(MULS[k]).wrapping_add(ADDS[k]) >> 32) as u32;
                    if v < *slot {
                        *slot = v;
                    }
                }
            }
        }
        out
    }

    /// LSH tokens: one per band, `bb` (band number) followed by the band's hash.
    pub fn bands(&self) -> Vec<String> {
        band_tokens(&self.minhash())
    }

    /// The features as compact bytes (4-byte hash, 1-byte weight each).
    pub fn feature_bytes(&self) -> Vec<u8> {
        encode_features(&self.features)
    }

    /// The graph property form: one JSON string, enough to rebuild the index entry.
    pub fn to_property(&self) -> String {
        serde_json::json!({
            "v": 1,
            "exact": self.exact,
            "n": self.instructions,
            "b": self.blocks,
            "f": base64::engine::general_purpose::STANDARD.encode(self.feature_bytes()),
            "e": self.evidence,
        })
        .to_string()
    }

    /// Parse [`Signature::to_property`] output.
    pub fn from_property(addr: u64, s: &str) -> Option<Signature> {
        let v: serde_json::Value = serde_json::from_str(s).ok()?;
        let f = base64::engine::general_purpose::STANDARD
            .decode(v["f"].as_str()?)
            .ok()?;
        Some(Signature {
            addr,
            exact: v["exact"].as_str()?.to_string(),
            features: decode_features(&f),
            instructions: v["n"].as_u64()? as u32,
            blocks: v["b"].as_u64()? as u32,
            evidence: serde_json::from_value(v["e"].clone()).unwrap_or_default(),
        })
    }
}

/// A function similar to the one asked about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Match {
    pub sha256: String,
    pub addr: u64,
    pub name: String,
    /// Weighted Jaccard similarity of the two feature sets (1.0 for an exact match).
    pub score: f64,
    /// Same masked instruction stream (`exact_hash`).
    pub exact: bool,
    /// One side is tiny (under 12 instructions or 8 features): weak evidence.
    pub low_confidence: bool,
    pub instructions: u32,
    /// Imports, strings and constants both functions have.
    pub evidence: Evidence,
}

/// Band tokens of a MinHash.
pub fn band_tokens(m: &[u32; MINHASH]) -> Vec<String> {
    let rows = MINHASH / BANDS;
    (0..BANDS)
        .map(|b| {
            let mut h = 0xcbf2_9ce4_8422_2325u64 ^ b as u64;
            for r in 0..rows {
                h = mix(h ^ u64::from(m[b * rows + r]));
            }
            format!("{b:02x}{:08x}", h as u32)
        })
        .collect()
}

/// Feature list to bytes.
pub fn encode_features(f: &[(u32, u8)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(f.len() * 5);
    for &(h, w) in f {
        out.extend_from_slice(&h.to_le_bytes());
        out.push(w);
    }
    out
}

/// Bytes to feature list (a trailing partial entry is ignored).
pub fn decode_features(b: &[u8]) -> Vec<(u32, u8)> {
    b.chunks_exact(5)
        .map(|c| (u32::from_le_bytes([c[0], c[1], c[2], c[3]]), c[4]))
        .collect()
}

/// Weighted Jaccard index of two sorted feature lists, in [0, 1].
pub fn similarity(a: &[(u32, u8)], b: &[(u32, u8)]) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut min, mut max) = (0u64, 0u64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                max += u64::from(a[i].1);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                max += u64::from(b[j].1);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                min += u64::from(a[i].1.min(b[j].1));
                max += u64::from(a[i].1.max(b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    max += a[i..].iter().map(|x| u64::from(x.1)).sum::<u64>();
    max += b[j..].iter().map(|x| u64::from(x.1)).sum::<u64>();
    if max == 0 {
        0.0
    } else {
        min as f64 / max as f64
    }
}

/// Feature weights (see the module table). [`Weights::DEFAULT`] is what the
/// service uses; the accuracy benchmark compares others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub import: u8,
    pub string: u8,
    pub constant: u8,
    pub small_constant: u8,
    /// Consecutive calls to imports (`a>b`).
    pub import_pair: u8,
    /// Callee levels whose imports, strings and constants count as the
    /// function's own (what inlining would have put there), and the weight
    /// lost per level.
    pub callee_depth: u8,
    pub callee_decay: u8,
    /// Cap of the count-weighted instruction-class unigrams.
    pub unigram: u8,
    pub bigram: u8,
    pub trigram: u8,
    pub shape: u8,
    /// Size bucket (differs most between optimization levels).
    pub size: u8,
    /// 2-grams of the classes without data moves (mov, load, store): an
    /// unoptimized build puts a spill or reload between most operations.
    pub compute_bigram: u8,
}

impl Weights {
    /// Chosen with `BENCH_GRID=1 cargo bench --bench similarity` (README,
    /// "Similarity"): trigrams and the size bucket cost more across
    /// optimization levels than they gave across compilers.
    pub const DEFAULT: Weights = Weights {
        import: 8,
        string: 8,
        constant: 8,
        small_constant: 3,
        import_pair: 3,
        callee_depth: 2,
        callee_decay: 2,
        unigram: 4,
        bigram: 1,
        trigram: 0,
        shape: 3,
        size: 0,
        compute_bigram: 1,
    };
}

/// Signatures of every function of one analysed binary (`slice` of `file`).
/// Decodes the bodies again (in parallel); blocking.
pub fn signatures(
    file: &[u8],
    slice: usize,
    facts: &BinaryFacts,
) -> Result<Vec<Signature>, AnalysisError> {
    Ok(Extracted::new(file, slice, facts)?.signatures(facts, &Weights::DEFAULT))
}

/// FNV-1a, 32 bits: stable across builds and platforms (features and
/// string sets are stored).
pub(crate) fn fnv(b: &[u8]) -> u32 {
    let mut h = 0x811c_9dc5u32;
    for &x in b {
        h ^= u32::from(x);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// splitmix64 finaliser.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Per-slot multipliers (odd) and offsets of the MinHash permutations.
const MULS: [u64; MINHASH] = seeds(0x9e37_79b9_7f4a_7c15, true);
const ADDS: [u64; MINHASH] = seeds(0xd1b5_4a32_d192_ed03, false);

const fn seeds(mut s: u64, odd: bool) -> [u64; MINHASH] {
    let mut out = [0u64; MINHASH];
    let mut i = 0;
    while i < MINHASH {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out[i] = if odd { z | 1 } else { z };
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(features: Vec<(u32, u8)>) -> Signature {
        Signature {
            addr: 0,
            exact: String::new(),
            features,
            instructions: 40,
            blocks: 4,
            evidence: Evidence::default(),
        }
    }

    #[test]
    fn weighted_jaccard() {
        let a = vec![(1, 2), (2, 1), (5, 4)];
        let b = vec![(1, 1), (3, 1), (5, 4)];
        // min: 1 + 0 + 0 + 4 = 5; max: 2 + 1 + 1 + 4 = 8
        assert!((similarity(&a, &b) - 5.0 / 8.0).abs() < 1e-9);
        assert_eq!(similarity(&a, &a), 1.0);
        assert_eq!(similarity(&a, &[]), 0.0);
    }

    #[test]
    fn minhash_agreement_tracks_similarity() {
        let base: Vec<(u32, u8)> = (0..200u32).map(|i| (i * 7919, 1)).collect();
        let mut near = base.clone();
        for x in near.iter_mut().take(20) {
            x.0 += 1;
        }
        near.sort_unstable();
        let far: Vec<(u32, u8)> = (0..200u32).map(|i| (i * 7919 + 3, 1)).collect();
        let agree = |a: &Signature, b: &Signature| {
            let (x, y) = (a.minhash(), b.minhash());
            x.iter().zip(y.iter()).filter(|(p, q)| p == q).count()
        };
        let (a, n, f) = (sig(base), sig(near), sig(far));
        assert_eq!(agree(&a, &a), MINHASH);
        assert!(agree(&a, &n) > 40, "near: {}", agree(&a, &n));
        assert!(agree(&a, &f) < 8, "far: {}", agree(&a, &f));
        let shared_bands = a.bands().iter().filter(|t| n.bands().contains(t)).count();
        assert!(shared_bands > 10);
    }

    #[test]
    fn property_round_trip() {
        let mut s = sig(vec![(3, 1), (9, 6)]);
        s.exact = "00ff".into();
        s.evidence.imports = vec!["malloc".into()];
        let back = Signature::from_property(0x40, &s.to_property()).unwrap();
        assert_eq!(back.features, s.features);
        assert_eq!(back.evidence, s.evidence);
        assert_eq!(back.addr, 0x40);
    }
}
