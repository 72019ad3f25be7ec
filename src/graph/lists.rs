//! The per-binary lists the API pages through: symbols (by address) and
//! strings (in file order, with how many functions reference each). Built
//! from a binary's write batch at ingest, or from the store, and kept as the
//! binary's digests so a first page does not scan its whole subgraph.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::Props;
use super::{Batch, Rows};
use crate::analysis::FoundString;

/// Layout version of the `symbols` and `strings` digests (2: string offsets
/// into a fat slice's own bytes).
pub const LISTS_VERSION: u32 = 2;

/// A symbol of a binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SymbolView {
    pub name: String,
    pub demangled: Option<String>,
    /// `function`, `object`, `section`, `file`, `tls`, `other`.
    pub kind: String,
    /// `local`, `global`, `weak`.
    pub binding: String,
    pub addr: u64,
    pub addr_hex: String,
    pub size: u64,
    pub defined: bool,
    pub dynamic: bool,
    pub exported: bool,
}

impl SymbolView {
    fn from_props(m: &dyn super::views::PropMap) -> Self {
        let p = Props(m);
        let addr = p.num("addr");
        SymbolView {
            name: p.string("name"),
            demangled: p.str("demangled"),
            kind: p.string("kind"),
            binding: p.string("binding"),
            addr,
            addr_hex: format!("{addr:#x}"),
            size: p.num("size"),
            defined: p.bool("defined"),
            dynamic: p.bool("dynamic"),
            exported: p.bool("exported"),
        }
    }

    /// The binary's symbols in a write batch, by address then name.
    pub fn list_from_batch(batch: &Batch) -> Vec<SymbolView> {
        sorted(
            batch
                .nodes
                .iter()
                .filter(|n| n.label == "Symbol")
                .map(|n| Self::from_props(&n.props))
                .collect(),
        )
    }

    /// From the rows of `cypher/binaries/symbols.cypher`.
    pub fn list_from_rows(rows: Rows) -> Vec<SymbolView> {
        sorted(
            rows.into_maps()
                .iter()
                .map(|m| Self::from_props(m))
                .collect(),
        )
    }
}

fn sorted(mut v: Vec<SymbolView>) -> Vec<SymbolView> {
    v.sort_by(|a, b| (a.addr, &a.name).cmp(&(b.addr, &b.name)));
    v
}

/// A string found in a binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StringView {
    pub value: String,
    /// Virtual address, when the string is in mapped data.
    pub addr: Option<u64>,
    pub offset: u64,
    pub section: Option<String>,
    /// `ascii` or `utf16le`.
    pub encoding: String,
    /// How many functions reference it (0: only found in the data).
    pub referenced_by: u64,
}

impl StringView {
    /// Every string of the file, in file order, each with how many distinct
    /// functions reference its address (`referenced`: address → functions).
    /// `base` is where the binary's own bytes start in the analysed file (a
    /// fat Mach-O slice's offset): offsets are into the binary's own bytes,
    /// the file stored for it.
    pub fn list(
        strings: &[FoundString],
        base: u64,
        referenced: &HashMap<u64, u64>,
    ) -> Vec<StringView> {
        strings
            .iter()
            .map(|s| StringView {
                value: s.value.clone(),
                addr: s.addr,
                offset: s.offset.saturating_sub(base),
                section: s.section.clone(),
                encoding: s.encoding.clone(),
                referenced_by: s
                    .addr
                    .and_then(|a| referenced.get(&a).copied())
                    .unwrap_or(0),
            })
            .collect()
    }

    /// How many distinct functions reference each String node's address, in
    /// a write batch.
    pub fn referenced_in_batch(batch: &Batch) -> HashMap<u64, u64> {
        let addr_of: HashMap<&str, u64> = batch
            .nodes
            .iter()
            .filter(|n| n.label == "String")
            .filter_map(|n| Some((n.uid.as_str(), n.props.get("addr")?.as_u64()?)))
            .collect();
        let mut by: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
        for e in &batch.edges {
            if e.rel_type == "REFERENCES" && e.to.0 == "String" {
                if let Some(&a) = addr_of.get(e.to.1.as_str()) {
                    by.entry(a).or_default().insert(e.from.1.as_str());
                }
            }
        }
        by.into_iter().map(|(a, f)| (a, f.len() as u64)).collect()
    }

    /// From the rows of `cypher/binaries/referenced_strings.cypher`.
    pub fn referenced_from_rows(rows: Rows) -> HashMap<u64, u64> {
        rows.into_maps()
            .iter()
            .filter_map(|m| Some((m.get("addr")?.as_u64()?, m.get("functions")?.as_u64()?)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}
