//! The loaded view of a binary that the code analysis works on.
//!
//! Each format loader (`elf`, `pe`, `macho`) fills an [`Image`]: the mapped
//! regions with their bytes, where code may start, and which memory slots hold
//! imported addresses. The code analysis in `code/` only ever sees this.

use std::collections::HashMap;

use super::model::{Arch, FunctionSource};

/// One mapped region (a section, or a segment when there are no sections).
#[derive(Debug, Clone)]
pub struct Region<'a> {
    pub name: String,
    pub vaddr: u64,
    /// Size in memory; bytes past `data.len()` read as zero.
    pub size: u64,
    /// File-backed bytes (may be shorter than `size`, empty for `.bss`).
    pub data: &'a [u8],
    pub exec: bool,
    pub write: bool,
    /// PLT / stub sections: code that only jumps through import slots.
    pub stubs: bool,
}

impl Region<'_> {
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.vaddr && addr - self.vaddr < self.size
    }
}

/// A function start known before disassembly, with where it came from.
#[derive(Debug, Clone)]
pub struct Seed {
    pub addr: u64,
    pub source: FunctionSource,
    pub name: Option<String>,
    /// Byte length when the source knows it (symbol size, unwind range).
    pub size: Option<u64>,
}

/// An imported name reached through a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotTarget {
    pub library: String,
    pub name: String,
}

/// Everything the code analysis needs to know about a binary.
#[derive(Debug, Default)]
pub struct Image<'a> {
    pub arch: Option<Arch>,
    pub bits: u8,
    pub big_endian: bool,
    pub entry: Option<u64>,
    /// Sorted by `vaddr`, non-overlapping where the format allows.
    pub regions: Vec<Region<'a>>,
    pub seeds: Vec<Seed>,
    /// Ranges from unwind tables (`.eh_frame` FDEs, `.pdata`): exact function extents.
    pub unwind: Vec<(u64, u64)>,
    /// Import slots: GOT/IAT/lazy-pointer address to imported name.
    pub slots: HashMap<u64, SlotTarget>,
    /// Pointer-sized slots whose loaded value is a known address (RELATIVE
    /// relocations): lets `adrp+ldr` and GOT loads of local symbols resolve.
    pub pointers: HashMap<u64, u64>,
    /// Names for addresses (symbols); used to name functions and data.
    pub names: HashMap<u64, String>,
    /// ARM: the instruction set of code addresses the file states (symbols,
    /// the entry, pointers: the low bit of an ARM code address): true for
    /// Thumb, false for ARM. Addresses are stored without the low bit.
    pub modes: HashMap<u64, bool>,
    /// Base register value for i386 PIC code (`.got.plt` address).
    pub got_base: Option<u64>,
    /// Non-fatal problems found while loading.
    pub warnings: Vec<String>,
}

impl<'a> Image<'a> {
    /// Sort regions and drop empty ones; call once after loading.
    pub fn finish(&mut self) {
        self.regions.retain(|r| r.size > 0);
        self.regions.sort_by_key(|r| r.vaddr);
    }

    /// The region holding `addr`.
    pub fn region(&self, addr: u64) -> Option<&Region<'a>> {
        let i = self.regions.partition_point(|r| r.vaddr <= addr);
        if i == 0 {
            return None;
        }
        // Sections may overlap in odd files; look back a few for a container.
        self.regions[..i]
            .iter()
            .rev()
            .take(4)
            .find(|r| r.contains(addr))
    }

    /// Whether `addr` lies in executable, non-stub code.
    pub fn is_code(&self, addr: u64) -> bool {
        self.region(addr).is_some_and(|r| r.exec && !r.stubs)
    }

    /// Whether `addr` lies in a PLT/stub region.
    pub fn is_stub(&self, addr: u64) -> bool {
        self.region(addr).is_some_and(|r| r.stubs)
    }

    /// Whether `addr` is mapped at all.
    pub fn is_mapped(&self, addr: u64) -> bool {
        self.region(addr).is_some()
    }

    /// File-backed bytes from `addr` to the end of its region.
    pub fn bytes_from(&self, addr: u64) -> &'a [u8] {
        match self.region(addr) {
            Some(r) => {
                let off = (addr - r.vaddr) as usize;
                r.data.get(off..).unwrap_or(&[])
            }
            None => &[],
        }
    }

    /// Read a pointer-sized little/big-endian value at `addr`.
    pub fn read_ptr(&self, addr: u64) -> Option<u64> {
        if let Some(v) = self.pointers.get(&addr) {
            return Some(*v);
        }
        let size = if self.bits == 64 { 8 } else { 4 };
        self.read_uint(addr, size)
    }

    /// Read an unsigned integer of `size` bytes (1, 2, 4 or 8).
    pub fn read_uint(&self, addr: u64, size: usize) -> Option<u64> {
        let b = self.bytes_from(addr).get(..size)?;
        let mut v: u64 = 0;
        if self.big_endian {
            for x in b {
                v = (v << 8) | u64::from(*x);
            }
        } else {
            for x in b.iter().rev() {
                v = (v << 8) | u64::from(*x);
            }
        }
        Some(v)
    }

    /// Record a known function start (the code analysis ignores non-code ones).
    /// An ARM code address as the file states it: its low bit says Thumb.
    /// Records the instruction set; returns the address without the bit.
    pub fn arm_code(&mut self, raw: u64) -> u64 {
        let addr = raw & !1;
        self.modes.entry(addr).or_insert(raw & 1 == 1);
        addr
    }

    /// The instruction set code at `addr` is known to use (ARM only).
    pub fn thumb_at(&self, addr: u64) -> Option<bool> {
        self.modes.get(&addr).copied()
    }

    pub fn add_seed(
        &mut self,
        addr: u64,
        source: FunctionSource,
        name: Option<String>,
        size: Option<u64>,
    ) {
        self.seeds.push(Seed {
            addr,
            source,
            name,
            size,
        });
    }
}
