//! Several instances on one PostgreSQL/PostGIS store, through the real binary: a write
//! through one shows in the other's queries within a second; while PostgreSQL restarts,
//! requests get 503 problem+json, the instances reconnect by themselves, and nothing
//! acknowledged is lost.
//!
//! Needs `SIGHTMAP_TEST_POSTGRES` (a PostGIS database URL, which `scripts/test.sh` makes): each
//! test is ignored by a plain `cargo test`, saying so, and `scripts/test.sh` runs them, where a
//! missing database fails them (see `tests/common/postgres.rs`). The test restarts the local
//! PostgreSQL cluster with `pg_ctlcluster`, so the tests here run one at a time.

mod common;

use common::postgres::{database, fresh_store, psql};
use common::reports::NewReport;
use common::{Server, agent};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// A write must show on the other instance within this time.
const VISIBLE_WITHIN: Duration = Duration::from_secs(1);

/// The local PostgreSQL cluster that serves the test database, started again when dropped
/// (so that a failing test does not leave it stopped).
struct Cluster {
    major: String,
}

impl Cluster {
    fn of(url: &str) -> Self {
        let major = psql(url, "SHOW server_version_num").parse::<u32>().unwrap() / 10000;
        Self {
            major: major.to_string(),
        }
    }

    fn run(&self, action: &str) -> bool {
        Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.major, "main", action])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.run("start");
    }
}

fn report(n: usize) -> Value {
    NewReport::at(49.58 + (n % 50) as f64 * 0.001, 37.28)
        .description(format!("shared store test {n}"))
        .json()
}

/// Ids within 20 km of Rasht, as an instance's index answers.
fn near_rasht(server: &Server) -> Vec<String> {
    let (status, body) = server.get("/api/reports?lat=37.28&lon=49.58&radius_km=20&limit=10000");
    assert_eq!(status, 200, "{body}");
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until `check` holds on `server`, returning how long it took (panics after `limit`).
fn until(
    server: &Server,
    limit: Duration,
    what: &str,
    check: impl Fn(&[String]) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if check(&near_rasht(server)) {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// The tests here share the local PostgreSQL cluster, which one of them restarts.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
fn two_instances_share_one_database_through_a_restart() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = database();
    let store = fresh_store(&url);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_with(dir_a.path(), &["--store", &store]);
    let b = Server::start_with(dir_b.path(), &["--store", &store]);

    // A write through one is visible to queries on the other within a second.
    let (status, body) = a.send("POST", "/api/reports", Some(report(0)));
    assert_eq!(status, 201, "{body}");
    let first = body["id"].as_str().unwrap().to_string();
    let took = until(&b, VISIBLE_WITHIN, "a create through A shows on B", |ids| {
        ids.contains(&first)
    });
    eprintln!("create visible on the other instance after {took:?}");
    let (status, body) = b.send(
        "PATCH",
        &format!("/api/reports/{first}"),
        Some(json!({"lon": 51.42, "lat": 35.69})),
    );
    assert_eq!(status, 200, "{body}");
    until(&a, VISIBLE_WITHIN, "a move through B shows on A", |ids| {
        !ids.contains(&first)
    });
    let (status, body) = a.get(&format!("/api/reports/{first}"));
    assert_eq!(
        (status, body["geometry"]["coordinates"][0].as_f64()),
        (200, Some(51.42))
    );
    let (status, _) = b.send("DELETE", &format!("/api/reports/{first}"), None);
    assert_eq!(status, 204);
    let (status, _) = a.get(&format!("/api/reports/{first}"));
    assert_eq!(status, 404, "a delete through B is seen by A");

    // Writers on both instances while PostgreSQL stops and starts again.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = [a.base.clone(), b.base.clone()]
        .into_iter()
        .enumerate()
        .map(|(w, base)| {
            let stop = stop.clone();
            thread::spawn(move || {
                let agent = agent(Duration::from_secs(10));
                let (mut acknowledged, mut refused) = (Vec::new(), 0);
                let mut n = 1 + w * 100_000;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let response = agent
                        .post(format!("{base}/api/reports"))
                        .header("Content-Type", "application/json")
                        .send(report(n).to_string());
                    let mut response =
                        response.expect("the instance answers while the database is down");
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default();
                    let body: Value =
                        serde_json::from_str(&response.body_mut().read_to_string().unwrap())
                            .unwrap_or(Value::Null);
                    match status {
                        201 => acknowledged.push(body["id"].as_str().unwrap().to_string()),
                        503 => {
                            assert_eq!(content_type, "application/problem+json", "{body}");
                            refused += 1;
                            thread::sleep(Duration::from_millis(50));
                        }
                        other => panic!("POST during a database restart answered {other}: {body}"),
                    }
                }
                (acknowledged, refused)
            })
        })
        .collect();
    let cluster = Cluster::of(&url);
    thread::sleep(Duration::from_millis(500));
    assert!(cluster.run("stop"), "pg_ctlcluster stop failed");
    thread::sleep(Duration::from_secs(2));
    let (status, body) = a.get("/api/reports/00000000-0000-7000-8000-000000000000");
    assert_eq!(
        status, 503,
        "a read that needs the store while it is down: {body}"
    );
    let (status, body) =
        a.get("/ogc/collections/reports/items/00000000-0000-7000-8000-000000000000");
    assert_eq!(
        (status, body["type"].as_str()),
        (503, Some("/problems/unavailable")),
        "an OGC item while the store is down is a 503, not a 404: {body}"
    );
    assert!(cluster.run("start"), "pg_ctlcluster start failed");
    // The instances reconnect by themselves: writes through both succeed again.
    let started = Instant::now();
    for server in [&a, &b] {
        loop {
            let (status, _) = server.send("POST", "/api/reports", Some(report(999_999)));
            if status == 201 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no successful write 30 s after PostgreSQL came back"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for writer in writers {
        let (ids, refused) = writer.join().expect("writer");
        eprintln!(
            "writer: {} acknowledged, {refused} refused with 503",
            ids.len()
        );
        acknowledged.extend(ids);
    }
    assert!(!acknowledged.is_empty());

    // Nothing acknowledged is lost, and both indexes hold everything the database holds.
    let stored = psql(
        &store,
        "SELECT count(*) FROM reports WHERE deleted_at IS NULL",
    )
    .parse::<usize>()
    .unwrap();
    for server in [&a, &b] {
        until(
            server,
            Duration::from_secs(5),
            "every report in both indexes",
            |ids| ids.len() == stored,
        );
        let ids = near_rasht(server);
        let missing: Vec<_> = acknowledged.iter().filter(|id| !ids.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "{} acknowledged reports lost: {missing:?}",
            missing.len()
        );
    }
}

/// Runs `sightmap` with arguments and asserts success; returns its standard error.
fn run(args: &[&str]) -> String {
    let out = common::sightmap()
        .args(args)
        .output()
        .expect("run sightmap");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "sightmap {args:?} failed: {stderr}");
    stderr
}

/// `sightmap import file --store store --data-dir data_dir`.
fn import(file: &str, store: &str, data_dir: &std::path::Path) {
    let data_dir = data_dir.to_str().unwrap();
    run(&["import", file, "--store", store, "--data-dir", data_dir]);
}

#[test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
fn migrate_store_moves_every_report_both_ways() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = database();
    let store = fresh_store(&url);
    let (first, back) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first_dir = first.path().to_str().unwrap();
    run(&[
        "import",
        "data/sample-reports.geojson",
        "--data-dir",
        first_dir,
    ]);
    let out = run(&["migrate-store", "--from", first_dir, "--to", &store]);
    assert!(out.contains("the target holds all"), "{out}");
    let in_db = psql(&store, "SELECT count(*) FROM reports")
        .parse::<u64>()
        .unwrap();
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string("data/sample-reports.geojson").unwrap())
            .unwrap();
    let features = sample["features"].as_array().unwrap().len() as u64;
    assert_eq!(in_db, features, "every sample report is in PostGIS");
    let geog = psql(
        &store,
        "SELECT count(*) FROM reports WHERE ST_X(geog::geometry) = lon AND ST_Y(geog::geometry) = lat",
    );
    assert_eq!(
        geog.parse::<u64>().unwrap(),
        in_db,
        "geog is each report's point"
    );
    // Run again: nothing is copied twice.
    let again = run(&["migrate-store", "--from", first_dir, "--to", &store]);
    assert!(again.contains("copied 0 reports"), "{again}");
    let back_dir = back.path().to_str().unwrap();
    run(&["migrate-store", "--from", &store, "--to", back_dir]);
    let export = |dir: &str| {
        let file = tempfile::NamedTempFile::new().unwrap();
        run(&[
            "export",
            "--format",
            "geojson",
            "--out",
            file.path().to_str().unwrap(),
            "--data-dir",
            dir,
        ]);
        std::fs::read_to_string(file.path()).unwrap()
    };
    assert_eq!(
        export(first_dir),
        export(back_dir),
        "embedded -> PostGIS -> embedded keeps every report as it was"
    );
}

/// A small deterministic generator (64-bit LCG), so the test's places are the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next()
    }
}

/// Ids from a query of an instance, sorted.
fn api_ids(server: &Server, query: &str) -> Vec<String> {
    server.sorted_ids(&format!("/api/reports?{query}&limit=10000"))
}

/// Ids from SQL, sorted.
fn sql_ids(store: &str, condition: &str) -> Vec<String> {
    let out = psql(
        store,
        &format!(
            "SELECT id FROM reports WHERE deleted_at IS NULL AND {condition} ORDER BY id::text"
        ),
    );
    out.lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
fn the_index_and_postgis_give_the_same_answers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = database();
    let store = fresh_store(&url);
    let mut rng = Lcg(20_261_122);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.geojsonl");
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rng.between(46.0, 52.0), rng.between(36.0, 39.5)]},
                "properties": {
                    "kind": "drone", "description": format!("placement {i}"),
                    "observed_from": "2025-06-13T00:00:00Z",
                    "sources": [{"name": "test", "type": "civilian", "stance": "asserts"}],
                },
            })
            .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    import(file.to_str().unwrap(), &store, &dir.path().join("data"));
    let server = Server::start_with(dir.path(), &["--store", &store]);
    assert_eq!(server.health_reports(), 3000);
    let mut compared = 0;
    for _ in 0..25 {
        let (lon, lat) = (rng.between(46.0, 52.0), rng.between(36.0, 39.5));
        let radius_km = rng.between(2.0, 80.0);
        let index = api_ids(
            &server,
            &format!("lon={lon}&lat={lat}&radius_km={radius_km}"),
        );
        let postgis = sql_ids(
            &store,
            &format!(
                "ST_DWithin(geog, ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326)::geography, {}, true)",
                radius_km * 1000.0
            ),
        );
        assert_eq!(index, postgis, "radius {radius_km} km around {lon},{lat}");
        compared += index.len();
        let (w, s) = (lon - 0.7, lat - 0.4);
        let (e, n) = (lon + 0.7, lat + 0.4);
        let index = api_ids(&server, &format!("bbox={w},{s},{e},{n}"));
        let postgis = sql_ids(
            &store,
            &format!("lon BETWEEN {w} AND {e} AND lat BETWEEN {s} AND {n}"),
        );
        assert_eq!(index, postgis, "bbox {w},{s},{e},{n}");
        compared += index.len();
    }
    assert!(
        compared > 1000,
        "the queries found too few reports to compare: {compared}"
    );
}

/// Every event, as an instance answers: id → sorted member ids and the suggested grade.
fn events_of(server: &Server) -> std::collections::BTreeMap<String, (Vec<String>, String)> {
    let (status, body) = server.get("/api/events?limit=1000");
    assert_eq!(status, 200, "{body}");
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let mut members: Vec<String> = p["core"]
                .as_array()
                .unwrap()
                .iter()
                .chain(p["support"].as_array().unwrap())
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            members.sort();
            (
                f["id"].as_str().unwrap().to_string(),
                (members, p["suggested_grade"].as_str().unwrap().to_string()),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
fn two_instances_report_the_same_events_after_writes_through_either() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = database();
    let store = fresh_store(&url);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_with(dir_a.path(), &["--store", &store]);
    let b = Server::start_with(dir_b.path(), &["--store", &store]);
    let report = |lon: f64, source: &str, hour: u32| {
        NewReport::at(lon, 37.28)
            .kind("explosion")
            .description("an explosion heard")
            .set("uncertainty_m", json!(3000))
            .observed(&format!("2025-06-13T{hour:02}:00:00Z"), None)
            .source(source, "civilian", "asserts")
            .json()
    };
    // Writes through both, alternating: a cluster near Rasht, one 60 km east, and an edit
    // and a delete that re-group.
    let mut ids = Vec::new();
    for (i, (lon, source, hour)) in [
        (49.58, "A", 20),
        (49.60, "B", 20),
        (50.25, "C", 21),
        (49.59, "D", 21),
        (50.26, "E", 21),
    ]
    .into_iter()
    .enumerate()
    {
        let via = if i % 2 == 0 { &a } else { &b };
        let (status, body) = via.send("POST", "/api/reports", Some(report(lon, source, hour)));
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let (status, body) = b.send(
        "PATCH",
        &format!("/api/reports/{}", ids[1]),
        Some(json!({"lon": 50.24})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = a.send("DELETE", &format!("/api/reports/{}", ids[0]), None);
    assert_eq!(status, 204);
    let started = Instant::now();
    loop {
        let (on_a, on_b) = (events_of(&a), events_of(&b));
        if on_a == on_b {
            // D alone near Rasht; B moved east joins C and E.
            assert_eq!(on_a.len(), 2, "{on_a:?}");
            assert!(
                on_a.values()
                    .any(|(m, g)| m.len() == 3 && g == "several_origins"),
                "{on_a:?}"
            );
            break;
        }
        assert!(
            started.elapsed() < VISIBLE_WITHIN * 3,
            "the instances disagree on the events: {on_a:?} against {on_b:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
    // A third instance started afterwards builds the same events from the store.
    let dir_c = tempfile::tempdir().unwrap();
    let c = Server::start_with(dir_c.path(), &["--store", &store]);
    assert_eq!(events_of(&c), events_of(&a));
}

/// The report table PostgreSQL's store creates has the columns the table of report fields
/// declares, and its own: the insertion order and the generated geography.
#[test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
fn the_postgres_schema_has_the_declared_columns() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = database();
    let store = fresh_store(&url);
    let dir = tempfile::tempdir().unwrap();
    import("data/sample-reports.geojson", &store, dir.path());
    let stored = psql(
        &store,
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'reports' ORDER BY column_name",
    );
    let mut stored: Vec<&str> = stored.lines().collect();
    let mut declared: Vec<&str> = sightmap_core::domain::model::fields::store_columns()
        .chain(["seq", "geog"])
        .collect();
    stored.sort_unstable();
    declared.sort_unstable();
    assert_eq!(stored, declared);
}
