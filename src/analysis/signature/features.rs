//! Feature extraction: what each function's signature is made of, decoded
//! once from the bodies (instruction classes, imports, strings, constants,
//! callee context).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use sha2::{Digest, Sha256};

use super::{fnv, Evidence, Signature, Weights, EVIDENCE_CAP};
use crate::analysis::code::BodyInsn;
use crate::analysis::code::ARM_CONDITIONS;
use crate::analysis::{self, AnalysisError, Arch, BinaryFacts};

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
        // One function's signature reads only the shared tables: both cores.
        let functions = &facts.code.functions;
        functions
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
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
                Signature {
                    addr: f.addr,
                    exact: self.own[i].exact.clone(),
                    features: fs.finish(),
                    instructions: f.instructions,
                    blocks: f.blocks.len() as u32,
                    evidence,
                }
            })
            .collect()
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
    // ARM shares AArch64's load/store vocabulary; its own forms are
    // named in `arm_class`.
    let a64 = matches!(arch, Arch::Aarch64 | Arch::Arm);
    let arm = *arch == Arch::Arm;
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
        let c = if arm {
            arm_class(&ins.mnemonic, &ins.operands)
        } else {
            class(&ins.mnemonic, &ins.operands, a64)
        };
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
        // ARM: a literal's distance from the PC changes with every build.
        if ops.contains("[pc") {
            return mask_numbers(ops, &|_| true);
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

/// ARM (A32 and Thumb-2) in the classes of [`class`]: the width suffix
/// dropped, and a condition (`bne`, `movlo` in an IT block) when the
/// mnemonic is not known as it stands (`movs`, `lsls` end like one);
/// `bx lr` and `pop {…, pc}` return; `push`/`pop` store and load.
fn arm_class(m: &str, ops: &str) -> &'static str {
    let m = m.trim_end_matches(".w").trim_end_matches(".n");
    match arm_base_class(m, ops, false) {
        "other" if m.len() > 2 && ARM_CONDITIONS.contains(&&m[m.len() - 2..]) => {
            arm_base_class(&m[..m.len() - 2], ops, true)
        }
        c => c,
    }
}

fn arm_base_class(base: &str, ops: &str, cond: bool) -> &'static str {
    match base {
        "b" if cond => "jcc",
        "b" | "tbb" | "tbh" => "jmp",
        "cbz" | "cbnz" => "jcc",
        "bl" | "blx" => "call",
        "bx" if ops == "lr" => "ret",
        "bx" => "jmp",
        "pop" | "ldm" | "ldmia" if ops.contains("pc") => "ret",
        "pop" => "load",
        "push" => "store",
        "movw" | "movt" | "movs" | "mvns" => "mov",
        "adds" | "subs" | "rsb" | "rsbs" | "adcs" | "sbcs" | "addw" | "subw" => "arith",
        "mla" | "mls" | "muls" | "smlal" | "umlal" => "mul",
        "ands" | "orrs" | "eors" | "bics" => "logic",
        "lsls" | "lsrs" | "asrs" | "rors" => "shift",
        _ if base.starts_with("it") => "other",
        _ if base.starts_with('v') => "float",
        _ => class(base, ops, true),
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

#[cfg(test)]
mod tests {
    use super::*;

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
