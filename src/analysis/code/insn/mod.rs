//! Instruction decoding and classification for x86, x86-64, ARM/Thumb, AArch64.
//!
//! Capstone decodes without operand detail (several times faster); the few
//! operand facts that matter (branch targets, RIP-relative and absolute
//! memory operands, AArch64 page/offset pairs, compare bounds) are read from
//! capstone's operand text, which has a fixed, simple shape per architecture.

use capstone::prelude::*;
use capstone::{Capstone, Endian as CsEndian};

use crate::analysis::model::{Arch, RefKind};

mod arm;
mod semantics;

use arm::arm;
pub use arm::CONDS as ARM_CONDITIONS;
use semantics::*;

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

/// Register effects, for tracking addresses through registers and jump
/// tables: AArch64 (`adrp` pairs) and ARM (registers r0–r15, PC-relative
/// literals, GOT loads).
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
    /// ARM `ldr Rt, [pc, #o]`: loads the literal word at `at`.
    Literal {
        t: u8,
        at: u64,
    },
    /// ARM `add Rd, pc[, Rm]`: `Rd = Rm + pc` (a PIC address).
    AddPc {
        d: u8,
        m: u8,
        pc: u64,
    },
    /// ARM `add Rd, Rn, Rm` (`add Rd, Rm` in Thumb: n = d).
    AddReg {
        d: u8,
        n: u8,
        m: u8,
    },
    /// ARM `ldr Rt, [Rn, Rm]`: a GOT load in PIC code.
    MemReg {
        t: u8,
        n: u8,
        m: u8,
    },
    /// ARM `movt Rd, #hi`: the top half of a `movw`/`movt` constant.
    MovT {
        d: u8,
        hi: u64,
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
    /// i386 PIC: a load through `[got + i*4 + disp]` (the GOT register):
    /// a switch table at `got + disp` whose entries are offsets from the GOT.
    pub got_table: Option<u64>,
    pub a64: A64,
    /// ARM: registers written besides the one [`A64`] names (a second
    /// destination, a written-back base, a `pop`/`ldm` list), as a bit mask.
    pub clobbers: u16,
    /// ARM: the size of the PC-relative literal this reads (`ldr` 4,
    /// `ldrd` and `vldr d` 8): data in the code, never scanned as code.
    pub pool: u8,
    /// ARM: `blx #imm` (the target runs in the other instruction set).
    pub exchange: bool,
    /// ARM: a conditional table jump (`ldrls pc, …`): it also falls through.
    pub cond: bool,
    /// ARM: a table that follows the jump at `(base, entry size)`: `tbb`
    /// (1) and `tbh` (2) hold half the distance from `base` to each case;
    /// size 0 is `add pc, pc, rN, lsl #2`, a run of branch instructions.
    pub pc_table: Option<(u64, u8)>,
    /// A padding instruction (nop variants, int3, zero fill).
    pub padding: bool,
}

/// A capstone handle for one architecture and mode.
pub struct Decoder {
    cs: Capstone,
    /// Thumb handle for ARM.
    thumb: Option<Capstone>,
    pub arch: Arch,
    /// i386 PIC: the GOT's address (`.got.plt`): GOT-relative switch
    /// tables are read from it, and `[reg + d]` names a GOT slot when
    /// `got_reg` says the function keeps the GOT in that register.
    got_base: Option<u64>,
    got_reg: Option<&'static str>,
}

/// i386 general registers by number (the `reg` field of a ModRM byte).
pub const I386_REGS: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];

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
            // PLT stubs and the code around them keep the GOT in ebx;
            // function discovery decides per function (`set_got_reg`).
            got_reg: Some("ebx"),
        })
    }

    /// The same decoder, taking `[reg + d]` for a GOT slot (register
    /// number `reg`, see [`I386_REGS`]) or nothing for one: i386 code keeps
    /// the GOT in a register only in functions that load it there
    /// (`call __x86.get_pc_thunk.bx; add ebx, …`); elsewhere `ebx` is any
    /// value, and `call [ebx + 0x20]` a call through a structure.
    pub fn set_got_reg(&mut self, reg: Option<u8>) {
        self.got_reg = reg.and_then(|r| I386_REGS.get(usize::from(r)).copied());
    }

    /// Does this decoder read GOT-relative i386 code (so that a function
    /// that loads the GOT into `ebx` must be decoded again with it)?
    pub fn is_i386_pic(&self) -> bool {
        self.got_base.is_some()
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
            got_table: None,
            a64: A64::None,
            clobbers: 0,
            pool: 0,
            exchange: false,
            cond: false,
            pc_table: None,
            padding: false,
        };
        match self.arch {
            Arch::X86 | Arch::X86_64 => x86(
                &mut ins,
                mnem,
                ops,
                bytes,
                self.got_base,
                self.got_base.zip(self.got_reg),
            ),
            Arch::Aarch64 => a64(&mut ins, mnem, ops, bytes),
            Arch::Arm => arm(&mut ins, mnem, ops, bytes, thumb),
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
