//! From explored bodies to facts: functions, calls, data references and each
//! function's control-flow graph.

use super::*;

pub(super) fn build_facts(
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
            demangled: super::super::demangle(&name),
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
pub(super) fn cfg(b: &Body, ctx: &Ctx<'_, '_>) -> (Vec<Block>, Vec<CfgEdge>) {
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
