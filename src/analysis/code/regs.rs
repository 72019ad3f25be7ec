//! Register values known along one straight-line run of instructions
//! (AArch64 `adrp` pairs, ARM PC-relative literals and GOT loads, switch
//! tables), and the data and code addresses they lead to.

use super::*;

/// Register values known along one run (AArch64 x0–x30, sp, xzr; ARM
/// r0–r15), with the import slot a register was loaded from.
pub(super) struct A64Regs {
    pub value: [Option<u64>; 33],
    /// The import slot a register was loaded from.
    pub slot: [Option<u64>; 33],
    table: Option<(u64, u8)>,
    /// Table, entry size, base, shift, signed: a `ldr{b,h} + add … lsl` switch.
    pub switch: Option<(u64, u8, u64, u8, bool)>,
}

impl A64Regs {
    pub fn new() -> Self {
        A64Regs {
            value: [None; 33],
            slot: [None; 33],
            table: None,
            switch: None,
        }
    }

    /// A call: the callee may change every register the AArch64 procedure
    /// call standard does not make it keep (x19–x29 survive). A switch
    /// table's base is often set in x19–x28 before a loop whose cases call
    /// functions, and found again after the call.
    pub fn call_clobbers(&mut self) {
        for r in (0..19).chain([30]) {
            self.value[r] = None;
            self.slot[r] = None;
        }
        self.table = None;
        self.switch = None;
    }

    /// Follow one instruction; the data it references, if the registers say.
    pub fn track(
        &mut self,
        ins: &Insn,
        img: &Image<'_>,
        data: &mut Option<(u64, RefKind)>,
        new_starts: &mut Vec<(u64, FunctionSource)>,
        absolute: bool,
    ) {
        let (regs, reg_slot) = (&mut self.value, &mut self.slot);
        for r in (0..16).filter(|r| ins.clobbers & (1 << r) != 0) {
            regs[r] = None;
            reg_slot[r] = None;
        }
        match ins.a64 {
            A64::None => {}
            A64::Adrp { d, v } | A64::Adr { d, v } => {
                regs[d as usize] = Some(v);
                reg_slot[d as usize] = None;
            }
            A64::AddImm { d, n, imm } => {
                let v = regs[n as usize].map(|b| b.wrapping_add(imm));
                if let Some(v) = v {
                    *data = Some((v, RefKind::AddressOf));
                }
                regs[d as usize] = v;
                reg_slot[d as usize] = None;
            }
            A64::MemImm { t, n, imm, store } => {
                let at = regs[n as usize].map(|b| b.wrapping_add(imm));
                if let Some(at) = at {
                    *data = Some((at, if store { RefKind::Write } else { RefKind::Read }));
                }
                if !store {
                    regs[t as usize] = at.and_then(|x| img.pointers.get(&x).copied());
                    reg_slot[t as usize] = at.filter(|x| img.slots.contains_key(x));
                    if let Some(p) = regs[t as usize] {
                        if img.is_code(p) {
                            new_starts.push((p, FunctionSource::Pointer));
                        }
                    }
                }
            }
            A64::Indexed { t, n, size } => {
                self.table = regs[n as usize].map(|b| (b, size));
                regs[t as usize] = None;
            }
            A64::AddExt {
                d,
                n,
                m: _,
                signed,
                shift,
            } => {
                if let (Some((tb, size)), Some(base)) = (self.table, regs[n as usize]) {
                    self.switch = Some((tb, size, base, shift, signed));
                }
                regs[d as usize] = None;
            }
            A64::Mov { d, n } => {
                regs[d as usize] = regs[n as usize];
                reg_slot[d as usize] = reg_slot[n as usize];
            }
            A64::Clobber { d } => {
                regs[d as usize] = None;
                reg_slot[d as usize] = None;
            }
            A64::Branch { .. } => {}
            A64::Literal { t, at } => {
                let v = img.read_uint(at, 4);
                regs[t as usize] = v;
                reg_slot[t as usize] = None;
                // Non-PIE code loads addresses themselves from its pools
                // (PIE code loads offsets from the PC: see `AddPc`).
                if let Some(v) = v.filter(|_| absolute) {
                    if img.is_code(v & !1) && v & 1 == 1 {
                        new_starts.push((v, FunctionSource::Pointer));
                    } else if img.is_mapped(v) && !img.is_code(v) {
                        *data = Some((v, RefKind::AddressOf));
                    }
                }
            }
            A64::AddPc { d, m, pc } => {
                let v = regs[m as usize].map(|o| o.wrapping_add(pc) & 0xffff_ffff);
                if let Some(v) = v {
                    *data = Some((v, RefKind::AddressOf));
                }
                regs[d as usize] = v;
                reg_slot[d as usize] = None;
            }
            A64::AddReg { d, n, m } => {
                // `adr rB, T; ldr rE, [rB, rI, lsl #2]; add rB, rE; bx rB`:
                // a table of offsets from its own start (Thumb -O0 switch).
                if let (Some((tb, size)), Some(base), None) =
                    (self.table, regs[n as usize], regs[m as usize])
                {
                    self.switch = Some((tb, size, base, 0, true));
                }
                let v = regs[n as usize]
                    .zip(regs[m as usize])
                    .map(|(a, b)| a.wrapping_add(b) & 0xffff_ffff);
                regs[d as usize] = v;
                reg_slot[d as usize] = None;
            }
            A64::MemReg { t, n, m } => {
                let at = regs[n as usize]
                    .zip(regs[m as usize])
                    .map(|(a, b)| a.wrapping_add(b) & 0xffff_ffff);
                if let Some(at) = at {
                    *data = Some((at, RefKind::Read));
                }
                regs[t as usize] = at.and_then(|x| img.pointers.get(&x).copied());
                reg_slot[t as usize] = at.filter(|x| img.slots.contains_key(x));
                // A Thumb function's address from the GOT.
                if let Some(p) = regs[t as usize].filter(|p| p & 1 == 1 && img.is_code(p & !1)) {
                    new_starts.push((p, FunctionSource::Pointer));
                }
            }
            A64::MovT { d, hi } => {
                let v = regs[d as usize].map(|lo| (lo & 0xffff) | (hi << 16));
                // An address only in code that is not position-independent
                // (PIE code forms its addresses from the PC; 69069 is a
                // multiplier, not a function).
                if let Some(v) = v.filter(|_| absolute) {
                    *data = Some((v, RefKind::AddressOf));
                }
                regs[d as usize] = v;
                reg_slot[d as usize] = None;
            }
        }
    }
}
