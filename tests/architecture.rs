//! The architecture, checked from the sources: which layer of the core may use which (one
//! table, [`MAY_USE`]), no module re-exported at a crate root, and no HTTP or command-line
//! crate in the core's dependency tree. A forbidden `use` fails here with the file and line.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The core's layers, each with the layers it may use besides itself. A source file belongs
/// to the longest entry its path starts with (`geospatial/geodesy.rs` is
/// `geospatial::geodesy`, `geospatial/region/bands.rs` is `geospatial`). Bottom first:
/// geodesy is pure arithmetic; the domain (the report model, privacy, history) uses only
/// geodesy; the rest of geospatial (region, geocoding, relations) uses the domain; the engine
/// (index, events, stores, service) uses both; the formats encode what the engine holds.
const MAY_USE: &[(&str, &[&str])] = &[
    ("geospatial::geodesy", &[]),
    ("domain", &["geospatial::geodesy"]),
    ("geospatial", &["geospatial::geodesy", "domain"]),
    ("engine", &["geospatial::geodesy", "domain", "geospatial"]),
    (
        "formats",
        &["geospatial::geodesy", "domain", "geospatial", "engine"],
    ),
];

/// The crates the core must not depend on, even indirectly: the HTTP stack and the command
/// line belong to the service crate.
const NOT_IN_THE_CORE: &[&str] = &["axum", "tower", "tower-http", "hyper", "hyper-util", "clap"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file under `src`: `geospatial/geodesy.rs` →
/// `geospatial::geodesy`, `engine/index/mod.rs` → `engine::index`.
fn module_path(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts.join("::")
}

/// The table's entry a module path belongs to: the longest one it starts with.
fn layer_of(module: &str) -> Option<&'static str> {
    MAY_USE
        .iter()
        .map(|(layer, _)| *layer)
        .filter(|layer| module == *layer || module.starts_with(&format!("{layer}::")))
        .max_by_key(|layer| layer.len())
}

/// The code of a line: without a `//` comment (the core's paths are never in strings).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// The module paths a line of code names through `crate::`, as far as they go
/// (`crate::engine::index::MapPoint` → `engine::index::MapPoint`, `crate::engine::index::{A,
/// B}` → `engine::index::`, and a group at the root, `crate::{a, b}`, → `{`).
fn crate_paths(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| {
            // Not `sightmap_crate::` or `$crate::`.
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
        .map(|(at, _)| {
            code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                .collect::<String>()
        })
        .map(|path| match path.find('{') {
            Some(0) => "{".to_string(),
            Some(at) => path[..at].to_string(),
            None => path,
        })
        .collect()
}

/// Whether a layer may name `path` (a path below `crate::`).
fn allowed(layer: &str, path: &str) -> bool {
    let Some(target) = layer_of(path.trim_end_matches("::")) else {
        // A path the table does not hold: a macro or a type at the root.
        return true;
    };
    let may = MAY_USE
        .iter()
        .find(|(l, _)| *l == layer)
        .map(|(_, may)| *may)
        .unwrap_or_default();
    target == layer || may.contains(&target)
}

#[test]
fn each_layer_of_the_core_uses_only_the_layers_below_it() {
    let src = root().join("crates/core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "the core's sources were found");
    let mut violations = Vec::new();
    for file in &files {
        let module = module_path(&src, file);
        if module.is_empty() {
            continue; // lib.rs
        }
        let Some(layer) = layer_of(&module) else {
            violations.push(format!(
                "{module}: not in the table of layers (tests/architecture.rs)"
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            // Unit tests (at the end of a file) may build what they test with.
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = code(line);
            for path in crate_paths(code) {
                let place = format!("{}:{}", file.strip_prefix(root()).unwrap().display(), n + 1);
                if path == "{" {
                    violations.push(format!(
                        "{place}: name each module by its own path, not in a `crate::{{…}}` group: {}",
                        line.trim()
                    ));
                } else if !allowed(layer, &path) {
                    violations.push(format!(
                        "{place}: `{layer}` may not use `{path}`: {}",
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the core's layers (see MAY_USE in tests/architecture.rs):\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_crate_root_re_exports_a_module() {
    for lib in ["crates/core/src/lib.rs", "src/lib.rs"] {
        let text = std::fs::read_to_string(root().join(lib)).expect("read a lib.rs");
        let re_exports: Vec<&str> = text
            .lines()
            .filter(|l| code(l).trim_start().starts_with("pub use"))
            .collect();
        assert!(
            re_exports.is_empty(),
            "{lib} re-exports {re_exports:?}: code names each module by its folder's path"
        );
    }
}

#[test]
fn the_core_has_no_http_or_command_line_crate_in_its_tree() {
    let output = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            "sightmap-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"rstar"), "the tree was read: {tree}");
    let found: Vec<&&str> = NOT_IN_THE_CORE
        .iter()
        .filter(|c| names.contains(c))
        .collect();
    assert!(found.is_empty(), "the core depends on {found:?}");
}

/// The table's reader finds what it is meant to find.
#[test]
fn the_reader_sees_paths_groups_and_layers() {
    assert_eq!(
        crate_paths("use crate::engine::index::MapPoint;"),
        ["engine::index::MapPoint"]
    );
    assert_eq!(crate_paths("use crate::engine::{a, b};"), ["engine::"]);
    assert_eq!(crate_paths("use crate::{engine, formats};"), ["{"]);
    assert!(crate_paths(code("/// see [`crate::formats`]")).is_empty());
    assert!(crate_paths("$crate::x").is_empty());
    assert_eq!(layer_of("geospatial::geodesy"), Some("geospatial::geodesy"));
    assert_eq!(layer_of("geospatial::region::bands"), Some("geospatial"));
    assert_eq!(layer_of("surface"), None);
    assert!(allowed("domain", "geospatial::geodesy::distance"));
    assert!(!allowed("domain", "engine::store::Revision"));
    assert!(allowed("formats", "engine::index::MapPoint"));
    assert!(!allowed("engine", "formats::feature::plain_json"));
    assert!(!allowed("geospatial::geodesy", "domain::model"));
}
