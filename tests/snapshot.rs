//! Restarts from the index snapshot, through the real binary: the server writes the snapshot
//! when it stops; after a crash, a restart replays the changes made since it; a damaged
//! snapshot, or one taken of another store, is ignored, and the index is rebuilt from the
//! store. Every restart must answer queries exactly as the store says.

mod common;

use common::Server;
use common::reports::NewReport;
use serde_json::{Value, json};
use std::path::Path;

const SNAPSHOT: &str = "index.snapshot";

fn report(n: usize, lon: f64, lat: f64) -> Value {
    NewReport::at(lon, lat)
        .description(format!("snapshot test {n}"))
        .set("uncertainty_m", json!(2000))
        // Five origins, some relayed: the events' counts must survive the snapshot too.
        .set(
            "sources",
            json!([{"name": format!("test {}", n % 5), "type": "civilian", "stance": "asserts",
                    "via": if n.is_multiple_of(2) { Value::from("an outlet") } else { Value::Null }}]),
        )
        .tags(&[&format!("batch-{}", n % 3)])
        .json()
}

/// The ids a query finds, in its order.
fn ids(server: &Server, query: &str) -> Vec<String> {
    let (status, body) = server.get(&format!("/api/reports?{query}&limit=1000"));
    assert_eq!(status, 200, "{query}: {body}");
    body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

/// Every event, as `id: members (grade, origins)`.
fn events(server: &Server) -> Vec<String> {
    let (status, body) = server.get("/api/events?limit=1000");
    assert_eq!(status, 200, "{body}");
    body["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            format!(
                "{}: {} {} ({}, {})",
                f["id"], p["core"], p["support"], p["suggested_grade"], p["asserting_origins"]
            )
        })
        .collect()
}

/// What a user would see of the index: answers to a few queries of each kind, and the
/// events.
fn answers(server: &Server) -> Vec<Vec<String>> {
    let mut answers: Vec<Vec<String>> = [
        "lat=37.28&lon=49.58&radius_km=30",
        "lat=38.2&lon=48.3&radius_km=60",
        "bbox=44,35,55,42",
        "lat=36.6&lon=53.0&nearest=5",
        "tag=batch-1",
        "since=2025-06-01T00:00:00Z",
    ]
    .iter()
    .map(|q| ids(server, q))
    .collect();
    answers.push(events(server));
    answers
}

fn start_and_compare(dir: &Path, expected: &[Vec<String>], why: &str) {
    let mut server = Server::start(dir);
    assert_eq!(answers(&server), expected, "{why}");
    server.stop();
}

#[test]
fn restarts_from_the_snapshot_answer_as_the_store_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let mut created = Vec::new();
    for n in 0..40 {
        let (lon, lat) = (48.0 + 0.12 * n as f64, 36.5 + 0.05 * n as f64);
        let (status, body) = server.send("POST", "/api/reports", Some(report(n, lon, lat)));
        assert_eq!(status, 201, "{body}");
        created.push(body["id"].as_str().unwrap().to_string());
    }
    server.stop();
    assert!(
        dir.path().join(SNAPSHOT).exists(),
        "stopping the server writes the index snapshot"
    );

    // Changes after the snapshot, then a crash: a move, a deletion, a new report.
    let server = Server::start(dir.path());
    let moved = &created[0];
    let (status, body) = server.send(
        "PATCH",
        &format!("/api/reports/{moved}"),
        Some(json!({"lon": 49.58, "lat": 37.28})),
    );
    assert_eq!(status, 200, "{body}");
    let deleted = &created[1];
    let (status, _) = server.send("DELETE", &format!("/api/reports/{deleted}"), None);
    assert_eq!(status, 204);
    let (status, body) = server.send("POST", "/api/reports", Some(report(99, 48.35, 38.25)));
    assert_eq!(status, 201, "{body}");
    let added = body["id"].as_str().unwrap().to_string();
    let before_crash = answers(&server);
    let mut server = server;
    server.kill();

    let mut server = Server::start(dir.path());
    assert_eq!(server.health_reports(), 40);
    let after = answers(&server);
    assert_eq!(
        after, before_crash,
        "after kill -9, the snapshot plus the changes since answer as before"
    );
    let near_rasht = &after[0];
    assert!(
        near_rasht.contains(moved),
        "the moved report is at its new place"
    );
    assert!(near_rasht.contains(&added) || after[1].contains(&added));
    assert!(
        !after[2].contains(deleted),
        "the deleted report stays deleted"
    );
    server.stop();

    // The same answers from a full rebuild: no snapshot, a damaged one, another store's.
    std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
    start_and_compare(dir.path(), &after, "rebuilt without a snapshot");
    let path = dir.path().join(SNAPSHOT);
    let mut bytes = std::fs::read(&path).expect("the rebuild wrote a snapshot");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();
    start_and_compare(dir.path(), &after, "a damaged snapshot is ignored");

    let other = tempfile::tempdir().unwrap();
    let mut elsewhere = Server::start(other.path());
    elsewhere.send("POST", "/api/reports", Some(report(7, 49.0, 37.0)));
    elsewhere.stop();
    std::fs::copy(other.path().join(SNAPSHOT), &path).unwrap();
    start_and_compare(dir.path(), &after, "another store's snapshot is ignored");

    // Other event settings than the snapshot was grouped by: the events are grouped anew;
    // the next start restores them as grouped by these, and so does a rebuild.
    let wide = ["--event-max-km", "50"];
    let mut server = Server::start_with(dir.path(), &wide);
    let regrouped = events(&server);
    server.stop();
    assert_ne!(
        Some(&regrouped),
        after.last(),
        "a chain of reports 12 km apart groups by fives within 50 km, not by threes"
    );
    let mut server = Server::start_with(dir.path(), &wide);
    assert_eq!(
        events(&server),
        regrouped,
        "restored as grouped by these settings"
    );
    server.stop();
    std::fs::remove_file(&path).unwrap();
    let mut server = Server::start_with(dir.path(), &wide);
    assert_eq!(events(&server), regrouped, "rebuilt without a snapshot");
    server.stop();
}

/// `method path` as the holder of `token` (none for the public): the status and JSON body.
fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let agent = common::agent(std::time::Duration::from_secs(5));
    let url = format!("{}{path}", server.base);
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut response = match (method, body) {
        ("GET", None) => {
            let mut r = agent.get(&url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        (method, Some(b)) => {
            let mut r = match method {
                "POST" => agent.post(&url),
                _ => agent.patch(&url),
            }
            .header("Content-Type", "application/json");
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send(b.to_string())
        }
        (method, None) => panic!("call does not do {method} without a body"),
    }
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let text = response.body_mut().read_to_string().expect("body");
    (
        response.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[test]
fn private_reports_stay_private_across_restarts_and_crashes() {
    const ADMIN: &str = "snapshot-admin";
    let (lon, lat) = (49.612347, 37.305129);
    let near = format!("/api/reports?lat={lat}&lon={lon}&radius_km=0.5");
    let found = |server: &Server, token: Option<&str>| -> Vec<String> {
        let (status, body) = call(server, "GET", &near, token, None);
        assert_eq!(status, 200, "{body}");
        body["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let args = ["--write-token", ADMIN];
    let mut server = Server::start_with(dir.path(), &args);
    let mut private = report(0, lon, lat);
    private["public_precision"] = json!("province");
    let (status, body) = call(&server, "POST", "/api/reports", Some(ADMIN), Some(private));
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(found(&server, Some(ADMIN)), vec![id.clone()]);
    assert!(found(&server, None).is_empty());
    server.stop();

    // From the snapshot: the public still sees the province's point, the admin the exact one.
    let mut server = Server::start_with(dir.path(), &args);
    assert_eq!(found(&server, Some(ADMIN)), vec![id.clone()]);
    assert!(found(&server, None).is_empty());
    // Made public, then a crash: the replayed change shows it where it is.
    let path = format!("/api/reports/{id}");
    let (status, _) = call(
        &server,
        "PATCH",
        &path,
        Some(ADMIN),
        Some(json!({"public_precision": null})),
    );
    assert_eq!(status, 200);
    server.kill();
    let mut server = Server::start_with(dir.path(), &args);
    assert_eq!(found(&server, None), vec![id.clone()]);
    // Private again, and a crash again.
    let (status, _) = call(
        &server,
        "PATCH",
        &path,
        Some(ADMIN),
        Some(json!({"public_precision": "place"})),
    );
    assert_eq!(status, 200);
    server.kill();
    let mut server = Server::start_with(dir.path(), &args);
    assert!(found(&server, None).is_empty());
    assert_eq!(found(&server, Some(ADMIN)), vec![id]);
    server.stop();
}
