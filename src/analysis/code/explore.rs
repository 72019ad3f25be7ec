//! Function discovery by recursive descent: each function's body followed from
//! its start through direct branches and jump tables.

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
            || Decoder::new(arch, img.big_endian, img.got_base),
            |dec, s| match dec {
                Some(d) => explore(d, ctx, *s),
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
    let img = ctx.img;
    let thumb = img.thumb.contains(&start);
    let mut body = Body {
        start,
        thumb,
        ..Body::default()
    };
    let mut visited: HashSet<u64> = HashSet::new();
    let mut work = vec![start];
    let limit = ctx.limit(start);
    // Switch jumps whose table base was loaded outside the current run.
    let mut deferred: Vec<(u64, Vec<Insn>)> = Vec::new();
    loop {
        while let Some(a) = work.pop() {
            if visited.contains(&a) || body.insns.len() as u32 >= ctx.max_insns {
                continue;
            }
            if !img.is_code(a) {
                body.incomplete = true;
                continue;
            }
            let bytes = img.bytes_from(a);
            let mut history: Vec<Insn> = Vec::new();
            let mut regs = [None::<u64>; 33];
            let mut reg_slot = [None::<u64>; 33];
            let mut table: Option<(u64, u8)> = None;
            let mut a64_switch: Option<(u64, u8, u64, u8, bool)> = None;
            let mut cut = false;
            let ok = dec.run(bytes, a, thumb, |ins| {
                if ins.addr != a && (visited.contains(&ins.addr) || ctx.is_start(ins.addr)) {
                    return false;
                }
                if body.insns.len() as u32 >= ctx.max_insns {
                    cut = true;
                    return false;
                }
                visited.insert(ins.addr);
                body.insns.push(*ins);
                history.push(*ins);
                let site = ins.addr;
                let next = ins.addr + u64::from(ins.len);

                // Data references.
                let mut data = ins.data;
                if let Some(v) = ins.imm.filter(|_| ctx.use_imm) {
                    if data.is_none() && img.is_mapped(v) {
                        data = Some((v, RefKind::AddressOf));
                    }
                }
                // AArch64 register tracking (adrp pairs, GOT loads, switch tables).
                match ins.a64 {
                    A64::None => {}
                    A64::Adrp { d, v } | A64::Adr { d, v } => {
                        regs[d as usize] = Some(v);
                        reg_slot[d as usize] = None;
                    }
                    A64::AddImm { d, n, imm } => {
                        let v = regs[n as usize].map(|b| b.wrapping_add(imm));
                        if let Some(v) = v {
                            data = Some((v, RefKind::AddressOf));
                        }
                        regs[d as usize] = v;
                        reg_slot[d as usize] = None;
                    }
                    A64::MemImm { t, n, imm, store } => {
                        let at = regs[n as usize].map(|b| b.wrapping_add(imm));
                        if let Some(at) = at {
                            data = Some((at, if store { RefKind::Write } else { RefKind::Read }));
                        }
                        if !store {
                            regs[t as usize] = at.and_then(|x| img.pointers.get(&x).copied());
                            reg_slot[t as usize] = at.filter(|x| img.slots.contains_key(x));
                            if let Some(p) = regs[t as usize] {
                                if img.is_code(p) {
                                    body.new_starts.push((p, FunctionSource::Pointer));
                                }
                            }
                        }
                    }
                    A64::Indexed { t, n, size } => {
                        table = regs[n as usize].map(|b| (b, size));
                        regs[t as usize] = None;
                    }
                    A64::AddExt {
                        d,
                        n,
                        m: _,
                        signed,
                        shift,
                    } => {
                        if let (Some((tb, size)), Some(base)) = (table, regs[n as usize]) {
                            a64_switch = Some((tb, size, base, shift, signed));
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
                }
                if let Some((t, kind)) = data {
                    if img.is_code(t) {
                        if kind == RefKind::AddressOf && (t < start || t >= limit) {
                            body.new_starts.push((t, FunctionSource::Pointer));
                        }
                    } else if img.is_mapped(t) {
                        body.refs.push((site, t, kind));
                    }
                }

                match ins.flow {
                    Flow::Seq => true,
                    Flow::Call(t) => {
                        regs = [None; 33];
                        if t == next {
                            return true; // call-next-instruction idiom (get PC)
                        }
                        if let Some(slot) = ctx.import_slot(t) {
                            body.imports.push((site, slot, CallKind::Call));
                            return !ctx.noreturn_slots.contains(&slot);
                        }
                        if img.is_code(t) {
                            body.calls.push((site, t, CallKind::Call));
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
                            A64::Branch { n } if reg_slot[n as usize].is_some() => {
                                let s = reg_slot[n as usize].unwrap_or(0);
                                body.imports.push((site, s, CallKind::Call));
                                if ctx.noreturn_slots.contains(&s) {
                                    return false;
                                }
                            }
                            A64::Branch { n }
                                if regs[n as usize].is_some_and(|p| img.is_code(p)) =>
                            {
                                body.calls.push((
                                    site,
                                    regs[n as usize].unwrap_or(0),
                                    CallKind::Call,
                                ));
                            }
                            _ => body.indirect_calls += 1,
                        }
                        regs = [None; 33];
                        true
                    }
                    Flow::Jump(t) => {
                        if branch_stays(ctx, &mut body, start, site, t) {
                            work.push(t);
                        }
                        false
                    }
                    Flow::Cond(t) => {
                        if branch_stays(ctx, &mut body, start, site, t) {
                            work.push(t);
                        }
                        true
                    }
                    Flow::JumpMem(slot) => {
                        if let Some(s) = slot.filter(|s| img.slots.contains_key(s)) {
                            body.imports.push((site, s, CallKind::TailCall));
                        } else if let Some((base, size)) = ins.abs_table {
                            let targets = read_table(ctx, start, limit, history.as_slice(), |i| {
                                img.read_uint(base + i * u64::from(size), size as usize)
                            });
                            if !targets.is_empty() {
                                work.extend(targets.iter().copied());
                                body.switches.push((site, targets));
                            }
                        }
                        false
                    }
                    Flow::JumpReg => {
                        if let A64::Branch { n } = ins.a64 {
                            if let Some(s) = reg_slot[n as usize] {
                                body.imports.push((site, s, CallKind::TailCall));
                                return false;
                            }
                        }
                        let targets = if let Some((tb, size, base, shift, signed)) = a64_switch {
                            read_table(ctx, start, limit, history.as_slice(), |i| {
                                let raw = img.read_uint(tb + i * u64::from(size), size as usize)?;
                                let e = if signed {
                                    sign_extend(raw, size)
                                } else {
                                    raw as i64
                                };
                                Some((base as i64).wrapping_add(e << shift) as u64)
                            })
                        } else if let Some(tb) = x86_rel_table(&history, img) {
                            read_table(ctx, start, limit, history.as_slice(), |i| {
                                let raw = img.read_uint(tb + i * 4, 4)?;
                                Some((tb as i64).wrapping_add(sign_extend(raw, 4)) as u64)
                            })
                        } else if history.iter().rev().take(12).any(|i| i.rel_table_load) {
                            deferred
                                .push((site, history[history.len().saturating_sub(24)..].to_vec()));
                            Vec::new()
                        } else {
                            Vec::new()
                        };
                        if !targets.is_empty() {
                            work.extend(targets.iter().copied());
                            body.switches.push((site, targets));
                        }
                        false
                    }
                    Flow::Ret | Flow::Stop => false,
                }
            });
            if !ok || cut {
                body.incomplete = true;
            }
        }
        if deferred.is_empty() {
            break;
        }
        // The table base is a data address taken somewhere in this function:
        // try the candidates, nearest before the jump first, and keep a table
        // only when every entry lands inside the function.
        for (site, hist) in std::mem::take(&mut deferred) {
            let mut cands: Vec<u64> = body
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
                    work.extend(targets.iter().copied());
                    body.switches.push((site, targets));
                    break;
                }
            }
        }
        if work.is_empty() {
            break;
        }
    }
    body.insns.sort_unstable_by_key(|i| i.addr);
    body.end = body
        .insns
        .last()
        .map(|i| i.addr + u64::from(i.len))
        .unwrap_or(start);
    body
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
