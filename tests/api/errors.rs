//! Every error comes in the envelope with a stable code; bad input never
//! takes the service down; request ids; the OpenAPI document and its page.

use crate::support::{assert_error, chain, TestApp};

#[tokio::test]
async fn lookup_errors() {
    let app = TestApp::start().await;
    let sha = app.ingest(&chain("errs", &["-O0"])).await;
    let (s, b) = app.get("/binaries/not-a-hash").await;
    assert_error(s, &b, 400, "invalid_hash");
    let (s, b) = app.get(&format!("/binaries/{}", "ab".repeat(32))).await;
    assert_error(s, &b, 404, "binary_not_found");
    let (s, b) = app
        .get(&format!("/binaries/{}/functions", "0".repeat(40)))
        .await;
    assert_error(s, &b, 400, "invalid_hash");
    let (s, b) = app.get(&format!("/binaries/{sha}/functions/main")).await;
    assert_error(s, &b, 400, "invalid_address");
    let (s, b) = app.get(&format!("/binaries/{sha}/functions/0x1")).await;
    assert_error(s, &b, 404, "function_not_found");
    let (s, b) = app
        .get(&format!("/binaries/{sha}/symbols?limit=5000"))
        .await;
    assert_error(s, &b, 400, "invalid_parameter");
    let (s, b) = app
        .get(&format!("/binaries/{sha}/functions?sort=colour"))
        .await;
    assert_error(s, &b, 400, "invalid_request");
    let (s, b) = app.get("/no/such/route").await;
    assert_error(s, &b, 404, "route_not_found");
}

#[tokio::test]
async fn bad_uploads_get_clear_errors_and_the_service_stays_up() {
    let app = TestApp::start_with(|c| c.max_upload_bytes = 64 * 1024).await;
    let (s, b) = app
        .upload(
            "notes.txt",
            b"just some text, not a program".to_vec(),
            false,
        )
        .await;
    assert_error(s, &b, 422, "unsupported_format");
    let elf = std::fs::read(chain("cut", &["-O0"])).unwrap();
    let (s, b) = app.upload("cut", elf[..200].to_vec(), false).await;
    assert_error(s, &b, 422, "malformed_binary");
    let (s, b) = app.upload("big", vec![0x7f; 200 * 1024], false).await;
    assert_error(s, &b, 413, "payload_too_large");
    // Far over the limit: the body limit itself answers, still in the envelope.
    let (s, b) = app.upload("huge", vec![0; 2 * 1024 * 1024], false).await;
    assert_error(s, &b, 413, "payload_too_large");
    let res = app
        .client
        .post(format!("{}/binaries", app.base))
        .multipart(reqwest::multipart::Form::new().text("note", "no file"))
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    assert_error(s, &res.json().await.unwrap(), 400, "missing_file");
    // Nothing was stored, and the service still answers.
    let health = app.data("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["binaries"], 0);
}

#[tokio::test]
async fn request_ids() {
    let app = TestApp::start().await;
    let res = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    let header = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["request_id"], header.as_str());
    assert_eq!(body["meta"]["api_version"], "v1");
    let res = app
        .client
        .get(format!("{}/binaries/bad", app.base))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-42");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["request_id"], "trace-42");
}

#[tokio::test]
async fn openapi_document_and_offline_reference() {
    let app = TestApp::start().await;
    let doc = app.openapi().await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/health",
        "/api/v1/binaries",
        "/api/v1/binaries/{hash}",
        "/api/v1/binaries/{sha256}/symbols",
        "/api/v1/binaries/{sha256}/functions",
        "/api/v1/binaries/{sha256}/functions/{addr}",
        "/api/v1/binaries/{sha256}/functions/{addr}/callers",
        "/api/v1/binaries/{sha256}/functions/{addr}/callees",
        "/api/v1/binaries/{sha256}/strings",
        "/api/v1/binaries/{sha256}/imports",
        "/api/v1/binaries/{sha256}/graph",
        "/api/v1/binaries/{sha256}/paths",
        "/api/v1/binaries/{sha256}/file",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/usage",
        "/api/v1/keys",
        "/api/v1/keys/{id}",
        "/api/v1/cypher",
        "/api/v1/cypher/examples",
        "/api/v1/cypher/examples/{name}",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert!(paths["/api/v1/binaries"]["post"]["responses"]["413"].is_object());
    assert!(paths["/api/v1/binaries/{hash}"]["delete"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["name"], "X-API-Key", "{schemes}");
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    assert!(doc["components"]["schemas"]["BinaryView"].is_object());

    let page = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/openapi.json"));
    assert!(!html.contains("<script src"), "no external scripts");
    assert!(!html.contains("https://"), "no external assets");
}
