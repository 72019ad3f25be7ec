//! Read models of the graph's nodes, as the API and the caches hold them.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Node, Value};

/// A property map to read from: a node's, or a write batch's.
pub trait PropMap: Sync {
    fn prop(&self, k: &str) -> Option<&Value>;
}

impl PropMap for BTreeMap<String, Value> {
    fn prop(&self, k: &str) -> Option<&Value> {
        self.get(k)
    }
}

impl PropMap for super::WriteProps {
    fn prop(&self, k: &str) -> Option<&Value> {
        self.get(k)
    }
}

/// Read typed properties out of a node's property map.
pub struct Props<'a>(pub &'a dyn PropMap);

impl Props<'_> {
    pub fn str(&self, k: &str) -> Option<String> {
        self.0.prop(k).and_then(Value::as_str).map(String::from)
    }
    pub fn string(&self, k: &str) -> String {
        self.str(k).unwrap_or_default()
    }
    pub fn u64(&self, k: &str) -> Option<u64> {
        self.0.prop(k).and_then(Value::as_u64)
    }
    pub fn num(&self, k: &str) -> u64 {
        self.u64(k).unwrap_or(0)
    }
    pub fn bool(&self, k: &str) -> bool {
        self.0.prop(k).and_then(Value::as_bool).unwrap_or(false)
    }
    pub fn strings(&self, k: &str) -> Vec<String> {
        self.0.prop(k).map(Value::strings).unwrap_or_default()
    }
}

/// A binary's metadata and hardening.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BinaryView {
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: u64,
    /// `elf`, `pe` or `macho`.
    pub format: String,
    /// `x86`, `x86-64`, `arm`, `aarch64`, ...
    pub arch: String,
    pub bits: u64,
    pub endian: String,
    /// ELF type, PE subsystem or Mach-O file type.
    pub kind: String,
    pub entry: Option<u64>,
    pub entry_hex: Option<String>,
    /// `main`, when recognised from the entry stub.
    pub main: Option<u64>,
    pub image_base: u64,
    /// File names it was uploaded under: the caller's own uploads' (an
    /// admin sees everyone's). Not stored in the analysis graph.
    pub names: Vec<String>,
    pub libraries: Vec<String>,
    pub build_id: Option<String>,
    pub imphash: Option<String>,
    pub interpreter: Option<String>,
    /// For a slice of a fat Mach-O: the sha256 of the whole file.
    pub container_sha256: Option<String>,
    pub stripped: bool,
    pub pie: bool,
    pub nx: bool,
    /// `none`, `partial`, `full` (ELF only).
    pub relro: Option<String>,
    pub canary: bool,
    pub fortify: bool,
    /// Every hardening fact the analysis found.
    #[schema(value_type = Object)]
    pub hardening: serde_json::Value,
    pub counts: Counts,
    pub warnings: Vec<String>,
    pub first_seen: String,
    pub ingested_at: String,
}

/// How much of each kind of thing a binary holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    pub functions: u64,
    pub calls: u64,
    pub instructions: u64,
    pub sections: u64,
    pub symbols: u64,
    pub imports: u64,
    pub exports: u64,
    pub strings: u64,
}

impl BinaryView {
    pub fn from_node(n: &Node) -> Self {
        let p = Props(&n.properties);
        let entry = p.u64("entry");
        BinaryView {
            sha256: p.string("sha256"),
            sha1: p.string("sha1"),
            md5: p.string("md5"),
            size: p.num("size"),
            format: p.string("format"),
            arch: p.string("arch"),
            bits: p.num("bits"),
            endian: p.string("endian"),
            kind: p.string("kind"),
            entry,
            entry_hex: entry.map(|a| format!("{a:#x}")),
            main: p.u64("main"),
            image_base: p.num("image_base"),
            names: Vec::new(),
            libraries: p.strings("libraries"),
            build_id: p.str("build_id"),
            imphash: p.str("imphash"),
            interpreter: p.str("interpreter"),
            container_sha256: p.str("container_sha256"),
            stripped: p.bool("stripped"),
            pie: p.bool("pie"),
            nx: p.bool("nx"),
            relro: p.str("relro"),
            canary: p.bool("canary"),
            fortify: p.bool("fortify"),
            hardening: p
                .str("hardening")
                .and_then(|h| serde_json::from_str(&h).ok())
                .unwrap_or(serde_json::Value::Null),
            counts: Counts {
                functions: p.num("function_count"),
                calls: p.num("call_count"),
                instructions: p.num("instruction_count"),
                sections: p.num("section_count"),
                symbols: p.num("symbol_count"),
                imports: p.num("import_count"),
                exports: p.num("export_count"),
                strings: p.num("string_count"),
            },
            warnings: p.strings("warnings"),
            first_seen: p.string("first_seen"),
            ingested_at: p.string("ingested_at"),
        }
    }
}
