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

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::code::BodyInsn;
use crate::analysis::{self, AnalysisError, Arch, BinaryFacts};

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

/// Everything signatures are made from, decoded once (so that several
/// weightings can be compared on the same decode).
pub struct Extracted {
    own: Vec<Own>,
    imports: Vec<Vec<String>>,
    /// Imports in call-site order, for `import_pair`.
    import_seq: Vec<Vec<String>>,
    strings: Vec<Vec<String>>,
    callees: Vec<Vec<usize>>,
    callers: Vec<u32>,
    globals: Vec<u32>,
}

impl Extracted {
    pub fn new(file: &[u8], slice: usize, facts: &BinaryFacts) -> Result<Extracted, AnalysisError> {
        let functions = &facts.code.functions;
        let arch = facts.identity.arch.clone();
        let own: Vec<std::sync::Mutex<Option<Own>>> = functions
            .iter()
            .map(|_| std::sync::Mutex::new(None))
            .collect();
        analysis::bodies(file, slice, functions, |i, body, mapped| {
            let o = own_features(&arch, body, mapped);
            if let Ok(mut slot) = own[i].lock() {
                *slot = Some(o);
            }
        })?;
        let own: Vec<Own> = own
            .into_iter()
            .map(|m| m.into_inner().ok().flatten().unwrap_or_default())
            .collect();

        let index: HashMap<u64, usize> = functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.addr, i))
            .collect();
        let n = functions.len();
        let mut sites: Vec<Vec<(u64, String)>> = vec![Vec::new(); n];
        for c in &facts.code.import_calls {
            if let Some(&i) = index.get(&c.caller) {
                sites[i].push((c.site, import_base(&c.name).to_string()));
            }
        }
        let import_seq: Vec<Vec<String>> = sites
            .into_iter()
            .map(|mut v| {
                v.sort();
                v.into_iter().map(|x| x.1).collect()
            })
            .collect();
        let mut imports = import_seq.clone();
        let mut strings: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut globals = vec![0u32; n];
        for r in &facts.code.data_refs {
            if let Some(&i) = index.get(&r.function) {
                match &r.string {
                    Some(s) => strings[i].push(s.clone()),
                    None => globals[i] += 1,
                }
            }
        }
        let mut callees: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut callers = vec![0u32; n];
        for c in &facts.code.calls {
            if let (Some(&a), Some(&b)) = (index.get(&c.caller), index.get(&c.callee)) {
                if a != b && !callees[a].contains(&b) {
                    callees[a].push(b);
                    callers[b] += 1;
                }
            }
        }
        for v in imports.iter_mut().chain(strings.iter_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        Ok(Extracted {
            own,
            imports,
            import_seq,
            strings,
            callees,
            callers,
            globals,
        })
    }

    /// The functions' signatures under weights `w`.
    pub fn signatures(&self, facts: &BinaryFacts, w: &Weights) -> Vec<Signature> {
        let functions = &facts.code.functions;
        let mut out = Vec::with_capacity(functions.len());
        for (i, f) in functions.iter().enumerate() {
            let mut fs = Features::default();
            // The function and its callees down to `callee_depth` levels.
            let mut level: Vec<usize> = vec![i];
            let mut seen: Vec<usize> = vec![i];
            for depth in 0..=w.callee_depth {
                let decay = depth.saturating_mul(w.callee_decay);
                let at = |x: u8| {
                    if x == 0 {
                        0
                    } else {
                        x.saturating_sub(decay).max(1)
                    }
                };
                for &j in &level {
                    for name in &self.imports[j] {
                        fs.add(&format!("I:{name}"), at(w.import));
                    }
                    for s in &self.strings[j] {
                        fs.add(&format!("S:{s}"), at(w.string));
                    }
                    for (c, _) in &self.own[j].constants {
                        if *c >= 0x100 {
                            fs.add(&format!("C:{c:x}"), at(w.constant));
                        } else if depth == 0 {
                            fs.add(&format!("c:{c:x}"), w.small_constant);
                        }
                    }
                }
                let mut next = Vec::new();
                for &j in &level {
                    for &k in &self.callees[j] {
                        if !seen.contains(&k) && seen.len() < 64 {
                            seen.push(k);
                            next.push(k);
                        }
                    }
                }
                level = next;
            }
            for p in self.import_seq[i].windows(2) {
                fs.add(&format!("P:{}>{}", p[0], p[1]), w.import_pair);
            }
            for (k, n) in &self.own[i].grams {
                let weight = match k.as_bytes()[0] {
                    b'U' => count_weight(*n).min(w.unigram),
                    b'G' => w.bigram,
                    b'g' => w.compute_bigram,
                    b'T' => w.trigram,
                    _ => 0,
                };
                fs.add(k, weight);
            }
            let loops = f.edges.iter().filter(|e| e.to <= e.from).count();
            let shape = [
                ("K", self.callees[i].len() as u64),
                ("R", u64::from(self.callers[i])),
                ("B", f.blocks.len() as u64),
                ("L", loops as u64),
                ("X", u64::from(f.indirect_calls)),
                ("M", self.imports[i].len() as u64),
                ("D", u64::from(self.globals[i])),
            ];
            for (k, v) in shape {
                fs.add(&format!("{k}:{}", bucket(v)), w.shape);
            }
            fs.add(
                &format!("N:{}", bucket(u64::from(f.instructions) / 4)),
                w.size,
            );

            let evidence = Evidence {
                imports: self.imports[i].iter().take(EVIDENCE_CAP).cloned().collect(),
                strings: self.strings[i]
                    .iter()
                    .take(EVIDENCE_CAP)
                    .map(|s| s.chars().take(120).collect())
                    .collect(),
                constants: self.own[i]
                    .constants
                    .iter()
                    .filter(|c| c.0 >= 0x100)
                    .take(EVIDENCE_CAP)
                    .map(|c| format!("{:#x}", c.0))
                    .collect(),
            };
            out.push(Signature {
                addr: f.addr,
                exact: self.own[i].exact.clone(),
                features: fs.finish(),
                instructions: f.instructions,
                blocks: f.blocks.len() as u32,
                evidence,
            });
        }
        out
    }
}

/// What one body gives on its own (before call-graph context).
#[derive(Default)]
struct Own {
    exact: String,
    /// Distinct constants (value, count).
    constants: Vec<(u64, u32)>,
    /// Instruction-class unigrams, 2-grams and 3-grams with counts.
    grams: BTreeMap<String, u32>,
}

fn own_features(arch: &Arch, body: &[BodyInsn], mapped: &dyn Fn(u64) -> bool) -> Own {
    let mut exact = Sha256::new();
    let mut constants: BTreeMap<u64, u32> = BTreeMap::new();
    let mut grams: BTreeMap<String, u32> = BTreeMap::new();
    let mut adrp_regs: Vec<String> = Vec::new();
    let a64 = *arch == Arch::Aarch64;
    let mut prev: (Option<&'static str>, Option<&'static str>) = (None, None);
    let mut cprev: (Option<&'static str>, Option<&'static str>) = (None, None);
    let mut block = u32::MAX;
    for ins in body {
        if ins.block != block {
            block = ins.block;
            prev = (None, None);
            cprev = (None, None);
        }
        // exact tier
        exact.update(ins.mnemonic.as_bytes());
        exact.update(b" ");
        if ins.branch {
            exact.update(b"T");
        } else {
            let masked = mask_operands(&ins.mnemonic, &ins.operands, a64, &mut adrp_regs, mapped);
            exact.update(masked.as_bytes());
        }
        exact.update(b"\n");

        // constants
        if !ins.branch && !ins.mnemonic.starts_with("adr") {
            for v in immediates(&ins.operands) {
                if v >= 2 && !(v >= 0x1000 && mapped(v)) && !is_stack_adjust(&ins.operands, a64) {
                    *constants.entry(v).or_default() += 1;
                }
            }
        }

        // instruction classes
        let c = class(&ins.mnemonic, &ins.operands, a64);
        *grams.entry(format!("U:{c}")).or_default() += 1;
        if let Some(p1) = prev.1 {
            *grams.entry(format!("G:{p1},{c}")).or_default() += 1;
            if let Some(p0) = prev.0 {
                *grams.entry(format!("T:{p0},{p1},{c}")).or_default() += 1;
            }
        }
        prev = (prev.1, Some(c));
        if !matches!(c, "mov" | "load" | "store") {
            if let Some(p1) = cprev.1 {
                *grams.entry(format!("g:{p1},{c}")).or_default() += 1;
                if let Some(p0) = cprev.0 {
                    *grams.entry(format!("t:{p0},{p1},{c}")).or_default() += 1;
                }
            }
            cprev = (cprev.1, Some(c));
        }
    }
    Own {
        // No decoded body, no exact identity (the empty hash would match them all).
        exact: if body.is_empty() {
            String::new()
        } else {
            hex::encode(&exact.finalize()[..16])
        },
        constants: constants.into_iter().collect(),
        grams,
    }
}

/// `sub rsp, 0x48` and `sub sp, sp, #0x40`: frame sizes change with the compiler.
fn is_stack_adjust(ops: &str, a64: bool) -> bool {
    if a64 {
        ops.starts_with("sp,") || ops.contains("[sp")
    } else {
        ops.starts_with("rsp,") || ops.starts_with("esp,")
    }
}

/// Operand text with addresses masked: PC-relative displacements, mapped
/// absolute addresses and (AArch64) the page offsets that follow `adrp`.
fn mask_operands(
    mnem: &str,
    ops: &str,
    a64: bool,
    adrp_regs: &mut Vec<String>,
    mapped: &dyn Fn(u64) -> bool,
) -> String {
    if a64 {
        let first = ops.split(',').next().unwrap_or("").trim().to_string();
        if mnem == "adrp" || mnem == "adr" {
            if !adrp_regs.contains(&first) {
                adrp_regs.push(first);
            }
            return "R, A".into();
        }
        if mnem.starts_with("ldr") && ops.contains(", #0x") && !ops.contains('[') {
            return "R, A".into();
        }
        let uses_page = adrp_regs
            .iter()
            .any(|r| ops.split(|c: char| !c.is_alphanumeric()).any(|t| t == r));
        if uses_page {
            return mask_numbers(ops, &|_| true);
        }
        return mask_numbers(ops, &|v| v >= 0x1000 && mapped(v));
    }
    if ops.contains("rip") {
        return mask_numbers(ops, &|_| true);
    }
    mask_numbers(ops, &|v| v >= 0x1000 && mapped(v))
}

/// Replace hex numbers for which `hide` holds with `A`.
fn mask_numbers(ops: &str, hide: &dyn Fn(u64) -> bool) -> String {
    let mut out = String::with_capacity(ops.len());
    let b = ops.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && i + 1 < b.len() && b[i + 1] == b'x' {
            let start = i;
            i += 2;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            let v = u64::from_str_radix(&ops[start + 2..i], 16).unwrap_or(0);
            if hide(v) {
                out.push('A');
            } else {
                out.push_str(&ops[start..i]);
            }
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Immediate operands (outside memory brackets), as unsigned values.
fn immediates(ops: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut depth = 0;
    for part in ops.split(',') {
        let t = part.trim();
        let opens = t.matches('[').count() as i32;
        let closes = t.matches(']').count() as i32;
        let inside = depth > 0 || opens > 0;
        depth += opens - closes;
        if inside {
            continue;
        }
        let t = t.trim_start_matches('#');
        let t = t.strip_prefix("lsl #").unwrap_or(t);
        if t.contains(' ') {
            continue;
        }
        if let Some(v) = analysis::code::parse_num(t) {
            if v > 0 && v <= u64::MAX as i128 {
                out.push(v as u64);
            } else if v < 0 && v >= i64::MIN as i128 {
                out.push(v.unsigned_abs() as u64);
            }
        }
    }
    out
}

/// Instruction class: the same job gets the same name on x86 and AArch64 and
/// under different compilers.
fn class(m: &str, ops: &str, a64: bool) -> &'static str {
    if a64 {
        return match m {
            "b" | "br" => "jmp",
            "bl" | "blr" => "call",
            "ret" => "ret",
            "cbz" | "cbnz" | "tbz" | "tbnz" => "jcc",
            "adrp" | "adr" => "lea",
            "cmp" | "cmn" | "tst" | "ccmp" | "ccmn" | "fcmp" => "cmp",
            "csel" | "csinc" | "csinv" | "csneg" | "cinc" | "cneg" | "fcsel" => "cmov",
            "cset" | "csetm" => "set",
            "mov" | "movz" | "movk" | "movn" | "mvn" | "fmov" => "mov",
            "add" | "adds" | "sub" | "subs" | "neg" | "negs" | "adc" | "sbc" => "arith",
            "mul" | "madd" | "msub" | "smull" | "umull" | "umulh" | "smulh" | "udiv" | "sdiv"
            | "mneg" => "mul",
            "and" | "ands" | "orr" | "eor" | "bic" | "orn" | "eon" => "logic",
            "lsl" | "lsr" | "asr" | "ror" | "ubfx" | "sbfx" | "ubfiz" | "sbfiz" | "bfi"
            | "bfxil" | "extr" | "uxtb" | "uxth" | "sxtb" | "sxth" | "sxtw" | "uxtw" => "shift",
            _ if m.starts_with("b.") => "jcc",
            _ if m.starts_with("ld") => "load",
            _ if m.starts_with("st") => "store",
            _ if m.starts_with('f') => "float",
            _ => "other",
        };
    }
    match m {
        "jmp" => "jmp",
        "call" => "call",
        "ret" | "retq" => "ret",
        "lea" => "lea",
        "cmp" | "test" => "cmp",
        "push" => "store",
        "pop" => "load",
        "add" | "sub" | "inc" | "dec" | "neg" | "adc" | "sbb" => "arith",
        "imul" | "mul" | "div" | "idiv" => "mul",
        "and" | "or" | "xor" | "not" | "andn" => "logic",
        "shl" | "shr" | "sar" | "sal" | "rol" | "ror" | "shld" | "shrd" | "bswap" => "shift",
        "cdqe" | "cdq" | "cqo" | "cwde" | "cbw" => "shift",
        _ if m.starts_with("cmov") => "cmov",
        _ if m.starts_with("set") => "set",
        _ if m.starts_with('j') => "jcc",
        _ if m.starts_with("mov") && !m.starts_with("movs") || m == "movsx" || m == "movsxd" => {
            let dst = ops.split(',').next().unwrap_or("");
            if dst.contains('[') {
                "store"
            } else if ops.contains('[') {
                "load"
            } else {
                "mov"
            }
        }
        _ if m.starts_with('v') || m.starts_with('p') || m.contains("ss") || m.contains("sd") => {
            "float"
        }
        _ => "other",
    }
}

/// `memcpy@GLIBC_2.14` and `__memcpy_chk` compare as `memcpy`.
fn import_base(name: &str) -> &str {
    let n = name.split('@').next().unwrap_or(name);
    n.strip_prefix("__")
        .and_then(|s| s.strip_suffix("_chk"))
        .unwrap_or(n)
}

fn bucket(n: u64) -> u32 {
    64 - n.leading_zeros()
}

fn count_weight(n: u32) -> u8 {
    (1 + bucket(u64::from(n)).saturating_sub(1)).min(4) as u8
}

/// A weighted feature set under construction (the largest weight wins).
#[derive(Default)]
struct Features(HashMap<u32, u8>);

impl Features {
    fn add(&mut self, key: &str, w: u8) {
        if w == 0 {
            return;
        }
        let e = self.0.entry(fnv(key.as_bytes())).or_default();
        *e = (*e).max(w);
    }

    fn finish(self) -> Vec<(u32, u8)> {
        let mut v: Vec<(u32, u8)> = self.0.into_iter().collect();
        v.sort_unstable();
        v
    }
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

    #[test]
    fn masking_hides_addresses_only() {
        let mapped = |v: u64| (0x400000..0x500000).contains(&v);
        let mut regs = Vec::new();
        assert_eq!(
            mask_operands("mov", "eax, 0x401000", false, &mut regs, &mapped),
            "eax, A"
        );
        assert_eq!(
            mask_operands("mov", "eax, 0x1f", false, &mut regs, &mapped),
            "eax, 0x1f"
        );
        assert_eq!(
            mask_operands("lea", "rdi, [rip + 0x2f10]", false, &mut regs, &mapped),
            "rdi, [rip + A]"
        );
        assert_eq!(
            mask_operands("adrp", "x0, 0x411000", true, &mut regs, &mapped),
            "R, A"
        );
        assert_eq!(
            mask_operands("add", "x0, x0, #0x5a0", true, &mut regs, &mapped),
            "x0, x0, #A"
        );
        assert_eq!(immediates("eax, 0x1e35a7bd"), vec![0x1e35a7bd]);
        assert!(immediates("eax, dword ptr [rbp - 0x14]").is_empty());
        assert_eq!(immediates("w8, #0xa7bd"), vec![0xa7bd]);
        assert_eq!(import_base("__memcpy_chk"), "memcpy");
    }
}
