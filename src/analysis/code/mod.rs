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

mod discover;
mod explore;
mod facts;
mod gaps;
mod insn;
mod listing;
mod regs;
mod stubs;

use discover::Discovery;
use facts::build_facts;
use gaps::gap_scan;
pub use listing::{bodies, listing, BodyInsn};
use stubs::{find_main, scan_stubs};

pub use self::insn::{parse_num, ARM_CONDITIONS};

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

/// What the passes after exploration need of one instruction of a body.
/// A whole [`Insn`] is about three times larger (its operands matter only
/// while the function is explored); node's 6.5 million instructions held as
/// `Insn`s were 0.8 GB of the analysis's peak.
#[derive(Clone, Copy, Debug)]
struct Step {
    addr: u64,
    flow: Flow,
    len: u8,
}

impl From<&Insn> for Step {
    fn from(i: &Insn) -> Self {
        Step {
            addr: i.addr,
            flow: i.flow,
            len: i.len,
        }
    }
}

/// What one function's exploration found.
#[derive(Default)]
struct Body {
    start: u64,
    thumb: bool,
    /// Its instructions in address order.
    insns: Vec<Step>,
    switches: Vec<(u64, Vec<u64>)>,
    calls: Vec<(u64, u64, CallKind)>,
    imports: Vec<(u64, u64, CallKind)>,
    indirect_calls: u32,
    refs: Vec<(u64, u64, RefKind)>,
    /// i386: the register the function loads the GOT into (a call to
    /// `__x86.get_pc_thunk.REG`, or `call next; pop ebx`).
    got_reg: Option<u8>,
    /// Indirect jumps whose targets nothing resolved (no switch table, no
    /// import slot): candidates for [`Discovery::resolve_pointer_tables`].
    unresolved_jumps: u32,
    /// A straight-line run reached another function's start (not after a
    /// call): the gap scan does not take such code for a function.
    falls_into_start: bool,
    /// ARM: a linker veneer (see `arm_erratum_veneer`), not a function.
    veneer: bool,
    /// Code addresses taken (function pointers) and out-of-function branch targets.
    new_starts: Vec<(u64, FunctionSource)>,
    /// ARM: the instruction set each new start (and call target) runs in,
    /// as this function says it (`bl` keeps it, `blx #imm` switches, a
    /// pointer's low bit).
    modes: Vec<(u64, bool)>,
    /// ARM: data inside the code this function reads as such (literal
    /// pools, `tbb`/`tbh` tables): never scanned for functions.
    data_in_code: Vec<(u64, u64)>,
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
    /// Function start → the code addresses of the table it jumps through
    /// (computed `goto`, an absolute switch table), once resolved.
    pointer_tables: HashMap<u64, Vec<u64>>,
    /// Immediates may be addresses (non-PIE images mapped well above zero).
    use_imm: bool,
    /// ARM: instruction set per start (true: Thumb), from the file and
    /// from the code that reaches each start.
    modes: HashMap<u64, bool>,
    /// ARM: the instruction set of starts nothing says anything about
    /// (gaps, unwind entries): the entry point's.
    default_thumb: bool,
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
            pointer_tables: HashMap::new(),
            use_imm: img.regions.first().is_some_and(|r| r.vaddr >= 0x10000),
            modes: img.modes.clone(),
            default_thumb: img.entry.and_then(|e| img.thumb_at(e)).unwrap_or(false),
        }
    }

    /// Does code at `a` run in Thumb state (ARM only)?
    fn thumb(&self, a: u64) -> bool {
        self.img.arch == Some(Arch::Arm) && *self.modes.get(&a).unwrap_or(&self.default_thumb)
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
    let nothing = || CodeOutput {
        facts: CodeFacts::default(),
        stubs: HashMap::new(),
        warnings: Vec::new(),
        discovery_ms: 0,
        build_ms: 0,
    };
    let Some(arch) = img.arch.clone() else {
        return nothing();
    };
    let Some(dec) = Decoder::new(&arch, img.big_endian, img.got_base) else {
        return nothing();
    };
    let mut ctx = Ctx::new(img, &dec, cfg);
    let mut main = img.entry.and_then(|e| find_main(&dec, img, &ctx, e));
    if arch == Arch::Arm {
        main = main.map(|m| {
            ctx.modes.entry(m & !1).or_insert(m & 1 == 1);
            m & !1
        });
    }
    let mut d = Discovery::new(img, &arch, &dec, main);
    d.descend(&mut ctx, cfg, started);
    if !d.stopped {
        // Tables first (a weak start may be the block that jumps through
        // one), then folding (which lengthens functions), then tables again
        // for jumps that only the longer functions reach.
        d.resolve_pointer_tables(&mut ctx);
        d.fold_inner_starts(&mut ctx);
        d.resolve_pointer_tables(&mut ctx);
        d.fold_inner_starts(&mut ctx);
    }
    d.redo_overruns(&mut ctx);

    let discovery_ms = started.elapsed().as_millis() as u64;
    let built = Instant::now();
    let facts = build_facts(&ctx, &d.known, d.bodies, strings, main);
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
        warnings: d.warnings,
        discovery_ms,
        build_ms,
    }
}

fn refresh(ctx: &mut Ctx<'_, '_>, known: &HashMap<u64, Known>) {
    ctx.starts = known.keys().copied().collect();
    ctx.starts.sort_unstable();
    ctx.start_set = known.keys().copied().collect();
}
