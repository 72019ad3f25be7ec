//! ARM (A32) and Thumb-2: control flow, PC-relative literals, and the
//! register facts that resolve PIC addresses (`ldr rX, [pc, #o]; add rX,
//! pc`), `movw`/`movt` pairs, PLT slots and switch tables (`tbb`/`tbh`,
//! `ldr pc, [pc, rN, lsl #2]`, `add pc, pc, rN, lsl #2`).
//!
//! Registers are numbered r0–r12, sp 13, lr 14, pc 15 in [`A64`] effects.

use super::*;

/// Condition codes an ARM mnemonic may end with (inside a Thumb `it`
/// block too: capstone prints `bxeq lr`).
pub const CONDS: [&str; 17] = [
    "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
    "al",
];

/// Mnemonics whose conditional forms matter to control flow or registers.
const BASES: [&str; 15] = [
    "b", "bl", "blx", "bx", "pop", "ldm", "ldmia", "ldmfd", "ldr", "mov", "add", "movw", "movt",
    "cbz", "cbnz",
];

const PC: u8 = 15;
const LR: u8 = 14;

/// `popeq` → (`pop`, conditional); `bls` → (`b`, conditional); `blx` stays.
fn split_cond(m: &str) -> (&str, bool) {
    if BASES.contains(&m) {
        return (m, false);
    }
    if m.len() > 2 {
        let (base, c) = m.split_at(m.len() - 2);
        if CONDS.contains(&c) && BASES.contains(&base) {
            return (base, c != "al");
        }
    }
    (m, false)
}

/// r0–r15 with their aliases.
pub(super) fn arm_reg(s: &str) -> Option<u8> {
    match s.trim().trim_end_matches('!') {
        "sb" => Some(9),
        "sl" => Some(10),
        "fp" => Some(11),
        "ip" => Some(12),
        "sp" => Some(13),
        "lr" => Some(LR),
        "pc" => Some(PC),
        r => r.strip_prefix('r')?.parse::<u8>().ok().filter(|n| *n < 16),
    }
}

/// The parts of a memory operand (`[r3, #4]!` → `["r3", "#4"]`, write-back)
/// and whether it is post-indexed (`[sp], #4`).
fn mem_parts<'s>(opv: &[&'s str]) -> Option<(Vec<&'s str>, bool)> {
    let i = opv.iter().position(|o| o.starts_with('['))?;
    let inner = opv[i]
        .trim_end_matches('!')
        .strip_prefix('[')?
        .strip_suffix(']')?;
    let parts = inner.split(',').map(str::trim).collect();
    Some((parts, opv.len() > i + 1))
}

/// Does an instruction of this (condition-free) mnemonic leave its first
/// register operand unchanged (stores, compares, hints)?
fn reads_first_only(m: &str) -> bool {
    m.starts_with("st")
        || m.starts_with("it")
        || m.starts_with("pl")
        || m.starts_with("vst")
        || matches!(m, "cmp" | "cmn" | "tst" | "teq" | "push" | "vpush")
}

pub(super) fn arm(ins: &mut Insn, mnem: &str, ops: &str, bytes: &[u8], thumb: bool) {
    let m = mnem.trim_end_matches(".w").trim_end_matches(".n");
    let (m, cond) = split_cond(m);
    let opv = operands(ops);
    let target = || opv.last().and_then(|o| parse_num(o)).map(|v| v as u64);
    let first = opv.first().and_then(|o| arm_reg(o));
    // The PC as an operand reads the instruction's address plus 4 (Thumb)
    // or 8 (ARM); literal loads and `adr` align it down to 4 first.
    let pc = ins.addr + if thumb { 4 } else { 8 };
    let pc_aligned = pc & !3;
    ins.padding = bytes.iter().all(|b| *b == 0) || m == "nop" || (m == "mov" && ops == "r8, r8");
    let (seq_if, jump) = (
        |f: Flow| if cond { Flow::Seq } else { f },
        first == Some(PC),
    );
    match m {
        "b" => {
            if let Some(t) = target() {
                ins.flow = if cond { Flow::Cond(t) } else { Flow::Jump(t) };
            }
        }
        "cbz" | "cbnz" => {
            if let Some(t) = target() {
                ins.flow = Flow::Cond(t);
            }
        }
        "bl" | "blx" => match target() {
            Some(t) => {
                ins.flow = Flow::Call(t);
                // `blx #imm` changes instruction set; `bl` keeps it.
                ins.exchange = m == "blx";
            }
            None => {
                ins.flow = Flow::CallReg;
                if let Some(n) = first {
                    ins.a64 = A64::Branch { n };
                }
            }
        },
        "bx" if first == Some(LR) => ins.flow = seq_if(Flow::Ret),
        "bx" => {
            ins.flow = seq_if(Flow::JumpReg);
            if let Some(n) = first {
                ins.a64 = A64::Branch { n };
            }
        }
        "tbb" | "tbh" => {
            // The table follows the instruction: entries are half the
            // forward distance from the PC to each case.
            ins.flow = Flow::JumpMem(None);
            ins.pc_table = Some((pc, if m == "tbb" { 1 } else { 2 }));
        }
        "udf" | "bkpt" => ins.flow = Flow::Stop,
        "pop" | "ldm" | "ldmia" | "ldmfd" if ops.contains("pc") => ins.flow = seq_if(Flow::Ret),
        "ldr" if jump => {
            let (parts, post) = mem_parts(&opv).unwrap_or_default();
            match parts[..] {
                // ldr pc, [sp], #4: a pop of the return address.
                ["sp"] if post => ins.flow = seq_if(Flow::Ret),
                // ldrls pc, [pc, rN, lsl #2]: a table of addresses after
                // the `b default` that follows.
                ["pc", _, "lsl #2"] => {
                    ins.flow = Flow::JumpMem(None);
                    ins.abs_table = Some((pc, 4));
                    ins.cond = cond;
                }
                // ldr pc, [ip, #o]!: a PLT entry's jump through its slot.
                [base, imm] if !post => {
                    ins.flow = seq_if(Flow::JumpMem(None));
                    if let (Some(n), Some(imm)) = (arm_reg(base), parse_num(imm)) {
                        ins.a64 = A64::MemImm {
                            t: PC,
                            n,
                            imm: imm as u64,
                            store: false,
                        };
                    }
                }
                _ => ins.flow = seq_if(Flow::JumpMem(None)),
            }
            return;
        }
        "mov" if jump && opv.get(1) == Some(&"lr") => ins.flow = seq_if(Flow::Ret),
        "mov" if jump => ins.flow = seq_if(Flow::JumpReg),
        // addls pc, pc, rN, lsl #2: a table of branches after the `b default`.
        "add" if jump && opv.get(1) == Some(&"pc") => {
            ins.flow = Flow::JumpMem(None);
            ins.pc_table = Some((pc, 0));
            ins.cond = cond;
            return;
        }
        _ => {}
    }
    ins.clobbers = also_written(m, &opv);
    if ins.flow != Flow::Seq {
        return;
    }
    registers(ins, m, &opv, cond, pc, pc_aligned);
}

/// Registers an instruction writes besides its first operand: the base of
/// a pre-indexed (`[rN, #o]!`) or post-indexed (`[rN], #o`) access, the
/// list of a `pop`/`ldm` (and its base with `!`), the second destination
/// of `ldrd`, `umull` and the like.
fn also_written(m: &str, opv: &[&str]) -> u16 {
    let bit = |o: &str| arm_reg(o).map_or(0u16, |r| 1 << r);
    let mut mask = 0;
    if let Some(list) = opv.iter().find(|o| o.starts_with('{')) {
        if m.starts_with("pop") || m.starts_with("ldm") {
            mask |= list
                .trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .map(bit)
                .fold(0, |a, b| a | b);
        }
    }
    if opv.first().is_some_and(|o| o.ends_with('!')) {
        mask |= opv.first().map_or(0, |o| bit(o));
    }
    if let Some(i) = opv.iter().position(|o| o.starts_with('[')) {
        if opv[i].ends_with('!') || opv.len() > i + 1 {
            let base = opv[i]
                .trim_start_matches('[')
                .split(',')
                .next()
                .unwrap_or("");
            mask |= bit(base.trim_end_matches(']').trim_end_matches('!'));
        }
    }
    let dual = [
        "ldrd", "ldrexd", "umull", "smull", "umlal", "smlal", "vmov", "umaal",
    ];
    if dual.iter().any(|d| m.starts_with(d)) && opv.len() >= 3 {
        mask |= bit(opv[1]);
    }
    mask
}

/// What a straight-line instruction does to the registers tracked.
fn registers(ins: &mut Insn, m: &str, opv: &[&str], cond: bool, pc: u64, pc_aligned: u64) {
    // vldr sN|dN, [pc, #o]; ldrd rT, rT2, [pc, #o]: a literal, no register.
    if m == "vldr" || m == "ldrd" {
        if let Some((parts, false)) = mem_parts(opv) {
            if let ["pc", o] = parts[..] {
                let off = parse_num(o).unwrap_or(0);
                ins.data = Some(((pc_aligned as i128 + off) as u64, RefKind::Read));
                let double = m == "ldrd" || opv[0].starts_with('d');
                ins.pool = if double { 8 } else { 4 };
            }
        }
    }
    let Some(d) = opv.first().and_then(|o| arm_reg(o)) else {
        return;
    };
    if m == "cmp" && opv.len() == 2 {
        ins.cmp = parse_num(opv[1]).map(|v| v as u64);
        return;
    }
    if reads_first_only(m) {
        if m.starts_with("str") {
            if let Some((parts, false)) = mem_parts(opv) {
                if let [base, imm] | [base, imm, ..] = parts[..] {
                    if let (Some(n), Some(imm)) = (arm_reg(base), parse_num(imm)) {
                        ins.a64 = A64::MemImm {
                            t: d,
                            n,
                            imm: imm as u64,
                            store: true,
                        };
                    }
                }
            }
        }
        return;
    }
    ins.a64 = A64::Clobber { d };
    if cond {
        return;
    }
    let imm = |i: usize| {
        opv.get(i)
            .filter(|o| o.starts_with('#'))
            .and_then(|o| parse_num(o))
    };
    match m {
        "ldr" => {
            // `[rN]` or `[rN, #off]`, not post-indexed nor register-indexed.
            let Some((parts, false)) = mem_parts(opv) else {
                return;
            };
            let off = match parts[..] {
                [_] => Some(0),
                [_, o] => parse_num(o),
                _ => None,
            };
            if let [n, m] = parts[..] {
                if let (Some(n), Some(m), None) = (arm_reg(n), arm_reg(m), off) {
                    ins.a64 = A64::MemReg { t: d, n, m };
                    return;
                }
            }
            // ldr rE, [rB, rI, lsl #2]: an entry of a table at rB.
            if let [n, i, "lsl #2"] = parts[..] {
                if let (Some(n), Some(_)) = (arm_reg(n), arm_reg(i)) {
                    ins.a64 = A64::Indexed { t: d, n, size: 4 };
                    return;
                }
            }
            match (parts.first().and_then(|b| arm_reg(b)), off) {
                // A literal in the pool after the function.
                (Some(PC), Some(off)) => {
                    let at = (pc_aligned as i128 + off) as u64;
                    ins.data = Some((at, RefKind::Read));
                    ins.pool = 4;
                    ins.a64 = A64::Literal { t: d, at };
                }
                (Some(n), Some(off)) => {
                    ins.a64 = A64::MemImm {
                        t: d,
                        n,
                        imm: off as u64,
                        store: false,
                    };
                }
                _ => {}
            }
        }
        "adr" => {
            if let Some(v) = imm(1) {
                let v = (pc_aligned as i128 + v) as u64;
                ins.data = Some((v, RefKind::AddressOf));
                ins.a64 = A64::Adr { d, v };
            }
        }
        "add" => {
            let n = opv.get(1).and_then(|o| arm_reg(o));
            match (opv.len(), n) {
                // add rD, pc (Thumb): rD += PC.
                (2, Some(PC)) => ins.a64 = A64::AddPc { d, m: d, pc },
                // add rD, pc, rM (ARM).
                (3, Some(PC)) if opv.get(2).and_then(|o| arm_reg(o)).is_some() => {
                    let m = opv.get(2).and_then(|o| arm_reg(o)).unwrap_or(d);
                    ins.a64 = A64::AddPc { d, m, pc };
                }
                // add rD, pc, #imm[, #rot]: a PC-relative address (`adr`,
                // PLT entries).
                (3 | 4, Some(PC)) => {
                    if let Some(v) = imm(2) {
                        let rot = imm(3).unwrap_or(0) as u32;
                        let v = pc_aligned.wrapping_add(u64::from((v as u32).rotate_right(rot)));
                        ins.a64 = A64::Adr { d, v };
                        ins.data = Some((v, RefKind::AddressOf));
                    }
                }
                // add rD, rM (Thumb): rD += rM.
                (2, Some(m)) => ins.a64 = A64::AddReg { d, n: d, m },
                (3, Some(n)) if opv.get(2).and_then(|o| arm_reg(o)).is_some() => {
                    let m = opv.get(2).and_then(|o| arm_reg(o)).unwrap_or(d);
                    ins.a64 = A64::AddReg { d, n, m };
                }
                // add rD, rN, #imm[, #rot] (`add ip, ip, #136, #20` in PLTs).
                (3 | 4, Some(n)) => {
                    if let Some(v) = imm(2) {
                        let rot = imm(3).unwrap_or(0) as u32;
                        ins.a64 = A64::AddImm {
                            d,
                            n,
                            imm: u64::from((v as u32).rotate_right(rot)),
                        };
                    }
                }
                _ => {}
            }
        }
        "movw" => {
            if let Some(v) = imm(1) {
                ins.a64 = A64::Adr { d, v: v as u64 };
            }
        }
        "movt" => {
            if let Some(v) = imm(1) {
                ins.a64 = A64::MovT { d, hi: v as u64 };
            }
        }
        "mov" if opv.len() == 2 => {
            if let Some(n) = arm_reg(opv[1]) {
                ins.a64 = A64::Mov { d, n };
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8], addr: u64, thumb: bool) -> (Insn, String) {
        let d = Decoder::new(&Arch::Arm, false, None).unwrap();
        let (i, m, o, _) = d.text(bytes, addr, thumb).unwrap();
        (i, format!("{m} {o}"))
    }

    #[test]
    fn thumb_calls_returns_and_tables() {
        // bl from 0x1000 to 0x1100: f000 f87e
        let (i, t) = one(&[0x00, 0xf0, 0x7e, 0xf8], 0x1000, true);
        assert_eq!(i.flow, Flow::Call(0x1100), "{t}");
        assert!(!i.exchange);
        // blx from 0x1000 to ARM code at 0x1100: f000 e87e
        let (i, t) = one(&[0x00, 0xf0, 0x7e, 0xe8], 0x1000, true);
        assert_eq!(i.flow, Flow::Call(0x1100), "{t}");
        assert!(i.exchange);
        // bx lr; pop {r4, pc}
        assert_eq!(one(&[0x70, 0x47], 0x10, true).0.flow, Flow::Ret);
        assert_eq!(one(&[0x10, 0xbd], 0x10, true).0.flow, Flow::Ret);
        // tbb [pc, r2] at 0xee6: table at 0xeea
        let (i, t) = one(&[0xdf, 0xe8, 0x02, 0xf0], 0xee6, true);
        assert_eq!(
            (i.flow, i.pc_table),
            (Flow::JumpMem(None), Some((0xeea, 1))),
            "{t}"
        );
        // ldr r3, [pc, #0x1c] at 0x1002: literal at (0x1006 & !3) + 0x1c
        let (i, t) = one(&[0x07, 0x4b], 0x1002, true);
        assert_eq!(i.a64, A64::Literal { t: 3, at: 0x1020 }, "{t}");
        // add r3, pc at 0x1004
        let (i, t) = one(&[0x7b, 0x44], 0x1004, true);
        assert_eq!(
            i.a64,
            A64::AddPc {
                d: 3,
                m: 3,
                pc: 0x1008
            },
            "{t}"
        );
        // Zero fill is padding, not `movs r0, r0` code.
        assert!(one(&[0, 0], 0x10, true).0.padding);
    }

    #[test]
    fn arm_plt_entry_and_conditional_return() {
        // add ip, pc, #0, #12; add ip, ip, #0xa9000; ldr pc, [ip, #0x6b0]!
        let (i, t) = one(&[0x00, 0xc6, 0x8f, 0xe2], 0x954, false);
        assert_eq!(i.a64, A64::Adr { d: 12, v: 0x95c }, "{t}");
        let (i, t) = one(&[0xa9, 0xca, 0x8c, 0xe2], 0x958, false);
        assert_eq!(
            i.a64,
            A64::AddImm {
                d: 12,
                n: 12,
                imm: 0xa9000
            },
            "{t}"
        );
        let (i, t) = one(&[0xb0, 0xf6, 0xbc, 0xe5], 0x95c, false);
        assert_eq!(i.flow, Flow::JumpMem(None), "{t}");
        assert_eq!(
            i.a64,
            A64::MemImm {
                t: 15,
                n: 12,
                imm: 0x6b0,
                store: false
            }
        );
        // bxeq lr: a conditional return falls through.
        let (i, t) = one(&[0x1e, 0xff, 0x2f, 0x01], 0x10, false);
        assert_eq!(i.flow, Flow::Seq, "{t}");
        // ldrls pc, [pc, r3, lsl #2] at 0x100: table at 0x108
        let (i, t) = one(&[0x03, 0xf1, 0x9f, 0x97], 0x100, false);
        assert_eq!((i.abs_table, i.cond), (Some((0x108, 4)), true), "{t}");
    }
}
