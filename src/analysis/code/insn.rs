//! Instruction decoding and classification for x86, x86-64, ARM/Thumb, AArch64.
//!
//! Capstone decodes without operand detail (several times faster); the few
//! operand facts that matter (branch targets, RIP-relative and absolute
//! memory operands, AArch64 page/offset pairs, compare bounds) are read from
//! capstone's operand text, which has a fixed, simple shape per architecture.

use capstone::prelude::*;
use capstone::{Capstone, Endian as CsEndian};

use crate::analysis::model::{Arch, RefKind};

/// How an instruction changes control flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Seq,
    Call(u64),
    /// Call through memory; the slot address when it is known.
    CallMem(Option<u64>),
    CallReg,
    Jump(u64),
    JumpMem(Option<u64>),
    JumpReg,
    Cond(u64),
    Ret,
    /// Never falls through: `hlt`, `ud2`, `int3`, `brk`, an invalid opcode.
    Stop,
}

/// AArch64 register effects, for tracking `adrp` pairs and jump tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum A64 {
    None,
    Adrp {
        d: u8,
        v: u64,
    },
    Adr {
        d: u8,
        v: u64,
    },
    AddImm {
        d: u8,
        n: u8,
        imm: u64,
    },
    /// `ldr/str Rt, [Xn, #imm]`.
    MemImm {
        t: u8,
        n: u8,
        imm: u64,
        store: bool,
    },
    /// `ldrb/ldrh/ldr Wt, [Xn, Wm, uxtw ...]`: a table load.
    Indexed {
        t: u8,
        n: u8,
        size: u8,
    },
    /// `add Xd, Xn, Wm, sxtb|sxth|uxtb|uxth #s`: table entry scaled onto a base.
    AddExt {
        d: u8,
        n: u8,
        m: u8,
        signed: bool,
        shift: u8,
    },
    Mov {
        d: u8,
        n: u8,
    },
    /// `br Xn` / `blr Xn`.
    Branch {
        n: u8,
    },
    /// Writes register `d` with something untracked.
    Clobber {
        d: u8,
    },
}

/// One decoded instruction with the facts the analysis uses.
#[derive(Debug, Clone, Copy)]
pub struct Insn {
    pub addr: u64,
    pub len: u8,
    pub flow: Flow,
    /// A resolved memory operand or address (RIP-relative, absolute, PC-relative literal).
    pub data: Option<(u64, RefKind)>,
    /// An immediate operand large enough to be an address.
    pub imm: Option<u64>,
    /// `cmp reg, imm`: a likely switch bound.
    pub cmp: Option<u64>,
    /// x86: `jmp [reg*scale + base]` style absolute table `(base, entry size)`.
    pub abs_table: Option<(u64, u8)>,
    /// x86: a 32-bit sign-extending load through an index (`movsxd r, [b + i*4]`).
    pub rel_table_load: bool,
    pub a64: A64,
    /// A padding instruction (nop variants, int3, zero fill).
    pub padding: bool,
}

/// A capstone handle for one architecture and mode.
pub struct Decoder {
    cs: Capstone,
    /// Thumb handle for ARM.
    thumb: Option<Capstone>,
    pub arch: Arch,
    /// i386 PIC: `ebx` holds this (the GOT) in compiler-generated code.
    got_base: Option<u64>,
}

impl Decoder {
    /// A decoder for `arch`; `None` for architectures not disassembled.
    pub fn new(arch: &Arch, big_endian: bool, got_base: Option<u64>) -> Option<Self> {
        let endian = if big_endian {
            CsEndian::Big
        } else {
            CsEndian::Little
        };
        let cs = match arch {
            Arch::X86 => Capstone::new()
                .x86()
                .mode(arch::x86::ArchMode::Mode32)
                .build(),
            Arch::X86_64 => Capstone::new()
                .x86()
                .mode(arch::x86::ArchMode::Mode64)
                .build(),
            Arch::Aarch64 => Capstone::new()
                .arm64()
                .mode(arch::arm64::ArchMode::Arm)
                .build(),
            Arch::Arm => Capstone::new()
                .arm()
                .mode(arch::arm::ArchMode::Arm)
                .endian(endian)
                .build(),
            Arch::Other(_) => return None,
        }
        .ok()?;
        let thumb = match arch {
            Arch::Arm => Capstone::new()
                .arm()
                .mode(arch::arm::ArchMode::Thumb)
                .endian(endian)
                .build()
                .ok(),
            _ => None,
        };
        Some(Self {
            cs,
            thumb,
            arch: arch.clone(),
            got_base: if *arch == Arch::X86 { got_base } else { None },
        })
    }

    /// Decode instructions from `bytes` (at `addr`) and hand each to `f`
    /// until it returns false or decoding fails. Returns false on a decode failure.
    pub fn run(
        &self,
        bytes: &[u8],
        addr: u64,
        thumb: bool,
        mut f: impl FnMut(&Insn) -> bool,
    ) -> bool {
        let cs = if thumb {
            self.thumb.as_ref().unwrap_or(&self.cs)
        } else {
            &self.cs
        };
        let Ok(mut it) = cs.disasm_iter(bytes, addr) else {
            return false;
        };
        let mut expected = addr;
        loop {
            let Some(i) = it.next() else {
                return false;
            };
            let ins = self.classify(
                i.address(),
                i.len(),
                i.mnemonic().unwrap_or(""),
                i.op_str().unwrap_or(""),
                i.bytes(),
                thumb,
            );
            expected += i.len() as u64;
            if !f(&ins) {
                return true;
            }
            if it.addr() != expected {
                return false;
            }
        }
    }

    /// Decode all of `bytes` (at `addr`) with instruction text, handing each
    /// instruction to `f`; stops at the first byte that does not decode.
    pub fn run_text(
        &self,
        bytes: &[u8],
        addr: u64,
        thumb: bool,
        mut f: impl FnMut(&Insn, &str, &str),
    ) {
        let cs = if thumb {
            self.thumb.as_ref().unwrap_or(&self.cs)
        } else {
            &self.cs
        };
        let Ok(mut it) = cs.disasm_iter(bytes, addr) else {
            return;
        };
        let mut expected = addr;
        while let Some(i) = it.next() {
            if i.address() != expected {
                return;
            }
            let (m, o) = (i.mnemonic().unwrap_or(""), i.op_str().unwrap_or(""));
            let ins = self.classify(i.address(), i.len(), m, o, i.bytes(), thumb);
            expected += i.len() as u64;
            f(&ins, m, o);
        }
    }

    /// Decode one instruction with its text (for listings).
    pub fn text(
        &self,
        bytes: &[u8],
        addr: u64,
        thumb: bool,
    ) -> Option<(Insn, String, String, Vec<u8>)> {
        let cs = if thumb {
            self.thumb.as_ref().unwrap_or(&self.cs)
        } else {
            &self.cs
        };
        let mut it = cs.disasm_iter(bytes, addr).ok()?;
        let i = it.next()?;
        let m = i.mnemonic().unwrap_or("").to_string();
        let o = i.op_str().unwrap_or("").to_string();
        let ins = self.classify(i.address(), i.len(), &m, &o, i.bytes(), thumb);
        Some((ins, m, o, i.bytes().to_vec()))
    }

    fn classify(
        &self,
        addr: u64,
        len: usize,
        mnem: &str,
        ops: &str,
        bytes: &[u8],
        thumb: bool,
    ) -> Insn {
        let mut ins = Insn {
            addr,
            len: len as u8,
            flow: Flow::Seq,
            data: None,
            imm: None,
            cmp: None,
            abs_table: None,
            rel_table_load: false,
            a64: A64::None,
            padding: false,
        };
        match self.arch {
            Arch::X86 | Arch::X86_64 => x86(&mut ins, mnem, ops, bytes, self.got_base),
            Arch::Aarch64 => a64(&mut ins, mnem, ops, bytes),
            Arch::Arm => arm(&mut ins, mnem, ops, thumb),
            Arch::Other(_) => {}
        }
        ins
    }
}

/// Parse `0x1f`, `#0x1f`, `-0x10`, `#-16`, `12`.
pub fn parse_num(s: &str) -> Option<i128> {
    let s = s.trim().trim_start_matches('#').trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r.trim()),
        None => (false, s),
    };
    let v = if let Some(h) = s.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else {
        s.parse::<i128>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Split an operand string at top-level commas (not inside `[]` or `{}`).
fn operands(ops: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in ops.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(ops[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = ops[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

fn x86(ins: &mut Insn, mnem: &str, ops: &str, bytes: &[u8], got_base: Option<u64>) {
    let m = mnem.rsplit(' ').next().unwrap_or(mnem);
    let next = ins.addr + u64::from(ins.len);
    let opv = operands(ops);
    // Memory operand, if any.
    let mut mem_target = None;
    let mut mem_index = None;
    for (idx, o) in opv.iter().enumerate() {
        let Some(open) = o.find('[') else { continue };
        if o[..open].contains(':') {
            continue; // segment-relative (fs:[0x28]): TLS, not an address
        }
        let inner = o[open + 1..].trim_end_matches(']');
        mem_index = Some(idx);
        if let Some(rest) = inner.strip_prefix("rip") {
            let rest = rest.trim();
            let disp = if let Some(d) = rest.strip_prefix('+') {
                parse_num(d)
            } else if let Some(d) = rest.strip_prefix('-') {
                parse_num(d).map(|v| -v)
            } else {
                Some(0)
            };
            mem_target = disp.map(|d| (next as i128 + d) as u64);
        } else if let Some(v) = parse_num(inner) {
            mem_target = Some(v as u64);
        } else if let (Some(rest), Some(got)) = (inner.strip_prefix("ebx"), got_base) {
            let rest = rest.trim();
            let disp = if rest.is_empty() {
                Some(0)
            } else if let Some(d) = rest.strip_prefix('+') {
                parse_num(d)
            } else if let Some(d) = rest.strip_prefix('-') {
                parse_num(d).map(|v| -v)
            } else {
                None
            };
            mem_target = disp.map(|d| (got as i128 + d) as u64);
        } else if inner.contains('*') {
            // [reg*scale + disp] or [base + reg*scale + disp]: a table when only index + disp.
            let parts: Vec<&str> = inner.split(" + ").collect();
            if parts.len() == 2 && parts[0].contains('*') {
                if let (Some(d), Some(scale)) = (
                    parse_num(parts[1]),
                    parts[0].split('*').nth(1).and_then(parse_num),
                ) {
                    ins.abs_table = Some((d as u64, scale as u8));
                }
            }
            if m == "movsxd" && o.starts_with("dword ptr") {
                ins.rel_table_load = true;
            }
        } else if m == "mov"
            && idx == 1
            && o.starts_with("dword ptr")
            && inner.split(" + ").count() == 2
            && parse_num(inner.split(" + ").nth(1).unwrap_or("")).is_none()
        {
            // -O0 switch: `mov eax, dword ptr [rdx + rax]` then `cdqe`.
            ins.rel_table_load = true;
        }
        break;
    }
    match m {
        "call" => {
            ins.flow = match parse_num(ops) {
                Some(t) => Flow::Call(t as u64),
                None if mem_index.is_some() => Flow::CallMem(mem_target),
                None => Flow::CallReg,
            };
            return;
        }
        "jmp" | "ljmp" => {
            ins.flow = match parse_num(ops) {
                Some(t) => Flow::Jump(t as u64),
                None if mem_index.is_some() => Flow::JumpMem(mem_target),
                None => Flow::JumpReg,
            };
            return;
        }
        "ret" | "retf" | "iret" | "iretd" | "iretq" | "sysret" | "sysexit" => {
            ins.flow = Flow::Ret;
            return;
        }
        "hlt" | "ud2" | "ud1" | "ud0" => {
            ins.flow = Flow::Stop;
            return;
        }
        "int3" => {
            ins.flow = Flow::Stop;
            ins.padding = true;
            return;
        }
        _ => {}
    }
    if (m.starts_with('j') || m.starts_with("loop")) && !m.is_empty() {
        if let Some(t) = parse_num(ops) {
            ins.flow = Flow::Cond(t as u64);
            return;
        }
    }
    if m == "nop" || (m == "xchg" && (ops == "ax, ax")) || bytes.iter().all(|b| *b == 0) {
        ins.padding = true;
    }
    // 32-bit multi-byte padding idioms: `lea esi, [esi]`, `lea edi, [edi + 0]`.
    if m == "lea" && (ops.starts_with("esi, [esi") || ops.starts_with("edi, [edi")) {
        ins.padding = true;
    }
    if m == "cmp" && opv.len() == 2 {
        if let Some(v) = parse_num(opv[1]) {
            ins.cmp = Some(v as u64);
        }
    }
    if let Some(t) = mem_target {
        let kind = if m == "lea" {
            RefKind::AddressOf
        } else if mem_index == Some(0) && !matches!(m, "cmp" | "test" | "push" | "bt") {
            RefKind::Write
        } else {
            RefKind::Read
        };
        ins.data = Some((t, kind));
    } else if mem_index.is_none() && matches!(m, "mov" | "push" | "movabs") {
        if let Some(v) = opv.last().and_then(|o| parse_num(o)) {
            if v >= 0x1000 {
                ins.imm = Some(v as u64);
            }
        }
    }
}

/// AArch64 register number from `x3`, `w3`, `sp`, `xzr`, `wzr`.
fn a64_reg(s: &str) -> Option<u8> {
    let s = s.trim();
    match s {
        "sp" | "wsp" => return Some(31),
        "xzr" | "wzr" => return Some(32),
        "fp" => return Some(29),
        "lr" => return Some(30),
        _ => {}
    }
    let r = s.strip_prefix('x').or_else(|| s.strip_prefix('w'))?;
    r.parse::<u8>().ok().filter(|n| *n < 31)
}

fn a64(ins: &mut Insn, m: &str, ops: &str, bytes: &[u8]) {
    let opv = operands(ops);
    let last_num = || opv.last().and_then(|o| parse_num(o)).map(|v| v as u64);
    match m {
        "bl" => ins.flow = last_num().map(Flow::Call).unwrap_or(Flow::CallReg),
        "blr" | "blraa" | "blrab" | "blraaz" | "blrabz" => {
            ins.flow = Flow::CallReg;
            if let Some(n) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Branch { n };
            }
        }
        "b" => ins.flow = last_num().map(Flow::Jump).unwrap_or(Flow::JumpReg),
        "br" | "braa" | "brab" | "braaz" | "brabz" => {
            ins.flow = Flow::JumpReg;
            if let Some(n) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Branch { n };
            }
        }
        "ret" | "retaa" | "retab" | "eret" => ins.flow = Flow::Ret,
        "brk" | "udf" | "hlt" => {
            ins.flow = Flow::Stop;
            ins.padding = bytes.iter().all(|b| *b == 0);
        }
        "cbz" | "cbnz" | "tbz" | "tbnz" => {
            if let Some(t) = last_num() {
                ins.flow = Flow::Cond(t);
            }
        }
        "nop" => ins.padding = true,
        _ if m.starts_with("b.") => {
            if let Some(t) = last_num() {
                ins.flow = Flow::Cond(t);
            }
        }
        "adrp" | "adr" if opv.len() == 2 => {
            if let (Some(d), Some(v)) = (a64_reg(opv[0]), parse_num(opv[1])) {
                ins.a64 = if m == "adrp" {
                    A64::Adrp { d, v: v as u64 }
                } else {
                    A64::Adr { d, v: v as u64 }
                };
                if m == "adr" {
                    ins.data = Some((v as u64, RefKind::AddressOf));
                }
            }
        }
        "add" if opv.len() >= 3 => {
            let (d, n) = (a64_reg(opv[0]), a64_reg(opv[1]));
            if let (Some(d), Some(n)) = (d, n) {
                if opv.len() == 3 && opv[2].starts_with('#') {
                    if let Some(imm) = parse_num(opv[2]) {
                        ins.a64 = A64::AddImm {
                            d,
                            n,
                            imm: imm as u64,
                        };
                        return;
                    }
                }
                if opv.len() == 4 {
                    let ext = opv[3];
                    let signed = ext.starts_with("sxt");
                    if ext.starts_with("sxt") || ext.starts_with("uxt") {
                        if let Some(mr) = a64_reg(opv[2]) {
                            let shift =
                                ext.split('#').nth(1).and_then(parse_num).unwrap_or(0) as u8;
                            ins.a64 = A64::AddExt {
                                d,
                                n,
                                m: mr,
                                signed,
                                shift,
                            };
                            return;
                        }
                    }
                }
                ins.a64 = A64::Clobber { d };
            }
        }
        "mov" if opv.len() == 2 => {
            if let (Some(d), Some(n)) = (a64_reg(opv[0]), a64_reg(opv[1])) {
                ins.a64 = A64::Mov { d, n };
            } else if let Some(d) = a64_reg(opv[0]) {
                ins.a64 = A64::Clobber { d };
            }
        }
        "cmp" if opv.len() == 2 => {
            if let Some(v) = parse_num(opv[1]) {
                ins.cmp = Some(v as u64);
            }
        }
        _ => {
            let is_load = m.starts_with("ld");
            let is_store = m.starts_with("st");
            if (is_load || is_store) && opv.len() >= 2 {
                let mem = opv[opv.len() - 1];
                if let Some(inner) = mem.strip_prefix('[') {
                    let post_index = !mem.ends_with(']') && !mem.ends_with("]!");
                    let inner = inner.trim_end_matches('!').trim_end_matches(']');
                    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                    let t = a64_reg(opv[0]);
                    if let (Some(n), Some(t)) = (parts.first().and_then(|p| a64_reg(p)), t) {
                        if parts.len() == 1 && !post_index {
                            ins.a64 = A64::MemImm {
                                t,
                                n,
                                imm: 0,
                                store: is_store,
                            };
                        } else if parts.len() == 2 && parts[1].starts_with('#') {
                            let imm = parse_num(parts[1]).unwrap_or(0) as u64;
                            ins.a64 = A64::MemImm {
                                t,
                                n,
                                imm,
                                store: is_store,
                            };
                        } else if parts.len() >= 2 && is_load && a64_reg(parts[1]).is_some() {
                            let size = match m {
                                "ldrb" | "ldrsb" => 1,
                                "ldrh" | "ldrsh" => 2,
                                _ => 4,
                            };
                            ins.a64 = A64::Indexed { t, n, size };
                        } else if is_load {
                            ins.a64 = A64::Clobber { d: t };
                        }
                    }
                } else if is_load && opv.len() == 2 {
                    // Literal load: ldr x0, #0x1234
                    if let (Some(t), Some(v)) = (a64_reg(opv[0]), parse_num(opv[1])) {
                        ins.data = Some((v as u64, RefKind::Read));
                        ins.a64 = A64::Clobber { d: t };
                    }
                }
                return;
            }
            if let Some(d) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Clobber { d };
            }
        }
    }
}

const ARM_CONDS: [&str; 15] = [
    "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt",
];

fn arm(ins: &mut Insn, mnem: &str, ops: &str, thumb: bool) {
    let m = mnem.trim_end_matches(".w").trim_end_matches(".n");
    let opv = operands(ops);
    let target = || opv.last().and_then(|o| parse_num(o)).map(|v| v as u64);
    let is_cond = |base: &str| {
        m.strip_prefix(base)
            .is_some_and(|c| ARM_CONDS.contains(&c) || c == "le")
    };
    match m {
        "bl" | "blx" => ins.flow = target().map(Flow::Call).unwrap_or(Flow::CallReg),
        "b" => ins.flow = target().map(Flow::Jump).unwrap_or(Flow::JumpReg),
        "bx" => {
            ins.flow = if ops == "lr" {
                Flow::Ret
            } else {
                Flow::JumpReg
            }
        }
        "cbz" | "cbnz" => ins.flow = target().map(Flow::Cond).unwrap_or(Flow::Seq),
        "udf" | "bkpt" => ins.flow = Flow::Stop,
        "nop" => ins.padding = true,
        "pop" | "ldm" | "ldmia" | "ldmfd" if ops.contains("pc") => ins.flow = Flow::Ret,
        "ldr" if opv.first() == Some(&"pc") => ins.flow = Flow::JumpMem(None),
        "mov" if opv.first() == Some(&"pc") => {
            ins.flow = if opv.get(1) == Some(&"lr") {
                Flow::Ret
            } else {
                Flow::JumpReg
            }
        }
        _ if is_cond("b") => ins.flow = target().map(Flow::Cond).unwrap_or(Flow::Seq),
        _ => {}
    }
    // PC-relative literal loads: ldr rX, [pc, #imm]
    if m.starts_with("ldr") && opv.len() == 2 && opv[1].starts_with("[pc") {
        let imm = opv[1]
            .trim_start_matches("[pc")
            .trim_end_matches(']')
            .trim_start_matches(',')
            .trim();
        let imm = if imm.is_empty() {
            0
        } else {
            parse_num(imm).unwrap_or(0)
        };
        let pc = if thumb {
            (ins.addr + 4) & !3
        } else {
            ins.addr + 8
        };
        ins.data = Some(((pc as i128 + imm) as u64, RefKind::Read));
    }
    if m == "cmp" && opv.len() == 2 {
        if let Some(v) = parse_num(opv[1]) {
            ins.cmp = Some(v as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(arch: Arch, bytes: &[u8], addr: u64) -> Insn {
        let d = Decoder::new(&arch, false, None).unwrap();
        d.text(bytes, addr, false).unwrap().0
    }

    #[test]
    fn x86_64_calls_jumps_and_rip_relative() {
        // call rel32 -> 0x1000 + 5 + 0x10
        assert_eq!(
            one(Arch::X86_64, &[0xe8, 0x10, 0, 0, 0], 0x1000).flow,
            Flow::Call(0x1015)
        );
        // call qword ptr [rip + 0x2fe2]
        assert_eq!(
            one(Arch::X86_64, &[0xff, 0x15, 0xe2, 0x2f, 0, 0], 0x1000).flow,
            Flow::CallMem(Some(0x1006 + 0x2fe2))
        );
        // lea rdi, [rip - 0x10]
        let i = one(
            Arch::X86_64,
            &[0x48, 0x8d, 0x3d, 0xf0, 0xff, 0xff, 0xff],
            0x2000,
        );
        assert_eq!(i.data, Some((0x2007 - 0x10, RefKind::AddressOf)));
        // mov dword ptr [rip + 0x10], eax  -> write
        let i = one(Arch::X86_64, &[0x89, 0x05, 0x10, 0, 0, 0], 0x3000);
        assert_eq!(i.data, Some((0x3016, RefKind::Write)));
        // jne rel8
        assert_eq!(
            one(Arch::X86_64, &[0x75, 0x02], 0x10).flow,
            Flow::Cond(0x14)
        );
        assert_eq!(one(Arch::X86_64, &[0xc3], 0x10).flow, Flow::Ret);
        assert!(one(Arch::X86_64, &[0x0f, 0x1f, 0x44, 0, 0], 0x10).padding);
        // jmp qword ptr [rax*8 + 0x4020a0]
        let i = one(
            Arch::X86_64,
            &[0xff, 0x24, 0xc5, 0xa0, 0x20, 0x40, 0x00],
            0x10,
        );
        assert_eq!(i.abs_table, Some((0x4020a0, 8)));
        // mov fs-relative (canary) is not an address
        assert_eq!(
            one(
                Arch::X86_64,
                &[0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0],
                0x10
            )
            .data,
            None
        );
    }

    #[test]
    fn aarch64_branches_and_pages() {
        // bl #0x1000 from 0x0: 0x94000400
        assert_eq!(
            one(Arch::Aarch64, &0x9400_0400u32.to_le_bytes(), 0).flow,
            Flow::Call(0x1000)
        );
        // ret
        assert_eq!(
            one(Arch::Aarch64, &0xd65f_03c0u32.to_le_bytes(), 0).flow,
            Flow::Ret
        );
        // adrp x0, #0x1000 (from 0): 0x90000000 | immlo/immhi for 1 page = 0xb0000000
        let i = one(Arch::Aarch64, &0xb000_0000u32.to_le_bytes(), 0);
        assert_eq!(i.a64, A64::Adrp { d: 0, v: 0x1000 });
        // add x0, x0, #0x5c8
        let i = one(Arch::Aarch64, &0x9117_2000u32.to_le_bytes(), 0);
        assert_eq!(
            i.a64,
            A64::AddImm {
                d: 0,
                n: 0,
                imm: 0x5c8
            }
        );
    }

    #[test]
    fn parses_numbers() {
        assert_eq!(parse_num("#0x10"), Some(16));
        assert_eq!(parse_num("#-0x10"), Some(-16));
        assert_eq!(parse_num("12"), Some(12));
        assert_eq!(parse_num("rax"), None);
    }
}
