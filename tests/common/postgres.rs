//! The PostgreSQL/PostGIS database of the tests, set up one way for every test file.
//!
//! Tests that need it are `#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]`, so a
//! plain `cargo test` lists them as ignored, saying why; `scripts/test.sh` makes the database
//! and runs them with `--include-ignored`, and there a missing database fails them.

use std::process::Command;

/// The test database's URL (`SIGHTMAP_TEST_POSTGRES`); fails the test, naming the fix, when it
/// is not set.
#[track_caller]
pub fn database() -> String {
    std::env::var("SIGHTMAP_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "SIGHTMAP_TEST_POSTGRES is not set: run the tests through scripts/test.sh, which \
             makes a PostGIS database and sets it"
        )
    })
}

/// A schema of its own in the test database, as a store URL: each test (and each app of the
/// API suite) starts on an empty store.
pub fn fresh_store(url: &str) -> String {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    psql(url, &format!("CREATE SCHEMA {schema}"));
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}%2Cpublic")
}

/// Runs one SQL command with psql and returns what it printed, unaligned.
#[track_caller]
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
