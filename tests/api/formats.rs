//! Other formats through the whole service: a MinGW PE and a fat Mach-O.

use crate::common::macho_fixture;
use serde_json::Value;

use crate::support::{assert_error, compile_with, TestApp, CHAIN};

#[tokio::test]
async fn pe_call_path_through_the_iat() {
    let app = TestApp::start().await;
    let exe = compile_with("x86_64-w64-mingw32-gcc", CHAIN, "chain.exe", &["-O0"]);
    let sha = app.ingest(&exe).await;
    let b = app.data(&format!("/binaries/{sha}")).await;
    assert_eq!(
        (b["format"].as_str(), b["arch"].as_str()),
        (Some("pe"), Some("x86-64"))
    );
    assert!(b["imphash"].as_str().is_some_and(|h| h.len() == 32), "{b}");
    let d = app
        .data(&format!("/binaries/{sha}/paths?from=main&to=system"))
        .await;
    let first: Vec<&str> = d["paths"][0]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["main", "a", "b", "system"], "{d}");
    // Disassembly comes from the stored file.
    let a = d["paths"][0]["nodes"][1]["addr"].as_u64().unwrap();
    let f = app.data(&format!("/binaries/{sha}/functions/{a:#x}")).await;
    assert!(f["disassembly"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["target"] == "b"));
}

#[tokio::test]
async fn fat_macho_becomes_one_binary_per_slice() {
    let app = TestApp::start().await;
    let bytes = std::fs::read(macho_fixture()).unwrap();
    let file_sha = bingraph::analysis::hashes(&bytes).sha256;
    let (status, body) = app.upload("_brotli.so", bytes.clone(), false).await;
    assert_eq!(status, 201, "{body}");
    let slices = body["data"]["binaries"].as_array().unwrap();
    assert_eq!(slices.len(), 2);
    let mut arches: Vec<&str> = slices.iter().map(|s| s["arch"].as_str().unwrap()).collect();
    arches.sort();
    assert_eq!(arches, ["aarch64", "x86-64"]);
    for s in slices {
        let sha = s["sha256"].as_str().unwrap();
        assert_ne!(sha, file_sha);
        assert_eq!(s["container_sha256"], file_sha.as_str());
        assert_eq!(s["format"], "macho");
        // Each slice's own bytes are stored, and hash to its sha256.
        let blob = app.app.blobs.get(sha).unwrap().expect("slice blob");
        assert_eq!(bingraph::analysis::hashes(&blob).sha256, sha);
        let fns = app
            .data(&format!("/binaries/{sha}/functions?sort=size&limit=1"))
            .await;
        let addr = fns[0]["addr"].as_u64().unwrap();
        let f = app
            .data(&format!("/binaries/{sha}/functions/{addr:#x}"))
            .await;
        assert!(!f["disassembly"].as_array().unwrap().is_empty());
        // String offsets are into the slice's own (downloadable) bytes.
        let strings = app.data(&format!("/binaries/{sha}/strings?limit=20")).await;
        let ascii: Vec<&Value> = strings
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["encoding"] == "ascii")
            .collect();
        assert!(!ascii.is_empty());
        for s in ascii {
            let (off, text) = (
                s["offset"].as_u64().unwrap() as usize,
                s["value"].as_str().unwrap(),
            );
            assert_eq!(
                blob.get(off..off + text.len()),
                Some(text.as_bytes()),
                "string {s} in slice {sha}"
            );
        }
    }
    // The file's sha256 finds the slices...
    let found = app.data(&format!("/binaries/{file_sha}")).await;
    assert_eq!(found["slices"].as_array().unwrap().len(), 2);
    // ...but routes about one binary need a slice's sha256.
    let (s, b) = app.get(&format!("/binaries/{file_sha}/functions")).await;
    assert_error(s, &b, 404, "binary_not_found");
    assert!(b["error"]["message"].as_str().unwrap().contains("slices"));
    // Uploading the same file again changes nothing.
    let (status, again) = app.upload("_brotli.so", bytes, false).await;
    assert_eq!(status, 200);
    assert!(again["data"]["ingest"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "unchanged"));
}
