//! Analysis jobs through HTTP: submission, phases, findings, reports (SARIF
//! against the official schema), provenance checked with `bingraph verify`,
//! WebSocket progress, listing, cancelling, deleting, `/validate`, and a
//! server killed with SIGKILL in the middle of a job.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bingraph::params;
use futures_util::StreamExt;
use serde_json::Value;

use crate::support::{
    assert_error, compile, file_form, scratch, send, send_bytes, Caller, TestApp,
};

/// Every rule the engine should fire on, and two calls it should not flag.
const VULN: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
char *gets(char *);
const char *banner = "OpenSSL 1.0.1f 6 Jan 2014";
const char *other = "OpenSSL 3.0.13 30 Jan 2024";
const char *update = "http://updates.example.com/feed";
const char *aws = "AKIAIOSFODNN7EXAMPLE";
const char *peer = "connect to 10.20.30.40 now";
__attribute__((noinline)) void run(const char *cmd) { system(cmd); }
__attribute__((noinline)) void greet(char *name) { char buf[32]; strcpy(buf, name); printf(buf); }
__attribute__((noinline)) void safe(const char *s) { printf("%s and %d\n", s, 3); }
__attribute__((noinline)) void bounded(void) { char w[16]; scanf("%15s", w); puts(w); }
int main(int argc, char **argv) {
    char line[64], out[128];
    if (argc > 1) greet(argv[1]);
    gets(line);
    scanf("%s", line);
    sprintf(out, "%s!", line);
    safe(out); bounded();
    run(line); puts(update); puts(aws); puts(peer); puts(banner); puts(other);
    return 0;
}
"#;

fn vuln() -> std::path::PathBuf {
    compile(
        VULN,
        "vuln",
        &["-O0", "-fno-stack-protector", "-no-pie", "-w"],
    )
}

impl TestApp {
    /// POST /analysis with `file` and extra text fields.
    pub async fn submit(&self, path: &Path, fields: &[(&str, &str)]) -> (u16, Value) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut form = file_form(&name, std::fs::read(path).unwrap());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        send(
            self.client
                .post(format!("{}/analysis", self.base))
                .multipart(form),
        )
        .await
    }

    /// Poll a job until it ends; its last view.
    pub async fn wait_job(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let job = self.data(&format!("/analysis/{id}")).await;
            if ["succeeded", "failed", "cancelled"].contains(&job["state"].as_str().unwrap()) {
                return job;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "job {id} did not end: {job}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// GET a raw (non-envelope) body.
    pub async fn raw(&self, path: &str) -> (u16, String, Vec<u8>) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, ct, res.bytes().await.unwrap().to_vec())
    }
}

async fn analysed(app: &TestApp, path: &Path) -> Value {
    let (status, body) = app
        .submit(
            path,
            &[
                ("output_formats", "[\"json\",\"sarif\"]"),
                ("tags", "ci,nightly"),
            ],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["job_id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["state"], "queued");
    let job = app.wait_job(&id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    job
}

fn rules(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_job_runs_twelve_phases_and_finds_what_the_code_does() {
    let app = TestApp::start().await;
    let job = analysed(&app, &vuln()).await;
    let phases = job["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 12);
    for p in phases {
        assert_eq!(p["status"], "done", "{p}");
        assert!(p["output_sha256"].is_string(), "{p}");
    }
    assert!(phases[4]["counts"]["functions"].as_u64().unwrap() >= 6);
    // Every function got a signature; the binary was indexed for search.
    assert_eq!(
        phases[7]["counts"]["signatures"],
        phases[4]["counts"]["functions"]
    );
    assert_eq!(phases[11]["counts"]["indexed"], 1);
    assert_eq!(phases[10]["counts"]["created"], 1);
    assert_eq!(job["progress"], 1.0);
    assert_eq!(job["tags"], serde_json::json!(["ci", "nightly"]));
    assert_eq!(job["format"], "elf");
    let sha = job["binaries"][0].as_str().unwrap();
    assert_eq!(app.data(&format!("/binaries/{sha}")).await["sha256"], sha);

    // The same file again is the same job; `force` makes a new one.
    let (status, again) = app.submit(&vuln(), &[]).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["existing"], true);
    assert_eq!(again["data"]["job_id"], job["job_id"]);
    let (status, forced) = app.submit(&vuln(), &[("force", "true")]).await;
    assert_eq!(status, 202, "{forced}");
    assert_ne!(forced["data"]["job_id"], job["job_id"]);
    let redo = app
        .wait_job(forced["data"]["job_id"].as_str().unwrap())
        .await;
    assert_eq!(redo["phases"][10]["counts"]["replaced"], 1, "{redo}");

    let id = job["job_id"].as_str().unwrap();
    let v = app.data(&format!("/analysis/{id}/vulnerabilities")).await;
    let found = rules(&v["findings"]);
    for want in [
        "BG101", "BG102", "BG103", "BG201", "BG301", "BG402", "BG403", "BG601", "BG602", "BG603",
        "BG701",
    ] {
        assert!(
            found.contains(&want.to_string()),
            "{want} missing: {found:?}"
        );
    }
    let all = v["findings"].as_array().unwrap();
    let by = |rule: &str| all.iter().filter(|f| f["rule"] == rule).collect::<Vec<_>>();
    assert_eq!(by("BG101")[0]["cwe"], "CWE-242");
    assert_eq!(by("BG101")[0]["function"], "main");
    // strcpy and sprintf, each at its call site.
    let copies: Vec<_> = by("BG102")
        .iter()
        .map(|f| f["function"].as_str().unwrap().to_string())
        .collect();
    assert!(
        copies.contains(&"greet".into()) && copies.contains(&"main".into()),
        "{copies:?}"
    );
    // Only the unbounded scanf, not "%15s".
    assert_eq!(by("BG103").len(), 1, "{:?}", by("BG103"));
    assert_eq!(by("BG103")[0]["function"], "main");
    // printf(buf) in greet is flagged; printf("%s and %d\n", ...) in safe is not.
    let fmt = by("BG301");
    assert_eq!(fmt.len(), 1, "{fmt:?}");
    assert_eq!(fmt[0]["function"], "greet");
    assert_eq!(fmt[0]["cwe"], "CWE-134");
    // system() is reached from main.
    let cmd = by("BG201");
    assert_eq!(
        cmd[0]["path"],
        serde_json::json!(["main", "run", "system"]),
        "{cmd:?}"
    );
    assert_eq!(cmd[0]["cwe"], "CWE-78");
    // OpenSSL 1.0.1f is Heartbleed; 3.0.13 is past every advisory in the table.
    let cves: Vec<_> = by("BG701")
        .iter()
        .map(|f| f["cve"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(cves, ["CVE-2014-0160"]);
    // The secret is shown redacted, never whole.
    assert!(!v.to_string().contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(by("BG603")[0]["evidence"][0] == "10.20.30.40");
    assert!(v["by_severity"]["high"].as_u64().unwrap() >= 4);
    let (status, body) = app
        .get(&format!("/analysis/{id}/vulnerabilities?severity=high"))
        .await;
    assert_eq!(status, 200);
    assert!(body["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "high" || f["severity"] == "critical"));

    // Findings are graph nodes linked to their binary and their function.
    let rows = app
        .app
        .store
        .read(
            "MATCH (b:Binary {sha256: $sha})-[:HAS_FINDING]->(f:Finding {rule: 'BG301'})<-[:HAS_FINDING]-(fn:Function) RETURN fn.name AS name",
            params! { "sha" => sha },
        )
        .await
        .unwrap();
    assert_eq!(rows.first("name").and_then(|v| v.as_str()), Some("greet"));
    // Jobs live in the account store, not in the analysis graph; both jobs
    // still name the binary the forced rerun rewrote.
    let redo_id = redo["job_id"].as_str().unwrap();
    for job_id in [id, redo_id] {
        let j = app.data(&format!("/analysis/{job_id}")).await;
        assert_eq!(j["binaries"], serde_json::json!([sha]), "{j}");
    }
    let count = "MATCH (j:Job) RETURN count(j) AS n";
    let n = |rows: bingraph::graph::Rows| rows.first("n").and_then(|v| v.as_u64());
    let in_graph = app.app.store.read(count, params! {}).await.unwrap();
    assert_eq!(n(in_graph), Some(0));
    let in_accounts = app.app.auth.store().read(count, params! {}).await.unwrap();
    assert_eq!(n(in_accounts), Some(2));
}

#[tokio::test]
async fn a_hardened_build_has_no_hardening_findings() {
    let app = TestApp::start().await;
    let src = "#include <stdio.h>\n#include <string.h>\nint main(int c, char **v) { char b[16]; if (c > 1) { strcpy(b, v[1]); printf(\"%s\\n\", b); } return 0; }\n";
    let hard = compile(
        src,
        "hardened",
        &[
            "-O2",
            "-D_FORTIFY_SOURCE=2",
            "-fstack-protector-strong",
            "-fPIE",
            "-pie",
            "-Wl,-z,relro,-z,now",
            "-Wl,-z,noexecstack",
        ],
    );
    let job = analysed(&app, &hard).await;
    let id = job["job_id"].as_str().unwrap();
    let v = app.data(&format!("/analysis/{id}/vulnerabilities")).await;
    let found = rules(&v["findings"]);
    for absent in [
        "BG401", "BG402", "BG403", "BG404", "BG405", "BG406", "BG407", "BG301",
    ] {
        assert!(
            !found.contains(&absent.to_string()),
            "{absent} in {found:?}"
        );
    }
    let soft = compile(
        src,
        "soft",
        &["-O0", "-fno-stack-protector", "-no-pie", "-Wl,-z,norelro"],
    );
    let job = analysed(&app, &soft).await;
    let v = app
        .data(&format!(
            "/analysis/{}/vulnerabilities",
            job["job_id"].as_str().unwrap()
        ))
        .await;
    let found = rules(&v["findings"]);
    for present in ["BG402", "BG403", "BG404", "BG405"] {
        assert!(
            found.contains(&present.to_string()),
            "{present} not in {found:?}"
        );
    }
}

#[tokio::test]
async fn reports_in_four_formats_sarif_validates_and_verify_catches_one_flipped_byte() {
    let app = TestApp::start().await;
    let job = analysed(&app, &vuln()).await;
    let id = job["job_id"].as_str().unwrap();

    let (status, ct, json) = app.raw(&format!("/analysis/{id}/report")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json");
    let report: Value = serde_json::from_slice(&json).unwrap();
    let sections = report["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 10);
    for (i, s) in sections.iter().enumerate() {
        assert_eq!(s["number"], i + 1);
    }
    assert_eq!(report["file"]["sha256"], job["file_sha256"]);
    let s9 = app.data(&format!("/analysis/{id}/report/section/9")).await;
    assert_eq!(s9["id"], "findings");
    assert_eq!(
        s9["data"][0]["count"].as_u64().unwrap(),
        job["findings"].as_u64().unwrap()
    );
    let (status, body) = app.get(&format!("/analysis/{id}/report/section/11")).await;
    assert_error(status, &body, 404, "section_not_found");
    let (status, body) = app.get(&format!("/analysis/{id}/report?format=pdf")).await;
    assert_error(status, &body, 400, "invalid_parameter");

    // SARIF 2.1.0 against the official schema.
    let (status, ct, sarif) = app
        .raw(&format!("/analysis/{id}/report?format=sarif"))
        .await;
    assert_eq!((status, ct.as_str()), (200, "application/sarif+json"));
    let sarif: Value = serde_json::from_slice(&sarif).unwrap();
    // The official schema's `language` pattern ends in a bare `]`, which
    // ECMA-262 (Annex B) reads as a literal and Rust's regex refuses: escape it.
    let text = include_str!("fixtures/sarif-schema-2.1.0.json");
    let bad = r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#;
    assert!(text.contains(bad));
    let text = text.replace(bad, r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len() as u64, job["findings"].as_u64().unwrap());
    assert!(results.iter().any(|r| r["ruleId"] == "BG301"
        && r["locations"][0]["logicalLocations"][0]["name"] == "greet"
        && r["locations"][0]["physicalLocation"]["address"]["absoluteAddress"].is_u64()));
    // The validator does reject a broken log, so the pass above means something.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));

    // HTML stands alone: no scripts, no external assets, text escaped.
    let (status, ct, html) = app.raw(&format!("/analysis/{id}/report?format=html")).await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for bad in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "{bad} in the HTML report");
    }
    assert!(html.matches("href=\"").count() == html.matches("href=\"#").count());
    assert!(html.contains("CWE-134") && html.contains("greet"));
    let (_, ct, md) = app.raw(&format!("/analysis/{id}/report?format=md")).await;
    assert!(ct.starts_with("text/markdown"));
    let md = String::from_utf8(md).unwrap();
    assert!(md.starts_with("# bingraph report: vuln"), "{}", &md[..80]);
    assert!(md.contains("## 9. Findings"));

    // Provenance: the chain and its signature, checked offline.
    let (status, _, prov) = app.raw(&format!("/analysis/{id}/provenance")).await;
    assert_eq!(status, 200);
    let p: Value = serde_json::from_slice(&prov).unwrap();
    assert_eq!(p["subject"]["sha256"], job["file_sha256"]);
    assert_eq!(p["phases"].as_array().unwrap().len(), 12);
    assert_eq!(p["phases"][11]["output_sha256"], job["report_sha256"]);
    assert_eq!(
        p["reports"]["json"]["sha256"],
        bingraph::provenance::sha256_hex(&json)
    );
    let key = app.data("/provenance/key").await;
    assert_eq!(p["signature"]["key_id"], key["key_id"]);

    let dir = scratch(&format!("verify-{id}"));
    let (rp, pp) = (dir.join("report.json"), dir.join("provenance.json"));
    std::fs::write(&rp, &json).unwrap();
    std::fs::write(&pp, &prov).unwrap();
    let verify = |report: &Path, prov: &Path, key: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bingraph"));
        c.arg("verify").arg(report).arg(prov);
        if let Some(k) = key {
            c.args(["--key", k]);
        }
        let out = c.output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = verify(&rp, &pp, Some(key["public_key"].as_str().unwrap()));
    assert!(ok, "{text}");
    assert!(text.contains("OK") && text.contains(id), "{text}");
    // Every format verifies against the same provenance.
    let (_, _, html_bytes) = app.raw(&format!("/analysis/{id}/report?format=html")).await;
    let hp = dir.join("report.html");
    std::fs::write(&hp, &html_bytes).unwrap();
    assert!(verify(&hp, &pp, None).0);
    // One flipped byte in the report fails.
    let mut flipped = json.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x01;
    std::fs::write(&rp, &flipped).unwrap();
    let (ok, text) = verify(&rp, &pp, None);
    assert!(!ok && text.contains("FAILED"), "{text}");
    std::fs::write(&rp, &json).unwrap();
    // One flipped byte in the signed document fails too.
    let text_prov = String::from_utf8(prov.clone()).unwrap();
    let forged = text_prov.replacen(
        &format!("\"size\": {}", job["size"]),
        &format!("\"size\": {}", job["size"].as_u64().unwrap() + 1),
        1,
    );
    assert_ne!(forged, text_prov);
    std::fs::write(&pp, forged).unwrap();
    let (ok, text) = verify(&rp, &pp, None);
    assert!(!ok && text.contains("signature"), "{text}");
    // And a provenance from another key is refused when the key is pinned.
    std::fs::write(&pp, &prov).unwrap();
    let (ok, text) = verify(&rp, &pp, Some("0123456789abcdef"));
    assert!(!ok && text.contains("key"), "{text}");
}

#[tokio::test]
async fn listing_filters_ownership_cancel_delete_and_the_job_cap() {
    // No local workers: jobs stay queued until the test runs them.
    let app = TestApp::start_with(|c| c.jobs.workers = 0).await;
    let bin = vuln();
    let (_, a) = app.submit(&bin, &[("tags", "alpha")]).await;
    let a = a["data"]["job_id"].as_str().unwrap().to_string();
    let other = compile("int main(void) { return 7; }\n", "seven", &["-O1"]);
    let (_, b) = app
        .submit(&other, &[("tags", "[\"beta\"]"), ("priority", "high")])
        .await;
    let b = b["data"]["job_id"].as_str().unwrap().to_string();

    let (status, body) = app.get("/analyses?status=queued").await;
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["pagination"]["total"], 2, "{body}");
    // Newest first by default; oldest first on request.
    assert_eq!(body["data"][0]["job_id"], b);
    let list = app.data("/analyses?sort=created_at").await;
    assert_eq!(list[0]["job_id"], a);
    assert_eq!(
        app.data("/analyses?tag=beta")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.data("/analyses?since=2099-01-01T00:00:00Z")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.data("/analyses?until=2099-01-01T00:00:00Z&limit=1")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for bad in [
        "/analyses?status=done",
        "/analyses?since=yesterday",
        "/analyses?sort=size",
    ] {
        let (status, body) = app.get(bad).await;
        assert_error(status, &body, 400, "invalid_parameter");
    }

    // Run one through the CLI's path (claim and run in this process).
    let first = app.app.jobs.run_now(&b).await.unwrap().unwrap();
    assert_eq!(first.state.as_str(), "succeeded");
    assert_eq!(
        app.data("/analyses?status=succeeded&format=elf&arch=x86-64")
            .await[0]["job_id"],
        b
    );

    // Another user sees none of it; non-admins cannot list everyone's.
    app.user("mallory", "mallory-password", "read,write").await;
    let key = app.key("mallory", "read,write", Some("test")).await;
    let mallory = app.as_key(&key);
    let (status, body) = send(mallory.get(&format!("/analysis/{a}"))).await;
    assert_error(status, &body, 404, "analysis_not_found");
    let (_, body) = send(mallory.get("/analyses")).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 0, "{body}");
    let (status, _) = send(mallory.get("/analyses?all=true")).await;
    assert_eq!(status, 403);
    assert_eq!(
        app.data("/analyses?all=true")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Cancel the queued one: it never runs, and has no report.
    let cancelled = app
        .client
        .post(format!("{}/analysis/{a}/cancel", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status().as_u16(), 200);
    let job = app.data(&format!("/analysis/{a}")).await;
    assert_eq!(job["state"], "cancelled");
    assert_eq!(job["error"]["code"], "cancelled");
    assert!(
        app.app.jobs.run_now(&a).await.unwrap().is_none(),
        "a cancelled job is not claimed"
    );
    let (status, body) = app.get(&format!("/analysis/{a}/report")).await;
    assert_error(status, &body, 404, "report_not_found");
    let again = app
        .client
        .post(format!("{}/analysis/{a}/cancel", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);

    // Delete (admin): the job and its report files go; the binary stays.
    let dir = app.app.jobs.report_dir(&b);
    assert!(dir.join("report.json").exists());
    let res = app
        .client
        .delete(format!("{}/analysis/{b}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, body) = app.get(&format!("/analysis/{b}")).await;
    assert_error(status, &body, 404, "analysis_not_found");
    assert!(!dir.exists());
    let (status, _) = send(mallory.delete(&format!("/analysis/{a}"))).await;
    assert_eq!(status, 403);

    // The tier's concurrent-job cap counts queued and running jobs.
    let starter = app.key("mallory", "read,write", Some("starter")).await;
    let starter = app.as_key(&starter);
    let post = |name: &'static str| {
        let bytes = format!("{name} is not a binary but the queue does not know yet").into_bytes();
        send(starter.multipart("/analysis", file_form(name, bytes)))
    };
    assert_eq!(post("one").await.0, 202);
    assert_eq!(post("two").await.0, 202);
    let (status, body) = post("three").await;
    assert_error(status, &body, 429, "too_many_jobs");
    // A job of a file that is no executable fails with a clear error.
    let one = app
        .data("/analyses?all=true&status=queued&sort=created_at")
        .await[0]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = app.app.jobs.run_now(&one).await.unwrap().unwrap();
    assert_eq!(failed.state.as_str(), "failed");
    assert_eq!(failed.error.as_ref().unwrap().code, "unsupported_format");
    assert_eq!(failed.phases[0].status, bingraph::jobs::PhaseStatus::Failed);
    assert_eq!(post("four").await.0, 202, "a slot is free again");
    let (_, usage) = send(starter.get("/usage")).await;
    assert_eq!(usage["data"]["analyses"], 3, "{usage}");
}

#[tokio::test]
async fn websocket_streams_every_phase_then_the_end() {
    let app = TestApp::start_with(|c| c.jobs.workers = 0).await;
    let (_, body) = app.submit(&vuln(), &[]).await;
    let id = body["data"]["job_id"].as_str().unwrap().to_string();

    let url = format!(
        "{}/analysis/{id}/events",
        app.base.replace("http://", "ws://")
    );
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        url.as_str(),
    )
    .unwrap();
    req.headers_mut()
        .insert("x-api-key", app.admin_key.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket");
    let first = ws.next().await.unwrap().unwrap();
    let first: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["job"]["state"], "queued");

    let jobs = app.app.jobs.clone();
    let runner = tokio::spawn(async move { jobs.run_now(&id).await });
    let mut phases_done = std::collections::BTreeSet::new();
    let mut last = Value::Null;
    let started = Instant::now();
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("a message in time")
    {
        let msg = msg.unwrap();
        if msg.is_close() {
            break;
        }
        let e: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if e["type"] == "phase"
            && ["done", "skipped"].contains(&e["phase"]["status"].as_str().unwrap())
        {
            phases_done.insert(e["phase"]["number"].as_u64().unwrap());
        }
        last = e;
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    assert_eq!(phases_done.len(), 12, "{phases_done:?}");
    assert_eq!(last["type"], "state");
    assert_eq!(last["state"], "succeeded");
    assert_eq!(
        runner.await.unwrap().unwrap().unwrap().state.as_str(),
        "succeeded"
    );

    // Without credentials the upgrade is refused.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        url.as_str(),
    )
    .unwrap();
    req.headers_mut().remove("x-api-key");
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
}

#[tokio::test]
async fn validate_is_phase_one_only() {
    let app = TestApp::start().await;
    let bin = vuln();
    let admin = app.as_key(&app.admin_key);
    let (status, v) =
        send(admin.multipart("/validate", file_form("vuln", std::fs::read(&bin).unwrap()))).await;
    assert_eq!(status, 200, "{v}");
    let b = &v["data"]["binaries"][0];
    assert_eq!(b["format"], "elf");
    assert_eq!(b["arch"], "x86-64");
    let ind = rules(&b["indicators"]);
    assert!(ind.contains(&"BG402".to_string()), "{ind:?}");
    assert!(
        !ind.contains(&"BG102".to_string()),
        "no code analysis in phase 1: {ind:?}"
    );
    // Nothing was stored.
    let (status, _) = app
        .get(&format!(
            "/binaries/{}",
            v["data"]["sha256"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404);
    let (status, body) = send(admin.multipart(
        "/validate",
        file_form("x.sh", b"#!/bin/sh\necho hi\n".to_vec()),
    ))
    .await;
    assert_error(status, &body, 422, "unsupported_format");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(app: &TestApp, data: &Path, port: u16) -> Server {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bingraph"));
    c.arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    for (k, v) in app.cli_env() {
        c.env(k, v);
    }
    c.env("BINGRAPH_ADMIN_PASSWORD", "kill-test-password")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(data.with_extension(format!("{port}.log"))).unwrap(),
        ));
    Server(c.spawn().unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_up(base: &str) {
    let started = Instant::now();
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_job_survives_sigkill_of_the_server() {
    // The servers share this app's store and data directory; the app itself
    // runs no workers, so only the servers run the job.
    let app = TestApp::start_with(|c| c.jobs.workers = 0).await;
    // A binary big enough that the kill lands mid-job: libc.
    let big = [
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
    ]
    .into_iter()
    .map(Path::new)
    .find(|p| p.exists())
    .expect("libc on this machine");
    let data = app.data_dir.clone();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let first = serve(&app, &data, port);
    wait_up(&base).await;
    let out = Command::new(env!("CARGO_BIN_EXE_bingraph"))
        .arg("--data-dir")
        .arg(&data)
        .args(["keys", "create", "--scopes", "admin"])
        .envs(app.cli_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let caller = Caller::new(&base, &key);
    let (status, body) = send(caller.multipart(
        "/analysis",
        file_form("libc.so.6", std::fs::read(big).unwrap()),
    ))
    .await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["job_id"].as_str().unwrap().to_string();
    let job_path = format!("/analysis/{id}");
    let get = || async { send(caller.get(&job_path)).await.1 };
    // Kill it once the job is past phase 1 and not yet done.
    let started = Instant::now();
    let at_kill = loop {
        let j = get().await["data"].clone();
        if j["state"] == "running" && j["phase"].as_u64().unwrap_or(0) >= 2 {
            break j;
        }
        assert_ne!(
            j["state"], "succeeded",
            "the job ended before the kill; use a bigger binary"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{j}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut first = first;
    // SIGKILL: no shutdown code runs.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    assert_eq!(at_kill["attempts"], 1);

    let _second = serve(&app, &data, port);
    wait_up(&base).await;
    let started = Instant::now();
    let done = loop {
        let j = get().await["data"].clone();
        if j["state"] == "succeeded" || j["state"] == "failed" {
            break j;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "{j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "it ran again after the restart");
    let sha = done["binaries"][0].as_str().unwrap();

    // Nothing duplicated, nothing lost: one job, one binary, every function
    // and finding once, and a report that verifies.
    let store = &app.app.store;
    let one = |q: &'static str| async move {
        store
            .read(q, params! { "sha" => sha })
            .await
            .unwrap()
            .first("n")
            .and_then(|v| v.as_u64())
            .unwrap()
    };
    let jobs = app
        .app
        .auth
        .store()
        .read(
            "MATCH (j:Job) WHERE j.file_sha256 = $sha RETURN count(j) AS n",
            params! { "sha" => sha },
        )
        .await
        .unwrap();
    assert_eq!(jobs.first("n").and_then(|v| v.as_u64()), Some(1));
    assert_eq!(
        one("MATCH (b:Binary {sha256: $sha}) RETURN count(b) AS n").await,
        1
    );
    let functions =
        one("MATCH (b:Binary {sha256: $sha})-[:DEFINES]->(f:Function) RETURN count(f) AS n").await;
    let declared = one("MATCH (b:Binary {sha256: $sha}) RETURN b.function_count AS n").await;
    assert_eq!(functions, declared);
    assert!(functions > 1000, "{functions}");
    assert_eq!(
        one("MATCH (f:Function) WHERE f.uid STARTS WITH $sha RETURN count(f) AS n").await,
        functions
    );
    let findings =
        one("MATCH (b:Binary {sha256: $sha})-[:HAS_FINDING]->(f:Finding) RETURN count(f) AS n")
            .await;
    assert_eq!(findings, done["findings"].as_u64().unwrap());
    assert_eq!(
        one("MATCH (f:Finding {binary: $sha}) RETURN count(f) AS n").await,
        findings
    );
    let (_, report) = send_bytes(caller.get(&format!("{job_path}/report"))).await;
    let (_, prov) = send_bytes(caller.get(&format!("{job_path}/provenance"))).await;
    assert!(bingraph::provenance::verify(&prov, &report, None).is_ok());
}
