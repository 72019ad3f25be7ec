//! What an instruction does to control flow and which addresses it names, per
//! architecture (from capstone's text: mnemonic and operands).

use super::*;

/// `got_base`: the i386 GOT (for GOT-relative switch tables); `got_reg`:
/// the GOT and the register that holds it in this function.
pub(super) fn x86(
    ins: &mut Insn,
    mnem: &str,
    ops: &str,
    bytes: &[u8],
    got_base: Option<u64>,
    got_reg: Option<(u64, &str)>,
) {
    let m = mnem.rsplit(' ').next().unwrap_or(mnem);
    let next = ins.addr + u64::from(ins.len);
    let opv = operands(ops);
    // Memory operand, if any.
    let mut mem_target = None;
    let mut mem_index = None;
    for (idx, o) in opv.iter().enumerate() {
        let Some(open) = o.find('[') else { continue };
        if o[..open].contains(':') {
            continue; // segment-relative (fs:[0x28]): TLS, not an address
        }
        let inner = o[open + 1..].trim_end_matches(']');
        mem_index = Some(idx);
        // i386 PIC switch: `add ecx, dword ptr [ecx + edx*4 - 0x5a450]`
        // (or a `mov` then `add r, ecx`) with the GOT in the base register.
        if let Some(got) = got_base {
            let t: Vec<&str> = inner.split_whitespace().collect();
            if let [base, "+", index, sign, disp] = t[..] {
                let is_reg = |r: &str| r.len() == 3 && r.starts_with('e');
                if is_reg(base) && index.ends_with("*4") && is_reg(&index[..index.len() - 2]) {
                    let d = parse_num(disp).map(|d| if sign == "-" { -d } else { d });
                    if let (Some(d), "+" | "-") = (d, sign) {
                        ins.got_table = Some((got as i128 + d) as u64);
                    }
                }
            }
        }
        if let Some(rest) = inner.strip_prefix("rip") {
            let rest = rest.trim();
            let disp = if let Some(d) = rest.strip_prefix('+') {
                parse_num(d)
            } else if let Some(d) = rest.strip_prefix('-') {
                parse_num(d).map(|v| -v)
            } else {
                Some(0)
            };
            mem_target = disp.map(|d| (next as i128 + d) as u64);
        } else if let Some(v) = parse_num(inner) {
            mem_target = Some(v as u64);
        } else if let Some((got, rest)) =
            got_reg.and_then(|(got, reg)| Some((got, inner.strip_prefix(reg)?)))
        {
            let rest = rest.trim();
            let disp = if rest.is_empty() {
                Some(0)
            } else if let Some(d) = rest.strip_prefix('+') {
                parse_num(d)
            } else if let Some(d) = rest.strip_prefix('-') {
                parse_num(d).map(|v| -v)
            } else {
                None
            };
            mem_target = disp.map(|d| (got as i128 + d) as u64);
        } else if inner.contains('*') {
            // [reg*scale + disp] or [base + reg*scale + disp]: a table when only index + disp.
            let parts: Vec<&str> = inner.split(" + ").collect();
            if parts.len() == 2 && parts[0].contains('*') {
                if let (Some(d), Some(scale)) = (
                    parse_num(parts[1]),
                    parts[0].split('*').nth(1).and_then(parse_num),
                ) {
                    ins.abs_table = Some((d as u64, scale as u8));
                }
            }
            if m == "movsxd" && o.starts_with("dword ptr") {
                ins.rel_table_load = true;
            }
        } else if m == "mov"
            && idx == 1
            && o.starts_with("dword ptr")
            && inner.split(" + ").count() == 2
            && parse_num(inner.split(" + ").nth(1).unwrap_or("")).is_none()
        {
            // -O0 switch: `mov eax, dword ptr [rdx + rax]` then `cdqe`.
            ins.rel_table_load = true;
        }
        break;
    }
    match m {
        "call" => {
            ins.flow = match parse_num(ops) {
                Some(t) => Flow::Call(t as u64),
                None if mem_index.is_some() => Flow::CallMem(mem_target),
                None => Flow::CallReg,
            };
            return;
        }
        "jmp" | "ljmp" => {
            ins.flow = match parse_num(ops) {
                Some(t) => Flow::Jump(t as u64),
                None if mem_index.is_some() => Flow::JumpMem(mem_target),
                None => Flow::JumpReg,
            };
            return;
        }
        "ret" | "retf" | "iret" | "iretd" | "iretq" | "sysret" | "sysexit" => {
            ins.flow = Flow::Ret;
            return;
        }
        "hlt" | "ud2" | "ud1" | "ud0" => {
            ins.flow = Flow::Stop;
            return;
        }
        "int3" => {
            ins.flow = Flow::Stop;
            ins.padding = true;
            return;
        }
        _ => {}
    }
    if (m.starts_with('j') || m.starts_with("loop")) && !m.is_empty() {
        if let Some(t) = parse_num(ops) {
            ins.flow = Flow::Cond(t as u64);
            return;
        }
    }
    if m == "nop" || (m == "xchg" && (ops == "ax, ax")) || bytes.iter().all(|b| *b == 0) {
        ins.padding = true;
    }
    // 32-bit multi-byte padding idioms: `lea esi, [esi]`, `lea edi, [edi + 0]`.
    if m == "lea" && (ops.starts_with("esi, [esi") || ops.starts_with("edi, [edi")) {
        ins.padding = true;
    }
    if m == "cmp" && opv.len() == 2 {
        if let Some(v) = parse_num(opv[1]) {
            ins.cmp = Some(v as u64);
        }
    }
    if let Some(t) = mem_target {
        let kind = if m == "lea" {
            RefKind::AddressOf
        } else if mem_index == Some(0) && !matches!(m, "cmp" | "test" | "push" | "bt") {
            RefKind::Write
        } else {
            RefKind::Read
        };
        ins.data = Some((t, kind));
    } else if mem_index.is_none() && matches!(m, "mov" | "push" | "movabs") {
        if let Some(v) = opv.last().and_then(|o| parse_num(o)) {
            if v >= 0x1000 {
                ins.imm = Some(v as u64);
            }
        }
    }
}

/// AArch64 register number from `x3`, `w3`, `sp`, `xzr`, `wzr`.
pub(super) fn a64_reg(s: &str) -> Option<u8> {
    let s = s.trim();
    match s {
        "sp" | "wsp" => return Some(31),
        "xzr" | "wzr" => return Some(32),
        "fp" => return Some(29),
        "lr" => return Some(30),
        _ => {}
    }
    let r = s.strip_prefix('x').or_else(|| s.strip_prefix('w'))?;
    r.parse::<u8>().ok().filter(|n| *n < 31)
}

pub(super) fn a64(ins: &mut Insn, m: &str, ops: &str, bytes: &[u8]) {
    let opv = operands(ops);
    let last_num = || opv.last().and_then(|o| parse_num(o)).map(|v| v as u64);
    match m {
        "bl" => ins.flow = last_num().map(Flow::Call).unwrap_or(Flow::CallReg),
        "blr" | "blraa" | "blrab" | "blraaz" | "blrabz" => {
            ins.flow = Flow::CallReg;
            if let Some(n) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Branch { n };
            }
        }
        "b" => ins.flow = last_num().map(Flow::Jump).unwrap_or(Flow::JumpReg),
        "br" | "braa" | "brab" | "braaz" | "brabz" => {
            ins.flow = Flow::JumpReg;
            if let Some(n) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Branch { n };
            }
        }
        "ret" | "retaa" | "retab" | "eret" => ins.flow = Flow::Ret,
        "brk" | "udf" | "hlt" => {
            ins.flow = Flow::Stop;
            ins.padding = bytes.iter().all(|b| *b == 0);
        }
        "cbz" | "cbnz" | "tbz" | "tbnz" => {
            if let Some(t) = last_num() {
                ins.flow = Flow::Cond(t);
            }
        }
        "nop" => ins.padding = true,
        _ if m.starts_with("b.") => {
            if let Some(t) = last_num() {
                ins.flow = Flow::Cond(t);
            }
        }
        "adrp" | "adr" if opv.len() == 2 => {
            if let (Some(d), Some(v)) = (a64_reg(opv[0]), parse_num(opv[1])) {
                ins.a64 = if m == "adrp" {
                    A64::Adrp { d, v: v as u64 }
                } else {
                    A64::Adr { d, v: v as u64 }
                };
                if m == "adr" {
                    ins.data = Some((v as u64, RefKind::AddressOf));
                }
            }
        }
        "add" if opv.len() >= 3 => {
            let (d, n) = (a64_reg(opv[0]), a64_reg(opv[1]));
            if let (Some(d), Some(n)) = (d, n) {
                if opv.len() == 3 && opv[2].starts_with('#') {
                    if let Some(imm) = parse_num(opv[2]) {
                        ins.a64 = A64::AddImm {
                            d,
                            n,
                            imm: imm as u64,
                        };
                        return;
                    }
                }
                if opv.len() == 4 {
                    let ext = opv[3];
                    let signed = ext.starts_with("sxt");
                    if ext.starts_with("sxt") || ext.starts_with("uxt") {
                        if let Some(mr) = a64_reg(opv[2]) {
                            let shift =
                                ext.split('#').nth(1).and_then(parse_num).unwrap_or(0) as u8;
                            ins.a64 = A64::AddExt {
                                d,
                                n,
                                m: mr,
                                signed,
                                shift,
                            };
                            return;
                        }
                    }
                }
                ins.a64 = A64::Clobber { d };
            }
        }
        "mov" if opv.len() == 2 => {
            if let (Some(d), Some(n)) = (a64_reg(opv[0]), a64_reg(opv[1])) {
                ins.a64 = A64::Mov { d, n };
            } else if let Some(d) = a64_reg(opv[0]) {
                ins.a64 = A64::Clobber { d };
            }
        }
        "cmp" if opv.len() == 2 => {
            if let Some(v) = parse_num(opv[1]) {
                ins.cmp = Some(v as u64);
            }
        }
        _ => {
            let is_load = m.starts_with("ld");
            let is_store = m.starts_with("st");
            if (is_load || is_store) && opv.len() >= 2 {
                let mem = opv[opv.len() - 1];
                if let Some(inner) = mem.strip_prefix('[') {
                    let post_index = !mem.ends_with(']') && !mem.ends_with("]!");
                    let inner = inner.trim_end_matches('!').trim_end_matches(']');
                    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                    let t = a64_reg(opv[0]);
                    if let (Some(n), Some(t)) = (parts.first().and_then(|p| a64_reg(p)), t) {
                        if parts.len() == 1 && !post_index {
                            ins.a64 = A64::MemImm {
                                t,
                                n,
                                imm: 0,
                                store: is_store,
                            };
                        } else if parts.len() == 2 && parts[1].starts_with('#') {
                            let imm = parse_num(parts[1]).unwrap_or(0) as u64;
                            ins.a64 = A64::MemImm {
                                t,
                                n,
                                imm,
                                store: is_store,
                            };
                        } else if parts.len() >= 2 && is_load && a64_reg(parts[1]).is_some() {
                            let size = match m {
                                "ldrb" | "ldrsb" => 1,
                                "ldrh" | "ldrsh" => 2,
                                _ => 4,
                            };
                            ins.a64 = A64::Indexed { t, n, size };
                        } else if is_load {
                            ins.a64 = A64::Clobber { d: t };
                        }
                    }
                } else if is_load && opv.len() == 2 {
                    // Literal load: ldr x0, #0x1234
                    if let (Some(t), Some(v)) = (a64_reg(opv[0]), parse_num(opv[1])) {
                        ins.data = Some((v as u64, RefKind::Read));
                        ins.a64 = A64::Clobber { d: t };
                    }
                }
                return;
            }
            if let Some(d) = opv.first().and_then(|o| a64_reg(o)) {
                ins.a64 = A64::Clobber { d };
            }
        }
    }
}
