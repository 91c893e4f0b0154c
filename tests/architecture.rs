//! The dependency rule of `src/lib.rs`: the core never imports the surface. The surface
//! (`src/surface/`: the command line, its configuration and the HTTP server, and `main.rs`)
//! may use every part of the core; no other file may name `crate::surface`, `crate::cli`,
//! `crate::config` or `crate::http` in code (doc comments may link to them). Read from the
//! sources, so that a forbidden `use` fails here with the file and line.

use std::path::{Path, PathBuf};

/// The surface's paths, as the core could name them (the modules are re-exported at the
/// crate root).
const SURFACE: &[&str] = &["surface", "cli", "config", "http"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level folder or file a source file belongs to: `src/surface/http/ogc.rs` →
/// `surface`, `src/engine/index/mod.rs` → `engine`, `src/main.rs` → `main`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The code of a line: without a `//` comment (outside string literals, which the core's
/// paths never contain).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// The surface modules that a line of code names: `crate::http::…`, or `http` inside a
/// `use crate::{…}` group.
fn named_surface(code: &str, in_crate_group: bool) -> Vec<&'static str> {
    SURFACE
        .iter()
        .copied()
        .filter(|m| {
            code.contains(&format!("crate::{m}::"))
                || code.contains(&format!("crate::{m};"))
                || code.contains(&format!("crate::{m}}}"))
                || code.contains(&format!("crate::{m},"))
                || (in_crate_group
                    && code
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|word| word == *m))
        })
        .collect()
}

#[test]
fn the_core_never_imports_the_surface() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "the sources were found");
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "surface" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read a source file");
        let mut in_crate_group = false;
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            if code.contains("use crate::{") {
                in_crate_group = true;
            }
            for m in named_surface(code, in_crate_group) {
                violations.push(format!(
                    "{}:{}: the core module `{module}` names `crate::{m}`: {}",
                    file.strip_prefix(&src).unwrap().display(),
                    n + 1,
                    line.trim()
                ));
            }
            if in_crate_group && code.contains("};") {
                in_crate_group = false;
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the core must not depend on the surface (see src/lib.rs):\n{}",
        violations.join("\n")
    );
}

/// The rule's reader finds what it is meant to find.
#[test]
fn the_reader_sees_paths_and_groups_but_not_comments() {
    assert_eq!(
        named_surface("use crate::http::problem::Problem;", false),
        ["http"]
    );
    assert_eq!(
        named_surface("let x = crate::cli::SNAPSHOT;", false),
        ["cli"]
    );
    assert_eq!(named_surface("    config, model,", true), ["config"]);
    assert!(named_surface(code("/// see [`crate::http`]"), false).is_empty());
    assert!(named_surface("use crate::model::Report;", false).is_empty());
    assert!(named_surface("let http_client = 1;", true).is_empty());
}
