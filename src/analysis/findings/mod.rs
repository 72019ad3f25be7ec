//! The rule engine: hardening and vulnerability findings from one binary's
//! facts. Pure: facts (and, for the format-string rules, the listings of the
//! functions that call printf or scanf) in, findings out.
//!
//! Every rule is in [`RULES`] with its id, CWE, default severity and advice;
//! reports and SARIF describe rules from that table.

pub mod advisories;
mod args;
mod rules;

use rules::*;

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
