//! `sightmap import` through the real binary: exit codes, what stderr names, and what ends up in
//! the store (checked by serving the data directory and asking `/health`).

mod common;

use common::{Server, sightmap};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

const IMPORT_DEADLINE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Helpers: running the binary, serving a data directory, writing input files.
// ---------------------------------------------------------------------------------------------

/// What one run of `sightmap import` did.
struct Run {
    code: Option<i32>,
    stderr: String,
}

impl Run {
    /// The stderr line that mentions every one of `needles`, if any.
    fn line_with(&self, needles: &[&str]) -> Option<&str> {
        self.stderr
            .lines()
            .find(|line| needles.iter().all(|n| line.contains(n)))
    }

    fn assert_line(&self, needles: &[&str]) {
        assert!(
            self.line_with(needles).is_some(),
            "no stderr line contains all of {needles:?}; stderr was:\n{}",
            self.stderr
        );
    }
}

/// Runs `sightmap import <file> --data-dir <dir> <extra…>`, killing it if it takes too long.
fn import(file: &Path, data_dir: &Path, extra: &[&str]) -> Run {
    let mut child = sightmap()
        .arg("import")
        .arg(file)
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sightmap import");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > IMPORT_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sightmap import did not finish within {IMPORT_DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stderr = reader.join().expect("stderr reader");
    eprintln!(
        "sightmap import {} {extra:?} -> {:?}\n{stderr}",
        file.display(),
        status.code()
    );
    Run {
        code: status.code(),
        stderr,
    }
}

/// How many reports a data directory holds, as a freshly started server counts them.
fn stored_reports(data_dir: &Path) -> u64 {
    Server::start(data_dir).health_reports()
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write input file");
    path
}

/// A GeoJSON Feature as sightmap reads it; `id` is the Feature's id, if any.
fn feature(id: Option<&str>, kind: &str, lon: f64, lat: f64, n: usize) -> Value {
    let mut f = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": kind,
            "description": format!("import test {n}"),
            "observed_from": "2025-06-13T00:00:00Z",
            "sources": [{"name": "test", "type": "civilian", "stance": "asserts"}],
        },
    });
    if let Some(id) = id {
        f["id"] = json!(id);
    }
    f
}

fn collection(features: Vec<Value>) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Three valid features, then one with an unknown kind and one with latitude 95.
fn mixed_collection() -> String {
    collection(vec![
        feature(None, "drone", 49.58, 37.28, 1),
        feature(None, "missile", 51.39, 35.69, 2),
        feature(None, "drone", 46.29, 38.08, 3),
        feature(None, "ufo", 49.58, 37.28, 4),
        feature(None, "drone", 49.58, 95.0, 5),
    ])
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn feature_collection_names_bad_features_and_imports_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let file = write(dir.path(), "mixed.geojson", &mixed_collection());

    let run = import(&file, &data, &[]);
    assert_eq!(run.code, Some(1), "rejections make the exit code 1");
    run.assert_line(&["feature 4", "kind"]);
    run.assert_line(&["feature 5", "lat"]);
    for good in ["feature 1", "feature 2", "feature 3"] {
        assert!(
            run.line_with(&[good]).is_none(),
            "{good} is valid but stderr names it:\n{}",
            run.stderr
        );
    }
    run.assert_line(&["imported 3 of 5 records", "2 rejected", "0 already stored"]);

    assert_eq!(stored_reports(&data), 3);
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let file = write(dir.path(), "mixed.geojson", &mixed_collection());

    let run = import(&file, &data, &["--dry-run"]);
    assert_eq!(run.code, Some(1), "a dry run still fails on rejections");
    run.assert_line(&["feature 4", "kind"]);
    run.assert_line(&["feature 5", "lat"]);
    run.assert_line(&["would import 3 of 5 records", "2 rejected"]);

    // Regression: a dry run used to create the store, so a later `serve` thought it was not
    // new and skipped the sample reports.
    assert!(
        !data.join("sightmap.db").exists(),
        "a dry run created a store"
    );
    assert_eq!(stored_reports(&data), 0);
}

#[test]
fn geojson_lines_names_the_malformed_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let lines = [
        feature(None, "drone", 49.58, 37.28, 1).to_string(),
        feature(None, "missile", 51.39, 35.69, 2).to_string(),
        r#"{"type": "Feature", "geometry": {"type": "Point", "coordinates": [49.5, 37.2]}, "properties": {"#.to_string(),
        String::new(),
        feature(None, "drone", 46.29, 38.08, 5).to_string(),
    ];
    let file = write(dir.path(), "lines.geojsonl", &(lines.join("\n") + "\n"));

    let run = import(&file, &data, &[]);
    assert_eq!(run.code, Some(1));
    run.assert_line(&["line 3", "not valid JSON"]);
    assert!(
        run.line_with(&["line 4"]).is_none(),
        "the blank line 4 is skipped, not rejected:\n{}",
        run.stderr
    );
    run.assert_line(&["imported 3 of 4 records", "1 rejected"]);

    assert_eq!(stored_reports(&data), 3);
}

#[test]
fn csv_names_the_bad_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let csv = "\
lat,lon,kind,description,observed_from,observed_to,source_name,source_type,source_stance,tags
37.28,49.58,drone,csv test 1,2025-06-13T00:00:00Z,2025-06-13T01:00:00Z,test,civilian,asserts,night;lights
abc,49.58,drone,csv test 2,2025-06-13T00:00:00Z,,test,civilian,asserts,
35.69,51.39,missile,csv test 3,2025-06-13,,test,media,denies,tehran
";
    let file = write(dir.path(), "reports.csv", csv);

    let run = import(&file, &data, &[]);
    assert_eq!(run.code, Some(1));
    // Rows count from 1 after the header; the file line is given too.
    run.assert_line(&[
        "row 2 (line 3)",
        "lat",
        "lat must be a finite number, not 'abc'",
    ]);
    assert!(
        run.line_with(&["row 1"]).is_none() && run.line_with(&["row 3"]).is_none(),
        "{}",
        run.stderr
    );
    run.assert_line(&["imported 2 of 3 records", "1 rejected"]);

    assert_eq!(stored_reports(&data), 2);
}

#[test]
fn reimporting_keeps_ids_and_skips_stored_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let ids = [
        "0196f000-0000-7000-8000-000000000001",
        "0196f000-0000-7000-8000-000000000002",
        "0196f000-0000-7000-8000-000000000003",
    ];
    let file = write(
        dir.path(),
        "with-ids.geojson",
        &collection(vec![
            feature(Some(ids[0]), "drone", 49.58, 37.28, 1),
            feature(Some(ids[1]), "missile", 51.39, 35.69, 2),
            feature(Some(ids[2]), "drone", 46.29, 38.08, 3),
        ]),
    );

    let first = import(&file, &data, &[]);
    assert_eq!(first.code, Some(0));
    first.assert_line(&["imported 3 of 3 records", "0 rejected", "0 already stored"]);

    let second = import(&file, &data, &[]);
    assert_eq!(
        second.code,
        Some(0),
        "records already stored are not rejections"
    );
    second.assert_line(&["imported 0 of 3 records", "0 rejected", "3 already stored"]);

    let server = Server::start(&data);
    assert_eq!(server.health_reports(), 3);
    for id in ids {
        let (status, body) = server.get(&format!("/api/reports/{id}"));
        assert_eq!(
            status, 200,
            "imported report {id} is not served under its own id"
        );
        assert_eq!(body["id"].as_str(), Some(id));
    }
}

/// Ids of `/api/reports` answers to a few queries, each sorted: what an index answers.
fn index_answers(server: &Server) -> Vec<Vec<String>> {
    [
        "/api/reports?lat=37.3&lon=49.6&radius_km=150&limit=10000",
        "/api/reports?bbox=46,36,50,39&kind=drone&limit=10000",
        "/api/reports?lat=38&lon=48&nearest=25",
    ]
    .iter()
    .map(|query| server.sorted_ids(query))
    .collect()
}

/// GeoJSON Lines of `n` reports spread over the region, from `first`; every 700th is bad.
fn spread_lines(first: usize, n: usize) -> String {
    let mut lines = String::new();
    for i in first..first + n {
        let (lon, lat) = (
            45.0 + (i * 37 % 900) as f64 / 100.0,
            35.5 + (i * 53 % 600) as f64 / 100.0,
        );
        let kind = if i % 700 == 699 {
            "ufo"
        } else if i % 2 == 0 {
            "drone"
        } else {
            "sound"
        };
        lines.push_str(&feature(None, kind, lon, lat, i).to_string());
        lines.push('\n');
    }
    lines
}

#[test]
fn import_keeps_file_order_and_writes_the_index_snapshot_for_a_fast_first_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Enough lines for many chunks on every worker.
    let file = write(dir.path(), "many.geojsonl", &spread_lines(0, 3_000));
    let run = import(&file, &data, &[]);
    assert_eq!(run.code, Some(1), "some lines are bad: {}", run.stderr);
    run.assert_line(&["imported 2996 of 3000 records", "4 rejected"]);
    // Rejections are named in file order, whatever worker checked them.
    let rejected: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("rejected line"))
        .collect();
    let expected: Vec<String> = [700, 1400, 2100, 2800]
        .iter()
        .map(|n| format!("rejected line {n}: properties.kind"))
        .collect();
    assert_eq!(rejected.len(), 4, "{}", run.stderr);
    for (line, want) in rejected.iter().zip(&expected) {
        assert!(line.starts_with(want.as_str()), "{line} (want {want})");
    }
    let snapshot = data.join("index.snapshot");
    assert!(snapshot.exists(), "import writes the index snapshot");

    // The snapshot answers as an index built from the store does.
    let from_snapshot = index_answers(&Server::start(&data));
    std::fs::remove_file(&snapshot).unwrap();
    let from_store = index_answers(&Server::start(&data));
    assert!(from_store[0].len() > 10, "the queries find something");
    assert_eq!(from_snapshot, from_store);

    // A second import into a store that holds reports (and has a snapshot again).
    let more = write(dir.path(), "more.geojsonl", &spread_lines(3_000, 500));
    import(&more, &data, &[]).assert_line(&["imported 499 of 500 records"]);
    let from_snapshot = index_answers(&Server::start(&data));
    std::fs::remove_file(&snapshot).unwrap();
    let server = Server::start(&data);
    assert_eq!(server.health_reports(), 3_495);
    assert_eq!(from_snapshot, index_answers(&server));
}

/// The size of the data directory's WAL file (0 if there is none).
fn wal_bytes(data: &Path) -> u64 {
    std::fs::metadata(data.join("sightmap.db-wal")).map_or(0, |m| m.len())
}

#[test]
fn a_bulk_load_killed_midway_leaves_a_consistent_store_and_a_finished_one_is_on_disk() {
    // An import commits without waiting for the disk while it runs (synchronous=NORMAL, few
    // checkpoints): a kill -9 midway must leave a store that opens, passes SQLite's
    // integrity check, holds whole batches (each report with its revision) and takes the
    // rest of the file on a second import.
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Each line with an id, so that the second import skips what the first stored.
    let lines: String = spread_lines(0, 60_000)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut f: Value = serde_json::from_str(line).unwrap();
            f["id"] = json!(format!("01976696-0000-7000-8000-{i:012}"));
            format!("{f}\n")
        })
        .collect();
    let file = write(dir.path(), "many.geojsonl", &lines);
    let mut child = sightmap()
        .arg("import")
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .arg("--batch-size")
        .arg("1000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sightmap import");
    let started = Instant::now();
    while wal_bytes(&data) < (1 << 20) && started.elapsed() < IMPORT_DEADLINE {
        thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9 the import");
    child.wait().expect("wait for it");
    let stored = {
        let db = rusqlite::Connection::open(data.join("sightmap.db")).expect("open the store");
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity check");
        assert_eq!(check, "ok");
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        let stored = count("SELECT COUNT(*) FROM reports");
        assert!(stored < 59_915, "killed before the end: {stored}");
        assert_eq!(stored, count("SELECT COUNT(*) FROM revisions"));
        stored
    };
    let run = import(&file, &data, &[]);
    run.assert_line(&[
        &format!("imported {} of 60000 records", 59_915 - stored),
        "85 rejected",
        &format!("{stored} already stored"),
    ]);
    // A finished import leaves nothing in the WAL: its checkpoint copied every commit into
    // the database and synced it before the import said so.
    assert_eq!(wal_bytes(&data), 0);
    assert_eq!(stored_reports(&data), 59_915);
}
