//! The web map in a real browser: starts the real server and runs `tests/web/map.mjs` (Node
//! with playwright-core, driving Debian's Chromium). `scripts/test.sh` installs both; this test
//! fails with what to install when they are missing. Screenshots go to
//! `target/web-artifacts/`.

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

/// Runs a browser script against a server started with `extra` arguments.
fn run_in_browser(script: &str, extra: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: run scripts/test.sh, which installs Debian's chromium \
         (or set CHROMIUM to a Chromium binary)"
    );
    assert!(
        root.join("tests/web/node_modules/playwright-core").exists(),
        "playwright-core is not installed: run scripts/test.sh (or npm ci --prefix tests/web)"
    );
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_with(data.path(), extra);
    let artifacts = root.join("target/web-artifacts");
    let output = Command::new("node")
        .arg(root.join("tests/web").join(script))
        .arg(&server.base)
        .arg(&artifacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node (Node.js 18 or later)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}\n(screenshots in {})",
        artifacts.display()
    );
}

#[test]
fn the_web_map_works_in_a_real_browser() {
    run_in_browser("map.mjs", &[]);
}

/// The timeline (brushing, playback) and a cited `as_of` link.
#[test]
fn the_timeline_brushes_plays_and_opens_the_past() {
    run_in_browser("time.mjs", &["--write-token", "time-admin"]);
}
