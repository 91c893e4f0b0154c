//! Backups while the server writes, restores, and damaged files, through the real binary:
//! `sightmap backup` copies a consistent store while writes go on; `restore` puts it back
//! (keeping the database it replaces) and refuses a damaged backup or a running server; a
//! truncated or corrupted store stops `serve` with a clear error instead of starting empty.

mod common;

use common::{Server, agent, report_json, sightmap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn run(args: &[&str]) -> (bool, String) {
    let out = sightmap().args(args).output().expect("run sightmap");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The number in "backed up N reports" / "restored N reports".
fn count_in(text: &str, after: &str) -> u64 {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {text}"))
        + after.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_backup_taken_during_writes_restores_whole() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let mut server = Server::start(a.path());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (base, stop) = (server.base.clone(), stop.clone());
        std::thread::spawn(move || {
            let agent = agent(Duration::from_secs(5));
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let body = report_json(&format!("backup test {n}"), 49.58, 37.28);
                let status = agent
                    .post(format!("{base}/api/reports"))
                    .header("Content-Type", "application/json")
                    .send(body.to_string())
                    .expect("POST")
                    .status();
                assert_eq!(status, 201);
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    let file = b.path().join("store.backup");
    let (ok, told) = run(&["backup", "--out", path(&file), "--data-dir", path(a.path())]);
    assert!(ok, "backup while the server writes: {told}");
    let in_backup = count_in(&told, "backed up ");
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap() as u64;
    assert!(
        in_backup > 0 && in_backup <= written,
        "{in_backup} of {written}"
    );
    let (ok, told) = run(&["backup", "--out", path(&file), "--data-dir", path(a.path())]);
    assert!(!ok && told.contains("exists already"), "{told}");
    let (ok, told) = run(&[
        "restore",
        "--from",
        path(&file),
        "--data-dir",
        path(a.path()),
    ]);
    assert!(
        !ok && told.contains("in use"),
        "restore refuses a running server: {told}"
    );
    server.stop();

    // Into a new directory, and over the original one (which keeps its database aside).
    let (ok, told) = run(&[
        "restore",
        "--from",
        path(&file),
        "--data-dir",
        path(c.path()),
    ]);
    assert!(ok, "{told}");
    assert_eq!(count_in(&told, "restored "), in_backup);
    let restored = Server::start(c.path());
    assert_eq!(restored.health_reports(), in_backup);
    drop(restored);
    let (ok, told) = run(&[
        "restore",
        "--from",
        path(&file),
        "--data-dir",
        path(a.path()),
    ]);
    assert!(ok && told.contains("is kept as"), "{told}");
    let kept = std::fs::read_dir(a.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
    assert!(kept, "the replaced database is kept");
    let back = Server::start(a.path());
    assert_eq!(
        back.health_reports(),
        in_backup,
        "the index is rebuilt from what was restored"
    );
}

#[test]
fn damaged_files_are_refused_with_a_clear_error() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = Server::start(a.path());
    for n in 0..50 {
        let (status, _) = server.send(
            "POST",
            "/api/reports",
            Some(report_json(&format!("damage test {n}"), 49.58, 37.28)),
        );
        assert_eq!(status, 201);
    }
    server.stop();
    let file = b.path().join("store.backup");
    assert!(run(&["backup", "--out", path(&file), "--data-dir", path(a.path())]).0);
    let bytes = std::fs::read(&file).unwrap();

    // A corrupted backup is refused and the data directory is left alone.
    let mut corrupted = bytes.clone();
    for byte in &mut corrupted[bytes.len() / 2..bytes.len() / 2 + 4096] {
        *byte ^= 0x5a;
    }
    let bad = b.path().join("corrupted.backup");
    std::fs::write(&bad, &corrupted).unwrap();
    let (ok, told) = run(&[
        "restore",
        "--from",
        path(&bad),
        "--data-dir",
        path(a.path()),
    ]);
    assert!(
        !ok && (told.contains("integrity")
            || told.contains("damaged")
            || told.contains("malformed")),
        "{told}"
    );
    assert_eq!(
        Server::start(a.path()).health_reports(),
        50,
        "the store is untouched"
    );

    // A truncated or corrupted store: serve exits with an error naming the damage.
    for (name, damaged) in [
        ("truncated", bytes[..bytes.len() / 3].to_vec()),
        ("corrupted", corrupted),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sightmap.db"), &damaged).unwrap();
        let mut child = sightmap()
            .args([
                "serve",
                "--no-sample",
                "--addr",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run serve");
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{name}: serve kept running on a damaged store");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut told = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut told).unwrap();
        assert!(
            !status.success(),
            "{name}: serve must not start on a damaged store"
        );
        assert!(
            told.contains("damaged") || told.contains("malformed") || told.contains("corrupt"),
            "{name}: {told}"
        );
    }
}
