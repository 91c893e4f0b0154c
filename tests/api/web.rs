//! The web map's files: every file under `web/` is served from the binary with its media type
//! and the Content-Security-Policy, byte for byte; anything else is a 404 problem.

use crate::support::App;
use axum::http::StatusCode;
use std::path::Path;

fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[tokio::test]
async fn every_file_of_the_web_folder_is_served_as_it_is() {
    let app = App::new(None).await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut all = Vec::new();
    files(&root, &root, &mut all);
    assert!(all.iter().any(|f| f == "app.js"), "{all:?}");
    for file in &all {
        let reply = app.get(&format!("/web/{file}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        assert_eq!(
            reply.bytes.as_ref(),
            std::fs::read(root.join(file)).unwrap().as_slice(),
            "{file} is served byte for byte"
        );
        let expected = match file.rsplit_once('.').map(|(_, e)| e) {
            Some("js" | "mjs") => "text/javascript",
            Some("css") => "text/css",
            Some("html") => "text/html",
            Some("svg") => "image/svg+xml",
            Some("md") => "text/markdown",
            Some("txt") => "text/plain",
            other => panic!("{file}: no expectation for {other:?}"),
        };
        assert!(
            reply.content_type.starts_with(expected),
            "{file}: {}",
            reply.content_type
        );
        assert!(
            reply.headers.contains_key("content-security-policy"),
            "{file}"
        );
    }
    let missing = app.get("/web/no-such-file.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
}
