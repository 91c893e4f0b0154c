//! GIS clients against sightmap: GDAL's OAPIF driver reads the OGC API live, `ogrinfo` reads
//! every export format with the right count and fields, and an exported GeoJSON imported back
//! exports identically.

mod common;

use common::{Server, agent, sightmap};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// `ogrinfo -ro -al -so` of a file: its summary.
fn ogrinfo(args: &[&str]) -> String {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .args(args)
        .output()
        .expect("run ogrinfo (Debian's gdal-bin; scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "ogrinfo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn feature_count(summary: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in {summary}"))
}

/// A server with 25 known reports along a line, 3 of them disputed.
fn seeded(dir: &Path) -> Server {
    let server = Server::start(dir);
    let client = agent(Duration::from_secs(10));
    for i in 0..25 {
        let report = json!({
            "kind": "drone",
            "description": format!("report {i}: \"quoted\", with commas, <angle> & ampersand; شرق گیلان"),
            "lat": 37.0 + i as f64 * 0.05, "lon": 48.5 + i as f64 * 0.1,
            "status": if i % 2 == 0 && i < 6 { "disputed" } else { "unverified" },
            "observed": {"from": "2025-06-13T20:00:00Z"},
            "sources": [
                {"name": "a resident", "type": "civilian", "stance": "asserts"},
                {"name": "a ministry", "type": "official", "stance": "denies"}
            ],
        });
        let reply = client
            .post(format!("{}/api/reports", server.base))
            .header("Content-Type", "application/json")
            .send(report.to_string())
            .expect("POST");
        assert_eq!(reply.status(), 201);
    }
    server
}

fn download(server: &Server, query: &str, to: &Path) {
    let mut reply = agent(Duration::from_secs(30))
        .get(format!("{}/api/export?{query}", server.base))
        .call()
        .expect("GET export");
    assert_eq!(reply.status(), 200);
    let disposition = reply.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"sightmap-reports-"));
    let bytes = reply
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    std::fs::write(to, bytes).unwrap();
}

#[test]
fn gdal_reads_every_export_format() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    for (format, file, extra) in [
        ("geojson", "all.geojson", vec![]),
        ("geojsonseq", "all.geojsons", vec![]),
        (
            "csv",
            "all.csv",
            vec!["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat"],
        ),
        ("kml", "all.kml", vec![]),
        ("fgb", "all.fgb", vec![]),
    ] {
        let path: PathBuf = dir.path().join(file);
        download(&server, &format!("format={format}"), &path);
        let mut args = extra.clone();
        args.push(path.to_str().unwrap());
        let summary = ogrinfo(&args);
        assert_eq!(feature_count(&summary), 25, "{format}: {summary}");
        // Every format carries the same fields: the one list of sightmap::fields (the
        // coordinate columns only where there is no geometry of their own).
        let lowercase = summary.to_lowercase();
        for field in sightmap::fields::FIELDS {
            if field.coordinate && format != "csv" {
                continue;
            }
            // GeoJSON keeps the structured sources rather than their flat summaries, and
            // writes the privacy fields only on reports that have them (none here).
            let structured_instead = format.starts_with("geojson")
                && matches!(
                    field.name,
                    "source_count"
                        | "source_names"
                        | "stances"
                        | "sources_json"
                        | "public_precision"
                        | "location_coarsened"
                );
            if structured_instead {
                continue;
            }
            // KML's <description> element is read as "description" or "Description".
            assert!(
                lowercase.contains(&format!("\n{}: ", field.name)),
                "{format} lacks {}: {summary}",
                field.name
            );
        }
        if format == "csv" {
            assert!(summary.contains("Geometry: Point"), "{summary}");
        }
        if format == "fgb" {
            // The spatial index is written, and a box reads just the reports inside it.
            let reader = flatgeobuf::FgbReader::open(std::fs::File::open(&path).unwrap()).unwrap();
            assert!(reader.header().index_node_size() > 0, "no spatial index");
            let inside = (0..25)
                .filter(|i| {
                    let (lon, lat) = (48.5 + *i as f64 * 0.1, 37.0 + *i as f64 * 0.05);
                    (48.95..=49.75).contains(&lon) && (37.0..=37.7).contains(&lat)
                })
                .count();
            let boxed = ogrinfo(&[
                "-spat",
                "48.95",
                "37.0",
                "49.75",
                "37.7",
                path.to_str().unwrap(),
            ]);
            assert_eq!(feature_count(&boxed) as usize, inside, "{boxed}");
        }
        // Filters apply: 3 of the 25 are disputed.
        let disputed = dir.path().join(format!("disputed-{file}"));
        download(
            &server,
            &format!("format={format}&status=disputed"),
            &disputed,
        );
        let mut args = extra;
        args.push(disputed.to_str().unwrap());
        assert_eq!(feature_count(&ogrinfo(&args)), 3, "{format} disputed");
    }
    // CSV values come back whole: quotes, commas and Persian script.
    let csv = std::fs::read_to_string(dir.path().join("all.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = reader.records().next().unwrap().unwrap();
    assert!(
        row[column("description")].contains("\"quoted\", with commas")
            && row[column("description")].contains("شرق گیلان")
    );
    assert_eq!(&row[column("source_count")], "2");
    assert_eq!(&row[column("stances")], "asserts; denies");
}

#[test]
fn an_export_imported_back_exports_identically() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    drop(seeded(&first));
    let run = |args: &[&str]| {
        let out = sightmap().args(args).output().expect("run sightmap");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    run(&[
        "export",
        "--format",
        "geojson",
        "--data-dir",
        first.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    run(&[
        "import",
        a.to_str().unwrap(),
        "--data-dir",
        second.to_str().unwrap(),
    ]);
    run(&[
        "export",
        "--format",
        "geojson",
        "--data-dir",
        second.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(a.len() > 1000);
    assert!(a == b, "the re-export differs");
    // The command line takes the API's filters.
    let c = dir.path().join("c.csv");
    run(&[
        "export",
        "--format",
        "csv",
        "--data-dir",
        first.to_str().unwrap(),
        "--out",
        c.to_str().unwrap(),
        "status=disputed",
    ]);
    assert_eq!(std::fs::read_to_string(&c).unwrap().lines().count(), 4);
}

/// `ogrinfo` of the OGC API with extra arguments: its output.
fn oapif(server: &Server, args: &[&str]) -> String {
    let url = format!("OAPIF:{}/ogc", server.base);
    let mut all = vec![url.as_str()];
    all.extend_from_slice(args);
    let output = Command::new("ogrinfo")
        .arg("-ro")
        .args(&all)
        .output()
        .expect("run ogrinfo");
    assert!(
        output.status.success(),
        "ogrinfo {all:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn gdal_reads_the_ogc_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    let layers = oapif(&server, &[]);
    for name in ["reports", "border", "coast", "sea", "provinces"] {
        assert!(
            layers.contains(&format!(": {name} (")),
            "{name} missing: {layers}"
        );
    }
    let summary = oapif(&server, &["-so", "reports"]);
    assert_eq!(feature_count(&summary), 25, "{summary}");
    assert!(summary.contains("Geometry: Point"));
    // Every feature, 10 to a page through the next links, once each.
    let all = oapif(&server, &["-al", "-q", "-oo", "PAGE_SIZE=10", "reports"]);
    let ids: std::collections::BTreeSet<&str> = all
        .lines()
        .filter_map(|l| l.trim().strip_prefix("id (String) = "))
        .collect();
    assert_eq!(all.matches("OGRFeature(reports)").count(), 25);
    assert_eq!(ids.len(), 25);
    // A spatial filter: the reports run from lon 48.5 to 50.9; the box holds lon 48.95-49.55,
    // that is i = 5..=10 (lat 37.25-37.5 inside 37-38).
    let spat = oapif(
        &server,
        &["-so", "-spat", "48.95", "37", "49.55", "38", "reports"],
    );
    assert_eq!(feature_count(&spat), 6, "{spat}");
    // An attribute filter, which GDAL sends as CQL2 text.
    let disputed = oapif(
        &server,
        &["-so", "-where", "status = 'disputed'", "reports"],
    );
    assert_eq!(feature_count(&disputed), 3, "{disputed}");
    // A region layer.
    let border = oapif(&server, &["-so", "border"]);
    assert_eq!(feature_count(&border), 6, "{border}");
}
