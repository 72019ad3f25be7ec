//! The rule engine: hardening and vulnerability findings from one binary's
//! facts. Pure: facts (and, for the format-string rules, the listings of the
//! functions that call printf or scanf) in, findings out.
//!
//! Every rule is in [`RULES`] with its id, CWE, default severity and advice;
//! reports and SARIF describe rules from that table.

pub mod advisories;
mod args;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{BinaryFacts, Format, ListingLine, Relro};

/// How bad a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// One rule of the engine.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub cwe: Option<u32>,
    pub severity: Severity,
    pub title: &'static str,
    pub description: &'static str,
    pub recommendation: &'static str,
}

macro_rules! rule {
    ($id:literal, $name:literal, $cwe:expr, $sev:ident, $title:literal, $desc:literal, $rec:literal) => {
        Rule {
            id: $id,
            name: $name,
            cwe: $cwe,
            severity: Severity::$sev,
            title: $title,
            description: $desc,
            recommendation: $rec,
        }
    };
}

/// Every rule, by id.
pub const RULES: &[Rule] = &[
    rule!("BG101", "inherently-dangerous-call", Some(242), High, "Call to gets",
        "gets() reads a line into a buffer with no way to bound it; any long line overflows the buffer.",
        "Use fgets() with the buffer size, or getline()."),
    rule!("BG102", "unbounded-copy", Some(120), Medium, "Unbounded string copy or format",
        "strcpy, strcat, sprintf and vsprintf write without knowing the size of the destination.",
        "Use bounded forms (snprintf, strlcpy/strlcat, or memcpy with a checked length) and build with -D_FORTIFY_SOURCE=2."),
    rule!("BG103", "scanf-without-width", Some(120), Medium, "scanf-family %s or %[ without a field width",
        "A %s or %[ conversion without a width writes as many bytes as the input holds.",
        "Give every %s and %[ a width one less than the buffer (%63s), or use %ms and free the result."),
    rule!("BG104", "risky-call", Some(676), Low, "Call to a function that is easy to misuse",
        "mktemp, tmpnam and tempnam return names that another process can take first; strtok keeps hidden state.",
        "Use mkstemp/mkdtemp for temporary files and strtok_r where threads exist."),
    rule!("BG201", "command-execution", Some(78), Medium, "Command execution",
        "The binary runs commands through the shell or exec. If any part of the command comes from input, it can be made to run other commands.",
        "Avoid the shell: pass a fixed program and an argument vector (execve/posix_spawn), and validate any input that reaches it."),
    rule!("BG301", "non-literal-format", Some(134), High, "printf-family call with a non-literal format",
        "The format argument is not a string literal at the call site (heuristic). If it comes from input, %n and %s conversions read and write memory.",
        "Pass a literal format: printf(\"%s\", s) instead of printf(s); build with -Wformat-security."),
    rule!("BG401", "no-nx", Some(693), High, "Data is executable (no NX/DEP)",
        "The stack or data pages can be executed, so injected code runs directly.",
        "Link with -z noexecstack (ELF) or /NXCOMPAT (PE)."),
    rule!("BG402", "no-pie", Some(693), Medium, "Not position independent (no PIE/ASLR)",
        "The executable loads at a fixed address, so code-reuse attacks know where its gadgets are.",
        "Build with -fPIE -pie (ELF) or /DYNAMICBASE (PE)."),
    rule!("BG403", "no-stack-canary", Some(693), Medium, "No stack canaries",
        "No stack protector was found, so stack buffer overflows reach the return address unchecked.",
        "Build with -fstack-protector-strong."),
    rule!("BG404", "weak-relro", Some(693), Low, "Partial or no RELRO",
        "The GOT stays writable after start-up, so a memory-write bug can redirect library calls.",
        "Link with -Wl,-z,relro,-z,now (full RELRO)."),
    rule!("BG405", "no-fortify", Some(693), Low, "No FORTIFY_SOURCE",
        "The binary calls libc functions that have checked (_chk) variants but uses none of them.",
        "Build with -O2 -D_FORTIFY_SOURCE=2 (or 3)."),
    rule!("BG406", "executable-stack", Some(693), High, "Executable stack",
        "The program header asks for an executable stack.",
        "Link with -z noexecstack and find the object that asks for an executable stack (often assembly without .note.GNU-stack)."),
    rule!("BG407", "rwx-segment", Some(693), High, "Writable and executable segment",
        "A segment is mapped writable and executable at once.",
        "Split code and data into separate segments; check linker scripts and -z execstack/-N flags."),
    rule!("BG501", "packed-or-high-entropy-code", None, Medium, "Packed or high-entropy code",
        "An executable section has near-random content or a packer's name, so the code on disk is not the code that runs.",
        "Unpack the sample (e.g. upx -d) before analysis, and treat it as suspicious until its origin is known."),
    rule!("BG502", "process-injection-apis", None, High, "Process injection API combination",
        "The binary imports the APIs that together open another process, write into it and start a thread there.",
        "Confirm why the program writes into other processes; legitimate uses are rare outside debuggers and security tools."),
    rule!("BG503", "anti-debugging-apis", None, Medium, "Anti-debugging APIs",
        "The binary checks whether a debugger is attached.",
        "Expect the sample to behave differently under a debugger; analyse it statically or patch the checks."),
    rule!("BG601", "hard-coded-secret", Some(798), High, "Hard-coded secret",
        "A string looks like a credential: a private key, a cloud access key, a token or a password assignment.",
        "Remove the secret from the binary, rotate it, and load credentials at run time from a secret store."),
    rule!("BG602", "hard-coded-url", Some(547), Info, "Hard-coded URL",
        "The binary contains a URL; it may be an update server, a command-and-control address or documentation.",
        "Check where the URL points and whether it should be configurable."),
    rule!("BG603", "hard-coded-ip", Some(547), Low, "Hard-coded IP address",
        "The binary contains a literal IPv4 address.",
        "Check what the address is used for; make endpoints configurable."),
    rule!("BG701", "vulnerable-library-version", Some(1395), High, "Known-vulnerable library version",
        "An embedded version string names a library release with a published vulnerability.",
        "Upgrade the embedded library to the fixed release or later, and rebuild."),
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// Rule id (`BG102`).
    pub rule: String,
    /// Rule name (`unbounded-copy`).
    pub name: String,
    /// `CWE-120`.
    pub cwe: Option<String>,
    pub severity: Severity,
    pub title: String,
    /// Where: `function+0xoff (0xaddr)`, a section, a string, or `binary`.
    pub location: String,
    /// Entry address of the function the finding is in.
    pub function_addr: Option<u64>,
    pub function: Option<String>,
    /// The address the finding points at (a call site, a string).
    pub addr: Option<u64>,
    /// What was seen.
    pub evidence: Vec<String>,
    pub recommendation: String,
    /// For command execution: a call path from an entry point or export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// For library versions: the CVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
}

/// Functions whose listings the format-string rules need (callers of
/// printf- and scanf-family imports), at most `cap` of them.
pub fn listing_requests(facts: &BinaryFacts, cap: usize) -> Vec<u64> {
    let mut out: Vec<u64> = facts
        .code
        .import_calls
        .iter()
        .filter(|c| args::format_arg(&import_name(facts, &c.name)).is_some())
        .map(|c| c.caller)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    out.sort_unstable();
    out.truncate(cap);
    out
}

/// Run every rule. `listings` holds the disassembly of the functions
/// [`listing_requests`] named (missing ones are skipped by the format rules).
pub fn evaluate(facts: &BinaryFacts, listings: &HashMap<u64, Vec<ListingLine>>) -> Vec<Finding> {
    let cx = Cx::new(facts);
    let mut out = Vec::new();
    dangerous_calls(&cx, &mut out);
    command_execution(&cx, &mut out);
    format_strings(&cx, listings, &mut out);
    hardening(&cx, &mut out);
    packing(&cx, &mut out);
    windows_apis(&cx, &mut out);
    strings(&cx, &mut out);
    library_versions(&cx, &mut out);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.addr.cmp(&b.addr))
            .then_with(|| a.location.cmp(&b.location))
    });
    out
}

/// Import name without the Mach-O leading underscore.
fn import_name(facts: &BinaryFacts, name: &str) -> String {
    if facts.identity.format == Format::Macho {
        name.strip_prefix('_').unwrap_or(name).to_string()
    } else {
        name.to_string()
    }
}

struct Cx<'a> {
    facts: &'a BinaryFacts,
    names: HashMap<u64, &'a str>,
}

impl<'a> Cx<'a> {
    fn new(facts: &'a BinaryFacts) -> Self {
        let names = facts
            .code
            .functions
            .iter()
            .map(|f| (f.addr, f.name.as_str()))
            .collect();
        Cx { facts, names }
    }

    fn name(&self, addr: u64) -> String {
        self.names
            .get(&addr)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("sub_{addr:x}"))
    }

    fn at(&self, function: u64, site: u64) -> String {
        format!(
            "{}+{:#x} ({site:#x})",
            self.name(function),
            site.saturating_sub(function)
        )
    }

    fn finding(&self, id: &str, location: String) -> Finding {
        let r = rule(id).expect("rule ids are from RULES");
        Finding {
            rule: r.id.into(),
            name: r.name.into(),
            cwe: r.cwe.map(|c| format!("CWE-{c}")),
            severity: r.severity,
            title: r.title.into(),
            location,
            function_addr: None,
            function: None,
            addr: None,
            evidence: Vec::new(),
            recommendation: r.recommendation.into(),
            path: Vec::new(),
            cve: None,
        }
    }

    fn call_finding(&self, id: &str, caller: u64, site: u64, evidence: String) -> Finding {
        let mut f = self.finding(id, self.at(caller, site));
        f.function_addr = Some(caller);
        f.function = Some(self.name(caller));
        f.addr = Some(site);
        f.evidence.push(evidence);
        f
    }

    fn imported(&self) -> HashSet<String> {
        self.facts
            .imports
            .iter()
            .map(|i| import_name(self.facts, &i.name))
            .collect()
    }
}

const UNBOUNDED: &[&str] = &[
    "strcpy", "strcat", "sprintf", "vsprintf", "wcscpy", "wcscat", "lstrcpyA", "lstrcpyW",
    "lstrcatA", "lstrcatW", "StrCpyA", "StrCpyW",
];
const RISKY: &[&str] = &["mktemp", "tmpnam", "tempnam", "strtok"];
const COMMANDS: &[&str] = &[
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

fn dangerous_calls(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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

fn command_execution(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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
fn entry_paths(cx: &Cx<'_>) -> HashMap<u64, Option<u64>> {
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

fn path_to(parents: &HashMap<u64, Option<u64>>, to: u64) -> Option<Vec<u64>> {
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

fn format_strings(cx: &Cx<'_>, listings: &HashMap<u64, Vec<ListingLine>>, out: &mut Vec<Finding>) {
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

const FORTIFIABLE: &[&str] = &[
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

fn hardening(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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

const PACKER_SECTIONS: &[&str] = &[
    "UPX0", "UPX1", "UPX2", ".aspack", ".adata", ".MPRESS1", ".MPRESS2", ".petite", ".nsp0",
    ".nsp1", ".packed", ".themida", ".vmp0", ".vmp1",
];

fn packing(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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

fn windows_apis(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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

struct Patterns {
    secrets: Vec<(&'static str, Regex)>,
    url: Regex,
    ip: Regex,
}

fn patterns() -> &'static Patterns {
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
const MAX_STRING_FINDINGS: usize = 50;

fn strings(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let p = patterns();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut push = |id: &'static str,
                    s: &super::FoundString,
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
fn redact(s: &str) -> String {
    let keep: String = s.chars().take(8).collect();
    format!("{keep}… ({} characters)", s.chars().count())
}

fn library_versions(cx: &Cx<'_>, out: &mut Vec<Finding>) {
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
