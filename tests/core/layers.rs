//! The crate's layers (docs/ARCHITECTURE.md): every `crate::<module>` path
//! in `src/` must point down the table below or across it without a cycle.
//! Test modules (`#[cfg(test)]`) are exempt.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top to bottom; a module may use its own layer's modules and those below.
const LAYERS: &[&[&str]] = &[
    &["main", "cli"],
    &["router", "openapi", "http", "error"],
    &["app", "config"],
    &["pipeline", "jobs", "auth", "callgraph", "transfer"],
    &[
        "graph",
        "search",
        "blobs",
        "report",
        "provenance",
        "signing",
    ],
    &["analysis"],
];

fn level(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// (module, module it imports) for every `crate::x` path outside tests.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let p = e.path();
        if p.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let me = first.trim_end_matches(".rs").to_string();
        if me == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        let body = without_test_items(&text);
        for (i, _) in body.match_indices("crate::") {
            let before = body[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = body[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != me && name != "params" {
                out.entry(me.clone()).or_default().insert(name);
            }
        }
    }
    out
}

/// `text` without the items under `#[cfg(test)]` (a test module, or a
/// single function or `use`): from the attribute to the `;` or the brace
/// closing the item, whichever the item has.
fn without_test_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let item = &rest[i..];
        let end = match (item.find('{'), item.find(';')) {
            (Some(b), Some(s)) if s < b => s + 1,
            (Some(b), _) => {
                let mut depth = 0usize;
                let mut close = item.len();
                for (j, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = b + j + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                close
            }
            (None, Some(s)) => s + 1,
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn test_items_are_cut_and_the_code_after_them_is_kept() {
    let src = "use crate::a;\n#[cfg(test)]\nmod tests {\n use crate::b;\n fn f() { }\n}\nuse crate::c;\n#[cfg(test)]\nuse crate::d;\nfn g() {}";
    let kept = without_test_items(src);
    assert!(kept.contains("crate::a") && kept.contains("crate::c") && kept.contains("fn g"));
    assert!(
        !kept.contains("crate::b") && !kept.contains("crate::d"),
        "{kept}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let edges = imports();
    let mut wrong = Vec::new();
    for (from, tos) in &edges {
        let Some(lf) = level(from) else {
            wrong.push(format!("{from} is in no layer (add it to LAYERS)"));
            continue;
        };
        for to in tos {
            match level(to) {
                None => wrong.push(format!("{to} (used by {from}) is in no layer")),
                Some(lt) if lt < lf => wrong.push(format!("{from} imports {to}, a higher layer")),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycles_between_modules() {
    let edges = imports();
    // Depth-first search from every module; a path back to a module on the
    // stack is a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut c = stack[i..].to_vec();
            c.push(m.to_string());
            cycles.push(c.join(" -> "));
            return;
        }
        if !done.insert(m.to_string()) {
            return;
        }
        stack.push(m.to_string());
        for n in edges.get(m).into_iter().flatten() {
            visit(n, edges, stack, done, cycles);
        }
        stack.pop();
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for m in edges.keys() {
        visit(m, &edges, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
