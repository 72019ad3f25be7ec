//! String extraction: printable ASCII and UTF-16LE runs in data areas.

use super::model::FoundString;
use super::StringArea;

/// Longest string value kept; longer runs are cut (the address still marks the start).
const MAX_VALUE: usize = 4096;

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Extract strings of at least `min_len` characters, at most `max` in total,
/// sorted by file offset.
pub fn extract(areas: &[StringArea<'_>], min_len: usize, max: usize) -> Vec<FoundString> {
    let min_len = min_len.max(1);
    let mut out = Vec::new();
    for area in areas {
        if out.len() >= max {
            break;
        }
        let push = |out: &mut Vec<FoundString>, start: usize, value: String, encoding: &str| {
            if out.len() < max {
                out.push(FoundString {
                    addr: area.vaddr.map(|v| v + start as u64),
                    offset: area.offset + start as u64,
                    section: area.section.clone(),
                    encoding: encoding.to_string(),
                    value,
                });
            }
        };
        // ASCII.
        let d = area.data;
        let mut i = 0;
        while i < d.len() {
            if !printable(d[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < d.len() && printable(d[i]) {
                i += 1;
            }
            if i - start >= min_len {
                let end = i.min(start + MAX_VALUE);
                push(
                    &mut out,
                    start,
                    String::from_utf8_lossy(&d[start..end]).into_owned(),
                    "ascii",
                );
            }
        }
        // UTF-16LE: printable ASCII code units only (the common case in PE resources and APIs).
        for align in 0..2 {
            let mut i = align;
            while i + 1 < d.len() {
                if !(printable(d[i]) && d[i + 1] == 0) {
                    i += 2;
                    continue;
                }
                let start = i;
                let mut s = String::new();
                while i + 1 < d.len() && printable(d[i]) && d[i + 1] == 0 {
                    if s.len() < MAX_VALUE {
                        s.push(d[i] as char);
                    }
                    i += 2;
                }
                if (i - start) / 2 >= min_len {
                    push(&mut out, start, s, "utf16le");
                }
            }
        }
    }
    out.sort_by_key(|s| s.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ascii_and_utf16_with_addresses() {
        let mut data = b"\x00\x01hello world\x00ab\x00\x00".to_vec();
        data.extend("wide".encode_utf16().flat_map(|u| u.to_le_bytes()));
        data.extend([0, 0]);
        let area = StringArea {
            section: Some(".rodata".into()),
            vaddr: Some(0x1000),
            offset: 0x200,
            data: &data,
        };
        let s = extract(&[area], 4, 100);
        let vals: Vec<(&str, &str, Option<u64>)> = s
            .iter()
            .map(|s| (s.value.as_str(), s.encoding.as_str(), s.addr))
            .collect();
        assert!(vals.contains(&("hello world", "ascii", Some(0x1002))));
        assert!(vals.contains(&("wide", "utf16le", Some(0x1000 + 18))));
        assert!(
            !vals.iter().any(|v| v.0 == "ab"),
            "shorter than the minimum"
        );
        assert_eq!(s[0].offset, 0x202);
    }

    #[test]
    fn respects_the_cap() {
        let data = b"aaaa\x00bbbb\x00cccc\x00".repeat(10);
        let area = StringArea {
            section: None,
            vaddr: None,
            offset: 0,
            data: &data,
        };
        assert_eq!(extract(&[area], 4, 7).len(), 7);
    }
}
