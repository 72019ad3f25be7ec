//! A large binary (50,000 functions, assembled at test time) through the
//! first pages: each is answered from the binary's digests written at
//! ingest, never by expanding every function in the store (what made the
//! first call-graph query of node take 10 s), and what the digests hold is
//! what the store holds.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bingraph::callgraph::{CallRecords, Callee, DIGEST_KIND, DIGEST_VERSION};
use bingraph::graph::lists::{StringView, SymbolView, LISTS_VERSION};
use bingraph::params;
use serde_json::Value;

use crate::support::{addr_of, chain, scratch, TestApp};

const FUNCTIONS: &str = include_str!("../../cypher/graph/functions.cypher");
const CALLS: &str = include_str!("../../cypher/graph/calls.cypher");
const SYMBOLS: &str = include_str!("../../cypher/binaries/symbols.cypher");
const REFERENCED_STRINGS: &str = include_str!("../../cypher/binaries/referenced_strings.cypher");

/// Functions of the generated program.
const N: u64 = 50_000;

/// The callees `f{i}` of the generated program has: the next function, a
/// far one for every third, and `puts` for every 97th.
fn callees_of(i: u64) -> (Vec<u64>, bool) {
    let mut to = Vec::new();
    if i + 1 < N {
        to.push(i + 1);
    }
    if i.is_multiple_of(3) {
        to.push((i * 7919 + 13) % N);
    }
    (to, i.is_multiple_of(97))
}

/// x86-64 assembly of `f0` .. `f{N-1}` and `main`, linked by the system
/// `cc` (assembling is seconds where compiling as much C takes a minute).
fn large_program() -> PathBuf {
    let dir = scratch("large");
    let src = dir.join("large.s");
    let mut s = String::from(".intel_syntax noprefix\n.text\n");
    let mut strings = String::from(".section .rodata\n");
    for i in 0..N {
        s += &format!(".globl f{i}\n.type f{i}, @function\nf{i}:\n  push rbx\n  mov ebx, edi\n");
        let (to, puts) = callees_of(i);
        if puts {
            s += &format!("  lea rdi, [rip + .Ls{i}]\n  call puts@PLT\n");
            strings += &format!(".Ls{i}:\n  .string \"function {i} says hello\"\n");
        }
        for t in to {
            s += &format!("  mov edi, ebx\n  call f{t}\n");
        }
        s += &format!("  add eax, ebx\n  pop rbx\n  ret\n.size f{i}, .-f{i}\n");
    }
    s += ".globl main\n.type main, @function\nmain:\n  sub rsp, 8\n  call f0\n  add rsp, 8\n  ret\n.size main, .-main\n";
    s += &strings;
    s += ".section .note.GNU-stack,\"\",@progbits\n";
    std::fs::write(&src, s).unwrap();
    let out = dir.join("large");
    crate::common::run(
        std::process::Command::new("cc")
            .arg(&src)
            .arg("-o")
            .arg(&out),
    );
    out
}

/// The call-graph records of a binary as the store gives them back.
async fn stored_records(app: &TestApp, sha: &str) -> CallRecords {
    let functions = app
        .app
        .store
        .read(FUNCTIONS, params! { "sha256" => sha })
        .await
        .unwrap();
    let calls = app
        .app
        .store
        .read(CALLS, params! { "sha256" => sha })
        .await
        .unwrap();
    CallRecords::from_rows(&functions, &calls)
}

/// The symbols and strings of a binary as the store (and its file) give them.
async fn stored_lists(app: &TestApp, sha: &str) -> (Vec<SymbolView>, Vec<StringView>) {
    let p = params! { "sha256" => sha };
    let symbols = app.app.store.read(SYMBOLS, p.clone()).await.unwrap();
    let refs = app.app.store.read(REFERENCED_STRINGS, p).await.unwrap();
    let bytes = app.app.blobs.get(sha).unwrap().unwrap();
    let all = bingraph::analysis::file_strings(&bytes, &app.app.config.analysis()).unwrap();
    (
        SymbolView::list_from_rows(symbols),
        StringView::list(&all, 0, &StringView::referenced_from_rows(refs)),
    )
}

async fn kept_lists(app: &TestApp, sha: &str) -> Option<(Vec<SymbolView>, Vec<StringView>)> {
    let b = app.app.binary(sha).await.unwrap();
    let d = &app.app.digests;
    let symbols = d
        .get(sha, "symbols", LISTS_VERSION, &b.ingested_at)
        .unwrap()?;
    let strings = d
        .get(sha, "strings", LISTS_VERSION, &b.ingested_at)
        .unwrap()?;
    Some((symbols, strings))
}

async fn kept_records(app: &TestApp, sha: &str) -> Option<CallRecords> {
    let b = app.app.binary(sha).await.unwrap();
    app.app
        .digests
        .get(sha, DIGEST_KIND, DIGEST_VERSION, &b.ingested_at)
        .unwrap()
}

/// `f` and a number: one of the generated functions.
fn generated(name: &str) -> bool {
    name.strip_prefix('f')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn names(v: &Value, key: &str) -> BTreeSet<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_large_binary_is_served_from_its_digests() {
    let bin = large_program();
    let app = TestApp::start().await;
    let sha = app.ingest(&bin).await;

    // The digest written at ingest holds what the store holds.
    let kept = kept_records(&app, &sha)
        .await
        .expect("the ingest writes the call-graph digest");
    let stored = stored_records(&app, &sha).await;
    assert_eq!(kept.functions.len(), stored.functions.len());
    assert_eq!(kept.calls.len(), stored.calls.len());
    assert!(kept == stored, "the digest differs from the store");
    // ... and that is the program: every function, every call.
    let addr = |name: &str| {
        kept.functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no function {name}"))
            .addr
    };
    assert!(kept.functions.len() as u64 > N);
    let mut want = BTreeSet::new();
    for i in 0..N {
        let (to, puts) = callees_of(i);
        for t in to {
            want.insert((format!("f{i}"), format!("f{t}")));
        }
        if puts {
            want.insert((format!("f{i}"), "puts".to_string()));
        }
    }
    let name_at: std::collections::HashMap<u64, &str> = kept
        .functions
        .iter()
        .map(|f| (f.addr, f.name.as_str()))
        .collect();
    let got: BTreeSet<(String, String)> = kept
        .calls
        .iter()
        .filter(|c| name_at.get(&c.from).is_some_and(|n| generated(n)))
        .map(|c| {
            let to = match &c.to {
                Callee::Function(a) => name_at[a].to_string(),
                Callee::Import { name, .. } => name.clone(),
            };
            (name_at[&c.from].to_string(), to)
        })
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "the calls differ from the program's");

    // The first pages, none of them through the store's slow path.
    let f0 = addr("f0");
    let callees = app
        .data(&format!(
            "/binaries/{sha}/functions/{f0:#x}/callees?depth=2"
        ))
        .await;
    let (to, _) = callees_of(0);
    let mut expect: BTreeSet<String> = to.iter().map(|t| format!("f{t}")).collect();
    expect.insert("puts".into());
    for t in &to {
        expect.extend(callees_of(*t).0.iter().map(|u| format!("f{u}")));
        if callees_of(*t).1 {
            expect.insert("puts".into());
        }
    }
    assert_eq!(names(&callees, "nodes"), expect);
    let last = app
        .data(&format!(
            "/binaries/{sha}/functions?sort=name&limit=5&page=1"
        ))
        .await;
    assert_eq!(last.as_array().unwrap().len(), 5);
    let middle = addr("f25000");
    let detail = app
        .data(&format!("/binaries/{sha}/functions/{middle:#x}"))
        .await;
    let lines = detail["disassembly"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["mnemonic"] == "call" && l["target"] == "f25001"),
        "{lines:?}"
    );
    let other = app
        .data(&format!("/binaries/{sha}/functions/{:#x}", addr("f49999")))
        .await;
    assert!(!other["disassembly"].as_array().unwrap().is_empty());
    assert_eq!(
        app.app.reads.from_store("parse"),
        1,
        "the file is parsed once"
    );
    assert_eq!(
        names(&detail, "callees"),
        BTreeSet::from(["f25001".to_string()])
    );
    assert_eq!(
        names(&detail, "callers"),
        BTreeSet::from(["f24999".to_string()])
    );
    let path = app
        .data(&format!("/binaries/{sha}/paths?from=f100&to=f110"))
        .await;
    assert!(!path["paths"].as_array().unwrap().is_empty(), "{path}");
    let imports = app.data(&format!("/binaries/{sha}/imports")).await;
    let puts = imports
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "puts")
        .unwrap();
    assert_eq!(puts["callers"], (0..N).filter(|i| i % 97 == 0).count());
    let symbols = app
        .data(&format!("/binaries/{sha}/symbols?prefix=f2500&limit=100"))
        .await;
    let got: BTreeSet<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let want: BTreeSet<String> = (0..N)
        .map(|i| format!("f{i}"))
        .filter(|n| n.starts_with("f2500"))
        .collect();
    assert_eq!(got, want.iter().map(String::as_str).collect());
    let (status, strings) = app
        .get(&format!(
            "/binaries/{sha}/strings?contains=says%20hello&referenced=true&limit=10"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        strings["meta"]["pagination"]["total"],
        (0..N).filter(|i| i % 97 == 0).count()
    );
    assert_eq!(strings["data"][0]["referenced_by"], 1);
    for kind in ["callgraph", "symbols", "strings"] {
        assert_eq!(
            app.app.reads.from_store(kind),
            0,
            "{kind} read from the store"
        );
        assert_eq!(app.app.reads.from_digest(kind), 1, "{kind} loaded once");
    }

    // The lists kept at ingest are what the store and the file give.
    let (symbols, strings) = kept_lists(&app, &sha).await.expect("written at ingest");
    let (stored_symbols, stored_strings) = stored_lists(&app, &sha).await;
    assert!(symbols.len() as u64 > N);
    assert!(
        symbols == stored_symbols,
        "the symbols digest differs from the store"
    );
    assert_eq!(strings.len(), stored_strings.len());
    assert!(
        strings == stored_strings,
        "the strings digest differs from the store"
    );

    // The search index reads the same documents from the digests as from
    // the graph and the file.
    let from_digests = app.app.sync.index_docs(&sha).await.unwrap().unwrap();
    for kind in ["symbols", "strings", "signatures"] {
        let file = app
            .data_dir
            .join("digests")
            .join(&sha[..2])
            .join(format!("{sha}.{kind}"));
        std::fs::remove_file(file).unwrap();
    }
    let from_graph = app.app.sync.index_docs(&sha).await.unwrap().unwrap();
    assert!(from_digests.functions.len() as u64 > N);
    assert_eq!(from_digests.symbols.len(), from_graph.symbols.len());
    assert_eq!(from_digests.strings.len(), from_graph.strings.len());
    assert_eq!(from_digests.functions.len(), from_graph.functions.len());
    let docs = |d: &bingraph::search::BinaryDocs| {
        format!(
            "{:?}",
            (&d.symbols, &d.strings, &d.functions, &d.string_hashes)
        )
    };
    assert!(
        docs(&from_digests) == docs(&from_graph),
        "the index documents differ by source"
    );
}

#[tokio::test]
async fn missing_or_stale_digests_are_rebuilt_from_the_store() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("digest", &["-O0"])).await;
    let first = kept_records(&app, &sha).await.expect("written at ingest");
    // Lost (an older data dir, a failed write): the first query reads the
    // store and keeps the digest again.
    let lists = kept_lists(&app, &sha).await.expect("written at ingest");
    let file = |kind: &str| {
        app.data_dir
            .join("digests")
            .join(&sha[..2])
            .join(format!("{sha}.{kind}"))
    };
    for kind in ["callgraph", "symbols", "strings"] {
        std::fs::remove_file(file(kind)).unwrap();
    }
    let main = addr_of(&app, &sha, "main").await;
    let callees = app
        .data(&format!("/binaries/{sha}/functions/{main:#x}/callees"))
        .await;
    assert_eq!(
        names(&callees, "nodes"),
        BTreeSet::from(["a".to_string(), "c".to_string()])
    );
    let symbols = app
        .data(&format!("/binaries/{sha}/symbols?prefix=unused"))
        .await;
    assert_eq!(symbols[0]["name"], "unused_helper");
    let strings = app
        .data(&format!("/binaries/{sha}/strings?contains=says%20hello"))
        .await;
    assert_eq!(strings[0]["referenced_by"], 1);
    for kind in ["callgraph", "symbols", "strings"] {
        assert_eq!(
            app.app.reads.from_store(kind),
            1,
            "{kind} rebuilt from the store"
        );
        assert!(file(kind).exists(), "{kind} kept again");
    }
    assert_eq!(kept_records(&app, &sha).await.as_ref(), Some(&first));
    assert_eq!(kept_lists(&app, &sha).await.as_ref(), Some(&lists));
    // A re-ingest stamps a new digest; the old stamp no longer reads.
    let old = app.app.binary(&sha).await.unwrap().ingested_at;
    let (status, _) = app
        .upload(
            "digest",
            std::fs::read(chain("digest", &["-O0"])).unwrap(),
            true,
        )
        .await;
    assert!(status == 200 || status == 201);
    let new = app.app.binary(&sha).await.unwrap().ingested_at;
    assert_ne!(old, new);
    let stale: Option<CallRecords> = app
        .app
        .digests
        .get(&sha, DIGEST_KIND, DIGEST_VERSION, &old)
        .unwrap();
    assert!(stale.is_none());
    assert_eq!(kept_records(&app, &sha).await.as_ref(), Some(&first));
    // Deleting the binary removes its digests.
    let (status, _) =
        crate::support::send(app.client.delete(format!("{}/binaries/{sha}", app.base))).await;
    assert_eq!(status, 200);
    for kind in ["callgraph", "symbols", "strings"] {
        assert!(!file(kind).exists(), "{kind} removed");
    }
}
