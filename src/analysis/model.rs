//! The facts the analysis core produces for one binary (one slice of a fat file).
//!
//! Everything here is plain data with serde derives: the service writes it to
//! the graph, the CLI prints it as JSON, tests assert on it.

use serde::{Deserialize, Serialize};

/// Container format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Elf,
    Pe,
    Macho,
}

impl Format {
    /// Lower-case name as stored in the graph (`elf`, `pe`, `macho`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::Pe => "pe",
            Format::Macho => "macho",
        }
    }
}

/// Instruction set. The first four are disassembled; the others are named only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86,
    #[serde(rename = "x86-64")]
    X86_64,
    Arm,
    Aarch64,
    /// Recognised but not disassembled (e.g. `mips`, `riscv64`, `powerpc64`).
    Other(String),
}

impl Arch {
    /// Name as stored in the graph.
    pub fn name(&self) -> &str {
        match self {
            Arch::X86 => "x86",
            Arch::X86_64 => "x86-64",
            Arch::Arm => "arm",
            Arch::Aarch64 => "aarch64",
            Arch::Other(s) => s,
        }
    }

    /// Whether the code core can disassemble this architecture.
    pub fn is_supported(&self) -> bool {
        !matches!(self, Arch::Other(_))
    }
}

/// Byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    Little,
    Big,
}

/// Hashes and basic identity of the whole input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: u64,
}

/// Identity of one binary (one slice of a fat Mach-O, or the whole file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub format: Format,
    pub arch: Arch,
    pub bits: u8,
    pub endian: Endian,
    /// Entry point virtual address, as in the file (no rebasing).
    pub entry: Option<u64>,
    /// ELF OS/ABI, "windows" for PE, "darwin" for Mach-O.
    pub os_abi: String,
    /// ELF type (`exec`, `dyn`, `rel`, `core`), PE subsystem, Mach-O filetype.
    pub kind: String,
    /// Preferred load address (PE image base, lowest ELF/Mach-O segment).
    pub image_base: u64,
    pub build_id: Option<String>,
    pub pdb_path: Option<String>,
    pub pdb_guid: Option<String>,
    pub macho_uuid: Option<String>,
    pub imphash: Option<String>,
    /// ELF interpreter, PE/Mach-O install name where present.
    pub interpreter: Option<String>,
    pub soname: Option<String>,
    /// For a slice of a fat Mach-O: its byte offset in the file.
    pub slice_offset: Option<u64>,
}

/// A section (ELF/PE/Mach-O) with its entropy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    pub name: String,
    pub vaddr: u64,
    pub size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    /// `r`, `w`, `x` letters, as in `r-x`.
    pub flags: String,
    pub entropy: f64,
}

/// A loadable segment (ELF program header, Mach-O segment).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub name: String,
    pub vaddr: u64,
    pub mem_size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    pub flags: String,
}

/// An imported function or object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// Library it comes from; ELF imports name the library only when symbol
    /// versioning says which one, else `*`.
    pub library: String,
    pub name: String,
    /// The GOT slot (ELF), IAT slot (PE) or pointer slot (Mach-O).
    pub slot: Option<u64>,
    /// The PLT entry or stub that jumps through the slot, when found.
    pub stub: Option<u64>,
    pub ordinal: Option<u16>,
}

/// An exported symbol.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub addr: u64,
    /// PE forwarder (`DLL.Name`) if the export is re-exported.
    pub forward: Option<String>,
}

/// Symbol kind, as far as the format says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    Function,
    Object,
    Section,
    File,
    Tls,
    Other,
}

/// A static or dynamic symbol.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Symbol {
    /// Raw (mangled) name.
    pub name: String,
    /// Demangled name, when the raw one is a C++ or Rust mangled name.
    pub demangled: Option<String>,
    pub kind: SymbolKind,
    /// `local`, `global`, `weak`.
    pub binding: String,
    pub addr: u64,
    pub size: u64,
    /// `false` for undefined (imported) symbols.
    pub defined: bool,
    /// `true` when it came from the dynamic symbol table (survives `strip`).
    pub dynamic: bool,
}

/// A string found in the file's mapped data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FoundString {
    pub addr: Option<u64>,
    pub offset: u64,
    pub section: Option<String>,
    /// `ascii` or `utf16le`.
    pub encoding: String,
    pub value: String,
}

/// RELRO level of an ELF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relro {
    None,
    Partial,
    Full,
}

/// Exploit mitigations and their absence.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hardening {
    pub nx: bool,
    pub pie: bool,
    pub relro: Option<Relro>,
    pub canary: bool,
    pub fortify: bool,
    /// Names of the `__*_chk` functions imported (FORTIFY evidence).
    pub fortified_functions: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub executable_stack: bool,
    pub rwx_segments: Vec<String>,
    pub stripped: bool,
    // PE only (false elsewhere).
    pub aslr: bool,
    pub dep: bool,
    pub cfg: bool,
    pub safe_seh: bool,
    pub high_entropy_va: bool,
    pub authenticode: bool,
}

/// Where a function start was learnt from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionSource {
    Symbol,
    Export,
    Entry,
    Main,
    Unwind,
    FunctionStarts,
    InitArray,
    Call,
    TailCall,
    Pointer,
    Gap,
}

/// A basic block: `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub start: u64,
    pub end: u64,
    pub instructions: u32,
}

/// Kind of control-flow edge inside a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Fallthrough,
    Jump,
    True,
    False,
    Switch,
}

/// A CFG edge between two blocks (by start address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CfgEdge {
    pub from: u64,
    pub to: u64,
    pub kind: EdgeKind,
}

/// A recovered function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Function {
    pub addr: u64,
    pub size: u64,
    pub name: String,
    pub demangled: Option<String>,
    pub source: FunctionSource,
    /// Thumb state (ARM only).
    pub thumb: bool,
    pub blocks: Vec<Block>,
    pub edges: Vec<CfgEdge>,
    pub instructions: u32,
    pub cyclomatic: u32,
    pub indirect_calls: u32,
    /// The function body decoded with errors (bad opcode, ran off a section).
    pub incomplete: bool,
}

/// How a call reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    Call,
    TailCall,
}

/// A direct call (or tail call) between two functions of the same binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEdge {
    pub caller: u64,
    pub callee: u64,
    pub site: u64,
    pub kind: CallKind,
}

/// A call to an imported function, through a PLT/IAT/stub or the slot itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCall {
    pub caller: u64,
    pub site: u64,
    pub library: String,
    pub name: String,
    pub kind: CallKind,
}

/// Kind of data reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Read,
    Write,
    AddressOf,
}

/// A reference from code to data (a string or a global).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRef {
    pub function: u64,
    pub site: u64,
    pub target: u64,
    pub kind: RefKind,
    /// Set when the target is the start of a found string.
    pub string: Option<String>,
    /// Name of the symbol at the target, when there is one.
    pub symbol: Option<String>,
}

/// Code facts: functions, call edges, data references.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CodeFacts {
    pub functions: Vec<Function>,
    pub calls: Vec<CallEdge>,
    pub import_calls: Vec<ImportCall>,
    pub data_refs: Vec<DataRef>,
    pub instructions: u64,
    /// Address of `main` when recognised from the entry stub.
    pub main: Option<u64>,
}

/// Everything the core learnt about one binary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BinaryFacts {
    pub hashes: Hashes,
    pub identity: Identity,
    pub sections: Vec<Section>,
    pub segments: Vec<Segment>,
    pub libraries: Vec<String>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub symbols: Vec<Symbol>,
    pub strings: Vec<FoundString>,
    pub hardening: Hardening,
    pub code: CodeFacts,
    /// Problems met on the way; the facts above are still valid but may be partial.
    pub warnings: Vec<String>,
    /// Where the time went (not part of the facts: never serialized).
    #[serde(skip)]
    pub stages: Stages,
}

/// Milliseconds spent in each stage of one analysis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stages {
    /// Parsing headers, sections, symbols, imports and exports.
    pub load_ms: u64,
    pub strings_ms: u64,
    /// Function discovery and disassembly.
    pub discovery_ms: u64,
    /// CFGs, call edges and data references from the decoded bodies.
    pub build_ms: u64,
}

/// One line of a disassembly listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingLine {
    pub addr: u64,
    pub bytes: String,
    pub mnemonic: String,
    pub operands: String,
    /// Name of the call or jump target (function or import), if direct.
    pub target: Option<String>,
    /// Data referenced, shown as a symbol name or a quoted string.
    pub data: Option<String>,
}
