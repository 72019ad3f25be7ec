//! ELF unwind tables: function extents from `.eh_frame` FDEs, and function
//! starts from ARM's `.ARM.exidx`.

use std::collections::HashMap;

use goblin::elf::{section_header as sh, Elf};

use super::elf::file_slice;
use super::image::Image;
use super::model::*;

/// Function ranges from `.eh_frame` FDEs.
pub(super) fn load_eh_frame(elf: &Elf, bytes: &[u8], img: &mut Image) {
    let find = |n: &str| {
        elf.section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(n))
    };
    let Some(eh) = find(".eh_frame") else { return };
    if eh.sh_type == sh::SHT_NOBITS {
        return;
    }
    let data = file_slice(bytes, eh.sh_offset, eh.sh_size);
    let endian = if elf.little_endian {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let mut bases = gimli::BaseAddresses::default().set_eh_frame(eh.sh_addr);
    if let Some(t) = find(".text") {
        bases = bases.set_text(t.sh_addr);
    }
    if let Some(g) = find(".got") {
        bases = bases.set_got(g.sh_addr);
    }
    let mut frame = gimli::EhFrame::new(data, endian);
    frame.set_address_size(img.bits / 8);
    let ranges = unwind_ranges(&frame, &bases, &mut img.warnings);
    for (start, len) in &ranges {
        img.add_seed(*start, FunctionSource::Unwind, None, Some(*len));
    }
    img.unwind = ranges;
}

/// Function starts from ARM's unwind index (`.ARM.exidx`): one entry per
/// function that has unwind information, in address order, each a 31-bit
/// offset from the entry to the function. The linker also adds "cannot
/// unwind" entries for code without any, so an entry starts a function but
/// does not say where it ends: they seed discovery without being used as
/// extents.
pub(super) fn load_arm_exidx(elf: &Elf, img: &mut Image) {
    const SHT_ARM_EXIDX: u32 = 0x7000_0001;
    if img.arch != Some(Arch::Arm) {
        return;
    }
    let Some(sec) = elf
        .section_headers
        .iter()
        .find(|s| s.sh_type == SHT_ARM_EXIDX)
    else {
        return;
    };
    let n = (sec.sh_size / 8).min(4_000_000);
    for i in 0..n {
        let at = sec.sh_addr + i * 8;
        let Some(word) = img.read_uint(at, 4) else {
            break;
        };
        let offset = i64::from(((word as u32) << 1) as i32 >> 1);
        let raw = at.wrapping_add(offset as u64) & 0xffff_ffff;
        // The entry does not say Thumb or ARM (GCC's entries for Thumb
        // functions have the low bit clear): discovery decides.
        let mut start = raw & !1;
        if img.read_uint(at + 4, 4) == Some(1) {
            // "Cannot unwind", added by the linker at the start of code
            // without an entry: that may begin with alignment padding.
            while img.read_uint(start, 2) == Some(0) && start < (raw & !1) + 16 {
                start += 2;
            }
        }
        if img.is_code(start) {
            img.add_seed(start, FunctionSource::Unwind, None, None);
        }
    }
}

/// Walk an `.eh_frame` and collect `(start, length)` of every FDE.
pub(crate) fn unwind_ranges<R: gimli::Reader>(
    frame: &gimli::EhFrame<R>,
    bases: &gimli::BaseAddresses,
    warnings: &mut Vec<String>,
) -> Vec<(u64, u64)> {
    use gimli::UnwindSection;
    let mut out = Vec::new();
    let mut entries = frame.entries(bases);
    let mut cies = HashMap::new();
    loop {
        match entries.next() {
            Ok(None) => break,
            Ok(Some(gimli::CieOrFde::Cie(_))) => {}
            Ok(Some(gimli::CieOrFde::Fde(partial))) => {
                let fde = partial.parse(|section, bases, off| {
                    cies.entry(off)
                        .or_insert_with(|| section.cie_from_offset(bases, off))
                        .clone()
                });
                match fde {
                    Ok(f) if f.len() > 0 => out.push((f.initial_address(), f.len())),
                    Ok(_) => {}
                    Err(e) => {
                        warnings.push(format!("bad FDE in .eh_frame: {e}"));
                    }
                }
            }
            Err(e) => {
                warnings.push(format!(".eh_frame parse stopped: {e}"));
                break;
            }
        }
        if out.len() > 4_000_000 {
            warnings.push(".eh_frame has too many entries; stopped".into());
            break;
        }
    }
    out
}
