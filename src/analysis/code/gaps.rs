//! The gap scan: function starts in the code no call or symbol reached
//! (prologues after padding).

use super::explore::explore_in;
use super::*;

/// Find functions in the gaps between known code (binaries without unwind info).
/// Returns each start with its instruction set (ARM: true for Thumb).
pub(super) fn gap_scan(
    dec: &Decoder,
    ctx: &Ctx<'_, '_>,
    bodies: &HashMap<u64, Body>,
) -> Vec<(u64, bool)> {
    let img = ctx.img;
    let mut covered: Vec<(u64, u64)> = bodies
        .values()
        .flat_map(|b| {
            b.insns
                .iter()
                .map(|i| (i.addr, i.addr + u64::from(i.len)))
                .chain(b.data_in_code.iter().copied())
        })
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
    let step = match dec.arch {
        Arch::X86 | Arch::X86_64 => 1,
        Arch::Arm if ctx.default_thumb => 2,
        _ => 4,
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
                    dec.run(img.bytes_from(p), p, ctx.thumb(p), |i| {
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
                let thumb = ctx.thumb(p) && !looks_like_arm(dec, img, p);
                let body = explore_in(dec, ctx, p, thumb);
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
                    && !body.falls_into_start
                    && !body.insns.is_empty()
                    && body.insns.iter().all(|i| i.addr >= a && i.addr < b);
                if !fits {
                    break 'gap;
                }
                found.push((p, thumb));
                // Past its code and the literals it reads after it (ARM).
                p = body
                    .data_in_code
                    .iter()
                    .map(|d| d.1)
                    .filter(|e| *e <= b)
                    .fold(body.end, u64::max);
            }
        }
    }
    found
}

/// ARM code in a Thumb program (the C runtime's `call_weak_fn`, `_init`):
/// at a word boundary, three words that decode as ARM instructions whose
/// condition is "always" (the top nibble 0xe, as nearly every ARM
/// instruction has). Thumb code rarely looks like that three times over.
fn looks_like_arm(dec: &Decoder, img: &Image<'_>, a: u64) -> bool {
    if dec.arch != Arch::Arm || !a.is_multiple_of(4) {
        return false;
    }
    let always = (0..3).all(|i| img.read_uint(a + 4 * i, 4).is_some_and(|w| w >> 28 == 0xe));
    let mut decoded = 0;
    always
        && dec.run(img.bytes_from(a), a, false, |_| {
            decoded += 1;
            decoded < 3
        })
        && decoded == 3
}
