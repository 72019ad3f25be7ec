//! Where a call's format argument comes from, read backwards from the call
//! site in the caller's listing (x86-64 System V and AArch64 only). A
//! heuristic: it follows register copies within a short window and does not
//! merge paths at branch targets.

use crate::analysis::{Arch, ListingLine};

/// The argument index of the format for printf- and scanf-family functions,
/// and whether it is a scanf (input) format.
pub fn format_arg(name: &str) -> Option<(usize, bool)> {
    let name = name
        .strip_prefix("__isoc99_")
        .or_else(|| name.strip_prefix("__isoc23_"))
        .unwrap_or(name);
    Some(match name {
        "printf" | "vprintf" | "warn" | "warnx" | "vwarn" | "vwarnx" => (0, false),
        "fprintf" | "vfprintf" | "dprintf" | "vdprintf" | "sprintf" | "vsprintf" | "syslog"
        | "vsyslog" | "err" | "errx" | "asprintf" | "vasprintf" | "__printf_chk"
        | "__vprintf_chk" => (1, false),
        "snprintf" | "vsnprintf" | "__fprintf_chk" | "__vfprintf_chk" | "__dprintf_chk"
        | "__syslog_chk" | "__vsyslog_chk" | "__asprintf_chk" => (2, false),
        "__sprintf_chk" | "__vsprintf_chk" => (3, false),
        "__snprintf_chk" | "__vsnprintf_chk" => (4, false),
        "scanf" | "vscanf" => (0, true),
        "fscanf" | "sscanf" | "vfscanf" | "vsscanf" => (1, true),
        _ => return None,
    })
}

/// Where the argument came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The address of static data; the text when the listing resolved it to a string.
    Literal(Option<String>),
    /// Loaded, computed or passed in: the instruction (or register) it came from.
    Computed(String),
    /// The window ran out, or the value is a constant that is not an address.
    Unknown,
}

const X64_ARGS: [&str; 6] = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];
const X64_VOLATILE: [&str; 9] = ["rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"];

/// How far back from the call site to look.
const WINDOW: usize = 24;

/// Trace argument `index` of the call at `site` back through `lines`.
pub fn origin(arch: &Arch, lines: &[ListingLine], site: u64, index: usize) -> Origin {
    let Some(at) = lines.iter().position(|l| l.addr == site) else {
        return Origin::Unknown;
    };
    let before = lines[..at].iter().rev().take(WINDOW);
    match arch {
        Arch::X86_64 => match X64_ARGS.get(index) {
            Some(reg) => trace_x64(before, reg, at <= WINDOW),
            None => Origin::Unknown,
        },
        Arch::Aarch64 if index < 8 => trace_a64(before, format!("x{index}"), at <= WINDOW),
        _ => Origin::Unknown,
    }
}

fn literal(l: &ListingLine) -> Origin {
    Origin::Literal(
        l.data
            .as_deref()
            .filter(|d| d.starts_with('"'))
            .map(String::from),
    )
}

fn text(l: &ListingLine) -> String {
    format!("{} {}", l.mnemonic, l.operands)
}

fn operands(l: &ListingLine) -> (String, String) {
    match l.operands.split_once(", ") {
        Some((d, s)) => (d.trim().to_string(), s.trim().to_string()),
        None => (l.operands.trim().to_string(), String::new()),
    }
}

/// 64-bit name of an x86-64 general register (`edi` → `rdi`), if it is one.
fn x64(r: &str) -> Option<String> {
    let r = r.trim();
    let base = match r {
        "rax" | "eax" | "ax" | "al" => "rax",
        "rbx" | "ebx" | "bx" | "bl" => "rbx",
        "rcx" | "ecx" | "cx" | "cl" => "rcx",
        "rdx" | "edx" | "dx" | "dl" => "rdx",
        "rsi" | "esi" | "si" | "sil" => "rsi",
        "rdi" | "edi" | "di" | "dil" => "rdi",
        "rbp" | "ebp" => "rbp",
        "rsp" | "esp" => "rsp",
        _ => {
            let n = r.strip_prefix('r')?;
            let digits: String = n.chars().take_while(|c| c.is_ascii_digit()).collect();
            let num: u8 = digits.parse().ok()?;
            if !(8..=15).contains(&num) || !matches!(&n[digits.len()..], "" | "d" | "w" | "b") {
                return None;
            }
            return Some(format!("r{num}"));
        }
    };
    Some(base.to_string())
}

fn trace_x64<'a>(
    before: impl Iterator<Item = &'a ListingLine>,
    reg: &str,
    reaches_start: bool,
) -> Origin {
    let mut reg = reg.to_string();
    for l in before {
        let m = l.mnemonic.as_str();
        if m.starts_with("call") {
            if reg == "rax" {
                return Origin::Computed(format!(
                    "the return value of {}",
                    l.target.as_deref().unwrap_or(&l.operands)
                ));
            }
            if X64_VOLATILE.contains(&reg.as_str()) {
                return Origin::Unknown;
            }
            continue;
        }
        let (dst, src) = operands(l);
        if x64(&dst).as_deref() != Some(reg.as_str()) {
            continue;
        }
        return match m {
            "lea" if src.contains("rip") => literal(l),
            "mov" | "movabs" => {
                if let Some(r) = x64(&src) {
                    reg = r;
                    continue;
                }
                if src.starts_with("0x") || src.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    match &l.data {
                        Some(_) => literal(l),
                        None => Origin::Unknown,
                    }
                } else {
                    Origin::Computed(text(l))
                }
            }
            "xor" if x64(&src).as_deref() == Some(reg.as_str()) => Origin::Unknown,
            _ => Origin::Computed(text(l)),
        };
    }
    if reaches_start && X64_ARGS.contains(&reg.as_str()) {
        return Origin::Computed(format!("{reg}, an argument of the calling function"));
    }
    Origin::Unknown
}

/// `x3`/`w3` → `x3`.
fn a64(r: &str) -> Option<String> {
    let r = r.trim();
    let n = r.strip_prefix('x').or_else(|| r.strip_prefix('w'))?;
    let num: u8 = n.parse().ok()?;
    (num <= 30).then(|| format!("x{num}"))
}

fn trace_a64<'a>(
    before: impl Iterator<Item = &'a ListingLine>,
    reg: String,
    reaches_start: bool,
) -> Origin {
    let mut reg = reg;
    let mut pending_data: Option<&ListingLine> = None;
    for l in before {
        let m = l.mnemonic.as_str();
        if m == "bl" || m == "blr" {
            if reg == "x0" && pending_data.is_none() {
                return Origin::Computed(format!(
                    "the return value of {}",
                    l.target.as_deref().unwrap_or(&l.operands)
                ));
            }
            let n: u8 = reg[1..].parse().unwrap_or(0);
            if n <= 18 {
                return Origin::Unknown;
            }
            continue;
        }
        let (dst, src) = operands(l);
        if a64(&dst).as_deref() != Some(reg.as_str()) {
            continue;
        }
        match m {
            "adrp" | "adr" => {
                let from = pending_data.filter(|p| p.data.is_some()).unwrap_or(l);
                return literal(from);
            }
            "add" => {
                // add xN, xM, #lo12 after adrp xM: keep going to the adrp.
                let first = src.split(", ").next().unwrap_or("");
                match a64(first) {
                    Some(r) => {
                        pending_data = Some(l);
                        reg = r;
                    }
                    None => return Origin::Computed(text(l)),
                }
            }
            "mov" => match a64(&src) {
                Some(r) => reg = r,
                None => return Origin::Unknown,
            },
            _ => return Origin::Computed(text(l)),
        }
    }
    let n: u8 = reg[1..].parse().unwrap_or(99);
    if reaches_start && n < 8 && pending_data.is_none() {
        return Origin::Computed(format!("{reg}, an argument of the calling function"));
    }
    Origin::Unknown
}

/// The first `%s` or `%[` conversion without a width in a scanf format, if any.
pub fn unbounded_conversion(format: &str) -> Option<&'static str> {
    let b = format.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        if b.get(i) == Some(&b'*') {
            i += 1; // assignment suppressed: nothing is written
            while i < b.len() && !b[i].is_ascii_alphabetic() && b[i] != b'[' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let width_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let mut has_width = i > width_start;
        while i < b.len() && matches!(b[i], b'h' | b'l' | b'L' | b'q' | b'j' | b'z' | b't' | b'm') {
            // %ms allocates the buffer itself.
            has_width |= b[i] == b'm';
            i += 1;
        }
        match b.get(i) {
            Some(b's') if !has_width => return Some("%s"),
            Some(b'[') if !has_width => return Some("%["),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(addr: u64, m: &str, o: &str, data: Option<&str>) -> ListingLine {
        ListingLine {
            addr,
            bytes: String::new(),
            mnemonic: m.into(),
            operands: o.into(),
            target: None,
            data: data.map(String::from),
        }
    }

    #[test]
    fn x64_literal_and_computed_formats() {
        let lit = [
            line(0, "lea", "rax, [rip + 0xe9c]", Some("\"%s\\n\"")),
            line(7, "mov", "rdi, rax", None),
            line(10, "mov", "eax, 0", None),
            line(15, "call", "0x1030", None),
        ];
        assert_eq!(
            origin(&Arch::X86_64, &lit, 15, 0),
            Origin::Literal(Some("\"%s\\n\"".into()))
        );
        let computed = [
            line(0, "mov", "rax, qword ptr [rbp - 0x18]", None),
            line(4, "mov", "rdi, rax", None),
            line(7, "call", "0x1030", None),
        ];
        assert!(matches!(
            origin(&Arch::X86_64, &computed, 7, 0),
            Origin::Computed(s) if s.contains("qword ptr")
        ));
        // A tail call straight to printf: the format is the caller's argument.
        let tail = [line(0, "jmp", "0x1030", None)];
        assert!(matches!(
            origin(&Arch::X86_64, &tail, 0, 0),
            Origin::Computed(_)
        ));
    }

    #[test]
    fn aarch64_adrp_add_is_literal() {
        let lines = [
            line(0, "adrp", "x0, #0x400000", None),
            line(4, "add", "x0, x0, #0x7a0", Some("\"%d\\n\"")),
            line(8, "bl", "#0x400500", None),
        ];
        assert_eq!(
            origin(&Arch::Aarch64, &lines, 8, 0),
            Origin::Literal(Some("\"%d\\n\"".into()))
        );
        let lines = [
            line(0, "ldr", "x0, [sp, #0x18]", None),
            line(4, "bl", "#0x400500", None),
        ];
        assert!(matches!(
            origin(&Arch::Aarch64, &lines, 4, 0),
            Origin::Computed(_)
        ));
    }

    #[test]
    fn scanf_widths() {
        assert_eq!(unbounded_conversion("%s"), Some("%s"));
        assert_eq!(unbounded_conversion("%d %[^\\n]"), Some("%["));
        assert_eq!(unbounded_conversion("%63s %d"), None);
        assert_eq!(unbounded_conversion("%*s %d %%s"), None);
        assert_eq!(unbounded_conversion("%ms"), None);
    }
}
