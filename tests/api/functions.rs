//! Functions, disassembly and CFG, callers and callees by depth, the call
//! graph, and call paths (main → a → b → system).

use serde_json::Value;

use crate::support::{addr_of, assert_error, chain, TestApp};

fn names(list: &Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn function_list_sorts_and_paginates() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("list", &["-O0"])).await;
    let binary = app.data(&format!("/binaries/{sha}")).await;
    let total = binary["counts"]["functions"].as_u64().unwrap();

    let (status, page) = app.get(&format!("/binaries/{sha}/functions?limit=3")).await;
    assert_eq!(status, 200);
    assert_eq!(page["meta"]["pagination"]["total"].as_u64(), Some(total));
    let addrs: Vec<u64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["addr"].as_u64().unwrap())
        .collect();
    assert_eq!(addrs.len(), 3);
    assert!(
        addrs.windows(2).all(|w| w[0] < w[1]),
        "address order: {addrs:?}"
    );
    let f = &page["data"][0];
    assert_eq!(f["addr_hex"], format!("{:#x}", addrs[0]));

    let by_name = app
        .data(&format!("/binaries/{sha}/functions?sort=name&limit=1000"))
        .await;
    let n: Vec<&str> = by_name
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let mut sorted = n.clone();
    sorted.sort();
    assert_eq!(n, sorted);
    assert_eq!(n.len() as u64, total);
    let by_size = app
        .data(&format!("/binaries/{sha}/functions?sort=size&limit=1000"))
        .await;
    let s: Vec<u64> = by_size
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["size"].as_u64().unwrap())
        .collect();
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "largest first: {s:?}");
}

#[tokio::test]
async fn function_detail_has_disassembly_cfg_and_neighbours() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("detail", &["-O0"])).await;
    let a = addr_of(&app, &sha, "a").await;
    let d = app.data(&format!("/binaries/{sha}/functions/{a:#x}")).await;
    assert_eq!(d["name"], "a");
    assert_eq!(d["addr"].as_u64(), Some(a));
    assert_eq!(d["uid"], format!("{sha}:{a:x}"));
    let dis = d["disassembly"].as_array().unwrap();
    assert_eq!(dis[0]["addr"].as_u64(), Some(a));
    assert_eq!(dis.len() as u64, d["instructions"].as_u64().unwrap());
    assert!(
        dis.iter()
            .any(|l| l["mnemonic"] == "call" && l["target"] == "b"),
        "a calls b"
    );
    let blocks = d["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty());
    assert_eq!(blocks[0]["start"].as_u64(), Some(a));
    assert_eq!(names(&d, "callers"), ["main"]);
    assert_eq!(names(&d, "callees"), ["b"]);
    // a increments the global `counter`.
    assert!(
        d["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["value"] == "counter" && r["target"] == "global"),
        "{}",
        d["references"]
    );
    // main's `?:` jumps inside main: a branch, not a call to some `sub_`.
    let main = addr_of(&app, &sha, "main").await;
    let m = app
        .data(&format!("/binaries/{sha}/functions/{main:#x}"))
        .await;
    let lines = m["disassembly"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l["mnemonic"] == "jmp"),
        "main has a jmp at -O0"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l["target"].as_str().unwrap_or("").starts_with("sub_")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l["target"] == "a") && lines.iter().any(|l| l["target"] == "c"));
    // Decimal addresses work as well; the disassembly can be left out.
    let d2 = app
        .data(&format!("/binaries/{sha}/functions/{a}?disasm=false"))
        .await;
    assert_eq!(d2["name"], "a");
    assert!(d2["disassembly"].is_null());
}

#[tokio::test]
async fn callers_and_callees_by_depth() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("depth", &["-O0"])).await;
    let main = addr_of(&app, &sha, "main").await;
    let b = addr_of(&app, &sha, "b").await;
    let callees = |d: u32| format!("/binaries/{sha}/functions/{main:#x}/callees?depth={d}");
    assert_eq!(names(&app.data(&callees(1)).await, "nodes"), ["a", "c"]);
    assert_eq!(
        names(&app.data(&callees(2)).await, "nodes"),
        ["a", "b", "c", "puts"]
    );
    let three = app.data(&callees(3)).await;
    assert_eq!(names(&three, "nodes"), ["a", "b", "c", "puts", "system"]);
    let system = three["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "system")
        .unwrap();
    assert_eq!(
        (system["kind"].as_str(), system["depth"].as_u64()),
        (Some("import"), Some(3))
    );
    assert_eq!(system["library"], "libc.so.6");
    assert_eq!(three["truncated"], false);

    let callers = |d: u32| format!("/binaries/{sha}/functions/{b:#x}/callers?depth={d}");
    assert_eq!(names(&app.data(&callers(1)).await, "nodes"), ["a"]);
    assert_eq!(names(&app.data(&callers(2)).await, "nodes"), ["a", "main"]);
    let (status, body) = app.get(&callers(0)).await;
    assert_error(status, &body, 400, "invalid_parameter");
}

#[tokio::test]
async fn call_paths_from_main_to_system() {
    let app = TestApp::start().await;
    for (name, flags) in [
        ("paths", &["-O0"][..]),
        ("paths-stripped", &["-O2", "-s"][..]),
    ] {
        let sha = app.ingest(&chain(name, flags)).await;
        let d = app
            .data(&format!("/binaries/{sha}/paths?from=main&to=system"))
            .await;
        let paths = d["paths"].as_array().unwrap();
        assert!(!paths.is_empty(), "{name}: {d}");
        let first: Vec<&str> = paths[0]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(first.first(), Some(&"main"), "{name}");
        assert_eq!(first.last(), Some(&"system"), "{name}");
        if name == "paths" {
            assert_eq!(first, ["main", "a", "b", "system"]);
            assert_eq!(paths[0]["length"], 3);
            assert_eq!(paths.len(), 1, "one simple path");
            assert_eq!(d["to"]["kind"], "import");
        }
        // Ends by address, and the PLT spelling of an import.
        let main = d["from"]["addr"].as_u64().unwrap();
        let by_addr = app
            .data(&format!(
                "/binaries/{sha}/paths?from={main:#x}&to=system@plt"
            ))
            .await;
        assert_eq!(by_addr["paths"].as_array().unwrap().len(), paths.len());
        // Too short a max_depth finds nothing (on -O0 the path has 3 calls).
        if name == "paths" {
            let short = app
                .data(&format!(
                    "/binaries/{sha}/paths?from=main&to=system&max_depth=2"
                ))
                .await;
            assert!(short["paths"].as_array().unwrap().is_empty());
            // c reaches puts but never system.
            let none = app
                .data(&format!("/binaries/{sha}/paths?from=c&to=system"))
                .await;
            assert!(none["paths"].as_array().unwrap().is_empty());
        }
        let (status, body) = app
            .get(&format!("/binaries/{sha}/paths?from=main&to=no_such_fn"))
            .await;
        assert_error(status, &body, 404, "path_end_not_found");
    }
}

#[tokio::test]
async fn call_and_data_graphs() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("graph", &["-O0"])).await;
    let g = app.data(&format!("/binaries/{sha}/graph?kind=calls")).await;
    assert_eq!(g["truncated"], false);
    let id_of = |name: &str| {
        g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap()["id"]
            .clone()
    };
    let has_edge = |from: &str, to: &str| {
        g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == id_of(from) && e["target"] == id_of(to))
    };
    assert!(has_edge("main", "a") && has_edge("a", "b") && has_edge("b", "system"));
    assert!(!has_edge("b", "a"));

    let small = app
        .data(&format!("/binaries/{sha}/graph?kind=calls&limit=2"))
        .await;
    assert_eq!(small["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(small["truncated"], true);

    let data = app.data(&format!("/binaries/{sha}/graph?kind=data")).await;
    let hello = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "bingraph says hello")
        .expect("the string c prints");
    assert_eq!(hello["kind"], "string");
    let c_id = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "c")
        .unwrap()["id"]
        .clone();
    assert!(data["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["source"] == c_id && e["target"] == hello["id"]));
}
