//! Lists every file under `web/` for the binary to embed: `src/http/web.rs` includes
//! the generated list, so a new file of the web map is served without editing code. A file
//! whose extension has no media type here fails the build, naming it.

use std::fmt::Write as _;
use std::path::Path;

/// Media types by file extension.
const MEDIA_TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("json", "application/json"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
];

fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("web");
    println!("cargo:rerun-if-changed=web");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    let mut list = String::from("&[\n");
    for file in &files {
        let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
        let Some((_, media_type)) = MEDIA_TYPES.iter().find(|(e, _)| *e == extension) else {
            panic!("web/{file}: no media type for '.{extension}'; add it to build.rs");
        };
        writeln!(
            list,
            "    ({file:?}, {media_type:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/web/{file}\")).as_slice()),"
        )
        .unwrap();
    }
    list.push_str("]\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web_assets.rs");
    std::fs::write(out, list).expect("write the asset list");
}
