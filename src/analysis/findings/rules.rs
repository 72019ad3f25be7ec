//! The rules: dangerous and command-running calls (with a path from the
//! entry), format strings, hardening, packing, Windows APIs, secrets in
//! strings and vulnerable library versions.

use super::*;

pub(super) const UNBOUNDED: &[&str] = &[
    "strcpy", "strcat", "sprintf", "vsprintf", "wcscpy", "wcscat", "lstrcpyA", "lstrcpyW",
    "lstrcatA", "lstrcatW", "StrCpyA", "StrCpyW",
];

pub(super) const RISKY: &[&str] = &["mktemp", "tmpnam", "tempnam", "strtok"];

pub(super) const COMMANDS: &[&str] = &[
    "system",
    "popen",
    "execl",
    "execlp",
    "execle",
    "execv",
    "execvp",
    "execvpe",
    "execve",
    "execveat",
    "fexecve",
    "posix_spawn",
    "posix_spawnp",
    "WinExec",
    "CreateProcessA",
    "CreateProcessW",
    "CreateProcessAsUserA",
    "CreateProcessAsUserW",
    "ShellExecuteA",
    "ShellExecuteW",
    "ShellExecuteExA",
    "ShellExecuteExW",
    "_popen",
    "_wpopen",
    "_wsystem",
];

pub(super) fn dangerous_calls(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for c in &cx.facts.code.import_calls {
        let name = import_name(cx.facts, &c.name);
        let id = if name == "gets" || name == "_getws" {
            "BG101"
        } else if UNBOUNDED.contains(&name.as_str()) {
            "BG102"
        } else if RISKY.contains(&name.as_str()) {
            "BG104"
        } else {
            continue;
        };
        out.push(cx.call_finding(
            id,
            c.caller,
            c.site,
            format!("calls {name} at {:#x}", c.site),
        ));
    }
}

pub(super) fn command_execution(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let calls: Vec<_> = cx
        .facts
        .code
        .import_calls
        .iter()
        .filter(|c| COMMANDS.contains(&import_name(cx.facts, &c.name).as_str()))
        .collect();
    if calls.is_empty() {
        return;
    }
    let parents = entry_paths(cx);
    for c in calls {
        let name = import_name(cx.facts, &c.name);
        let mut f = cx.call_finding(
            "BG201",
            c.caller,
            c.site,
            format!("calls {name} at {:#x}", c.site),
        );
        if let Some(path) = path_to(&parents, c.caller) {
            f.path = path
                .iter()
                .map(|a| cx.name(*a))
                .chain([name.clone()])
                .collect();
            f.evidence
                .push(format!("reachable: {}", f.path.join(" -> ")));
            f.severity = Severity::High;
        }
        out.push(f);
    }
}

/// Breadth-first parents over direct calls, from the entry point, `main` and exports.
pub(super) fn entry_paths(cx: &Cx<'_>) -> HashMap<u64, Option<u64>> {
    let mut callees: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for e in &cx.facts.code.calls {
        callees.entry(e.caller).or_default().push(e.callee);
    }
    let roots = cx
        .facts
        .identity
        .entry
        .into_iter()
        .chain(cx.facts.code.main)
        .chain(cx.facts.exports.iter().map(|e| e.addr));
    let mut parent: HashMap<u64, Option<u64>> = HashMap::new();
    let mut queue = VecDeque::new();
    for r in roots {
        if cx.names.contains_key(&r) && parent.insert(r, None).is_none() {
            queue.push_back(r);
        }
    }
    while let Some(f) = queue.pop_front() {
        for &t in callees.get(&f).into_iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(t) {
                v.insert(Some(f));
                queue.push_back(t);
            }
        }
    }
    parent
}

pub(super) fn path_to(parents: &HashMap<u64, Option<u64>>, to: u64) -> Option<Vec<u64>> {
    let mut path = vec![to];
    let mut at = to;
    loop {
        match parents.get(&at)? {
            None => break,
            Some(p) => {
                if path.len() > 64 {
                    break;
                }
                path.push(*p);
                at = *p;
            }
        }
    }
    path.reverse();
    Some(path)
}

pub(super) fn format_strings(
    cx: &Cx<'_>,
    listings: &HashMap<u64, Vec<ListingLine>>,
    out: &mut Vec<Finding>,
) {
    let arch = &cx.facts.identity.arch;
    for c in &cx.facts.code.import_calls {
        let name = import_name(cx.facts, &c.name);
        let Some((index, scan)) = args::format_arg(&name) else {
            continue;
        };
        let Some(lines) = listings.get(&c.caller) else {
            continue;
        };
        match args::origin(arch, lines, c.site, index) {
            args::Origin::Literal(Some(text)) if scan => {
                if let Some(conv) = args::unbounded_conversion(&text) {
                    out.push(cx.call_finding(
                        "BG103",
                        c.caller,
                        c.site,
                        format!("{name} format {text} has {conv} without a width"),
                    ));
                }
            }
            args::Origin::Computed(how) if !scan => {
                out.push(cx.call_finding(
                    "BG301",
                    c.caller,
                    c.site,
                    format!("{name} at {:#x} takes its format from `{how}`", c.site),
                ));
            }
            _ => {}
        }
    }
}

pub(super) const FORTIFIABLE: &[&str] = &[
    "memcpy",
    "memmove",
    "memset",
    "strcpy",
    "strcat",
    "strncpy",
    "strncat",
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "gets",
    "fgets",
    "read",
    "recv",
    "stpcpy",
];

pub(super) fn hardening(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let f = cx.facts;
    let h = &f.hardening;
    let kind = f.identity.kind.as_str();
    let mut add = |id: &str, evidence: String| {
        let mut x = cx.finding(id, "binary".into());
        x.evidence.push(evidence);
        out.push(x);
    };
    match f.identity.format {
        Format::Elf => {
            let executable = kind == "exec" || kind == "dyn" && f.identity.interpreter.is_some();
            if !h.nx {
                add(
                    "BG401",
                    "no PT_GNU_STACK marking the stack non-executable".into(),
                );
            }
            if kind == "exec" && !h.pie {
                add("BG402", "ELF type EXEC: loaded at a fixed address".into());
            }
            if executable && !h.canary && !f.imports.is_empty() {
                add("BG403", "no __stack_chk_fail import".into());
            }
            match h.relro {
                Some(Relro::None) => add("BG404", "no PT_GNU_RELRO segment".into()),
                Some(Relro::Partial) => add(
                    "BG404",
                    "PT_GNU_RELRO without BIND_NOW (partial RELRO)".into(),
                ),
                _ => {}
            }
            if !h.fortify {
                let imported = cx.imported();
                let plain: Vec<&str> = FORTIFIABLE
                    .iter()
                    .copied()
                    .filter(|n| imported.contains(*n))
                    .collect();
                if !plain.is_empty() {
                    add(
                        "BG405",
                        format!("imports {} and no __*_chk variant", plain.join(", ")),
                    );
                }
            }
            if h.executable_stack {
                add("BG406", "PT_GNU_STACK has the X flag".into());
            }
        }
        Format::Pe => {
            if !h.dep {
                add("BG401", "DllCharacteristics lacks NX_COMPAT".into());
            }
            if !h.aslr {
                add("BG402", "DllCharacteristics lacks DYNAMIC_BASE".into());
            }
        }
        Format::Macho => {
            if kind == "execute" && !h.pie {
                add("BG402", "MH_PIE is not set".into());
            }
            if h.executable_stack {
                add("BG406", "MH_ALLOW_STACK_EXECUTION is set".into());
            }
        }
    }
    for seg in &h.rwx_segments {
        let mut x = cx.finding("BG407", format!("segment {seg}"));
        x.evidence.push(format!("{seg} is mapped rwx"));
        out.push(x);
    }
}

pub(super) const PACKER_SECTIONS: &[&str] = &[
    "UPX0", "UPX1", "UPX2", ".aspack", ".adata", ".MPRESS1", ".MPRESS2", ".petite", ".nsp0",
    ".nsp1", ".packed", ".themida", ".vmp0", ".vmp1",
];

pub(super) fn packing(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for s in &cx.facts.sections {
        let packer = PACKER_SECTIONS.contains(&s.name.as_str());
        let dense = s.flags.contains('x') && s.file_size >= 1024 && s.entropy >= 7.2;
        if packer || dense {
            let mut f = cx.finding("BG501", format!("section {}", s.name));
            f.addr = Some(s.vaddr);
            if packer {
                f.evidence
                    .push(format!("section name {} belongs to a known packer", s.name));
            }
            if dense {
                f.evidence.push(format!(
                    "executable section {} has entropy {:.2} bits/byte (compiled code is usually 5.5-6.8)",
                    s.name, s.entropy
                ));
            }
            out.push(f);
        }
    }
}

pub(super) fn windows_apis(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let imported = cx.imported();
    let has = |n: &str| {
        imported.contains(n)
            || imported.contains(&format!("{n}A"))
            || imported.contains(&format!("{n}W"))
    };
    // The steps of an injection: open a process, put code in it, run it.
    const OPEN: &[&str] = &["OpenProcess"];
    const ALLOC: &[&str] = &[
        "VirtualAllocEx",
        "NtAllocateVirtualMemory",
        "NtMapViewOfSection",
        "MapViewOfFile2",
    ];
    const WRITE: &[&str] = &["WriteProcessMemory", "NtWriteVirtualMemory"];
    const RUN: &[&str] = &[
        "CreateRemoteThread",
        "CreateRemoteThreadEx",
        "NtCreateThreadEx",
        "RtlCreateUserThread",
        "QueueUserAPC",
        "SetThreadContext",
    ];
    let any = |set: &[&str]| set.iter().any(|n| has(n));
    if any(OPEN) && (any(ALLOC) || any(WRITE)) && any(RUN) {
        let mut f = cx.finding("BG502", "imports".into());
        let mut seen: Vec<&str> = [OPEN, ALLOC, WRITE, RUN]
            .concat()
            .into_iter()
            .filter(|n| has(n))
            .collect();
        seen.sort();
        f.evidence.push(format!("imports {}", seen.join(", ")));
        out.push(f);
    }
    let anti: Vec<&str> = [
        "IsDebuggerPresent",
        "CheckRemoteDebuggerPresent",
        "NtQueryInformationProcess",
        "ZwQueryInformationProcess",
        "OutputDebugString",
        "NtSetInformationThread",
    ]
    .into_iter()
    .filter(|n| has(n))
    .collect();
    let linux_anti = cx.facts.identity.format == Format::Elf
        && imported.contains("ptrace")
        && cx
            .facts
            .strings
            .iter()
            .any(|s| s.value.contains("TracerPid"));
    if !anti.is_empty() || linux_anti {
        let mut f = cx.finding("BG503", "imports".into());
        if !anti.is_empty() {
            f.evidence.push(format!("imports {}", anti.join(", ")));
        }
        if linux_anti {
            f.evidence.push("imports ptrace and reads TracerPid".into());
        }
        out.push(f);
    }
}

pub(super) struct Patterns {
    secrets: Vec<(&'static str, Regex)>,
    url: Regex,
    ip: Regex,
}

pub(super) fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("finding pattern is valid");
        Patterns {
            secrets: vec![
                ("private key", r(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
                ("AWS access key id", r(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
                ("GitHub token", r(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
                ("Slack token", r(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
                ("Google API key", r(r"\bAIza[0-9A-Za-z_-]{35}\b")),
                ("JSON web token", r(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
                ("password assignment", r(r#"(?i)\b(?:password|passwd|pwd|secret|api_?key|token)\s*[:=]\s*["']?[^\s"'%]{6,}"#)),
            ],
            url: r(r#"\b(?:https?|ftp)://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s"'<>]*)?"#),
            ip: r(r"(?:^|[^0-9.])((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})(?:$|[^0-9.])"),
        }
    })
}

/// Most findings of one string rule per binary; the rest are counted.
pub(super) const MAX_STRING_FINDINGS: usize = 50;

pub(super) fn strings(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let p = patterns();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut push = |id: &'static str,
                    s: &super::super::FoundString,
                    evidence: String,
                    key: String,
                    out: &mut Vec<Finding>| {
        if !seen.insert((id, key)) {
            return;
        }
        let n = counts.entry(id).or_default();
        *n += 1;
        if *n > MAX_STRING_FINDINGS {
            return;
        }
        let mut f = cx.finding(
            id,
            match s.addr {
                Some(a) => format!("string at {a:#x}"),
                None => format!("string at file offset {:#x}", s.offset),
            },
        );
        f.addr = s.addr;
        f.evidence.push(evidence);
        out.push(f);
    };
    for s in &cx.facts.strings {
        let v = s.value.as_str();
        if v.len() > 4096 {
            continue;
        }
        for (what, re) in &p.secrets {
            if let Some(m) = re.find(v) {
                push(
                    "BG601",
                    s,
                    format!("{what}: {}", redact(m.as_str())),
                    m.as_str().to_string(),
                    out,
                );
                break;
            }
        }
        if let Some(m) = p.url.find(v) {
            let url = m.as_str();
            // Schema and DTD identifiers are not endpoints.
            if !url.contains("www.w3.org/") && !url.contains("schemas.") && url.len() > 10 {
                push("BG602", s, url.to_string(), url.to_string(), out);
            }
        }
        for c in p.ip.captures_iter(v) {
            let ip = &c[1];
            if matches!(ip, "0.0.0.0" | "255.255.255.255") || ip.starts_with("127.") {
                continue;
            }
            // Version strings ("version 1.2.3.4") are not addresses.
            let lower = v.to_ascii_lowercase();
            if lower.contains("version") || lower.contains(&format!("v{ip}")) {
                continue;
            }
            push("BG603", s, ip.to_string(), ip.to_string(), out);
        }
    }
    for (id, n) in counts {
        if n > MAX_STRING_FINDINGS {
            if let Some(last) = out.iter_mut().rev().find(|f| f.rule == id) {
                last.evidence.push(format!("{} more strings matched this rule; only the first {MAX_STRING_FINDINGS} are listed", n - MAX_STRING_FINDINGS));
            }
        }
    }
}

/// Show the shape of a secret, not the secret.
pub(super) fn redact(s: &str) -> String {
    let keep: String = s.chars().take(8).collect();
    format!("{keep}… ({} characters)", s.chars().count())
}

pub(super) fn library_versions(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for s in &cx.facts.strings {
        if s.value.len() > 512 {
            continue;
        }
        for d in advisories::detect(&s.value) {
            for a in advisories::affecting(&d.product, &d.version) {
                if !seen.insert((a.cve.clone(), d.version.clone())) {
                    continue;
                }
                let mut f = cx.finding("BG701", format!("{} {}", d.product, d.version));
                f.title = format!("{} {} is affected by {}", d.product, d.version, a.cve);
                f.severity = Severity::parse(&a.severity).unwrap_or(Severity::High);
                f.addr = s.addr;
                f.cve = Some(a.cve.clone());
                f.evidence.push(format!("version string {:?}", s.value));
                f.evidence.push(a.summary.clone());
                let fixed: Vec<&str> = a.ranges.iter().map(|r| r.fixed.as_str()).collect();
                f.recommendation = format!(
                    "Upgrade {} to a fixed release ({}) or later, and rebuild.",
                    d.product,
                    fixed.join(", ")
                );
                out.push(f);
            }
        }
    }
}
