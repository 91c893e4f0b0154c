//! The access log: one line per request with time, client, method, path and query, status,
//! bytes sent, duration and request id; the id is the client's `X-Request-Id` or a new one,
//! sent back; no token ever appears in it.

use crate::support::App;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use sightmap::http::access_log::{AccessLog, AccessLogger};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// A line's `key=value` fields (values unquoted).
fn fields(line: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = line.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap();
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        out.insert(key.trim().to_string(), value);
        rest = next.trim_start();
    }
    out
}

#[tokio::test]
async fn every_request_gets_one_line_and_its_id_back() {
    let token = "a-secret-write-token";
    let mut app = App::new(Some(token)).await;
    let path = app.dir.path().join("access.log");
    app.state.access_log = AccessLogger {
        sink: Arc::new(AccessLog::to_file(&path).unwrap()),
        trust_forwarded: false,
    };
    let peer: SocketAddr = "203.0.113.5:41000".parse().unwrap();
    let mut request = Request::get("/api/reports?limit=2&kind=drone")
        .header("x-request-id", "trace-42")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let listed = app.send(request).await;
    assert_eq!(listed.headers["x-request-id"], "trace-42");
    let missing = app.get("/api/reports/not-an-id").await;
    let generated = missing.headers["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 32, "a new UUIDv7: {generated}");

    // A HEAD's body is dropped unsent by design: still a complete answer.
    let head = app
        .send(Request::head("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(head.status, 200);

    let log = std::fs::read_to_string(&path).unwrap();
    assert!(!log.contains(token), "the token never appears: {log}");
    let lines: Vec<HashMap<String, String>> = log.lines().map(fields).collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert_eq!(lines[2]["method"], "HEAD");
    assert!(!lines[2].contains_key("complete"), "{log}");
    let first = &lines[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/api/reports?limit=2&kind=drone");
    assert_eq!(first["status"], "200");
    assert_eq!(first["client"], "203.0.113.5:41000");
    assert_eq!(first["request_id"], "trace-42");
    assert_eq!(
        first["bytes"],
        listed.bytes.len().to_string(),
        "bytes sent: {log}"
    );
    assert!(first["duration_ms"].parse::<f64>().unwrap() >= 0.0);
    assert!(
        first["time"].ends_with('Z') && first["time"].len() == 24,
        "{log}"
    );
    assert_eq!(lines[1]["status"], "404");
    assert_eq!(lines[1]["request_id"], generated);
}
