//! PLT and import stubs, and `main` found from the entry stub.

use super::*;

/// Map every PLT/stub entry to the import slot it jumps through.
pub(super) fn scan_stubs(dec: &Decoder, img: &Image<'_>) -> HashMap<u64, u64> {
    let mut out = HashMap::new();
    for r in img.regions.iter().filter(|r| r.stubs) {
        let mut entry_start = r.vaddr;
        let mut at_entry_start = true;
        let mut regs = [None::<u64>; 33];
        let mut pos = r.vaddr;
        let end = r.vaddr + r.data.len() as u64;
        let mut guard = 0usize;
        // ARM: the Thumb entry of a PLT entry (`bx pc; b.n .-2`, then the
        // ARM code that Thumb callers' `blx` reaches directly).
        let mut thumb_entry = None;
        while pos < end && guard < 1_000_000 {
            guard += 1;
            let bytes = img.bytes_from(pos);
            if dec.arch == Arch::Arm && at_entry_start {
                if bytes.starts_with(&[0x78, 0x47, 0xfd, 0xe7]) {
                    thumb_entry = Some(pos);
                    pos += 4;
                    continue;
                }
                // The PLT header's data word (the GOT's offset) is no entry.
                if img.read_uint(pos, 4).is_some_and(|w| w >> 28 != 0xe) {
                    pos += 4;
                    continue;
                }
            }
            let mut last: Option<Insn> = None;
            dec.run(bytes, pos, false, |i| {
                last = Some(*i);
                false
            });
            let Some(i) = last else {
                pos += if matches!(dec.arch, Arch::X86 | Arch::X86_64) {
                    1
                } else {
                    4
                };
                at_entry_start = true;
                continue;
            };
            if at_entry_start {
                if i.padding {
                    pos += u64::from(i.len);
                    continue;
                }
                if thumb_entry.is_some_and(|t| t + 4 != i.addr) {
                    thumb_entry = None;
                }
                entry_start = i.addr;
                at_entry_start = false;
                regs = [None; 33];
            }
            let mut slot = None;
            match i.a64 {
                A64::Adrp { d, v } | A64::Adr { d, v } => regs[d as usize] = Some(v),
                A64::AddImm { d, n, imm } => regs[d as usize] = regs[n as usize].map(|b| b + imm),
                A64::MemImm {
                    t,
                    n,
                    imm,
                    store: false,
                } => {
                    let at = regs[n as usize].map(|b| b + imm);
                    if at.is_some_and(|a| img.slots.contains_key(&a)) {
                        slot = at;
                    }
                    regs[t as usize] = None;
                }
                _ => {}
            }
            if let Flow::JumpMem(Some(s)) = i.flow {
                slot = Some(s);
            }
            if let Some(s) = slot.filter(|s| img.slots.contains_key(s)) {
                out.entry(entry_start).or_insert(s);
                if let Some(t) = thumb_entry.take() {
                    out.entry(t).or_insert(s);
                }
            }
            if matches!(
                i.flow,
                Flow::Jump(_) | Flow::JumpMem(_) | Flow::JumpReg | Flow::Ret | Flow::Stop
            ) {
                at_entry_start = true;
            }
            pos = i.addr + u64::from(i.len);
        }
    }
    out
}

/// `main` from the entry stub: the first argument of the call to
/// `__libc_start_main` (ARM: with the Thumb bit when it is Thumb code).
pub(super) fn find_main(
    dec: &Decoder,
    img: &Image<'_>,
    ctx: &Ctx<'_, '_>,
    entry: u64,
) -> Option<u64> {
    let thumb = ctx.thumb(entry);
    let mut pos = entry;
    let mut regs = [None::<u64>; 33];
    let mut rdi: Option<u64> = None;
    let mut pushes: Vec<Option<u64>> = Vec::new();
    // ARM: r0 from a literal, or (PIE) from the GOT the literal locates.
    let mut arm_regs = super::regs::A64Regs::new();
    for _ in 0..64 {
        let (ins, m, ops, _) = dec.text(img.bytes_from(pos), pos, thumb)?;
        let first = ops.split(',').next().unwrap_or("").trim();
        match dec.arch {
            Arch::X86_64 if first == "rdi" || first == "edi" => {
                rdi = match ins.data {
                    Some((t, RefKind::AddressOf)) => Some(t),
                    Some((t, RefKind::Read)) => img.pointers.get(&t).copied(),
                    _ => ops
                        .rsplit(',')
                        .next()
                        .and_then(insn::parse_num)
                        .map(|v| v as u64),
                };
            }
            Arch::X86 if m == "push" => {
                pushes.push(match ins.data {
                    Some((t, RefKind::Read)) => img.read_ptr(t),
                    _ => insn::parse_num(&ops).map(|v| v as u64),
                });
            }
            Arch::Aarch64 => match ins.a64 {
                A64::Adrp { d, v } | A64::Adr { d, v } => regs[d as usize] = Some(v),
                A64::AddImm { d, n, imm } => regs[d as usize] = regs[n as usize].map(|b| b + imm),
                A64::MemImm {
                    t,
                    n,
                    imm,
                    store: false,
                } => {
                    regs[t as usize] = regs[n as usize].and_then(|b| img.read_ptr(b + imm));
                }
                A64::Mov { d, n } => regs[d as usize] = regs[n as usize],
                A64::Clobber { d } => regs[d as usize] = None,
                _ => {}
            },
            Arch::Arm => {
                let (mut data, mut found) = (None, Vec::new());
                arm_regs.track(&ins, img, &mut data, &mut found, ctx.use_imm);
                rdi = arm_regs.value[0];
            }
            _ => {}
        }
        let callee_slot = match ins.flow {
            Flow::Call(t) => ctx.import_slot(t),
            Flow::CallMem(s) => s,
            Flow::Ret | Flow::Stop | Flow::Jump(_) | Flow::JumpReg | Flow::JumpMem(_) => {
                return None
            }
            _ => {
                pos = ins.addr + u64::from(ins.len);
                continue;
            }
        };
        let is_lsm = callee_slot
            .and_then(|s| img.slots.get(&s))
            .is_some_and(|t: &SlotTarget| t.name == "__libc_start_main");
        if !is_lsm {
            return None;
        }
        let main = match dec.arch {
            Arch::X86 => pushes.last().copied().flatten(),
            Arch::Aarch64 => regs[0],
            _ => rdi,
        };
        return main.filter(|m| img.is_code(*m & !u64::from(dec.arch == Arch::Arm)));
    }
    None
}
