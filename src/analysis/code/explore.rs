//! Function discovery by recursive descent: each function's body followed from
//! its start through direct branches and jump tables.

use super::regs::A64Regs;
use super::*;

pub(super) fn explore_all(
    ctx: &Ctx<'_, '_>,
    arch: &Arch,
    img: &Image<'_>,
    starts: &[u64],
) -> Vec<Body> {
    starts
        .par_iter()
        .map_init(
            || {
                let dec = Decoder::new(arch, img.big_endian, img.got_base);
                // i386 PIC: first with no register taken for the GOT; a
                // function that loads the GOT into one is decoded again.
                let pic = dec
                    .as_ref()
                    .filter(|d| d.is_i386_pic())
                    .and_then(|_| Decoder::new(arch, img.big_endian, img.got_base));
                let dec = dec.map(|mut d| {
                    d.set_got_reg(None);
                    d
                });
                (dec, pic)
            },
            |(dec, pic), s| match dec {
                Some(d) => {
                    let body = explore(d, ctx, *s);
                    match (pic, body.got_reg) {
                        (Some(p), Some(r)) => {
                            p.set_got_reg(Some(r));
                            explore(p, ctx, *s)
                        }
                        _ => body,
                    }
                }
                None => Body {
                    start: *s,
                    incomplete: true,
                    ..Body::default()
                },
            },
        )
        .collect()
}

/// Recursive descent over one function.
pub(super) fn explore(dec: &Decoder, ctx: &Ctx<'_, '_>, start: u64) -> Body {
    explore_in(dec, ctx, start, ctx.thumb(start))
}

/// Recursive descent over one function in a given instruction set (ARM:
/// `thumb`; ignored elsewhere).
pub(super) fn explore_in(dec: &Decoder, ctx: &Ctx<'_, '_>, start: u64, thumb: bool) -> Body {
    let img = ctx.img;
    let veneer = arm_erratum_veneer(dec, img, thumb, start, None).is_some();
    let mut w = Walk {
        ctx,
        dec,
        start,
        limit: ctx.limit(start),
        body: Body {
            start,
            thumb,
            veneer,
            ..Body::default()
        },
        insns: Vec::new(),
        visited: HashSet::new(),
        work: vec![start],
        deferred: Vec::new(),
    };
    loop {
        while let Some(a) = w.work.pop() {
            if w.visited.contains(&a) || w.insns.len() as u32 >= ctx.max_insns {
                continue;
            }
            if !img.is_code(a) {
                w.body.incomplete = true;
                continue;
            }
            let mut history: Vec<Insn> = Vec::new();
            let mut regs = A64Regs::new();
            let mut cut = false;
            let ok = dec.run(img.bytes_from(a), a, thumb, |ins| {
                if ins.addr != a && (w.visited.contains(&ins.addr) || ctx.is_start(ins.addr)) {
                    // Straight into another function, not after a call
                    // that may not return: a sign of data decoded as code.
                    let after_call = history.last().is_some_and(|l| {
                        matches!(l.flow, Flow::Call(_) | Flow::CallMem(_) | Flow::CallReg)
                    });
                    if ctx.is_start(ins.addr) && !w.visited.contains(&ins.addr) && !after_call {
                        w.body.falls_into_start = true;
                    }
                    return false;
                }
                if w.insns.len() as u32 >= ctx.max_insns {
                    cut = true;
                    return false;
                }
                w.visited.insert(ins.addr);
                w.insns.push(*ins);
                history.push(*ins);
                w.data_ref(ins, &mut regs);
                w.flow(ins, &mut regs, &history)
            });
            if !ok || cut {
                w.body.incomplete = true;
            }
        }
        if w.deferred.is_empty() {
            break;
        }
        for (site, hist) in std::mem::take(&mut w.deferred) {
            match w.deferred_table(&hist) {
                Some(targets) => {
                    w.work.extend(targets.iter().copied());
                    w.body.switches.push((site, targets));
                }
                None => w.table_jump(site),
            }
        }
        if w.work.is_empty() {
            break;
        }
    }
    let mut body = w.body;
    if img.arch == Some(Arch::Arm) {
        // Inside the walk an ARM start keeps the Thumb bit of the code
        // that named it; out of it, the address and its mode apart.
        for (t, _) in &mut body.new_starts {
            body.modes.push((*t & !1, *t & 1 == 1));
            *t &= !1;
        }
    }
    let mut insns = w.insns;
    insns.sort_unstable_by_key(|i| i.addr);
    body.insns = insns.iter().map(Step::from).collect();
    body.end = body
        .insns
        .last()
        .map(|i| i.addr + u64::from(i.len))
        .unwrap_or(start);
    body
}

/// One function's exploration in progress.
struct Walk<'c, 'i, 'a> {
    ctx: &'c Ctx<'i, 'a>,
    dec: &'c Decoder,
    start: u64,
    /// Where the next known start (or the unwind range) ends this function.
    limit: u64,
    body: Body,
    /// The instructions followed so far, whole (operands included).
    insns: Vec<Insn>,
    visited: HashSet<u64>,
    /// Block starts still to follow.
    work: Vec<u64>,
    /// Switch jumps whose table base was loaded outside the current run.
    deferred: Vec<(u64, Vec<Insn>)>,
}

impl Walk<'_, '_, '_> {
    /// The data an instruction references: a string or global, or a code
    /// address taken outside this function (a new start).
    fn data_ref(&mut self, ins: &Insn, regs: &mut A64Regs) {
        let (ctx, img) = (self.ctx, self.ctx.img);
        let mut data = ins.data;
        if let Some(v) = ins.imm.filter(|_| ctx.use_imm) {
            if data.is_none() && img.is_mapped(v) {
                data = Some((v, RefKind::AddressOf));
            }
        }
        regs.track(ins, img, &mut data, &mut self.body.new_starts, ctx.use_imm);
        if let Some((t, kind)) = data {
            if img.arch == Some(Arch::Arm) && img.is_code(t & !1) {
                self.arm_code_ref(t, kind, ins.pool);
            } else if img.is_code(t) {
                if kind == RefKind::AddressOf && (t < self.start || t >= self.limit) {
                    self.body.new_starts.push((t, FunctionSource::Pointer));
                }
            } else if img.is_mapped(t) {
                self.body.refs.push((ins.addr, t, kind));
            }
        }
    }

    /// ARM: a code address an instruction names. A literal it reads is
    /// data inside the code; an address it takes is a Thumb function when
    /// its low bit is set, or an ARM one in a program whose entry is ARM
    /// (a Thumb program takes the addresses of its tables and literals).
    fn arm_code_ref(&mut self, t: u64, kind: RefKind, pool: u8) {
        if kind == RefKind::Read {
            if pool > 0 {
                self.body.data_in_code.push((t, t + u64::from(pool)));
            }
            return;
        }
        let a = t & !1;
        let is_function = t & 1 == 1 || !self.ctx.default_thumb && a & 3 == 0;
        if !is_function && kind == RefKind::AddressOf {
            // `adr r1, .L; ldrd r0, r1, [r1]`: a constant (of up to a
            // double word) in the code.
            self.body.data_in_code.push((t, t + 8));
            return;
        }
        if kind == RefKind::AddressOf && is_function && (a < self.start || a >= self.limit) {
            self.body.new_starts.push((t, FunctionSource::Pointer));
        }
    }

    /// Where control goes after `ins`: calls, branches and switch tables
    /// recorded; `true` when the run goes on to the next instruction.
    fn flow(&mut self, ins: &Insn, regs: &mut A64Regs, history: &[Insn]) -> bool {
        let (ctx, img) = (self.ctx, self.ctx.img);
        let (start, limit) = (self.start, self.limit);
        let body = &mut self.body;
        let site = ins.addr;
        let next = ins.addr + u64::from(ins.len);
        match ins.flow {
            Flow::Seq => true,
            Flow::Call(t) => {
                regs.call_clobbers();
                if t == next {
                    // call-next-instruction idiom (get PC): `pop ebx` next
                    // loads the GOT into ebx.
                    if img.arch == Some(Arch::X86) && img.bytes_from(next).first() == Some(&0x5b) {
                        body.got_reg = Some(3);
                    }
                    return true;
                }
                if let Some(reg) = i386_pc_thunk(img, t) {
                    // `__x86.get_pc_thunk.REG` (`mov REG, [esp]; ret`): a
                    // function, but a call to it only reads the PC, as
                    // above; no call edge (compilers do not list one).
                    body.got_reg = body.got_reg.or(Some(reg));
                    body.new_starts.push((t, FunctionSource::Call));
                    return true;
                }
                if let Some(slot) = ctx.import_slot(t) {
                    body.imports.push((site, slot, CallKind::Call));
                    return !ctx.noreturn_slots.contains(&slot);
                }
                if img.is_code(t) {
                    body.calls.push((site, t, CallKind::Call));
                    if img.arch == Some(Arch::Arm) {
                        let thumb = body.thumb != ins.exchange;
                        body.new_starts
                            .push((t | u64::from(thumb), FunctionSource::Call));
                    }
                }
                true
            }
            Flow::CallMem(slot) => {
                match slot {
                    Some(s) if img.slots.contains_key(&s) => {
                        body.imports.push((site, s, CallKind::Call));
                        if ctx.noreturn_slots.contains(&s) {
                            return false;
                        }
                    }
                    Some(s) if img.pointers.get(&s).is_some_and(|p| img.is_code(*p)) => {
                        body.calls.push((site, img.pointers[&s], CallKind::Call));
                    }
                    _ => body.indirect_calls += 1,
                }
                true
            }
            Flow::CallReg => {
                match ins.a64 {
                    A64::Branch { n } if regs.slot[n as usize].is_some() => {
                        let s = regs.slot[n as usize].unwrap_or(0);
                        body.imports.push((site, s, CallKind::Call));
                        if ctx.noreturn_slots.contains(&s) {
                            return false;
                        }
                    }
                    A64::Branch { n } if regs.value[n as usize].is_some_and(|p| img.is_code(p)) => {
                        body.calls.push((
                            site,
                            regs.value[n as usize].unwrap_or(0),
                            CallKind::Call,
                        ));
                    }
                    _ => body.indirect_calls += 1,
                }
                regs.call_clobbers();
                true
            }
            Flow::Jump(t) => {
                if let Some(targets) = arm_erratum_veneer(self.dec, img, body.thumb, t, Some(next))
                {
                    // Not a tail call: the branch the linker moved out.
                    self.work.extend(targets);
                } else if branch_stays(ctx, body, start, site, t) {
                    self.work.push(t);
                } else if img.arch == Some(Arch::Arm)
                    && body.calls.last().is_some_and(|c| c.0 == site)
                {
                    // A tail call keeps the instruction set.
                    let thumb = u64::from(body.thumb);
                    body.new_starts.push((t | thumb, FunctionSource::TailCall));
                }
                false
            }
            Flow::Cond(t) => {
                if branch_stays(ctx, body, start, site, t) {
                    self.work.push(t);
                }
                true
            }
            Flow::JumpMem(slot) => {
                if ins.cond {
                    self.work.push(next);
                }
                if let Some(s) = slot.filter(|s| img.slots.contains_key(s)) {
                    body.imports.push((site, s, CallKind::TailCall));
                } else {
                    let targets = match (ins.abs_table, ins.pc_table) {
                        (Some((base, size)), _) => read_table(ctx, start, limit, history, |i| {
                            let t = img.read_uint(base + i * u64::from(size), size as usize)?;
                            // ARM: a Thumb case address keeps its low bit.
                            Some(if body.thumb { t & !1 } else { t })
                        }),
                        (None, Some((base, size))) => {
                            let targets = read_table(ctx, start, limit, history, |i| match size {
                                0 => Some(base + 4 * i),
                                _ => {
                                    let e =
                                        img.read_uint(base + i * u64::from(size), size as usize)?;
                                    Some(base + 2 * e)
                                }
                            });
                            // The table is data between the jump and its cases.
                            let end = targets.first().copied().unwrap_or(base).max(base);
                            if size > 0 && end > base {
                                body.data_in_code.push((base, end));
                            }
                            targets
                        }
                        (None, None) => Vec::new(),
                    };
                    if targets.is_empty() {
                        self.table_jump(site);
                    } else {
                        self.work.extend(targets.iter().copied());
                        body.switches.push((site, targets));
                    }
                }
                false
            }
            Flow::JumpReg => {
                if let A64::Branch { n } = ins.a64 {
                    if let Some(s) = regs.slot[n as usize] {
                        body.imports.push((site, s, CallKind::TailCall));
                        return false;
                    }
                }
                match self.register_switch(site, regs, history) {
                    Some(targets) if targets.is_empty() => self.table_jump(site),
                    Some(targets) => {
                        self.work.extend(targets.iter().copied());
                        self.body.switches.push((site, targets));
                    }
                    None => {} // deferred
                }
                false
            }
            Flow::Ret | Flow::Stop => false,
        }
    }

    /// The targets of a jump through a register: an AArch64 or x86-64 PIC
    /// switch table (empty: none found); a table whose base came from
    /// outside this run is deferred until the whole function is seen (None).
    fn register_switch(&mut self, site: u64, regs: &A64Regs, history: &[Insn]) -> Option<Vec<u64>> {
        let (ctx, img) = (self.ctx, self.ctx.img);
        let (start, limit) = (self.start, self.limit);
        Some(if let Some((tb, size, base, shift, signed)) = regs.switch {
            // ARM: Thumb case addresses keep their low bit.
            let mask = if self.body.thumb { !1 } else { !0 };
            let targets = read_table(ctx, start, limit, history, |i| {
                let raw = img.read_uint(tb + i * u64::from(size), size as usize)?;
                let e = if signed {
                    sign_extend(raw, size)
                } else {
                    raw as i64
                };
                Some((base as i64).wrapping_add(e << shift) as u64 & mask)
            });
            // A table inside the code (ARM) is data up to its first case.
            if img.is_code(tb) {
                if let Some(first) = targets.iter().copied().filter(|t| *t > tb).min() {
                    self.body.data_in_code.push((tb, first));
                }
            }
            targets
        } else if let (Some(tb), Some(got)) = (i386_got_table(history), img.got_base) {
            read_table(ctx, start, limit, history, |i| {
                let raw = img.read_uint(tb + i * 4, 4)?;
                Some((got as i64).wrapping_add(sign_extend(raw, 4)) as u64)
            })
        } else if let Some(tb) = x86_rel_table(history, img) {
            read_table(ctx, start, limit, history, |i| {
                let raw = img.read_uint(tb + i * 4, 4)?;
                Some((tb as i64).wrapping_add(sign_extend(raw, 4)) as u64)
            })
        } else {
            if history.iter().rev().take(12).any(|i| i.rel_table_load) {
                self.deferred
                    .push((site, history[history.len().saturating_sub(24)..].to_vec()));
                return None;
            }
            Vec::new()
        })
    }

    /// An indirect jump nothing else resolved: through this function's
    /// table of code addresses when one was found, else left unresolved.
    fn table_jump(&mut self, site: u64) {
        match self.ctx.pointer_tables.get(&self.start) {
            Some(targets) => {
                self.work.extend(targets.iter().copied());
                self.body.switches.push((site, targets.clone()));
            }
            None => self.body.unresolved_jumps += 1,
        }
    }

    /// A deferred switch: the table base is a data address taken somewhere
    /// in this function. Try the candidates, nearest before the jump first,
    /// and keep a table only when every entry lands inside the function.
    fn deferred_table(&self, hist: &[Insn]) -> Option<Vec<u64>> {
        let img = self.ctx.img;
        let (start, limit) = (self.start, self.limit);
        let mut cands: Vec<u64> = self
            .insns
            .iter()
            .filter_map(|i| match i.data {
                Some((t, RefKind::AddressOf)) if !img.is_code(t) && img.is_mapped(t) => Some(t),
                _ => None,
            })
            .collect();
        cands.sort_unstable_by_key(|t| std::cmp::Reverse(*t));
        cands.dedup();
        let bound = hist
            .iter()
            .rev()
            .find_map(|i| i.cmp)
            .map(|c| c + 1)
            .filter(|b| *b <= 4096);
        for tb in cands {
            let n = bound.unwrap_or(512);
            let mut targets = Vec::new();
            let mut all_valid = true;
            for i in 0..n {
                let t = img
                    .read_uint(tb + i * 4, 4)
                    .map(|raw| (tb as i64).wrapping_add(sign_extend(raw, 4)) as u64);
                match t {
                    Some(t) if t >= start && t < limit && img.is_code(t) => targets.push(t),
                    _ => {
                        all_valid = bound.is_none() && i >= 2;
                        break;
                    }
                }
            }
            if all_valid && targets.len() >= 2 {
                targets.sort_unstable();
                targets.dedup();
                return Some(targets);
            }
        }
        None
    }
}

/// Record a jump or conditional jump from `site` to `t` that leaves the
/// function (an import stub or a tail call); `true` when `t` is inside it.
pub(super) fn branch_stays(
    ctx: &Ctx<'_, '_>,
    body: &mut Body,
    start: u64,
    site: u64,
    t: u64,
) -> bool {
    if let Some(slot) = ctx.import_slot(t) {
        body.imports.push((site, slot, CallKind::TailCall));
        return false;
    }
    if !ctx.leaves(start, t) {
        return true;
    }
    // A jump back from a .cold part into its parent is no edge at all.
    if !ctx.inside_unwind_range(t) && ctx.img.is_code(t) {
        body.calls.push((site, t, CallKind::TailCall));
    }
    false
}

/// ARM: the linker's Cortex-A8 erratum veneer. A 32-bit Thumb branch that
/// straddles a page boundary is replaced by `b.w veneer`; the veneer holds
/// the original branch and a branch back to the instruction after it
/// (`bhi.n 1f; b.w back; 1: b.w target`). Its targets (one of them `back`)
/// are blocks of the function that jumped there.
/// With `back` None: does `t` hold one (whoever jumps there)?
fn arm_erratum_veneer(
    dec: &Decoder,
    img: &Image<'_>,
    thumb: bool,
    t: u64,
    back: Option<u64>,
) -> Option<Vec<u64>> {
    if dec.arch != Arch::Arm || !thumb || back.is_some_and(|b| t <= b) {
        return None;
    }
    let (mut targets, mut end, mut done) = (Vec::new(), t, false);
    let mut count = 0;
    dec.run(img.bytes_from(t), t, true, |i| {
        count += 1;
        end = i.addr + u64::from(i.len);
        match i.flow {
            Flow::Cond(x) => targets.push(x),
            Flow::Jump(x) => {
                targets.push(x);
                // The end, unless an earlier branch skips over this one.
                if !targets.iter().any(|y| *y >= end && *y < t + 16) {
                    done = true;
                    return false;
                }
            }
            _ => return false,
        }
        count < 4
    });
    targets.retain(|x| *x < t || *x >= end);
    let returns = match back {
        Some(b) => targets.contains(&b),
        // The shape alone: a conditional branch over one of two branches.
        None => count == 3 && targets.len() == 2,
    };
    (done && returns).then_some(targets)
}

pub(super) fn sign_extend(v: u64, size: u8) -> i64 {
    let bits = u32::from(size) * 8;
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// x86-64 PIC switch: `lea base, [rip+T]; movsxd r, [base + i*4]; add r, base; jmp r`.
pub(super) fn x86_rel_table(history: &[Insn], img: &Image<'_>) -> Option<u64> {
    let recent = &history[history.len().saturating_sub(12)..];
    let load = recent.iter().rposition(|i| i.rel_table_load)?;
    recent[..load].iter().rev().find_map(|i| match i.data {
        Some((t, RefKind::AddressOf)) if !img.is_code(t) => Some(t),
        _ => None,
    })
}

/// The register an i386 PC thunk at `t` loads (`mov REG, [esp]; ret`,
/// `__x86.get_pc_thunk.REG`): 0 eax, 1 ecx, 2 edx, 3 ebx, 5 ebp, 6 esi, 7 edi.
fn i386_pc_thunk(img: &Image<'_>, t: u64) -> Option<u8> {
    if img.arch != Some(Arch::X86) {
        return None;
    }
    match img.bytes_from(t) {
        [0x8b, modrm, 0x24, 0xc3, ..] if modrm & 0xc7 == 0x04 => Some((modrm >> 3) & 7),
        _ => None,
    }
}

/// i386 PIC switch: `call __x86.get_pc_thunk.cx; add ecx, GOT-.; …;
/// add ecx, [ecx + i*4 - d]; jmp ecx`: the table at `got - d`.
fn i386_got_table(history: &[Insn]) -> Option<u64> {
    history[history.len().saturating_sub(4)..]
        .iter()
        .rev()
        .find_map(|i| i.got_table)
}

/// Read switch-table entries until the bound (from a preceding `cmp`) or the
/// first target outside the function.
pub(super) fn read_table(
    ctx: &Ctx<'_, '_>,
    start: u64,
    limit: u64,
    history: &[Insn],
    entry: impl Fn(u64) -> Option<u64>,
) -> Vec<u64> {
    let bound = history
        .iter()
        .rev()
        .take(24)
        .find_map(|i| i.cmp)
        .map(|c| c.saturating_add(1))
        .filter(|b| *b <= 4096);
    let max = bound.unwrap_or(512);
    let mut out = Vec::new();
    for i in 0..max {
        let Some(t) = entry(i) else { break };
        let inside = t >= start && t < limit && ctx.img.is_code(t);
        if !inside {
            if bound.is_some() {
                continue; // a bounded table can hold entries for the default case elsewhere
            }
            break;
        }
        out.push(t);
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::super::analyze;
    use super::super::discover::tests::image;
    use super::*;

    #[test]
    fn switch_cases_are_blocks_of_their_function_not_functions() {
        // cmp edi, 2; ja 0x1013; mov eax, edi; jmp [rax*8 + 0x2000]
        // case 0: mov eax, 1 (falls into ret at 0x1013, the default)
        // case 1 at 0x1014 and case 2 at 0x101a: mov eax, n; ret
        let text = [
            0x83, 0xff, 0x02, 0x77, 0x0e, 0x89, 0xf8, 0xff, 0x24, 0xc5, 0x00, 0x20, 0x00, 0x00,
            0xb8, 1, 0, 0, 0, 0xc3, 0xb8, 2, 0, 0, 0, 0xc3, 0xb8, 3, 0, 0, 0, 0xc3,
        ];
        let mut table = Vec::new();
        for t in [0x100eu64, 0x1014, 0x101a] {
            table.extend_from_slice(&t.to_le_bytes());
        }
        let img = image(&text, &table);
        let out = analyze(&img, &[], &AnalysisConfig::default());
        let f = &out.facts.functions;
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|f| f.addr).collect::<Vec<_>>()
        );
        let blocks: Vec<u64> = f[0].blocks.iter().map(|b| b.start).collect();
        for case in [0x100e, 0x1013, 0x1014, 0x101a] {
            assert!(blocks.contains(&case), "{case:#x} not in {blocks:x?}");
        }
        assert_eq!(f[0].size, text.len() as u64);
    }
}
