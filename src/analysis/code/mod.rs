//! Code analysis: function discovery, CFGs, call edges, import calls and data
//! references, over an [`Image`].
//!
//! Discovery starts from every start the file states (symbols, exports, entry,
//! unwind tables, init arrays, relocated pointers, `main` from the entry stub)
//! and runs recursive descent in rounds, in parallel: call targets, tail-call
//! targets and code addresses taken by instructions become new functions until
//! nothing new appears. Without unwind information, the gaps left between
//! functions are then scanned for code that is not padding and not inside
//! another function's span. Switch tables are resolved so their cases are
//! part of their function, not mistaken for new ones.

mod insn;

pub use self::insn::parse_num;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;

use self::insn::{Decoder, Flow, Insn, A64};
use super::image::{Image, SlotTarget};
use super::model::*;
use super::AnalysisConfig;

/// Imports that never return: code after a call to them is not the caller's.
const NORETURN: &[&str] = &[
    "exit",
    "_exit",
    "_Exit",
    "abort",
    "__stack_chk_fail",
    "__assert_fail",
    "__assert_perror_fail",
    "__fortify_fail",
    "__chk_fail",
    "err",
    "errx",
    "verr",
    "verrx",
    "pthread_exit",
    "longjmp",
    "siglongjmp",
    "_longjmp",
    "__longjmp_chk",
    "quick_exit",
    "__cxa_throw",
    "__cxa_rethrow",
    "__cxa_bad_cast",
    "__cxa_bad_typeid",
    "_Unwind_Resume",
    "__libc_start_main",
    "ExitProcess",
    "ExitThread",
    "FatalExit",
    "RaiseFailFastException",
    "_invalid_parameter_noinfo_noreturn",
    "__ubsan_handle_builtin_unreachable",
    "_ZSt9terminatev",
    "__cxa_call_terminate",
    "__libc_fatal",
];

/// The code facts plus what the caller needs to fill in import stubs.
pub struct CodeOutput {
    pub facts: CodeFacts,
    /// Import slot address to the address of the stub that jumps through it.
    pub stubs: HashMap<u64, u64>,
    pub warnings: Vec<String>,
    pub discovery_ms: u64,
    pub build_ms: u64,
}

/// What one function's exploration found.
#[derive(Default)]
struct Body {
    start: u64,
    thumb: bool,
    insns: Vec<Insn>,
    switches: Vec<(u64, Vec<u64>)>,
    calls: Vec<(u64, u64, CallKind)>,
    imports: Vec<(u64, u64, CallKind)>,
    indirect_calls: u32,
    refs: Vec<(u64, u64, RefKind)>,
    /// Code addresses taken (function pointers) and out-of-function branch targets.
    new_starts: Vec<(u64, FunctionSource)>,
    incomplete: bool,
    end: u64,
}

/// What is known about a function start before its body is built.
#[derive(Clone)]
struct Known {
    source: FunctionSource,
    name: Option<String>,
    size: Option<u64>,
}

/// Shared, read-only state for one exploration round.
struct Ctx<'i, 'a> {
    img: &'i Image<'a>,
    starts: Vec<u64>,
    start_set: HashSet<u64>,
    unwind: HashMap<u64, u64>,
    /// Unwind ranges sorted by start, for "inside another function" checks.
    unwind_sorted: Vec<(u64, u64)>,
    stub_slots: HashMap<u64, u64>,
    noreturn_slots: HashSet<u64>,
    max_insns: u32,
    /// Immediates may be addresses (non-PIE images mapped well above zero).
    use_imm: bool,
}

impl<'i, 'a> Ctx<'i, 'a> {
    /// Context with no starts yet (see [`refresh`]).
    fn new(img: &'i Image<'a>, dec: &Decoder, cfg: &AnalysisConfig) -> Self {
        let mut unwind_sorted = img.unwind.clone();
        unwind_sorted.sort_unstable();
        Ctx {
            img,
            starts: Vec::new(),
            start_set: HashSet::new(),
            unwind: img.unwind.iter().copied().collect(),
            unwind_sorted,
            stub_slots: scan_stubs(dec, img),
            noreturn_slots: img
                .slots
                .iter()
                .filter(|(_, t)| NORETURN.contains(&t.name.as_str()))
                .map(|(s, _)| *s)
                .collect(),
            max_insns: cfg.max_function_instructions,
            use_imm: img.regions.first().is_some_and(|r| r.vaddr >= 0x10000),
        }
    }

    fn is_start(&self, a: u64) -> bool {
        self.start_set.contains(&a)
    }

    /// First known start strictly after `a`.
    fn next_start(&self, a: u64) -> u64 {
        let i = self.starts.partition_point(|s| *s <= a);
        self.starts.get(i).copied().unwrap_or(u64::MAX)
    }

    /// Is a jump from the function at `start` to `t` a jump to another function?
    fn leaves(&self, start: u64, t: u64) -> bool {
        if t == start {
            return false;
        }
        if self.is_start(t) {
            return true;
        }
        match self.unwind.get(&start) {
            Some(len) => !(start <= t && t < start + len),
            None => t < start || t >= self.next_start(start),
        }
    }

    /// Is `t` strictly inside an unwind range (not at its start)? Such a
    /// target is a jump back from a `.cold` part into its parent.
    fn inside_unwind_range(&self, t: u64) -> bool {
        let i = self.unwind_sorted.partition_point(|r| r.0 <= t);
        i > 0 && {
            let (s, l) = self.unwind_sorted[i - 1];
            s < t && t < s + l
        }
    }

    /// The end of the area a function at `start` may occupy.
    fn limit(&self, start: u64) -> u64 {
        match self.unwind.get(&start) {
            Some(len) => start + len,
            None => self.next_start(start),
        }
    }

    /// Import slot reached by calling or jumping to `t`, when `t` is a stub.
    fn import_slot(&self, t: u64) -> Option<u64> {
        self.stub_slots.get(&t).copied()
    }
}

/// Run the code analysis over a loaded image.
pub fn analyze(img: &Image<'_>, strings: &[FoundString], cfg: &AnalysisConfig) -> CodeOutput {
    let started = Instant::now();
    let mut warnings = Vec::new();
    let Some(arch) = img.arch.clone() else {
        return CodeOutput {
            facts: CodeFacts::default(),
            stubs: HashMap::new(),
            warnings,
            discovery_ms: 0,
            build_ms: 0,
        };
    };
    let Some(dec) = Decoder::new(&arch, img.big_endian, img.got_base) else {
        return CodeOutput {
            facts: CodeFacts::default(),
            stubs: HashMap::new(),
            warnings,
            discovery_ms: 0,
            build_ms: 0,
        };
    };

    // Known starts, strongest source first.
    let mut known: HashMap<u64, Known> = HashMap::new();
    let add_known = |known: &mut HashMap<u64, Known>,
                     addr: u64,
                     source: FunctionSource,
                     name: Option<String>,
                     size: Option<u64>|
     -> bool {
        if !img.is_code(addr) {
            return false;
        }
        match known.get_mut(&addr) {
            Some(k) => {
                if source < k.source {
                    k.source = source;
                }
                if k.name.is_none() {
                    k.name = name;
                }
                if k.size.is_none() {
                    k.size = size;
                }
                false
            }
            None => {
                known.insert(addr, Known { source, name, size });
                true
            }
        }
    };
    for s in &img.seeds {
        add_known(&mut known, s.addr, s.source, s.name.clone(), s.size);
    }
    let mut ctx = Ctx::new(img, &dec, cfg);
    let main = img.entry.and_then(|e| find_main(&dec, img, &ctx, e));
    if let Some(m) = main {
        add_known(
            &mut known,
            m,
            FunctionSource::Main,
            Some("main".into()),
            None,
        );
    }

    let mut bodies: HashMap<u64, Body> = HashMap::new();
    let mut pending: Vec<u64> = known.keys().copied().collect();
    let mut total_insns: u64 = 0;
    let mut gap_rounds = 0;
    let mut stopped = false;
    loop {
        if pending.is_empty() {
            if !img.unwind.is_empty() || gap_rounds >= 8 || stopped {
                break;
            }
            gap_rounds += 1;
            refresh(&mut ctx, &known);
            let found = gap_scan(&dec, &ctx, &bodies);
            for a in found {
                if add_known(&mut known, a, FunctionSource::Gap, None, None) {
                    pending.push(a);
                }
            }
            if pending.is_empty() {
                break;
            }
        }
        refresh(&mut ctx, &known);
        let results = explore_all(&ctx, &arch, img, &pending);
        pending.clear();
        for b in results {
            total_insns += b.insns.len() as u64;
            let targets: Vec<(u64, FunctionSource)> = b
                .calls
                .iter()
                .map(|(_, t, k)| {
                    (
                        *t,
                        if *k == CallKind::Call {
                            FunctionSource::Call
                        } else {
                            FunctionSource::TailCall
                        },
                    )
                })
                .chain(b.new_starts.iter().copied())
                .collect();
            bodies.insert(b.start, b);
            for (t, src) in targets {
                if known.len() >= cfg.max_functions {
                    break;
                }
                if add_known(&mut known, t, src, None, None) {
                    pending.push(t);
                }
            }
        }
        if known.len() >= cfg.max_functions {
            warnings.push(format!(
                "function limit of {} reached; discovery stopped",
                cfg.max_functions
            ));
            pending.clear();
            stopped = true;
        }
        if total_insns > cfg.max_instructions {
            warnings.push(format!(
                "instruction limit of {} reached; discovery stopped",
                cfg.max_instructions
            ));
            pending.clear();
            stopped = true;
        }
        if cfg
            .abort
            .as_ref()
            .is_some_and(|a| a.load(std::sync::atomic::Ordering::Relaxed))
        {
            warnings.push("analysis stopped early on request".to_string());
            pending.clear();
            stopped = true;
        }
        if started.elapsed() > cfg.time_budget {
            warnings.push(format!(
                "time budget of {:?} spent; discovery stopped with partial results",
                cfg.time_budget
            ));
            pending.clear();
            stopped = true;
        }
    }

    // Weak starts (tail-call, gap and pointer targets) strictly inside another
    // function's extent are parts of it (a jump back from a cold part, a label).
    for _ in 0..4 {
        if stopped {
            break;
        }
        let spans: BTreeMap<u64, u64> = bodies
            .values()
            .map(|b| {
                (
                    b.start,
                    ctx.unwind
                        .get(&b.start)
                        .map(|l| b.start + l)
                        .unwrap_or(b.end),
                )
            })
            .collect();
        let removed: HashSet<u64> = known
            .iter()
            .filter(|(a, k)| {
                matches!(
                    k.source,
                    FunctionSource::TailCall | FunctionSource::Gap | FunctionSource::Pointer
                ) && spans
                    .range(..**a)
                    .next_back()
                    .is_some_and(|(_, end)| *end > **a)
            })
            .map(|(a, _)| *a)
            .collect();
        if removed.is_empty() {
            break;
        }
        for a in &removed {
            known.remove(a);
            bodies.remove(a);
        }
        refresh(&mut ctx, &known);
        let redo: Vec<u64> = bodies
            .values()
            .filter(|b| {
                removed.iter().any(|r| *r >= b.start && *r <= b.end)
                    || b.calls.iter().any(|c| removed.contains(&c.1))
            })
            .map(|b| b.start)
            .collect();
        for b in explore_all(&ctx, &arch, img, &redo) {
            bodies.insert(b.start, b);
        }
    }

    // Bodies explored before later starts were known may run into them: redo those.
    refresh(&mut ctx, &known);
    let redo: Vec<u64> = bodies
        .values()
        .filter(|b| {
            b.insns
                .iter()
                .any(|i| i.addr != b.start && ctx.is_start(i.addr))
                || b.end > ctx.limit(b.start) && !ctx.unwind.contains_key(&b.start)
        })
        .map(|b| b.start)
        .collect();
    if !redo.is_empty() && !stopped {
        for b in explore_all(&ctx, &arch, img, &redo) {
            bodies.insert(b.start, b);
        }
    }

    let discovery_ms = started.elapsed().as_millis() as u64;
    let built = Instant::now();
    let facts = build_facts(&ctx, &known, bodies, strings, main);
    let build_ms = built.elapsed().as_millis() as u64;
    // Slot -> lowest stub address jumping through it.
    let mut stubs: HashMap<u64, u64> = HashMap::new();
    for (&stub, &slot) in &ctx.stub_slots {
        stubs
            .entry(slot)
            .and_modify(|s| *s = (*s).min(stub))
            .or_insert(stub);
    }
    CodeOutput {
        facts,
        stubs,
        warnings,
        discovery_ms,
        build_ms,
    }
}

fn refresh(ctx: &mut Ctx<'_, '_>, known: &HashMap<u64, Known>) {
    ctx.starts = known.keys().copied().collect();
    ctx.starts.sort_unstable();
    ctx.start_set = known.keys().copied().collect();
}

fn explore_all(ctx: &Ctx<'_, '_>, arch: &Arch, img: &Image<'_>, starts: &[u64]) -> Vec<Body> {
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
fn explore(dec: &Decoder, ctx: &Ctx<'_, '_>, start: u64) -> Body {
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
fn branch_stays(ctx: &Ctx<'_, '_>, body: &mut Body, start: u64, site: u64, t: u64) -> bool {
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

fn sign_extend(v: u64, size: u8) -> i64 {
    let bits = u32::from(size) * 8;
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// x86-64 PIC switch: `lea base, [rip+T]; movsxd r, [base + i*4]; add r, base; jmp r`.
fn x86_rel_table(history: &[Insn], img: &Image<'_>) -> Option<u64> {
    let recent = &history[history.len().saturating_sub(12)..];
    let load = recent.iter().rposition(|i| i.rel_table_load)?;
    recent[..load].iter().rev().find_map(|i| match i.data {
        Some((t, RefKind::AddressOf)) if !img.is_code(t) => Some(t),
        _ => None,
    })
}

/// Read switch-table entries until the bound (from a preceding `cmp`) or the
/// first target outside the function.
fn read_table(
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

/// Map every PLT/stub entry to the import slot it jumps through.
fn scan_stubs(dec: &Decoder, img: &Image<'_>) -> HashMap<u64, u64> {
    let mut out = HashMap::new();
    for r in img.regions.iter().filter(|r| r.stubs) {
        let mut entry_start = r.vaddr;
        let mut at_entry_start = true;
        let mut regs = [None::<u64>; 33];
        let mut pos = r.vaddr;
        let end = r.vaddr + r.data.len() as u64;
        let mut guard = 0usize;
        while pos < end && guard < 1_000_000 {
            guard += 1;
            let bytes = img.bytes_from(pos);
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
                entry_start = i.addr;
                at_entry_start = false;
                regs = [None; 33];
            }
            let mut slot = None;
            match i.a64 {
                A64::Adrp { d, v } => regs[d as usize] = Some(v),
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

/// `main` from the entry stub: the first argument of the call to `__libc_start_main`.
fn find_main(dec: &Decoder, img: &Image<'_>, ctx: &Ctx<'_, '_>, entry: u64) -> Option<u64> {
    let thumb = img.thumb.contains(&entry);
    let mut pos = entry;
    let mut regs = [None::<u64>; 33];
    let mut rdi: Option<u64> = None;
    let mut pushes: Vec<Option<u64>> = Vec::new();
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
            Arch::Arm if first == "r0" => {
                rdi = ins
                    .data
                    .and_then(|(t, _)| img.read_uint(t, 4))
                    .map(|v| v & !1);
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
        return main.filter(|m| img.is_code(*m));
    }
    None
}

/// Find functions in the gaps between known code (binaries without unwind info).
fn gap_scan(dec: &Decoder, ctx: &Ctx<'_, '_>, bodies: &HashMap<u64, Body>) -> Vec<u64> {
    let img = ctx.img;
    let mut covered: Vec<(u64, u64)> = bodies
        .values()
        .flat_map(|b| b.insns.iter().map(|i| (i.addr, i.addr + u64::from(i.len))))
        .collect();
    covered.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (s, e) in covered {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    // Function spans: a gap strictly inside one is an unresolved part of it.
    let mut spans: BTreeMap<u64, u64> = BTreeMap::new();
    for b in bodies.values().filter(|b| !b.insns.is_empty()) {
        spans.insert(b.start, b.end);
    }
    let inside_span = |a: u64| -> bool {
        spans
            .range(..a)
            .next_back()
            .is_some_and(|(_, end)| *end > a)
    };
    let step = if matches!(dec.arch, Arch::X86 | Arch::X86_64) {
        1
    } else {
        2
    };
    let mut found = Vec::new();
    for r in img.regions.iter().filter(|r| r.exec && !r.stubs) {
        let rend = r.vaddr + r.data.len() as u64;
        let mut gaps = Vec::new();
        let mut cur = r.vaddr;
        let i0 = merged.partition_point(|(_, e)| *e <= r.vaddr);
        for &(s, e) in &merged[i0..] {
            if s >= rend {
                break;
            }
            if s > cur {
                gaps.push((cur, s));
            }
            cur = cur.max(e);
        }
        if cur < rend {
            gaps.push((cur, rend));
        }
        for (a, b) in gaps {
            let mut p = a;
            'gap: while p < b {
                // Skip padding.
                loop {
                    if p >= b {
                        break 'gap;
                    }
                    let mut one = None;
                    dec.run(img.bytes_from(p), p, false, |i| {
                        one = Some(*i);
                        false
                    });
                    match one {
                        Some(i) if i.padding => p += u64::from(i.len),
                        Some(_) => break,
                        None => {
                            if img.bytes_from(p).first() == Some(&0) {
                                p += step;
                                continue;
                            }
                            break 'gap; // undecodable: data in code, leave it
                        }
                    }
                }
                if inside_span(p) {
                    break 'gap;
                }
                let body = explore(dec, ctx, p);
                // A lone `hlt` or noreturn call right after a call that does
                // not return is dead code of the previous function, not a function.
                let dead_tail = body.insns.len() == 1
                    && (body.insns[0].flow == Flow::Stop
                        || !body.imports.is_empty()
                            && body
                                .imports
                                .iter()
                                .all(|c| ctx.noreturn_slots.contains(&c.1)));
                let fits = !dead_tail
                    && !body.incomplete
                    && !body.insns.is_empty()
                    && body.insns.iter().all(|i| i.addr >= a && i.addr < b);
                if !fits {
                    break 'gap;
                }
                found.push(p);
                p = body.end;
            }
        }
    }
    found
}

fn build_facts(
    ctx: &Ctx<'_, '_>,
    known: &HashMap<u64, Known>,
    bodies: HashMap<u64, Body>,
    strings: &[FoundString],
    main: Option<u64>,
) -> CodeFacts {
    let img = ctx.img;
    let string_at: HashMap<u64, &str> = strings
        .iter()
        .filter_map(|s| s.addr.map(|a| (a, s.value.as_str())))
        .collect();
    let mut bodies: Vec<Body> = bodies
        .into_values()
        .filter(|b| known.contains_key(&b.start))
        .collect();
    bodies.sort_unstable_by_key(|b| b.start);
    // Import thunks: functions that are one `jmp [slot]` (MinGW, MSVC
    // incremental linking). Calls to them are calls to the import.
    let thunks: HashMap<u64, u64> = bodies
        .iter()
        .filter_map(|b| match (b.insns.as_slice(), b.imports.as_slice()) {
            ([_], [(_, slot, CallKind::TailCall)]) => Some((b.start, *slot)),
            _ => None,
        })
        .collect();
    let mut facts = CodeFacts {
        main,
        ..CodeFacts::default()
    };
    for b in &bodies {
        let k = &known[&b.start];
        let name = k
            .name
            .clone()
            .or_else(|| img.names.get(&b.start).cloned())
            .unwrap_or_else(|| format!("sub_{:x}", b.start));
        let size = ctx
            .unwind
            .get(&b.start)
            .copied()
            .or(k.size)
            .unwrap_or(b.end.saturating_sub(b.start));
        let (blocks, edges) = cfg(b, ctx);
        // Decision points + 1: each block with k > 1 successors adds k - 1.
        let mut out_degree: HashMap<u64, u32> = HashMap::new();
        for e in &edges {
            *out_degree.entry(e.from).or_default() += 1;
        }
        let cyclomatic = 1 + out_degree
            .values()
            .map(|d| d.saturating_sub(1))
            .sum::<u32>();
        facts.instructions += b.insns.len() as u64;
        facts.functions.push(Function {
            addr: b.start,
            size,
            demangled: super::demangle(&name),
            name,
            source: k.source,
            thumb: b.thumb,
            blocks,
            edges,
            instructions: b.insns.len() as u32,
            cyclomatic,
            indirect_calls: b.indirect_calls,
            incomplete: b.incomplete,
        });
        for &(site, t, kind) in &b.calls {
            if let Some(st) = thunks.get(&t).and_then(|slot| img.slots.get(slot)) {
                facts.import_calls.push(ImportCall {
                    caller: b.start,
                    site,
                    library: st.library.clone(),
                    name: st.name.clone(),
                    kind,
                });
            }
            if known.contains_key(&t) {
                facts.calls.push(CallEdge {
                    caller: b.start,
                    callee: t,
                    site,
                    kind,
                });
            }
        }
        for &(site, slot, kind) in &b.imports {
            if let Some(st) = img.slots.get(&slot) {
                facts.import_calls.push(ImportCall {
                    caller: b.start,
                    site,
                    library: st.library.clone(),
                    name: st.name.clone(),
                    kind,
                });
            }
        }
        for &(site, t, kind) in &b.refs {
            facts.data_refs.push(DataRef {
                function: b.start,
                site,
                target: t,
                kind,
                string: string_at.get(&t).map(|s| s.to_string()),
                symbol: img
                    .names
                    .get(&t)
                    .cloned()
                    .or_else(|| img.slots.get(&t).map(|s| format!("{}@got", s.name))),
            });
        }
    }
    facts.calls.sort_by_key(|c| (c.caller, c.site));
    facts.calls.dedup();
    facts
}

/// Basic blocks and edges of one explored function.
fn cfg(b: &Body, ctx: &Ctx<'_, '_>) -> (Vec<Block>, Vec<CfgEdge>) {
    if b.insns.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let at: HashSet<u64> = b.insns.iter().map(|i| i.addr).collect();
    let mut leaders: HashSet<u64> = HashSet::new();
    leaders.insert(b.start);
    let switch_targets: HashMap<u64, &Vec<u64>> = b.switches.iter().map(|(s, t)| (*s, t)).collect();
    for i in &b.insns {
        let next = i.addr + u64::from(i.len);
        match i.flow {
            Flow::Jump(t) | Flow::Cond(t) if at.contains(&t) && !ctx.leaves(b.start, t) => {
                leaders.insert(t);
                leaders.insert(next);
            }
            Flow::Seq | Flow::Call(_) | Flow::CallMem(_) | Flow::CallReg => {}
            _ => {
                leaders.insert(next);
            }
        }
        if let Some(ts) = switch_targets.get(&i.addr) {
            leaders.extend(ts.iter().copied());
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut edges = Vec::new();
    let mut cur: Option<Block> = None;
    for (idx, i) in b.insns.iter().enumerate() {
        let next = i.addr + u64::from(i.len);
        let contiguous = cur.as_ref().is_some_and(|c| c.end == i.addr);
        if cur.is_none() || !contiguous || leaders.contains(&i.addr) {
            if let Some(c) = cur.take() {
                if contiguous {
                    edges.push(CfgEdge {
                        from: c.start,
                        to: i.addr,
                        kind: EdgeKind::Fallthrough,
                    });
                }
                blocks.push(c);
            }
            cur = Some(Block {
                start: i.addr,
                end: i.addr,
                instructions: 0,
            });
        }
        let c = cur.as_mut().expect("a block is open");
        c.end = next;
        c.instructions += 1;
        let has_next = b.insns.get(idx + 1).is_some_and(|n| n.addr == next);
        let terminator = match i.flow {
            Flow::Jump(t) => {
                if at.contains(&t) && !ctx.leaves(b.start, t) {
                    edges.push(CfgEdge {
                        from: c.start,
                        to: t,
                        kind: EdgeKind::Jump,
                    });
                }
                true
            }
            Flow::Cond(t) => {
                if at.contains(&t) && !ctx.leaves(b.start, t) {
                    edges.push(CfgEdge {
                        from: c.start,
                        to: t,
                        kind: EdgeKind::True,
                    });
                }
                if has_next {
                    edges.push(CfgEdge {
                        from: c.start,
                        to: next,
                        kind: EdgeKind::False,
                    });
                }
                true
            }
            Flow::JumpMem(_) | Flow::JumpReg => {
                if let Some(ts) = switch_targets.get(&i.addr) {
                    for t in ts.iter() {
                        edges.push(CfgEdge {
                            from: c.start,
                            to: *t,
                            kind: EdgeKind::Switch,
                        });
                    }
                }
                true
            }
            Flow::Ret | Flow::Stop => true,
            _ => false,
        };
        if terminator {
            blocks.push(cur.take().expect("a block is open"));
        }
    }
    if let Some(c) = cur {
        blocks.push(c);
    }
    edges.sort_by_key(|e| (e.from, e.to));
    edges.dedup();
    (blocks, edges)
}

/// Disassemble the function at `addr` (its explored body, in address order).
pub fn listing(img: &Image<'_>, addr: u64, cfg: &AnalysisConfig) -> Option<Vec<ListingLine>> {
    let arch = img.arch.clone()?;
    let dec = Decoder::new(&arch, img.big_endian, img.got_base)?;
    if !img.is_code(addr) {
        return None;
    }
    let mut ctx = Ctx::new(img, &dec, cfg);
    let mut starts: Vec<u64> = img
        .seeds
        .iter()
        .map(|s| s.addr)
        .chain(img.unwind.iter().map(|u| u.0))
        .collect();
    starts.push(addr);
    starts.sort_unstable();
    starts.dedup();
    ctx.start_set = starts.iter().copied().collect();
    ctx.starts = starts;
    let body = explore(&dec, &ctx, addr);
    let name_of = |t: u64| -> Option<String> {
        if let Some(slot) = ctx.import_slot(t) {
            return img.slots.get(&slot).map(|s| format!("{}@plt", s.name));
        }
        img.names
            .get(&t)
            .cloned()
            .or_else(|| img.is_code(t).then(|| format!("sub_{t:x}")))
    };
    // Jumps inside the body are branches, not calls to other functions.
    let inside: std::collections::HashSet<u64> = body.insns.iter().map(|i| i.addr).collect();
    let mut out = Vec::new();
    for i in &body.insns {
        let (ins, m, o, bytes) = dec.text(img.bytes_from(i.addr), i.addr, body.thumb)?;
        let target = match ins.flow {
            Flow::Jump(t) if inside.contains(&t) && !img.names.contains_key(&t) => None,
            Flow::Call(t) | Flow::Jump(t) => name_of(t),
            Flow::CallMem(Some(s)) | Flow::JumpMem(Some(s)) => {
                img.slots.get(&s).map(|x| x.name.clone())
            }
            _ => None,
        };
        let data = body
            .refs
            .iter()
            .find(|r| r.0 == i.addr)
            .map(|r| r.1)
            .or(ins.data.map(|d| d.0))
            .and_then(|t| {
                img.names.get(&t).cloned().or_else(|| {
                    let s = img.bytes_from(t);
                    let end = s.iter().take(80).position(|b| *b == 0)?;
                    let txt = std::str::from_utf8(&s[..end]).ok()?;
                    (txt.len() >= 2
                        && txt
                            .chars()
                            .all(|c| !c.is_control() || c == '\n' || c == '\t'))
                    .then(|| format!("{txt:?}"))
                })
            });
        out.push(ListingLine {
            addr: i.addr,
            bytes: hex::encode(bytes),
            mnemonic: m,
            operands: o,
            target,
            data,
        });
    }
    Some(out)
}

/// One decoded instruction of a function body, with its text.
#[derive(Debug, Clone)]
pub struct BodyInsn {
    pub addr: u64,
    pub mnemonic: String,
    pub operands: String,
    /// Direct call or jump target, when the instruction has one.
    pub target: Option<u64>,
    /// A branch or call (direct or not): its operand is an address, never a constant.
    pub branch: bool,
    /// Index of the block (in `Function::blocks`) the instruction belongs to.
    pub block: u32,
}

/// Decode the blocks of each function again, with instruction text, and hand
/// every body to `each` (in parallel: `each` must be `Sync`). A block that
/// fails to decode ends early; the rest of the body is still given. `each`
/// also gets a test for "this number is a mapped address".
pub fn bodies<F>(img: &Image<'_>, functions: &[Function], each: F)
where
    F: Fn(usize, &[BodyInsn], &dyn Fn(u64) -> bool) + Sync,
{
    let Some(arch) = img.arch.clone() else {
        return;
    };
    functions
        .par_iter()
        .enumerate()
        .with_min_len(64)
        .for_each_init(
            || Decoder::new(&arch, img.big_endian, img.got_base),
            |dec, (i, f)| {
                let Some(dec) = dec.as_ref() else { return };
                let mut out = Vec::with_capacity(f.instructions as usize);
                for (b, block) in f.blocks.iter().enumerate() {
                    let len = block.end.saturating_sub(block.start) as usize;
                    let bytes = img.bytes_from(block.start);
                    let bytes = &bytes[..len.min(bytes.len())];
                    dec.run_text(bytes, block.start, f.thumb, |ins, m, o| {
                        let target = match ins.flow {
                            Flow::Call(t) | Flow::Jump(t) | Flow::Cond(t) => Some(t),
                            _ => None,
                        };
                        let branch = !matches!(ins.flow, Flow::Seq | Flow::Stop | Flow::Ret);
                        if !ins.padding {
                            out.push(BodyInsn {
                                addr: ins.addr,
                                mnemonic: m.to_string(),
                                operands: o.to_string(),
                                target,
                                branch,
                                block: b as u32,
                            });
                        }
                    });
                }
                each(i, &out, &|a| img.is_mapped(a));
            },
        );
}
