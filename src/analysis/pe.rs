//! PE loader: identity (PDB, imphash), sections, imports with IAT slots,
//! exports, COFF symbols, `.pdata` unwind ranges and mitigation flags.

use goblin::pe::{export::Reexport, section_table, PE};
use md5::{Digest, Md5};

use super::elf::file_slice;
use super::image::{Image, Region, SlotTarget};
use super::model::*;
use super::{entropy, flags_str, Loaded, StringArea};

const DLL_HIGH_ENTROPY_VA: u16 = 0x0020;
const DLL_DYNAMIC_BASE: u16 = 0x0040;
const DLL_NX_COMPAT: u16 = 0x0100;
const DLL_NO_SEH: u16 = 0x0400;
const DLL_GUARD_CF: u16 = 0x4000;

/// Load a parsed PE file.
pub fn load<'a>(pe: &PE<'a>, bytes: &'a [u8]) -> Loaded<'a> {
    let arch = match pe.header.coff_header.machine {
        0x14c => Arch::X86,
        0x8664 => Arch::X86_64,
        0x1c0 | 0x1c2 | 0x1c4 => Arch::Arm,
        0xaa64 => Arch::Aarch64,
        m => Arch::Other(format!("pe-machine-{m:#x}")),
    };
    let mut img = Image {
        arch: Some(arch),
        bits: if pe.is_64 { 64 } else { 32 },
        big_endian: false,
        entry: (pe.entry != 0).then_some(pe.image_base + u64::from(pe.entry)),
        ..Image::default()
    };
    let (sections, areas) = sections(pe, bytes, &mut img);
    img.finish();
    let (libraries, imports) = imports(pe, &mut img);
    let exports = exports(pe, &mut img);
    let symbols = coff_symbols(pe, bytes, &mut img);
    entry_tls_and_unwind(pe, &mut img);
    let identity = identity(pe, &img, &imports);
    let hardening = hardening(pe, &imports, &symbols, &sections);
    Loaded {
        identity,
        sections,
        segments: Vec::new(),
        libraries,
        imports,
        exports,
        symbols,
        hardening,
        image: img,
        string_areas: areas,
    }
}

/// Sections, the image's regions and where strings may be.
fn sections<'a>(
    pe: &PE<'a>,
    bytes: &'a [u8],
    img: &mut Image<'a>,
) -> (Vec<Section>, Vec<StringArea<'a>>) {
    let base = pe.image_base;
    let mut sections = Vec::new();
    let mut areas = Vec::new();
    for s in &pe.sections {
        let name = s.name().unwrap_or("").to_string();
        let raw = file_slice(
            bytes,
            u64::from(s.pointer_to_raw_data),
            u64::from(s.size_of_raw_data),
        );
        let vsize = if s.virtual_size == 0 {
            s.size_of_raw_data
        } else {
            s.virtual_size
        };
        let data = &raw[..raw.len().min(vsize as usize)];
        let c = s.characteristics;
        let exec = c & section_table::IMAGE_SCN_MEM_EXECUTE != 0
            || c & section_table::IMAGE_SCN_CNT_CODE != 0;
        let write = c & section_table::IMAGE_SCN_MEM_WRITE != 0;
        let read = c & section_table::IMAGE_SCN_MEM_READ != 0;
        let vaddr = base + u64::from(s.virtual_address);
        sections.push(Section {
            name: name.clone(),
            vaddr,
            size: u64::from(vsize),
            file_offset: u64::from(s.pointer_to_raw_data),
            file_size: raw.len() as u64,
            flags: flags_str(read, write, exec),
            entropy: entropy(raw),
        });
        img.regions.push(Region {
            name: name.clone(),
            vaddr,
            size: u64::from(vsize),
            data,
            exec,
            write,
            stubs: false,
        });
        if !exec && !data.is_empty() && !matches!(name.as_str(), ".reloc" | ".pdata" | ".xdata") {
            areas.push(StringArea {
                section: Some(name),
                vaddr: Some(vaddr),
                offset: u64::from(s.pointer_to_raw_data),
                data,
            });
        }
    }
    (sections, areas)
}

/// Imports with their IAT slots, and the libraries they come from.
fn imports(pe: &PE<'_>, img: &mut Image<'_>) -> (Vec<String>, Vec<Import>) {
    let base = pe.image_base;
    let mut imports = Vec::new();
    for i in &pe.imports {
        let slot = base + i.offset as u64;
        let ordinal_only = i.name.starts_with("ORDINAL ");
        img.slots.insert(
            slot,
            SlotTarget {
                library: i.dll.to_string(),
                name: i.name.to_string(),
            },
        );
        imports.push(Import {
            library: i.dll.to_string(),
            name: i.name.to_string(),
            slot: Some(slot),
            stub: None,
            ordinal: ordinal_only.then_some(i.ordinal),
        });
    }
    let mut libraries: Vec<String> = pe.libraries.iter().map(|s| s.to_string()).collect();
    libraries.dedup();
    (libraries, imports)
}

/// Exports; exported code seeds discovery.
fn exports(pe: &PE<'_>, img: &mut Image<'_>) -> Vec<Export> {
    let base = pe.image_base;
    let mut exports = Vec::new();
    for e in &pe.exports {
        let addr = base + e.rva as u64;
        let name = e
            .name
            .map(str::to_string)
            .unwrap_or_else(|| format!("export_{:x}", e.rva));
        let forward = e.reexport.as_ref().map(|r| match r {
            Reexport::DLLName { export, lib } => format!("{lib}.{export}"),
            Reexport::DLLOrdinal { ordinal, lib } => format!("{lib}.#{ordinal}"),
        });
        if forward.is_none() && img.is_code(addr) {
            img.add_seed(addr, FunctionSource::Export, Some(name.clone()), None);
            img.names.entry(addr).or_insert_with(|| name.clone());
        }
        exports.push(Export {
            name,
            addr,
            forward,
        });
    }
    exports
}

/// COFF symbols (MinGW keeps them unless stripped).
fn coff_symbols(pe: &PE<'_>, bytes: &[u8], img: &mut Image<'_>) -> Vec<Symbol> {
    let base = pe.image_base;
    let mut symbols = Vec::new();
    let coff = &pe.header.coff_header;
    if let (Ok(Some(table)), Ok(Some(strtab))) = (coff.symbols(bytes), coff.strings(bytes)) {
        for (_, inline_name, sym) in table.iter().take(2_000_000) {
            let name = match inline_name {
                Some(n) => n.to_string(),
                None => sym.name(&strtab).unwrap_or("").to_string(),
            };
            if name.is_empty() || name.starts_with('.') || sym.section_number <= 0 {
                continue;
            }
            let Some(sec) = pe.sections.get(sym.section_number as usize - 1) else {
                continue;
            };
            let addr = base + u64::from(sec.virtual_address) + u64::from(sym.value);
            let is_func = sym.derived_type() == 2;
            if sym.storage_class == 103 || sym.is_file() {
                continue;
            }
            let kind = if is_func {
                SymbolKind::Function
            } else {
                SymbolKind::Other
            };
            if is_func && img.is_code(addr) {
                img.add_seed(addr, FunctionSource::Symbol, Some(name.clone()), None);
            }
            if is_func {
                img.names.entry(addr).or_insert_with(|| name.clone());
            }
            symbols.push(Symbol {
                demangled: None,
                name,
                kind,
                binding: if sym.storage_class == 2 {
                    "global"
                } else {
                    "local"
                }
                .to_string(),
                addr,
                size: 0,
                defined: true,
                dynamic: false,
            });
        }
    }
    symbols
}

/// Entry, TLS callbacks, `.pdata` and base relocations seed discovery.
fn entry_tls_and_unwind(pe: &PE<'_>, img: &mut Image<'_>) {
    let base = pe.image_base;
    if let Some(e) = img.entry {
        img.add_seed(e, FunctionSource::Entry, None, None);
    }
    if let Some(tls) = &pe.tls_data {
        for cb in &tls.callbacks {
            if img.is_code(*cb) {
                img.add_seed(*cb, FunctionSource::InitArray, None, None);
            }
        }
    }
    // .pdata (x64 RUNTIME_FUNCTION: begin, end, unwind; 12 bytes each), read
    // through the image rather than goblin's iterator, which can panic on a
    // hostile directory size.
    let pdata = pe
        .header
        .optional_header
        .as_ref()
        .and_then(|o| o.data_directories.get_exception_table().copied());
    if let (Some(Arch::X86_64), Some(dir)) = (&img.arch, pdata) {
        let at = base + u64::from(dir.virtual_address);
        let data = img.bytes_from(at);
        let data = &data[..data.len().min(dir.size as usize)];
        let mut ranges = Vec::new();
        for e in data.chunks_exact(12).take(4_000_000) {
            let begin = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let end = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
            if end > begin && img.is_code(base + u64::from(begin)) {
                ranges.push((base + u64::from(begin), u64::from(end - begin)));
            }
        }
        // Chained unwind entries describe parts of one function; keep the first.
        ranges.sort();
        ranges.dedup_by_key(|r| r.0);
        for (s, l) in &ranges {
            img.add_seed(*s, FunctionSource::Unwind, None, Some(*l));
        }
        img.unwind = ranges;
    }
    load_base_relocations(pe, img);
}

fn identity(pe: &PE<'_>, img: &Image<'_>, imports: &[Import]) -> Identity {
    let opt = pe.header.optional_header.as_ref();
    let wf = opt.map(|o| &o.windows_fields);
    let subsystem = wf.map(|w| w.subsystem).unwrap_or(0);
    let (pdb_path, pdb_guid) = match pe
        .debug_data
        .as_ref()
        .and_then(|d| d.codeview_pdb70_debug_info.as_ref())
    {
        Some(cv) => {
            let path = String::from_utf8_lossy(cv.filename)
                .trim_end_matches('\0')
                .to_string();
            (
                Some(path),
                Some(format!("{}-{}", guid_str(&cv.signature), cv.age)),
            )
        }
        None => (None, None),
    };
    Identity {
        format: Format::Pe,
        arch: img.arch.clone().unwrap_or(Arch::Other("unknown".into())),
        bits: img.bits,
        endian: Endian::Little,
        entry: img.entry,
        os_abi: "windows".into(),
        kind: format!(
            "{}{}",
            if pe.is_lib { "dll/" } else { "exe/" },
            subsystem_str(subsystem)
        ),
        image_base: pe.image_base,
        build_id: None,
        pdb_path,
        pdb_guid,
        macho_uuid: None,
        imphash: (!imports.is_empty()).then(|| imphash(imports)),
        interpreter: None,
        soname: pe.name.map(str::to_string),
        slice_offset: None,
    }
}

fn hardening(
    pe: &PE<'_>,
    imports: &[Import],
    symbols: &[Symbol],
    sections: &[Section],
) -> Hardening {
    let opt = pe.header.optional_header.as_ref();
    let dllc = opt
        .map(|o| o.windows_fields.dll_characteristics)
        .unwrap_or(0);
    let coff = &pe.header.coff_header;
    let names = || {
        imports
            .iter()
            .map(|i| i.name.as_str())
            .chain(symbols.iter().map(|s| s.name.as_str()))
    };
    let lc = pe.load_config_data.as_ref();
    let has_cookie = lc
        .and_then(|l| l.directory.security_cookie)
        .is_some_and(|c| c != 0);
    let has_seh_table = lc
        .and_then(|l| l.directory.se_handler_count)
        .is_some_and(|c| c > 0);
    let cfg = dllc & DLL_GUARD_CF != 0;
    let nx = dllc & DLL_NX_COMPAT != 0;
    Hardening {
        nx,
        pie: dllc & DLL_DYNAMIC_BASE != 0,
        relro: None,
        canary: has_cookie
            || names().any(|n| n == "__stack_chk_fail" || n == "__security_check_cookie"),
        fortify: names()
            .any(|n| n.starts_with("__") && n.ends_with("_chk") && n != "__stack_chk_fail"),
        fortified_functions: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
        executable_stack: !nx,
        rwx_segments: sections
            .iter()
            .filter(|s| s.flags == "rwx")
            .map(|s| s.name.clone())
            .collect(),
        stripped: coff.pointer_to_symbol_table == 0,
        aslr: dllc & DLL_DYNAMIC_BASE != 0,
        dep: nx,
        cfg,
        // SafeSEH only means something for 32-bit images; 64-bit uses table-based unwinding.
        safe_seh: pe.is_64 || dllc & DLL_NO_SEH != 0 || has_seh_table,
        high_entropy_va: dllc & DLL_HIGH_ENTROPY_VA != 0,
        authenticode: !pe.certificates.is_empty(),
    }
}

/// Absolute pointers named by base relocations: values pointing into code are
/// function-start candidates (vtables, callback tables).
fn load_base_relocations(pe: &PE, img: &mut Image) {
    let Some(rd) = pe.relocation_data.as_ref() else {
        return;
    };
    let base = pe.image_base;
    let mut seeds = Vec::new();
    for block in rd.blocks().take(100_000).flatten() {
        for w in block.words().take(4096).flatten() {
            // Types 3 (HIGHLOW) and 10 (DIR64) hold absolute addresses.
            let kind = w.reloc_type();
            if kind != 3 && kind != 10 {
                continue;
            }
            let at = base + u64::from(block.rva) + u64::from(w.offset());
            if img.is_code(at) {
                continue; // absolute operands inside code, not data pointers
            }
            if let Some(v) = img.read_uint(at, if kind == 10 { 8 } else { 4 }) {
                if img.is_code(v) {
                    seeds.push(v);
                }
            }
        }
    }
    for v in seeds {
        img.add_seed(v, FunctionSource::Pointer, None, None);
    }
}

fn guid_str(g: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    format!("{d1:08X}{d2:04X}{d3:04X}{}", hex::encode_upper(&g[8..]))
}

fn subsystem_str(s: u16) -> &'static str {
    match s {
        1 => "native",
        2 => "windows_gui",
        3 => "windows_cui",
        9 => "windows_ce_gui",
        10 => "efi_application",
        11 => "efi_boot_service_driver",
        12 => "efi_runtime_driver",
        14 => "xbox",
        16 => "windows_boot_application",
        _ => "unknown",
    }
}

/// The imphash as pefile computes it: `lib.func` pairs, lower-case, extension
/// dropped, ordinals as `ordN`, joined by commas, MD5.
pub fn imphash(imports: &[Import]) -> String {
    let parts: Vec<String> = imports
        .iter()
        .map(|i| {
            let lib = i.library.to_ascii_lowercase();
            let lib = ["dll", "ocx", "sys"]
                .iter()
                .find_map(|ext| lib.strip_suffix(&format!(".{ext}")))
                .unwrap_or(&lib)
                .to_string();
            let func = match i.ordinal {
                Some(o) => format!("ord{o}"),
                None => i.name.to_ascii_lowercase(),
            };
            format!("{lib}.{func}")
        })
        .collect();
    hex::encode(Md5::digest(parts.join(",").as_bytes()))
}
