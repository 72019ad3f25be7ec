//! Mach-O loader (one slice; fat files are split in `mod.rs`).

use goblin::mach::{exports::ExportInfo, header, load_command::CommandVariant, MachO};

use super::elf::file_slice;
use super::image::{Image, Region, SlotTarget};
use super::model::*;
use super::{entropy, flags_str, Loaded, StringArea};

const MH_PIE: u32 = 0x200000;
const MH_ALLOW_STACK_EXECUTION: u32 = 0x20000;
const N_STAB: u8 = 0xe0;
const N_TYPE: u8 = 0x0e;
const N_SECT: u8 = 0x0e;
const N_EXT: u8 = 0x01;

/// Load one Mach-O image; `bytes` is the slice it was parsed from.
pub fn load<'a>(m: &MachO<'a>, bytes: &'a [u8], slice_offset: Option<u64>) -> Loaded<'a> {
    let arch = match m.header.cputype {
        7 => Arch::X86,
        0x0100_0007 => Arch::X86_64,
        12 => Arch::Arm,
        0x0100_000c | 0x0200_000c => Arch::Aarch64,
        t => Arch::Other(format!("macho-cpu-{t:#x}")),
    };
    let text_base = m
        .segments
        .iter()
        .find(|s| s.name().ok() == Some("__TEXT"))
        .map(|s| s.vmaddr)
        .unwrap_or(0);
    let entry = if m.entry == 0 {
        None
    } else if m.old_style_entry {
        Some(m.entry)
    } else {
        Some(text_base + m.entry)
    };
    let mut img = Image {
        arch: Some(arch),
        bits: if m.is_64 { 64 } else { 32 },
        big_endian: !m.little_endian,
        entry,
        ..Image::default()
    };
    let (sections, segments, areas) = layout(m, bytes, slice_offset, &mut img);
    img.finish();
    let (symbols, local_defined) = symbols(m, &mut img);
    let imports = imports(m, &mut img);
    let exports = exports(m, text_base, &mut img);
    let uuid = load_commands(m, bytes, text_base, &mut img);
    let identity = identity(m, &img, text_base, uuid, slice_offset);
    let hardening = hardening(m, &imports, &segments, local_defined);
    let libraries = m
        .libs
        .iter()
        .filter(|l| **l != "self")
        .map(|s| s.to_string())
        .collect();
    Loaded {
        identity,
        sections,
        segments,
        libraries,
        imports,
        exports,
        symbols,
        hardening,
        image: img,
        string_areas: areas,
    }
}

/// Segments, sections, the image's regions and where strings may be.
fn layout<'a>(
    m: &MachO<'a>,
    bytes: &'a [u8],
    slice_offset: Option<u64>,
    img: &mut Image<'a>,
) -> (Vec<Section>, Vec<Segment>, Vec<StringArea<'a>>) {
    let mut sections = Vec::new();
    let mut segments = Vec::new();
    let mut areas = Vec::new();
    for seg in m.segments.iter() {
        let segname = seg.name().unwrap_or("").to_string();
        let prot = seg.initprot;
        segments.push(Segment {
            name: segname.clone(),
            vaddr: seg.vmaddr,
            mem_size: seg.vmsize,
            file_offset: seg.fileoff,
            file_size: seg.filesize,
            flags: flags_str(prot & 1 != 0, prot & 2 != 0, prot & 4 != 0),
        });
        let Ok(secs) = seg.sections() else {
            img.warnings
                .push(format!("segment {segname}: sections unreadable"));
            continue;
        };
        for (s, _) in secs {
            let name = format!("{},{}", s.segname().unwrap_or(""), s.name().unwrap_or(""));
            let zerofill = matches!(s.flags & 0xff, 0x1 | 0xc | 0x12);
            let data = if zerofill {
                &[][..]
            } else {
                file_slice(bytes, u64::from(s.offset), s.size)
            };
            let exec = s.flags & 0x8000_0400 != 0
                || prot & 4 != 0 && segname == "__TEXT" && s.name().ok() == Some("__text");
            let write = prot & 2 != 0;
            sections.push(Section {
                name: name.clone(),
                vaddr: s.addr,
                size: s.size,
                file_offset: u64::from(s.offset),
                file_size: data.len() as u64,
                flags: flags_str(prot & 1 != 0, write, exec),
                entropy: entropy(data),
            });
            let sect = s.name().unwrap_or("");
            let stubs = matches!(
                sect,
                "__stubs" | "__auth_stubs" | "__stub_helper" | "__symbol_stub" | "__symbol_stub1"
            );
            img.regions.push(Region {
                name: name.clone(),
                vaddr: s.addr,
                size: s.size,
                data,
                exec,
                write,
                stubs,
            });
            if !exec
                && !data.is_empty()
                && matches!(
                    sect,
                    "__cstring"
                        | "__const"
                        | "__data"
                        | "__ustring"
                        | "__cfstring"
                        | "__objc_methname"
                        | "__oslogstring"
                )
            {
                areas.push(StringArea {
                    section: Some(name),
                    vaddr: Some(s.addr),
                    offset: u64::from(s.offset) + slice_offset.unwrap_or(0),
                    data,
                });
            }
        }
    }
    (sections, segments, areas)
}

/// The symbol table, and how many local symbols it defines (none: stripped).
fn symbols(m: &MachO<'_>, img: &mut Image<'_>) -> (Vec<Symbol>, usize) {
    let mut symbols = Vec::new();
    let mut local_defined = 0usize;
    for (name, n) in m.symbols().take(4_000_000).flatten() {
        if n.n_type & N_STAB != 0 || name.is_empty() {
            continue;
        }
        let defined = n.n_type & N_TYPE == N_SECT;
        let in_code = defined && img.is_code(n.n_value);
        if defined && n.n_type & N_EXT == 0 {
            local_defined += 1;
        }
        if in_code {
            img.add_seed(
                n.n_value,
                FunctionSource::Symbol,
                Some(name.to_string()),
                None,
            );
        }
        if defined {
            img.names
                .entry(n.n_value)
                .or_insert_with(|| name.to_string());
        }
        symbols.push(Symbol {
            name: name.to_string(),
            demangled: None,
            kind: if in_code {
                SymbolKind::Function
            } else if defined {
                SymbolKind::Object
            } else {
                SymbolKind::Other
            },
            binding: if n.n_type & N_EXT != 0 {
                "global"
            } else {
                "local"
            }
            .to_string(),
            addr: n.n_value,
            size: 0,
            defined,
            dynamic: n.n_type & N_EXT != 0,
        });
    }
    (symbols, local_defined)
}

/// Imports (bind opcodes) with their pointer slots.
fn imports(m: &MachO<'_>, img: &mut Image<'_>) -> Vec<Import> {
    let mut imports = Vec::new();
    match m.imports() {
        Ok(list) => {
            for i in list {
                let name = i.name.strip_prefix('_').unwrap_or(i.name).to_string();
                let lib = i.dylib.to_string();
                img.slots.insert(
                    i.address,
                    SlotTarget {
                        library: lib.clone(),
                        name: name.clone(),
                    },
                );
                imports.push(Import {
                    library: lib,
                    name,
                    slot: Some(i.address),
                    stub: None,
                    ordinal: None,
                });
            }
        }
        Err(e) => img.warnings.push(format!("mach-o imports unreadable: {e}")),
    }
    imports
}

/// Exports; exported code seeds discovery.
fn exports(m: &MachO<'_>, text_base: u64, img: &mut Image<'_>) -> Vec<Export> {
    let mut exports = Vec::new();
    if let Ok(list) = m.exports() {
        for e in list {
            let (addr, forward) = match e.info {
                ExportInfo::Regular { address, .. } => (text_base + address, None),
                ExportInfo::Reexport {
                    lib,
                    lib_symbol_name,
                    ..
                } => (
                    0,
                    Some(format!("{lib}.{}", lib_symbol_name.unwrap_or(&e.name))),
                ),
                ExportInfo::Stub { .. } => (0, None),
            };
            if forward.is_none() && img.is_code(addr) {
                img.add_seed(addr, FunctionSource::Export, Some(e.name.clone()), None);
            }
            exports.push(Export {
                name: e.name,
                addr,
                forward,
            });
        }
    }
    exports
}

/// The UUID; `LC_FUNCTION_STARTS` and the entry seed discovery.
fn load_commands(
    m: &MachO<'_>,
    bytes: &[u8],
    text_base: u64,
    img: &mut Image<'_>,
) -> Option<String> {
    let mut uuid = None;
    for lc in &m.load_commands {
        match &lc.command {
            CommandVariant::Uuid(u) => uuid = Some(hex::encode(u.uuid)),
            CommandVariant::FunctionStarts(fs) => {
                let data = file_slice(bytes, u64::from(fs.dataoff), u64::from(fs.datasize));
                let mut addr = text_base;
                let mut pos = 0;
                while let Some((delta, used)) = uleb128(&data[pos..]) {
                    pos += used;
                    if delta == 0 {
                        break;
                    }
                    addr = addr.wrapping_add(delta);
                    img.add_seed(addr, FunctionSource::FunctionStarts, None, None);
                }
            }
            _ => {}
        }
    }
    if let Some(e) = img.entry {
        img.add_seed(e, FunctionSource::Entry, None, None);
    }
    uuid
}

fn identity(
    m: &MachO<'_>,
    img: &Image<'_>,
    text_base: u64,
    uuid: Option<String>,
    slice_offset: Option<u64>,
) -> Identity {
    Identity {
        format: Format::Macho,
        arch: img.arch.clone().unwrap_or(Arch::Other("unknown".into())),
        bits: img.bits,
        endian: if m.little_endian {
            Endian::Little
        } else {
            Endian::Big
        },
        entry: img.entry,
        os_abi: "darwin".into(),
        kind: header::filetype_to_str(m.header.filetype)
            .trim_start_matches("MH_")
            .to_ascii_lowercase(),
        image_base: text_base,
        build_id: None,
        pdb_path: None,
        pdb_guid: None,
        macho_uuid: uuid,
        imphash: None,
        interpreter: None,
        soname: m.name.map(str::to_string),
        slice_offset,
    }
}

fn hardening(
    m: &MachO<'_>,
    imports: &[Import],
    segments: &[Segment],
    local_defined: usize,
) -> Hardening {
    let names = || imports.iter().map(|i| i.name.as_str());
    let exec_stack = m.header.flags & MH_ALLOW_STACK_EXECUTION != 0;
    Hardening {
        nx: !exec_stack,
        pie: m.header.flags & MH_PIE != 0 || m.header.filetype == header::MH_DYLIB,
        relro: None,
        canary: names().any(|n| n == "__stack_chk_fail" || n == "__stack_chk_guard"),
        fortify: names()
            .any(|n| n.starts_with("__") && n.ends_with("_chk") && n != "__stack_chk_fail"),
        fortified_functions: names()
            .filter(|n| n.starts_with("__") && n.ends_with("_chk") && *n != "__stack_chk_fail")
            .map(str::to_string)
            .collect(),
        rpath: m.rpaths.iter().map(|s| s.to_string()).collect(),
        runpath: Vec::new(),
        executable_stack: exec_stack,
        rwx_segments: segments
            .iter()
            .filter(|s| s.flags == "rwx")
            .map(|s| s.name.clone())
            .collect(),
        stripped: local_defined == 0,
        ..Hardening::default()
    }
}

/// Decode one unsigned LEB128 value; `None` at end of data or on overflow.
fn uleb128(data: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, b) in data.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}
