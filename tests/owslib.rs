//! OWSLib, the Python library behind many GIS scripts and QGIS plugins, reads sightmap's OGC
//! API – Features: conformance, collections, items with bbox, datetime and a CQL2 text filter
//! (each compared with a brute force over the full list), one item and the queryables. The
//! checks are in `tests/clients/owslib_check.py`; `scripts/install-python-test-deps.sh` (run by
//! `scripts/test.sh`) installs OWSLib.

mod common;

use common::reports::NewReport;
use common::{Server, agent};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How many reports the server is seeded with.
const REPORTS: usize = 30;

/// The checking script, run with the OGC API's base URL and the expected report count.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/owslib_check.py");

/// Rounds to 4 decimals, so that coordinates read back exactly as sent.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Report `i` of [`REPORTS`]: every fifth disputed, a mix of kinds, points scattered over
/// lon 48.5–51, lat 36.5–38.4, observed over six days, some instants and some intervals.
fn seed_report(i: usize) -> Value {
    let status = match i % 5 {
        0 => "disputed",
        1 => "corroborated",
        _ => "unverified",
    };
    let kinds = ["drone", "explosion", "light", "sound", "aircraft"];
    // Steps coprime to 30 visit every slot once, so the points do not fall on one line.
    let lon = round4(48.5 + 2.5 * ((i * 7) % REPORTS) as f64 / (REPORTS - 1) as f64);
    let lat = round4(36.5 + 1.9 * ((i * 11) % REPORTS) as f64 / (REPORTS - 1) as f64);
    let day = 10 + i % 6;
    let hour = (i * 5) % 20;
    let span_hours = i % 4; // 0: an instant
    let to = (span_hours > 0).then(|| format!("2025-06-{day:02}T{:02}:30:00Z", hour + span_hours));
    NewReport::at(lon, lat)
        .kind(kinds[i % kinds.len()])
        .description(format!("owslib report {i}"))
        .status(status)
        .observed(&format!("2025-06-{day:02}T{hour:02}:00:00Z"), to.as_deref())
        .source("a resident", "civilian", "asserts")
        .json()
}

/// A server holding exactly the [`REPORTS`] seeded reports.
fn seeded(dir: &Path) -> Server {
    let server = Server::start(dir);
    let client = agent(Duration::from_secs(10));
    for i in 0..REPORTS {
        let mut reply = client
            .post(format!("{}/api/reports", server.base))
            .header("Content-Type", "application/json")
            .send(seed_report(i).to_string())
            .expect("POST /api/reports");
        let status = reply.status();
        let body = reply.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 201, "report {i} was refused: {body}");
    }
    assert_eq!(server.health_reports(), REPORTS as u64);
    server
}

/// Fails with what to do unless `python3` can import OWSLib.
fn require_owslib() {
    let import = Command::new("python3")
        .args(["-c", "import owslib"])
        .output()
        .expect("run python3 (the OWSLib check needs Python 3)");
    if !import.status.success() {
        let why = String::from_utf8_lossy(&import.stderr);
        let context = if std::env::var_os("CI").is_some() {
            "in CI, scripts/test.sh installs it (scripts/install-python-test-deps.sh)"
        } else {
            "run scripts/install-python-test-deps.sh, which scripts/test.sh runs too"
        };
        panic!("python3 cannot import OWSLib ({context}): {why}");
    }
}

#[test]
fn owslib_reads_the_ogc_api() {
    require_owslib();
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    let output = Command::new("python3")
        .arg(SCRIPT)
        .arg(format!("{}/ogc", server.base))
        .arg(REPORTS.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3 tests/clients/owslib_check.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}"); // shown with --nocapture
    assert!(
        output.status.success(),
        "owslib_check.py exited with {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("owslib: ") && last.ends_with(" passed, 0 failed"),
        "owslib_check.py did not end with its summary line\n--- stdout\n{stdout}--- stderr\n{stderr}"
    );
}
