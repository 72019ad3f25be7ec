//! Disassembly listings and decoded bodies of known functions (for the API,
//! the rules and the similarity signatures).

use super::explore::explore;
use super::*;

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
