//! The offline advisory table (`advisories.json`, kept in the repo with its
//! source and date) and the version strings that point into it.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

const TABLE: &str = include_str!("advisories.json");

#[derive(Debug, Deserialize)]
pub struct Table {
    pub source: String,
    pub updated: String,
    products: Vec<Product>,
    pub advisories: Vec<Advisory>,
}

#[derive(Debug, Deserialize)]
struct Product {
    product: String,
    pattern: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Advisory {
    pub product: String,
    pub cve: String,
    pub severity: String,
    pub summary: String,
    pub ranges: Vec<Range>,
}

/// Affected from `introduced` (inclusive) to `fixed` (exclusive).
#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    pub introduced: String,
    pub fixed: String,
}

struct Compiled {
    table: Table,
    patterns: Vec<(String, Regex)>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let table: Table = serde_json::from_str(TABLE).expect("advisories.json is valid");
        let patterns = table
            .products
            .iter()
            .map(|p| {
                (
                    p.product.clone(),
                    Regex::new(&p.pattern).expect("advisory pattern is valid"),
                )
            })
            .collect();
        Compiled { table, patterns }
    })
}

/// The table's provenance: where it comes from and when it was last updated.
pub fn table() -> &'static Table {
    &compiled().table
}

/// A library version found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub product: String,
    pub version: String,
}

/// Library versions named by one string (`OpenSSL 1.0.1f 6 Jan 2014`).
pub fn detect(s: &str) -> Vec<Detected> {
    compiled()
        .patterns
        .iter()
        .filter_map(|(product, re)| {
            let v = re.captures(s)?.get(1)?.as_str().to_string();
            Some(Detected {
                product: product.clone(),
                version: v,
            })
        })
        .collect()
}

/// Advisories that affect `product` at `version`.
pub fn affecting(product: &str, version: &str) -> Vec<&'static Advisory> {
    compiled()
        .table
        .advisories
        .iter()
        .filter(|a| a.product == product)
        .filter(|a| {
            a.ranges.iter().any(|r| {
                compare(version, &r.introduced) != Ordering::Less
                    && compare(version, &r.fixed) == Ordering::Less
            })
        })
        .collect()
}

/// Compare versions like `1.0.2zg`, `1.2.11`, `3.0.7`: numeric parts first,
/// then an OpenSSL-style letter suffix (none < `a` < … < `z` < `za`).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (an, asuf) = split(a);
    let (bn, bsuf) = split(b);
    let n = an.len().max(bn.len());
    for i in 0..n {
        let x = an.get(i).copied().unwrap_or(0);
        let y = bn.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    asuf.len().cmp(&bsuf.len()).then_with(|| asuf.cmp(bsuf))
}

fn split(v: &str) -> (Vec<u64>, &str) {
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let nums = v[..end]
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    (nums, &v[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_with_letter_suffixes() {
        assert_eq!(compare("1.0.1f", "1.0.1g"), Ordering::Less);
        assert_eq!(compare("1.0.1", "1.0.1a"), Ordering::Less);
        assert_eq!(compare("1.0.2z", "1.0.2zg"), Ordering::Less);
        assert_eq!(compare("1.2.11", "1.2.12"), Ordering::Less);
        assert_eq!(compare("1.2.13", "1.2.12"), Ordering::Greater);
        assert_eq!(compare("3.0", "3.0.0"), Ordering::Equal);
        assert_eq!(compare("1.10.0", "1.9.9"), Ordering::Greater);
    }

    #[test]
    fn version_strings_map_to_advisories() {
        let d = detect("OpenSSL 1.0.1f 6 Jan 2014");
        assert_eq!(d[0].version, "1.0.1f");
        let cves: Vec<_> = affecting("OpenSSL", "1.0.1f")
            .iter()
            .map(|a| a.cve.as_str())
            .collect();
        assert_eq!(cves, ["CVE-2014-0160"]);
        assert!(affecting("OpenSSL", "1.0.1g").is_empty());
        let cves: Vec<_> = affecting("OpenSSL", "3.0.5")
            .iter()
            .map(|a| a.cve.as_str())
            .collect();
        assert_eq!(cves, ["CVE-2022-3602", "CVE-2023-0286"]);
        assert!(affecting("OpenSSL", "3.0.13").is_empty());
        let z = detect("inflate 1.2.11 Copyright 1995-2017 Mark Adler ");
        assert_eq!(z[0].product, "zlib");
        assert_eq!(affecting("zlib", &z[0].version).len(), 2);
        assert!(affecting("zlib", "1.3.1").is_empty());
        assert!(!table().source.is_empty() && table().updated.starts_with("20"));
    }
}
