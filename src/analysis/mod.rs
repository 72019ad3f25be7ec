//! The analysis core: bytes in, facts out. No I/O, no database, no HTTP.
//!
//! [`analyze`] identifies a file (ELF, PE, Mach-O, fat Mach-O), loads it into
//! an [`image::Image`] with one of the format loaders, extracts strings, and
//! runs the code analysis (`code/`): function discovery, CFGs, call edges,
//! import calls and data references. [`listing`] disassembles one function on
//! demand. Hostile input gives an [`AnalysisError`] or partial facts with
//! warnings, bounded by [`AnalysisConfig`] limits; never a panic.

pub mod code;
mod elf;
pub mod findings;
pub mod image;
mod macho;
pub mod model;
mod pe;
pub mod signature;
mod strings;
mod unwind;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use goblin::mach::{Mach, SingleArch};
use goblin::Object;
use image::Image;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub use model::*;

/// Limits and options for one analysis.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AnalysisConfig {
    /// Larger inputs are refused with [`AnalysisError::TooLarge`].
    pub max_file_size: u64,
    /// Function discovery stops (with a warning) past this many functions.
    pub max_functions: usize,
    /// Instructions decoded for one function before it is cut (and marked incomplete).
    pub max_function_instructions: u32,
    /// Total instructions decoded for one binary.
    pub max_instructions: u64,
    /// Wall-clock budget for the code analysis of one binary.
    pub time_budget: Duration,
    /// Minimum length of an extracted string, in characters.
    pub min_string_len: usize,
    /// Cap on the number of extracted strings.
    pub max_strings: usize,
    /// Run the code analysis (disassembly) at all.
    pub disassemble: bool,
    /// Set from another thread to stop discovery early (a cancelled job, a
    /// memory guard); the facts found so far are returned with a warning.
    #[serde(skip)]
    pub abort: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            max_file_size: 1 << 30,
            max_functions: 2_000_000,
            max_function_instructions: 250_000,
            max_instructions: 100_000_000,
            time_budget: Duration::from_secs(300),
            min_string_len: 4,
            max_strings: 2_000_000,
            disassemble: true,
            abort: None,
        }
    }
}

/// Why a file could not be analysed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error("the file is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("not an executable format bingraph reads ({0}); supported: ELF, PE, Mach-O")]
    Unsupported(String),
    #[error("the file is malformed: {0}")]
    Malformed(String),
}

/// What a format loader hands to the rest of the core.
pub(crate) struct Loaded<'a> {
    pub identity: Identity,
    pub sections: Vec<Section>,
    pub segments: Vec<Segment>,
    pub libraries: Vec<String>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub symbols: Vec<Symbol>,
    pub hardening: Hardening,
    pub image: image::Image<'a>,
    pub string_areas: Vec<StringArea<'a>>,
}

/// A stretch of file data to search for strings.
pub(crate) struct StringArea<'a> {
    pub section: Option<String>,
    pub vaddr: Option<u64>,
    pub offset: u64,
    pub data: &'a [u8],
}

/// Hash the whole input.
pub fn hashes(bytes: &[u8]) -> Hashes {
    // Three passes over the file, on both cores (node: 0.6 s one after another).
    let (sha256, (sha1, md5)) = rayon::join(
        || hex::encode(Sha256::digest(bytes)),
        || {
            (
                hex::encode(Sha1::digest(bytes)),
                hex::encode(Md5::digest(bytes)),
            )
        },
    );
    Hashes {
        sha256,
        sha1,
        md5,
        size: bytes.len() as u64,
    }
}

/// Identify and analyse one file: one [`BinaryFacts`] per binary (a fat
/// Mach-O gives one per slice).
pub fn analyze(bytes: &[u8], cfg: &AnalysisConfig) -> Result<Vec<BinaryFacts>, AnalysisError> {
    if bytes.len() as u64 > cfg.max_file_size {
        return Err(AnalysisError::TooLarge {
            size: bytes.len() as u64,
            limit: cfg.max_file_size,
        });
    }
    let h = hashes(bytes);
    let started = std::time::Instant::now();
    guarded(|| {
        with_loaded(bytes, |loaded| {
            let load_ms = started.elapsed().as_millis() as u64;
            Ok(finish(h.clone(), loaded, cfg, load_ms))
        })
    })?
}

/// Phase 1 only: hashes, format, arch, without strings or code.
pub fn identify(bytes: &[u8], cfg: &AnalysisConfig) -> Result<Vec<BinaryFacts>, AnalysisError> {
    let quick = AnalysisConfig {
        disassemble: false,
        max_strings: 0,
        ..cfg.clone()
    };
    analyze(bytes, &quick)
}

/// Disassemble the function at `addr` of the binary `slice` (0 unless fat).
pub fn listing(
    bytes: &[u8],
    slice: usize,
    addr: u64,
    cfg: &AnalysisConfig,
) -> Result<Vec<ListingLine>, AnalysisError> {
    Parsed::parse(bytes.to_vec(), slice, cfg)?.listing(addr, cfg)
}

self_cell::self_cell!(
    /// A binary parsed once and kept with its bytes, to disassemble any of
    /// its functions without parsing the file again (the API's function
    /// pages; a parse of a 100 MB file is half a second).
    pub struct Parsed {
        owner: Vec<u8>,
        #[covariant]
        dependent: Image,
    }
);

impl Parsed {
    /// Parse binary `slice` (0 unless fat) of `bytes`.
    pub fn parse(
        bytes: Vec<u8>,
        slice: usize,
        cfg: &AnalysisConfig,
    ) -> Result<Parsed, AnalysisError> {
        if bytes.len() as u64 > cfg.max_file_size {
            return Err(AnalysisError::TooLarge {
                size: bytes.len() as u64,
                limit: cfg.max_file_size,
            });
        }
        guarded(|| {
            Parsed::try_new(bytes, |bytes| {
                let mut images = with_loaded(bytes, |loaded| Ok(loaded.image))?;
                if slice >= images.len() {
                    return Err(AnalysisError::Malformed(format!(
                        "the file has no binary number {slice}"
                    )));
                }
                Ok(images.swap_remove(slice))
            })
        })?
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.borrow_owner().len()
    }

    /// Disassemble the function at `addr`.
    pub fn listing(
        &self,
        addr: u64,
        cfg: &AnalysisConfig,
    ) -> Result<Vec<ListingLine>, AnalysisError> {
        guarded(|| code::listing(self.borrow_dependent(), addr, cfg))?
            .ok_or_else(|| AnalysisError::Malformed(format!("no decodable code at {addr:#x}")))
    }
}

/// Disassemble several functions of binary `slice` with one parse of the file.
/// Addresses with no decodable code are left out.
pub fn listings(
    bytes: &[u8],
    slice: usize,
    addrs: &[u64],
    cfg: &AnalysisConfig,
) -> Result<std::collections::HashMap<u64, Vec<ListingLine>>, AnalysisError> {
    let mut out = std::collections::HashMap::new();
    if addrs.is_empty() {
        return Ok(out);
    }
    let mut i = 0;
    guarded(|| {
        with_loaded(bytes, |loaded| {
            if i == slice {
                use rayon::prelude::*;
                out = addrs
                    .par_iter()
                    .filter_map(|&a| Some((a, code::listing(&loaded.image, a, cfg)?)))
                    .collect();
            }
            i += 1;
            Ok(())
        })
    })??;
    Ok(out)
}

/// Decode the bodies of `functions` (of binary `slice`) again with
/// instruction text, for signatures; see [`code::bodies`].
pub fn bodies<F>(
    bytes: &[u8],
    slice: usize,
    functions: &[Function],
    each: F,
) -> Result<(), AnalysisError>
where
    F: Fn(usize, &[code::BodyInsn], &dyn Fn(u64) -> bool) + Sync,
{
    let mut i = 0;
    guarded(|| {
        with_loaded(bytes, |loaded| {
            if i == slice {
                code::bodies(&loaded.image, functions, &each);
            }
            i += 1;
            Ok(())
        })
    })??;
    Ok(())
}

/// Every string of a file, without disassembling it (the first binary's,
/// for a fat file; a stored slice is one binary).
pub fn file_strings(bytes: &[u8], cfg: &AnalysisConfig) -> Result<Vec<FoundString>, AnalysisError> {
    let cfg = AnalysisConfig {
        disassemble: false,
        ..cfg.clone()
    };
    Ok(analyze(bytes, &cfg)?
        .into_iter()
        .next()
        .map(|f| f.strings)
        .unwrap_or_default())
}

/// Run `f` and turn a panic (a parser bug on hostile input) into an error value.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, AnalysisError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        AnalysisError::Malformed(format!("internal parser error ({msg})"))
    })
}

/// Parse the container and call `each` for every binary in it.
fn with_loaded<'a, T>(
    bytes: &'a [u8],
    mut each: impl FnMut(Loaded<'a>) -> Result<T, AnalysisError>,
) -> Result<Vec<T>, AnalysisError> {
    if bytes.len() < 4 {
        return Err(AnalysisError::Unsupported(
            "file shorter than any executable header".into(),
        ));
    }
    let obj = Object::parse(bytes).map_err(|e| classify_parse_error(bytes, e))?;
    match obj {
        Object::Elf(e) => Ok(vec![each(elf::load(&e, bytes))?]),
        Object::PE(p) => Ok(vec![each(pe::load(&p, bytes))?]),
        Object::Mach(Mach::Binary(m)) => Ok(vec![each(macho::load(&m, bytes, None))?]),
        Object::Mach(Mach::Fat(fat)) => {
            let arches = fat
                .arches()
                .map_err(|e| AnalysisError::Malformed(format!("fat Mach-O header: {e}")))?;
            let mut out = Vec::new();
            for (i, a) in arches.iter().enumerate().take(64) {
                let slice = elf::file_slice(bytes, u64::from(a.offset), u64::from(a.size));
                match fat.get(i) {
                    Ok(SingleArch::MachO(m)) => {
                        out.push(each(macho::load(&m, slice, Some(u64::from(a.offset))))?)
                    }
                    Ok(SingleArch::Archive(_)) => {}
                    Err(e) => {
                        return Err(AnalysisError::Malformed(format!(
                            "fat Mach-O slice {i}: {e}"
                        )))
                    }
                }
            }
            if out.is_empty() {
                return Err(AnalysisError::Unsupported(
                    "fat Mach-O with no Mach-O slices".into(),
                ));
            }
            Ok(out)
        }
        Object::Archive(_) => Err(AnalysisError::Unsupported(
            "static library archive (.a)".into(),
        )),
        Object::COFF(_) => Err(AnalysisError::Unsupported("COFF object file".into())),
        Object::TE(_) => Err(AnalysisError::Unsupported("TE image".into())),
        Object::Unknown(magic) => Err(AnalysisError::Unsupported(format!(
            "unknown magic {magic:#x}"
        ))),
        _ => Err(AnalysisError::Unsupported("unrecognised container".into())),
    }
}

/// Whether a file starts like an executable this crate reads: ELF, PE (MZ),
/// Mach-O (either byte order) or a fat Mach-O (32- or 64-bit).
pub fn known_magic(head: &[u8]) -> bool {
    let magic = &head[..4.min(head.len())];
    magic == b"\x7fELF"
        || magic.starts_with(b"MZ")
        || matches!(
            magic,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                | [0xca, 0xfe, 0xba, 0xbe | 0xbf]
        )
}

/// A parse failure on a recognised magic is a malformed file; otherwise unsupported.
fn classify_parse_error(bytes: &[u8], e: goblin::error::Error) -> AnalysisError {
    if known_magic(bytes) {
        AnalysisError::Malformed(e.to_string())
    } else {
        AnalysisError::Unsupported(e.to_string())
    }
}

fn finish(hashes: Hashes, l: Loaded<'_>, cfg: &AnalysisConfig, load_ms: u64) -> BinaryFacts {
    let Loaded {
        identity,
        sections,
        segments,
        libraries,
        mut imports,
        exports,
        mut symbols,
        hardening,
        image,
        string_areas,
    } = l;
    let mut warnings = image.warnings.clone();
    let t = std::time::Instant::now();
    let (strings, ()) = rayon::join(
        || strings::extract(&string_areas, cfg.min_string_len, cfg.max_strings),
        || demangle_symbols(&mut symbols, identity.format),
    );
    let mut stages = Stages {
        load_ms,
        strings_ms: t.elapsed().as_millis() as u64,
        ..Stages::default()
    };
    let code = if cfg.disassemble && identity.arch.is_supported() {
        let out = code::analyze(&image, &strings, cfg);
        stages.discovery_ms = out.discovery_ms;
        stages.build_ms = out.build_ms;
        for imp in &mut imports {
            if let Some(slot) = imp.slot {
                imp.stub = out.stubs.get(&slot).copied();
            }
        }
        warnings.extend(out.warnings);
        out.facts
    } else {
        if cfg.disassemble {
            warnings.push(format!(
                "architecture {} is recognised but not disassembled",
                identity.arch.name()
            ));
        }
        CodeFacts::default()
    };
    BinaryFacts {
        hashes,
        identity,
        sections,
        segments,
        libraries,
        imports,
        exports,
        symbols,
        strings,
        hardening,
        code,
        warnings,
        stages,
    }
}

/// Shannon entropy in bits per byte (0..=8).
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for b in data {
        counts[*b as usize] += 1;
    }
    let n = data.len() as f64;
    let e: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    (e * 1000.0).round() / 1000.0
}

/// `rwx` style permission string.
pub(crate) fn flags_str(r: bool, w: bool, x: bool) -> String {
    format!(
        "{}{}{}",
        if r { 'r' } else { '-' },
        if w { 'w' } else { '-' },
        if x { 'x' } else { '-' }
    )
}

/// Demangle a C++ (Itanium) or Rust symbol; `None` if it is not mangled.
/// Fill in the demangled names of `symbols`. The loaders leave them out: a
/// parse for disassembly does not need them, and demangling is most of the
/// time of loading a big C++ binary (node: a quarter of a second).
fn demangle_symbols(symbols: &mut [Symbol], format: Format) {
    use rayon::prelude::*;
    symbols.par_iter_mut().for_each(|s| {
        // Mach-O prefixes C symbols with an underscore, mangled ones too.
        let name = match format {
            Format::Macho => s.name.strip_prefix('_').unwrap_or(&s.name),
            Format::Elf | Format::Pe => &s.name,
        };
        s.demangled = demangle(name);
    });
}

pub fn demangle(name: &str) -> Option<String> {
    if name.starts_with("_R") || name.starts_with("_ZN") && name.contains("17h") {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            return Some(format!("{d:#}"));
        }
    }
    if name.starts_with("_Z") && name.len() < 4096 {
        let opts = cpp_demangle::DemangleOptions::default();
        if let Ok(s) = cpp_demangle::Symbol::new(name) {
            if let Ok(d) = s.demangle_with_options(&opts) {
                return Some(d);
            }
        }
    }
    None
}

/// For the slices of a fat Mach-O, give each its own bytes and hashes.
pub fn split_slices(
    bytes: &[u8],
    facts: Vec<BinaryFacts>,
) -> Vec<(BinaryFacts, Option<std::sync::Arc<Vec<u8>>>)> {
    let arches = match goblin::mach::Mach::parse(bytes) {
        Ok(goblin::mach::Mach::Fat(multi)) => multi.arches().unwrap_or_default(),
        _ => Vec::new(),
    };
    facts
        .into_iter()
        .map(|mut f| {
            let slice = f.identity.slice_offset.and_then(|off| {
                let arch = arches.iter().find(|a| u64::from(a.offset) == off)?;
                let start = arch.offset as usize;
                let end = start.checked_add(arch.size as usize)?;
                bytes
                    .get(start..end)
                    .map(|s| std::sync::Arc::new(s.to_vec()))
            });
            if let Some(s) = &slice {
                f.hashes = hashes(s);
            }
            (f, slice)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant_data() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(entropy(&all), 8.0);
        assert_eq!(entropy(&[7; 100]), 0.0);
        assert_eq!(entropy(&[]), 0.0);
    }

    #[test]
    fn demangles_cpp_and_rust_and_leaves_c_alone() {
        assert_eq!(demangle("_ZN3foo3barEv").as_deref(), Some("foo::bar()"));
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE").as_deref(),
            Some("core::fmt::write")
        );
        assert_eq!(demangle("main"), None);
    }

    #[test]
    fn hostile_headers_give_errors_not_panics() {
        assert!(matches!(
            analyze(b"", &AnalysisConfig::default()),
            Err(AnalysisError::Unsupported(_))
        ));
        assert!(matches!(
            analyze(b"hello world", &AnalysisConfig::default()),
            Err(AnalysisError::Unsupported(_))
        ));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(40, 0xff);
        assert!(matches!(
            analyze(&elf, &AnalysisConfig::default()),
            Err(AnalysisError::Malformed(_))
        ));
        let small = AnalysisConfig {
            max_file_size: 8,
            ..Default::default()
        };
        assert_eq!(
            analyze(&[0; 9], &small).unwrap_err(),
            AnalysisError::TooLarge { size: 9, limit: 8 }
        );
    }

    #[test]
    fn imphash_matches_pefile_convention() {
        let imps = vec![
            Import {
                library: "KERNEL32.dll".into(),
                name: "ExitProcess".into(),
                slot: None,
                stub: None,
                ordinal: None,
            },
            Import {
                library: "WS2_32.dll".into(),
                name: "ORDINAL 23".into(),
                slot: None,
                stub: None,
                ordinal: Some(23),
            },
        ];
        // md5("kernel32.exitprocess,ws2_32.ord23")
        assert_eq!(
            pe::imphash(&imps),
            hex::encode(Md5::digest(b"kernel32.exitprocess,ws2_32.ord23"))
        );
    }
}
