//! The discovery driver: known starts, recursive descent in rounds, gap
//! scans, the limits that stop it, and the clean-ups after it.

use super::explore::explore_all;
use super::*;

/// Function starts found so far and the bodies explored from them.
pub(super) struct Discovery<'i, 'a> {
    img: &'i Image<'a>,
    arch: &'i Arch,
    dec: &'i Decoder,
    pub known: HashMap<u64, Known>,
    pub bodies: HashMap<u64, Body>,
    pub warnings: Vec<String>,
    /// A limit or a stop request ended discovery early.
    pub stopped: bool,
}

impl<'i, 'a> Discovery<'i, 'a> {
    /// Every start the file states, and `main`.
    pub fn new(img: &'i Image<'a>, arch: &'i Arch, dec: &'i Decoder, main: Option<u64>) -> Self {
        let mut d = Discovery {
            img,
            arch,
            dec,
            known: HashMap::new(),
            bodies: HashMap::new(),
            warnings: Vec::new(),
            stopped: false,
        };
        for s in &img.seeds {
            d.add(s.addr, s.source, s.name.clone(), s.size);
        }
        if let Some(m) = main {
            d.add(m, FunctionSource::Main, Some("main".into()), None);
        }
        d
    }

    /// Record a start (the strongest source wins); true when it is new.
    fn add(
        &mut self,
        addr: u64,
        source: FunctionSource,
        name: Option<String>,
        size: Option<u64>,
    ) -> bool {
        if !self.img.is_code(addr) {
            return false;
        }
        match self.known.get_mut(&addr) {
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
                self.known.insert(addr, Known { source, name, size });
                true
            }
        }
    }

    fn explore(&self, ctx: &Ctx<'_, '_>, starts: &[u64]) -> Vec<Body> {
        explore_all(ctx, self.arch, self.img, starts)
    }

    /// Recursive descent in rounds until nothing new appears; without unwind
    /// information, then the gaps between functions (up to 8 rounds).
    pub fn descend(&mut self, ctx: &mut Ctx<'_, '_>, cfg: &AnalysisConfig, started: Instant) {
        let mut pending: Vec<u64> = self.known.keys().copied().collect();
        let mut total_insns: u64 = 0;
        let mut gap_rounds = 0;
        loop {
            if pending.is_empty() {
                if !self.img.unwind.is_empty() || gap_rounds >= 8 || self.stopped {
                    break;
                }
                gap_rounds += 1;
                refresh(ctx, &self.known);
                for (a, thumb) in gap_scan(self.dec, ctx, &self.bodies) {
                    if self.arch == &Arch::Arm {
                        ctx.modes.entry(a).or_insert(thumb);
                    }
                    if self.add(a, FunctionSource::Gap, None, None) {
                        pending.push(a);
                    }
                }
                if pending.is_empty() {
                    break;
                }
            }
            refresh(ctx, &self.known);
            let results = self.explore(ctx, &pending);
            pending.clear();
            for b in results {
                total_insns += b.insns.len() as u64;
                if b.veneer && self.known.get(&b.start).is_some_and(|k| k.name.is_none()) {
                    // The branches of another function, which reaches
                    // them through its own jump.
                    self.known.remove(&b.start);
                    continue;
                }
                let targets: Vec<(u64, FunctionSource)> = b
                    .calls
                    .iter()
                    .map(|(_, t, k)| {
                        let source = if *k == CallKind::Call {
                            FunctionSource::Call
                        } else {
                            FunctionSource::TailCall
                        };
                        (*t, source)
                    })
                    .chain(b.new_starts.iter().copied())
                    .collect();
                for &(t, thumb) in &b.modes {
                    ctx.modes.entry(t).or_insert(thumb);
                }
                self.bodies.insert(b.start, b);
                for (t, src) in targets {
                    if self.known.len() >= cfg.max_functions {
                        break;
                    }
                    if self.add(t, src, None, None) {
                        pending.push(t);
                    }
                }
            }
            let why = limits_reached(cfg, self.known.len(), total_insns, started);
            if !why.is_empty() {
                self.warnings.extend(why);
                pending.clear();
                self.stopped = true;
            }
        }
    }

    /// Weak starts (tail-call, gap and pointer targets) strictly inside
    /// another function's extent are parts of it (a jump back from a cold
    /// part, a label): drop them and re-explore what they cut short.
    pub fn fold_inner_starts(&mut self, ctx: &mut Ctx<'_, '_>) {
        for _ in 0..4 {
            let spans: BTreeMap<u64, u64> = self
                .bodies
                .values()
                .map(|b| {
                    let end = ctx.unwind.get(&b.start).map_or(b.end, |l| b.start + l);
                    (b.start, end)
                })
                .collect();
            let removed: HashSet<u64> = self
                .known
                .iter()
                .filter(|(a, k)| {
                    weak(k.source)
                        && (ctx.inside_unwind_range(**a)
                            || spans
                                .range(..**a)
                                .next_back()
                                .is_some_and(|(_, end)| *end > **a))
                })
                .map(|(a, _)| *a)
                .collect();
            if removed.is_empty() {
                break;
            }
            self.drop_starts(ctx, &removed, &HashSet::new());
        }
    }

    /// Tables of code addresses that a function jumps through: GCC's
    /// labels-as-values dispatch (`goto *table[op]`, every bytecode
    /// interpreter) and absolute switch tables. A function with an indirect
    /// jump nothing resolved, referencing data that holds at least two
    /// consecutive pointers into its own extent (its unwind range, else up
    /// to the next start that is not a weak one), jumps through them: the
    /// targets are blocks of that function. The relocated pointers of such
    /// a table made them weak start candidates; those are dropped, and the
    /// function and what they cut short are explored again. Code pointers
    /// that no indirect jump of their own function consumes (vtables,
    /// callback arrays, `.init_array`) stay function starts.
    pub fn resolve_pointer_tables(&mut self, ctx: &mut Ctx<'_, '_>) {
        let width: u64 = if self.img.bits == 64 { 8 } else { 4 };
        for _ in 0..4 {
            refresh(ctx, &self.known);
            let strong = self.strong_starts();
            let next_strong = |a: u64| {
                strong
                    .get(strong.partition_point(|s| *s <= a))
                    .copied()
                    .unwrap_or(u64::MAX)
            };
            // (owner, targets, the weak start of the jumping block when it
            // is a part of the owner rather than a function)
            let mut found: Vec<(u64, Vec<u64>, Option<u64>)> = Vec::new();
            for b in self.bodies.values() {
                if b.unresolved_jumps == 0 || ctx.pointer_tables.contains_key(&b.start) {
                    continue;
                }
                // Without unwind information a weak start may be a block of
                // the strong function before it (GCC -O0 jumps from every
                // handler to one shared `goto *` block at the end).
                let is_weak = self.known.get(&b.start).is_some_and(|k| weak(k.source));
                let (owner, end) = match ctx.unwind.get(&b.start) {
                    Some(len) => (b.start, b.start + len),
                    None => {
                        let i = strong.partition_point(|s| *s < b.start);
                        let owner = match (is_weak, i) {
                            (true, i) if i > 0 => strong[i - 1],
                            _ => b.start,
                        };
                        (owner, next_strong(b.start))
                    }
                };
                // The table's address may be taken in the owner, before a
                // jump to the shared block (gcc -O0).
                let owner_refs = match self.bodies.get(&owner) {
                    Some(o) if owner != b.start => &o.refs[..],
                    _ => &[],
                };
                let mut bases: Vec<u64> = b.refs.iter().chain(owner_refs).map(|r| r.1).collect();
                bases.sort_unstable();
                bases.dedup();
                let mut targets = Vec::new();
                for base in bases {
                    let entries: Vec<u64> = (0..4096u64)
                        .map(|i| {
                            let slot = base + i * width;
                            self.img
                                .pointers
                                .get(&slot)
                                .copied()
                                .or_else(|| self.img.read_uint(slot, width as usize))
                        })
                        .take_while(|t| {
                            t.is_some_and(|t| t > owner && t < end && self.img.is_code(t))
                        })
                        .flatten()
                        .collect();
                    if entries.len() >= 2 {
                        targets.extend(entries);
                    }
                }
                if targets.is_empty() {
                    continue;
                }
                targets.sort_unstable();
                targets.dedup();
                if targets[0] < b.start && owner < b.start {
                    found.push((owner, targets, Some(b.start)));
                } else if targets[0] > b.start {
                    found.push((b.start, targets, None));
                }
            }
            if found.is_empty() {
                break;
            }
            let removed: HashSet<u64> = found
                .iter()
                .flat_map(|(_, t, part)| t.iter().chain(part))
                .filter(|a| self.known.get(a).is_some_and(|k| weak(k.source)))
                .copied()
                .collect();
            let owners: HashSet<u64> = found.iter().map(|(f, _, _)| *f).collect();
            for (owner, targets, _) in found {
                ctx.pointer_tables.entry(owner).or_default().extend(targets);
            }
            self.drop_starts(ctx, &removed, &owners);
        }
        self.absorb_owned_blocks(ctx);
    }

    /// Without unwind information, the blocks of a table's function may
    /// have jumped to further blocks of it (a shared epilogue, an error
    /// exit), which became weak starts: those that only the function
    /// reaches, before the next strong start, are its blocks.
    fn absorb_owned_blocks(&mut self, ctx: &mut Ctx<'_, '_>) {
        let owners: HashSet<u64> = ctx
            .pointer_tables
            .keys()
            .filter(|o| !ctx.unwind.contains_key(o))
            .copied()
            .collect();
        if owners.is_empty() {
            return;
        }
        for _ in 0..16 {
            let strong = self.strong_starts();
            let mut incoming: HashMap<u64, HashSet<u64>> = HashMap::new();
            for b in self.bodies.values() {
                for c in &b.calls {
                    incoming.entry(c.1).or_default().insert(b.start);
                }
            }
            // A weak start inside an owner's region is one of its blocks
            // when only the owner jumps to it, or when nothing does any
            // more (a tail-call start found from a table block since
            // dropped). Code pointers nothing jumps to stay functions.
            let absorbed: HashSet<u64> = owners
                .iter()
                .flat_map(|&o| {
                    let end = strong
                        .get(strong.partition_point(|s| *s <= o))
                        .copied()
                        .unwrap_or(u64::MAX);
                    let from = ctx.starts.partition_point(|s| *s <= o);
                    let to = ctx.starts.partition_point(|s| *s < end);
                    ctx.starts[from..to.max(from)].iter().copied()
                })
                .filter(|t| {
                    let Some(k) = self.known.get(t).filter(|k| weak(k.source)) else {
                        return false;
                    };
                    match incoming.get(t) {
                        Some(from) => from.iter().all(|f| owners.contains(f) || f == t),
                        None => k.source == FunctionSource::TailCall,
                    }
                })
                .collect();
            if absorbed.is_empty() {
                break;
            }
            self.drop_starts(ctx, &absorbed, &owners);
        }
    }

    /// The starts that are not weak, in address order.
    fn strong_starts(&self) -> Vec<u64> {
        let mut strong: Vec<u64> = self
            .known
            .iter()
            .filter(|(_, k)| !weak(k.source))
            .map(|(a, _)| *a)
            .collect();
        strong.sort_unstable();
        strong
    }

    /// Forget the starts `removed`, then explore again the functions they
    /// cut short or that called them, and the functions `also`.
    fn drop_starts(&mut self, ctx: &mut Ctx<'_, '_>, removed: &HashSet<u64>, also: &HashSet<u64>) {
        for a in removed {
            self.known.remove(a);
            self.bodies.remove(a);
        }
        refresh(ctx, &self.known);
        let redo: Vec<u64> = self
            .bodies
            .values()
            .filter(|b| {
                also.contains(&b.start)
                    || removed.iter().any(|r| *r >= b.start && *r <= b.end)
                    || b.calls.iter().any(|c| removed.contains(&c.1))
            })
            .map(|b| b.start)
            .collect();
        for b in self.explore(ctx, &redo) {
            self.bodies.insert(b.start, b);
        }
    }

    /// Bodies explored before later starts were known may run into them:
    /// redo those (not after an early stop).
    pub fn redo_overruns(&mut self, ctx: &mut Ctx<'_, '_>) {
        refresh(ctx, &self.known);
        let redo: Vec<u64> = self
            .bodies
            .values()
            .filter(|b| {
                b.insns
                    .iter()
                    .any(|i| i.addr != b.start && ctx.is_start(i.addr))
                    || b.end > ctx.limit(b.start) && !ctx.unwind.contains_key(&b.start)
            })
            .map(|b| b.start)
            .collect();
        if !redo.is_empty() && !self.stopped {
            for b in self.explore(ctx, &redo) {
                self.bodies.insert(b.start, b);
            }
        }
    }
}

/// Starts that only a guess made: a tail call, a gap, a code pointer. They
/// give way to the function they turn out to be inside of.
fn weak(source: FunctionSource) -> bool {
    matches!(
        source,
        FunctionSource::TailCall | FunctionSource::Gap | FunctionSource::Pointer
    )
}

/// Why discovery must stop now (every limit reached); empty: go on.
fn limits_reached(
    cfg: &AnalysisConfig,
    functions: usize,
    instructions: u64,
    started: Instant,
) -> Vec<String> {
    let mut why = Vec::new();
    if functions >= cfg.max_functions {
        why.push(format!(
            "function limit of {} reached; discovery stopped",
            cfg.max_functions
        ));
    }
    if instructions > cfg.max_instructions {
        why.push(format!(
            "instruction limit of {} reached; discovery stopped",
            cfg.max_instructions
        ));
    }
    if cfg
        .abort
        .as_ref()
        .is_some_and(|a| a.load(std::sync::atomic::Ordering::Relaxed))
    {
        why.push("analysis stopped early on request".to_string());
    }
    if started.elapsed() > cfg.time_budget {
        why.push(format!(
            "time budget of {:?} spent; discovery stopped with partial results",
            cfg.time_budget
        ));
    }
    why
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::analyze;
    use super::*;
    use crate::analysis::image::Region;

    /// An x86-64 image: `text` at 0x1000, `data` at 0x2000, entry 0x1000.
    pub(crate) fn image<'a>(text: &'a [u8], data: &'a [u8]) -> Image<'a> {
        let region = |name: &str, vaddr, data: &'a [u8], exec| Region {
            name: name.into(),
            vaddr,
            size: data.len() as u64,
            data,
            exec,
            write: false,
            stubs: false,
        };
        let mut img = Image {
            arch: Some(Arch::X86_64),
            bits: 64,
            entry: Some(0x1000),
            regions: vec![
                region(".text", 0x1000, text, true),
                region(".rodata", 0x2000, data, false),
            ],
            ..Image::default()
        };
        img.finish();
        img.add_seed(0x1000, FunctionSource::Entry, None, None);
        img
    }

    /// `call 0x1010; ret`, padding, then `xor eax, eax; ret` at 0x1010.
    const CALLER_CALLEE: &[u8] = &[
        0xe8, 0x0b, 0, 0, 0, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
        0x31, 0xc0, 0xc3,
    ];

    #[test]
    fn a_call_target_becomes_a_function_with_its_edge() {
        let img = image(CALLER_CALLEE, &[]);
        let out = analyze(&img, &[], &AnalysisConfig::default());
        let f = &out.facts.functions;
        let starts: Vec<(u64, FunctionSource)> = f.iter().map(|f| (f.addr, f.source)).collect();
        assert_eq!(
            starts,
            [
                (0x1000, FunctionSource::Entry),
                (0x1010, FunctionSource::Call)
            ]
        );
        let calls: Vec<(u64, u64, u64)> = out
            .facts
            .calls
            .iter()
            .map(|c| (c.caller, c.callee, c.site))
            .collect();
        assert_eq!(calls, [(0x1000, 0x1010, 0x1000)]);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }

    #[test]
    fn the_function_limit_stops_discovery_with_a_warning() {
        let img = image(CALLER_CALLEE, &[]);
        let cfg = AnalysisConfig {
            max_functions: 1,
            ..AnalysisConfig::default()
        };
        let out = analyze(&img, &[], &cfg);
        assert_eq!(out.facts.functions.len(), 1);
        assert_eq!(
            out.warnings,
            ["function limit of 1 reached; discovery stopped"]
        );
    }

    #[test]
    fn every_limit_reached_is_reported() {
        let abort = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cfg = AnalysisConfig {
            max_instructions: 10,
            abort: Some(abort),
            ..AnalysisConfig::default()
        };
        let why = limits_reached(&cfg, 1, 11, Instant::now());
        assert_eq!(
            why,
            [
                "instruction limit of 10 reached; discovery stopped",
                "analysis stopped early on request"
            ]
        );
        assert!(limits_reached(&AnalysisConfig::default(), 1, 11, Instant::now()).is_empty());
    }
}
