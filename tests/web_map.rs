//! The web map in a real browser: starts the real server and runs `tests/web/map.mjs` (Node
//! with playwright-core, driving Debian's Chromium). `scripts/test.sh` installs both; this test
//! fails with what to install when they are missing. Screenshots go to
//! `target/web-artifacts/`.

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

#[test]
fn the_web_map_works_in_a_real_browser() {
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
    let server = Server::start(data.path());
    let artifacts = root.join("target/web-artifacts");
    let output = Command::new("node")
        .arg(root.join("tests/web/map.mjs"))
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
