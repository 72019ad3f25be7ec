//! ELF loader: identity, layout, linking, symbols, hardening, and the code image.

use std::collections::HashMap;

use goblin::elf::{dynamic, header, program_header as ph, section_header as sh, sym, Elf};

use super::image::{Image, Region, SlotTarget};
use super::model::*;
use super::{entropy, flags_str, unwind, Loaded, StringArea};

/// Load a parsed ELF file.
pub fn load<'a>(elf: &Elf<'a>, bytes: &'a [u8]) -> Loaded<'a> {
    let mut img = Image {
        arch: Some(arch_of(elf.header.e_machine)),
        bits: if elf.is_64 { 64 } else { 32 },
        big_endian: !elf.little_endian,
        entry: (elf.entry != 0).then_some(elf.entry),
        ..Image::default()
    };
    let (sections, segments, areas) = layout(elf, bytes, &mut img);
    img.finish();
    let symbols = symbols(elf, &mut img);
    let (libraries, mut imports, import_idx, exports) = imports_exports(elf, &mut img);
    relocations(elf, &mut img, &mut imports, &import_idx);
    let dynamic = entry_and_dynamic(elf, &mut img);
    unwind::load_eh_frame(elf, bytes, &mut img);
    unwind::load_arm_exidx(elf, &mut img);
    let identity = identity(elf, bytes, &img);
    let hardening = hardening(elf, &imports, &symbols, dynamic);
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

/// Sections, segments, the image's regions (from the sections, or the
/// loadable segments when there are none) and where strings may be.
fn layout<'a>(
    elf: &Elf<'a>,
    bytes: &'a [u8],
    img: &mut Image<'a>,
) -> (Vec<Section>, Vec<Segment>, Vec<StringArea<'a>>) {
    let mut sections = Vec::new();
    let mut areas = Vec::new();
    for s in &elf.section_headers {
        let name = elf.shdr_strtab.get_at(s.sh_name).unwrap_or("").to_string();
        let data = if s.sh_type == sh::SHT_NOBITS {
            &[][..]
        } else {
            file_slice(bytes, s.sh_offset, s.sh_size)
        };
        let exec = s.sh_flags & u64::from(sh::SHF_EXECINSTR) != 0;
        let write = s.sh_flags & u64::from(sh::SHF_WRITE) != 0;
        let alloc = s.sh_flags & u64::from(sh::SHF_ALLOC) != 0;
        if s.sh_type == sh::SHT_NULL {
            continue;
        }
        sections.push(Section {
            name: name.clone(),
            vaddr: s.sh_addr,
            size: s.sh_size,
            file_offset: s.sh_offset,
            file_size: data.len() as u64,
            flags: flags_str(alloc, write, exec),
            entropy: entropy(data),
        });
        if alloc && s.sh_addr != 0 {
            let stubs = exec && is_stub_section(&name);
            img.regions.push(Region {
                name: name.clone(),
                vaddr: s.sh_addr,
                size: s.sh_size,
                data,
                exec,
                write,
                stubs,
            });
            if !exec && !data.is_empty() && !is_metadata_section(&name) {
                areas.push(StringArea {
                    section: Some(name.clone()),
                    vaddr: Some(s.sh_addr),
                    offset: s.sh_offset,
                    data,
                });
            }
        }
    }
    let mut segments = Vec::new();
    for p in &elf.program_headers {
        let flags = flags_str(
            p.p_flags & ph::PF_R != 0,
            p.p_flags & ph::PF_W != 0,
            p.p_flags & ph::PF_X != 0,
        );
        segments.push(Segment {
            name: ph::pt_to_str(p.p_type).to_string(),
            vaddr: p.p_vaddr,
            mem_size: p.p_memsz,
            file_offset: p.p_offset,
            file_size: p.p_filesz,
            flags,
        });
    }
    // Without section headers, map the loadable segments instead.
    if img.regions.is_empty() {
        img.warnings
            .push("no section headers: using program headers for layout".into());
        for p in elf
            .program_headers
            .iter()
            .filter(|p| p.p_type == ph::PT_LOAD)
        {
            let data = file_slice(bytes, p.p_offset, p.p_filesz);
            let exec = p.p_flags & ph::PF_X != 0;
            img.regions.push(Region {
                name: format!("LOAD@{:#x}", p.p_vaddr),
                vaddr: p.p_vaddr,
                size: p.p_memsz,
                data,
                exec,
                write: p.p_flags & ph::PF_W != 0,
                stubs: false,
            });
            if !exec {
                areas.push(StringArea {
                    section: None,
                    vaddr: Some(p.p_vaddr),
                    offset: p.p_offset,
                    data,
                });
            }
        }
    }
    (sections, segments, areas)
}

/// The static and dynamic symbol tables; function symbols seed discovery.
fn symbols(elf: &Elf<'_>, img: &mut Image<'_>) -> Vec<Symbol> {
    let is_arm = img.arch == Some(Arch::Arm);
    let mut symbols = Vec::new();
    let mut push_syms = |tab: &goblin::elf::Symtab,
                         strtab: &goblin::strtab::Strtab,
                         dynamic: bool,
                         img: &mut Image| {
        for s in tab.iter() {
            let name = strtab.get_at(s.st_name).unwrap_or("");
            if name.is_empty() || name.starts_with('$') {
                continue;
            }
            let kind = match s.st_type() {
                sym::STT_FUNC | sym::STT_GNU_IFUNC => SymbolKind::Function,
                sym::STT_OBJECT | sym::STT_COMMON => SymbolKind::Object,
                sym::STT_SECTION => SymbolKind::Section,
                sym::STT_FILE => SymbolKind::File,
                sym::STT_TLS => SymbolKind::Tls,
                _ => SymbolKind::Other,
            };
            let defined = s.st_shndx != sh::SHN_UNDEF as usize;
            let addr = if is_arm && kind == SymbolKind::Function && defined {
                img.arm_code(s.st_value)
            } else if is_arm && kind == SymbolKind::Function {
                s.st_value & !1
            } else {
                s.st_value
            };
            if defined && kind == SymbolKind::Function && addr != 0 {
                img.add_seed(
                    addr,
                    FunctionSource::Symbol,
                    Some(name.to_string()),
                    (s.st_size > 0).then_some(s.st_size),
                );
            }
            if defined && addr != 0 && matches!(kind, SymbolKind::Function | SymbolKind::Object) {
                img.names.entry(addr).or_insert_with(|| name.to_string());
            }
            symbols.push(Symbol {
                name: name.to_string(),
                demangled: None,
                kind,
                binding: match s.st_bind() {
                    sym::STB_LOCAL => "local",
                    sym::STB_GLOBAL => "global",
                    sym::STB_WEAK => "weak",
                    _ => "other",
                }
                .to_string(),
                addr,
                size: s.st_size,
                defined,
                dynamic,
            });
        }
    };
    push_syms(&elf.syms, &elf.strtab, false, img);
    push_syms(&elf.dynsyms, &elf.dynstrtab, true, img);
    symbols
}

/// Needed libraries, imports (with the index of each in the dynamic symbol
/// table) and exports; exported functions seed discovery.
fn imports_exports(
    elf: &Elf<'_>,
    img: &mut Image<'_>,
) -> (Vec<String>, Vec<Import>, HashMap<usize, usize>, Vec<Export>) {
    let is_arm = img.arch == Some(Arch::Arm);
    let mut version_file: HashMap<u16, String> = HashMap::new();
    if let Some(vn) = &elf.verneed {
        for need in vn.iter() {
            let file = elf.dynstrtab.get_at(need.vn_file).unwrap_or("").to_string();
            for aux in need.iter() {
                version_file.insert(aux.vna_other, file.clone());
            }
        }
    }
    let libraries: Vec<String> = elf.libraries.iter().map(|s| s.to_string()).collect();
    let library_of = |idx: usize| -> String {
        let ver = elf
            .versym
            .as_ref()
            .and_then(|v| v.get_at(idx))
            .map(|v| v.version());
        if let Some(file) = ver.and_then(|v| version_file.get(&v)) {
            return file.clone();
        }
        if libraries.len() == 1 {
            return libraries[0].clone();
        }
        "*".to_string()
    };

    // Imports, exports.
    let mut imports = Vec::new();
    let mut import_idx: HashMap<usize, usize> = HashMap::new();
    let mut exports = Vec::new();
    for (i, s) in elf.dynsyms.iter().enumerate() {
        let name = elf.dynstrtab.get_at(s.st_name).unwrap_or("");
        if name.is_empty() {
            continue;
        }
        if s.st_shndx == sh::SHN_UNDEF as usize {
            import_idx.insert(i, imports.len());
            imports.push(Import {
                library: library_of(i),
                name: name.to_string(),
                slot: None,
                stub: None,
                ordinal: None,
            });
        } else if s.st_bind() != sym::STB_LOCAL && s.st_visibility() != sym::STV_HIDDEN {
            let addr = if is_arm && s.st_type() == sym::STT_FUNC {
                img.arm_code(s.st_value)
            } else {
                s.st_value
            };
            if s.st_type() == sym::STT_FUNC || s.st_type() == sym::STT_GNU_IFUNC {
                img.add_seed(
                    addr,
                    FunctionSource::Export,
                    Some(name.to_string()),
                    (s.st_size > 0).then_some(s.st_size),
                );
            }
            exports.push(Export {
                name: name.to_string(),
                addr,
                forward: None,
            });
        }
    }
    (libraries, imports, import_idx, exports)
}

/// Relocations: import slots, and pointers with known values; pointers into
/// code are function-start candidates.
fn relocations(
    elf: &Elf<'_>,
    img: &mut Image<'_>,
    imports: &mut [Import],
    import_idx: &HashMap<usize, usize>,
) {
    let is_arm = img.arch == Some(Arch::Arm);
    let relative = match elf.header.e_machine {
        header::EM_X86_64 | header::EM_386 => 8,
        header::EM_AARCH64 => 1027,
        header::EM_ARM => 23,
        _ => u32::MAX,
    };
    let rel_sets = [
        (&elf.dynrelas, false),
        (&elf.dynrels, false),
        (&elf.pltrelocs, true),
    ];
    for (set, is_plt) in rel_sets {
        for r in set.iter() {
            let addend = match r.r_addend {
                Some(a) => a,
                None => img
                    .read_uint(r.r_offset, (img.bits / 8) as usize)
                    .unwrap_or(0) as i64,
            };
            if r.r_type == relative {
                let target = addend as u64;
                img.pointers.insert(r.r_offset, target);
                continue;
            }
            if r.r_sym == 0 {
                continue;
            }
            if let Some(&ii) = import_idx.get(&r.r_sym) {
                let imp = &mut imports[ii];
                img.slots.insert(
                    r.r_offset,
                    SlotTarget {
                        library: imp.library.clone(),
                        name: imp.name.clone(),
                    },
                );
                // Prefer the PLT slot (JUMP_SLOT) as the one shown.
                if imp.slot.is_none() || is_plt {
                    imp.slot = Some(r.r_offset);
                }
            } else if let Some(s) = elf.dynsyms.get(r.r_sym) {
                if s.st_shndx != sh::SHN_UNDEF as usize {
                    img.pointers
                        .insert(r.r_offset, s.st_value.wrapping_add(addend as u64));
                }
            }
        }
    }
    // Pointers into code found through relocations are function-start candidates.
    let ptr_seeds: Vec<u64> = img
        .pointers
        .values()
        .copied()
        .filter(|&t| img.is_code(t))
        .collect();
    // (The entry is still as the header states it, low bit included.)
    let thumb_entry = img.entry.is_some_and(|e| e & 1 == 1);
    for t in ptr_seeds {
        // ARM in a Thumb program: only a Thumb pointer (low bit set) says
        // it is code; one without it may be a table or literal in a function.
        if is_arm && thumb_entry && t & 1 == 0 {
            continue;
        }
        let t = if is_arm { img.arm_code(t) } else { t };
        img.add_seed(t, FunctionSource::Pointer, None, None);
    }
}

/// What the dynamic section says about binding and search paths.
#[derive(Default)]
struct Dynamic {
    flags: u64,
    flags_1: u64,
    bind_now: bool,
    rpath: Vec<String>,
    runpath: Vec<String>,
}

/// Entry, init/fini and the init arrays seed discovery; the GOT base; the
/// dynamic section's flags and paths.
fn entry_and_dynamic(elf: &Elf<'_>, img: &mut Image<'_>) -> Dynamic {
    let is_arm = img.arch == Some(Arch::Arm);
    if let Some(e) = img.entry {
        let e = if is_arm { img.arm_code(e) } else { e };
        img.entry = Some(e);
        img.add_seed(e, FunctionSource::Entry, None, None);
    }
    let mut dynamic = Dynamic::default();
    if let Some(d) = &elf.dynamic {
        dynamic.flags = d.info.flags;
        dynamic.flags_1 = d.info.flags_1;
        for x in &d.dyns {
            match x.d_tag {
                dynamic::DT_BIND_NOW => dynamic.bind_now = true,
                dynamic::DT_RPATH => dynamic.rpath.push(
                    elf.dynstrtab
                        .get_at(x.d_val as usize)
                        .unwrap_or("")
                        .to_string(),
                ),
                dynamic::DT_RUNPATH => dynamic.runpath.push(
                    elf.dynstrtab
                        .get_at(x.d_val as usize)
                        .unwrap_or("")
                        .to_string(),
                ),
                _ => {}
            }
        }
        for a in [d.info.init, d.info.fini] {
            if a != 0 {
                let a = if is_arm { img.arm_code(a) } else { a };
                img.add_seed(a, FunctionSource::InitArray, None, None);
            }
        }
    }
    let ptr = (img.bits / 8) as u64;
    for s in &elf.section_headers {
        if matches!(
            s.sh_type,
            sh::SHT_INIT_ARRAY | sh::SHT_FINI_ARRAY | sh::SHT_PREINIT_ARRAY
        ) {
            let n = (s.sh_size / ptr).min(1 << 16);
            for i in 0..n {
                let at = s.sh_addr + i * ptr;
                if let Some(v) = img.read_ptr(at) {
                    let v = if is_arm && img.is_code(v & !1) {
                        img.arm_code(v)
                    } else {
                        v
                    };
                    if img.is_code(v) {
                        img.add_seed(v, FunctionSource::InitArray, None, None);
                    }
                }
            }
        }
        if s.sh_type == sh::SHT_PROGBITS && elf.shdr_strtab.get_at(s.sh_name) == Some(".got.plt") {
            img.got_base = Some(s.sh_addr);
        }
    }
    if img.got_base.is_none() {
        img.got_base = elf
            .section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".got"))
            .map(|s| s.sh_addr);
    }
    dynamic
}

fn identity(elf: &Elf<'_>, bytes: &[u8], img: &Image<'_>) -> Identity {
    let build_id = elf
        .section_headers
        .iter()
        .find(|s| {
            s.sh_type == sh::SHT_NOTE
                && elf.shdr_strtab.get_at(s.sh_name) == Some(".note.gnu.build-id")
        })
        .and_then(|s| {
            let d = file_slice(bytes, s.sh_offset, s.sh_size);
            let descsz = u32::from_le_bytes(d.get(4..8)?.try_into().ok()?) as usize;
            let desc = d.get(16..16 + descsz)?;
            Some(hex::encode(desc))
        });
    let image_base = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == ph::PT_LOAD)
        .map(|p| p.p_vaddr)
        .min()
        .unwrap_or(0);
    Identity {
        format: Format::Elf,
        arch: img.arch.clone().unwrap_or(Arch::Other("unknown".into())),
        bits: img.bits,
        endian: if elf.little_endian {
            Endian::Little
        } else {
            Endian::Big
        },
        entry: img.entry,
        os_abi: osabi_str(elf.header.e_ident[header::EI_OSABI]).to_string(),
        kind: match elf.header.e_type {
            header::ET_EXEC => "exec",
            header::ET_DYN => "dyn",
            header::ET_REL => "rel",
            header::ET_CORE => "core",
            _ => "other",
        }
        .to_string(),
        image_base,
        build_id,
        pdb_path: None,
        pdb_guid: None,
        macho_uuid: None,
        imphash: None,
        interpreter: elf.interpreter.map(str::to_string),
        soname: elf.soname.map(str::to_string),
        slice_offset: None,
    }
}

fn hardening(elf: &Elf<'_>, imports: &[Import], symbols: &[Symbol], dy: Dynamic) -> Hardening {
    let gnu_stack = elf
        .program_headers
        .iter()
        .find(|p| p.p_type == ph::PT_GNU_STACK);
    let executable_stack = gnu_stack.map(|p| p.p_flags & ph::PF_X != 0).unwrap_or(true);
    let import_names: Vec<&str> = imports.iter().map(|i| i.name.as_str()).collect();
    let all_names = || {
        import_names
            .iter()
            .copied()
            .chain(symbols.iter().map(|s| s.name.as_str()))
    };
    let mut fortified: Vec<String> = all_names()
        .filter(|n| n.starts_with("__") && n.ends_with("_chk") && *n != "__stack_chk_fail")
        .map(str::to_string)
        .collect();
    fortified.sort();
    fortified.dedup();
    let has_relro = elf
        .program_headers
        .iter()
        .any(|p| p.p_type == ph::PT_GNU_RELRO);
    let now =
        dy.bind_now || dy.flags & dynamic::DF_BIND_NOW != 0 || dy.flags_1 & dynamic::DF_1_NOW != 0;
    Hardening {
        nx: !executable_stack,
        pie: elf.header.e_type == header::ET_DYN,
        relro: Some(match (has_relro, now) {
            (false, _) => Relro::None,
            (true, false) => Relro::Partial,
            (true, true) => Relro::Full,
        }),
        canary: all_names().any(|n| {
            n == "__stack_chk_fail" || n == "__stack_chk_guard" || n == "__intel_security_cookie"
        }),
        fortify: !fortified.is_empty(),
        fortified_functions: fortified,
        rpath: dy.rpath,
        runpath: dy.runpath,
        executable_stack,
        rwx_segments: elf
            .program_headers
            .iter()
            .filter(|p| {
                p.p_type == ph::PT_LOAD
                    && p.p_flags & (ph::PF_W | ph::PF_X) == (ph::PF_W | ph::PF_X)
            })
            .map(|p| format!("LOAD@{:#x}", p.p_vaddr))
            .collect(),
        stripped: !elf
            .section_headers
            .iter()
            .any(|s| s.sh_type == sh::SHT_SYMTAB),
        ..Hardening::default()
    }
}

fn arch_of(machine: u16) -> Arch {
    match machine {
        header::EM_386 => Arch::X86,
        header::EM_X86_64 => Arch::X86_64,
        header::EM_ARM => Arch::Arm,
        header::EM_AARCH64 => Arch::Aarch64,
        m => Arch::Other(
            header::machine_to_str(m)
                .trim_start_matches("EM_")
                .to_ascii_lowercase(),
        ),
    }
}

fn osabi_str(v: u8) -> &'static str {
    match v {
        0 => "sysv",
        3 => "linux",
        6 => "solaris",
        9 => "freebsd",
        12 => "openbsd",
        2 => "netbsd",
        _ => "other",
    }
}

/// PLT-like sections whose code only forwards to import slots.
fn is_stub_section(name: &str) -> bool {
    matches!(
        name,
        ".plt" | ".plt.sec" | ".plt.got" | ".iplt" | ".plt.bnd"
    )
}

/// Sections that hold linker metadata rather than program data.
fn is_metadata_section(name: &str) -> bool {
    name.starts_with(".rela")
        || name.starts_with(".rel.")
        || name.starts_with(".gnu.version")
        || name.starts_with(".note")
        || matches!(
            name,
            ".dynsym"
                | ".dynstr"
                | ".symtab"
                | ".strtab"
                | ".gnu.hash"
                | ".hash"
                | ".eh_frame"
                | ".eh_frame_hdr"
                | ".dynamic"
                | ".got"
                | ".got.plt"
                | ".init_array"
                | ".fini_array"
                | ".interp"
        )
}

/// The file bytes of `[off, off+size)`, clipped to the file.
pub(crate) fn file_slice(bytes: &[u8], off: u64, size: u64) -> &[u8] {
    let start = usize::try_from(off).unwrap_or(usize::MAX).min(bytes.len());
    let end = usize::try_from(off.saturating_add(size))
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    &bytes[start..end]
}
