//! GIS clients against sightmap: GDAL's OAPIF driver reads the OGC API live (paging by the
//! OpenAPI document's `limit` hint, with a token as the Basic password on a private server, and
//! with the flat source fields), `ogrinfo` reads every export format with the right count and
//! fields, and an exported GeoJSON imported back exports identically.

mod common;

use common::reports::NewReport;
use common::{Server, agent, sightmap};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

/// Runs `ogrinfo <args…>` with extra environment variables: its output, successful or not.
fn run_ogrinfo(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new("ogrinfo")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run ogrinfo (Debian's gdal-bin; scripts/test.sh installs it)")
}

/// Runs `ogrinfo <args…>`, asserting that it succeeds: its standard output.
fn ogrinfo_ok(args: &[&str]) -> String {
    let output = run_ogrinfo(args, &[]);
    assert!(
        output.status.success(),
        "ogrinfo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `ogrinfo -ro -al -so` of a file: its summary.
fn ogrinfo(args: &[&str]) -> String {
    ogrinfo_ok(&[&["-ro", "-al", "-so"], args].concat())
}

/// The `Feature Count` of an `ogrinfo -so` summary.
fn feature_count(summary: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in {summary}"))
}

/// How many reports [`seeded`] posts.
const SEEDED: usize = 25;

/// The `i`th known report: the first 25 lie along a line (lon 48.5 + 0.1 i, lat 37 + 0.05 i) and
/// later ones repeat it a little further east; 3 of the first 25 are disputed. Each has two
/// sources, "a resident" asserting and "a ministry" denying, and the tags "night" and "coast".
fn report(i: usize) -> Value {
    let (step, round) = ((i % SEEDED) as f64, (i / SEEDED) as f64);
    NewReport::at(48.5 + step * 0.1 + round * 0.001, 37.0 + step * 0.05)
        .description(format!(
            "report {i}: \"quoted\", with commas, <angle> & ampersand; شرق گیلان"
        ))
        .status(if i.is_multiple_of(2) && i < 6 {
            "disputed"
        } else {
            "unverified"
        })
        .observed("2025-06-13T20:00:00Z", None)
        .set(
            "sources",
            json!([
                {"name": "a resident", "type": "civilian", "stance": "asserts"},
                {"name": "a ministry", "type": "official", "stance": "denies"}
            ]),
        )
        .tags(&["night", "coast"])
        .json()
}

/// Posts the [`SEEDED`] known reports to a running server, with `token` as a Bearer token if
/// given.
fn seed(server: &Server, token: Option<&str>) {
    let client = agent(Duration::from_secs(10));
    for i in 0..SEEDED {
        let mut request = client
            .post(format!("{}/api/reports", server.base))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let reply = request.send(report(i).to_string()).expect("POST");
        assert_eq!(reply.status(), 201);
    }
}

/// A server on `dir` with the [`SEEDED`] known reports.
fn seeded(dir: &Path) -> Server {
    let server = Server::start(dir);
    seed(&server, None);
    server
}

/// Runs `sightmap <args…>` to completion, asserting that it succeeds.
fn run_sightmap(args: &[&str]) {
    let out = sightmap().args(args).output().expect("run sightmap");
    assert!(
        out.status.success(),
        "sightmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
        // Every format carries the same fields: the one list of sightmap_core::formats::fields (the
        // coordinate columns only where there is no geometry of their own).
        let lowercase = summary.to_lowercase();
        for field in sightmap_core::formats::fields::FIELDS {
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
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    run_sightmap(&[
        "export",
        "--format",
        "geojson",
        "--data-dir",
        first.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    run_sightmap(&[
        "import",
        a.to_str().unwrap(),
        "--data-dir",
        second.to_str().unwrap(),
    ]);
    run_sightmap(&[
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
    run_sightmap(&[
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

/// `OAPIF:<base>/ogc`: a server's OGC API as a GDAL data source.
fn oapif_source(server: &Server) -> String {
    format!("OAPIF:{}/ogc", server.base)
}

/// `ogrinfo -ro OAPIF:<base>/ogc <args…>`: its output.
fn oapif(server: &Server, args: &[&str]) -> String {
    ogrinfo_ok(&[&["-ro", &oapif_source(server)], args].concat())
}

/// The values of `field` in `ogrinfo -al` feature dumps (lines `  field (Type) = value`).
fn values<'a>(dump: &'a str, field: &str) -> Vec<&'a str> {
    dump.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix(field)?
                .strip_prefix(" (")?
                .split_once(") = ")
        })
        .map(|(_, value)| value)
        .collect()
}

/// Reads every feature of the reports layer through the OGC API (`ogrinfo -al -q` with extra
/// arguments, such as open options): the ids read, asserting that none was read twice.
fn read_reports(server: &Server, args: &[&str]) -> BTreeSet<String> {
    let dump = oapif(server, &[&["-al", "-q"], args, &["reports"]].concat());
    let ids: BTreeSet<String> = values(&dump, "id").into_iter().map(String::from).collect();
    assert_eq!(
        dump.matches("OGRFeature(reports)").count(),
        ids.len(),
        "a feature was read twice or has no id"
    );
    ids
}

#[test]
fn gdal_reads_the_ogc_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    let layers = oapif(&server, &[]);
    for name in ["reports", "events", "border", "coast", "sea", "provinces"] {
        assert!(
            layers.contains(&format!(": {name} (")),
            "{name} missing: {layers}"
        );
    }
    let summary = oapif(&server, &["-so", "reports"]);
    assert_eq!(feature_count(&summary), 25, "{summary}");
    assert!(summary.contains("Geometry: Point"));
    // Every feature, 10 to a page through the next links, once each.
    let ids = read_reports(&server, &["-oo", "PAGE_SIZE=10"]);
    assert_eq!(ids.len(), 25);
    // A spatial filter: the reports run from lon 48.5 to 50.9; the box holds lon 48.95-49.55,
    // that is i = 5..=10 (lat 37.25-37.5 inside 37-38).
    let spat = oapif(
        &server,
        &["-so", "-spat", "48.95", "37", "49.55", "38", "reports"],
    );
    assert_eq!(feature_count(&spat), 6, "{spat}");
    // An attribute filter on a queryable, which GDAL 3.6 sends as the query `status=disputed`.
    let disputed = oapif(
        &server,
        &["-so", "-where", "status = 'disputed'", "reports"],
    );
    assert_eq!(feature_count(&disputed), 3, "{disputed}");
    // A region layer.
    let border = oapif(&server, &["-so", "border"]);
    assert_eq!(feature_count(&border), 6, "{border}");
}

/// The access log's lines once the server has finished writing them: it writes a line when its
/// response is done, which may be just after the client has read it and gone.
fn access_log(path: &Path) -> Vec<String> {
    let read = || std::fs::read_to_string(path).expect("read the access log");
    let mut last = read();
    loop {
        thread::sleep(Duration::from_millis(150));
        let now = read();
        if now == last {
            return now.lines().map(String::from).collect();
        }
        last = now;
    }
}

/// How many access log lines are requests for the reports collection's items.
fn item_requests(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| l.contains("path=\"/ogc/collections/reports/items"))
        .count()
}

/// GDAL's version as (major, minor), from `ogrinfo --version` ("GDAL 3.6.2, released …").
fn gdal_version() -> (u32, u32) {
    let text = ogrinfo_ok(&["--version"]);
    let version = text
        .strip_prefix("GDAL ")
        .and_then(|rest| rest.split([',', ' ']).next())
        .unwrap_or_else(|| panic!("no version in {text}"));
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[test]
fn gdal_pages_the_ogc_api_by_the_documented_hint() {
    const N: usize = 2345;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("reports.jsonl");
    let lines: String = (0..N).map(|i| report(i).to_string() + "\n").collect();
    std::fs::write(&file, lines).unwrap();
    run_sightmap(&[
        "import",
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let log = dir.path().join("access.log");
    let server = Server::start_with(&data, &["--access-log", log.to_str().unwrap()]);

    let summary = oapif(&server, &["-so", "reports"]);
    assert_eq!(feature_count(&summary) as usize, N, "{summary}");
    let summary_requests = item_requests(&access_log(&log));
    // Every feature, with the page size GDAL picks by itself.
    let read = |args: &[&str]| {
        let before = item_requests(&access_log(&log));
        let ids = read_reports(&server, args);
        (ids.len(), item_requests(&access_log(&log)) - before)
    };
    let (features, requests) = read(&[]);
    let version = gdal_version();
    eprintln!(
        "GDAL {}.{}: -so made {summary_requests} item requests; the full read of {features} \
         features made {requests}",
        version.0, version.1
    );
    assert_eq!(features, N);
    if version >= (3, 8) {
        // min(max(1000, default 10), maximum 10000) = 1000 a page.
        assert!(requests <= N.div_ceil(1000) + 3, "{requests} item requests");
    } else {
        // GDAL before 3.8 ignores the hint and pages 10 at a time unless told otherwise.
        assert!(
            (N / 10..=N / 10 + 5).contains(&requests),
            "{requests} item requests"
        );
        let (features, requests) = read(&["-oo", "PAGE_SIZE=10000"]);
        eprintln!("with PAGE_SIZE=10000: {features} features in {requests} item requests");
        assert_eq!(features, N);
        assert!(requests <= 3, "{requests} item requests");
    }
}

#[test]
fn gdal_reads_a_private_server_with_a_token_as_basic_password() {
    let secret = "a-long-secret-token-for-gis-clients";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let server = Server::start_with(
        &dir.path().join("data"),
        &[
            "--private",
            "--write-token",
            secret,
            "--access-log",
            log.to_str().unwrap(),
        ],
    );
    seed(&server, Some(secret));
    let source = oapif_source(&server);
    let summary = |password: &str| {
        let userpwd = format!("qgis:{password}");
        run_ogrinfo(
            &["-ro", "-so", &source, "reports"],
            &[("GDAL_HTTP_USERPWD", &userpwd)],
        )
    };

    // The token as the password of any user reads.
    let read = summary(secret);
    let stdout = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert_eq!(feature_count(&stdout) as usize, SEEDED, "{stdout}");

    // A wrong one is refused with 401, and GDAL gives up.
    let before = access_log(&log).len();
    let refused = summary("wrong");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    eprintln!("ogrinfo with a wrong password: {stderr}");
    assert!(
        !refused.status.success() && stderr.contains("401"),
        "read with a wrong token"
    );
    let lines = access_log(&log);
    let statuses: BTreeSet<&str> = lines[before..]
        .iter()
        .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("status=")))
        .collect();
    assert_eq!(statuses, BTreeSet::from(["401"]), "{:#?}", &lines[before..]);
}

#[test]
fn gdal_shows_the_flat_source_fields() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    // GDAL 3.6 sends no filter for these fields: it reads every page and filters itself.
    let dump = oapif(
        &server,
        &["-al", "-q", "-where", "source_count = 2", "reports"],
    );
    assert_eq!(dump.matches("OGRFeature(reports)").count(), SEEDED);
    for (field, value) in [
        ("source_count", "2"),
        ("source_names", "a resident; a ministry"),
        ("stances", "asserts; denies"),
        ("tags_text", "night; coast"),
    ] {
        assert_eq!(values(&dump, field), [value; SEEDED], "{field}");
    }
    let none = oapif(&server, &["-so", "-where", "source_count = 3", "reports"]);
    assert_eq!(feature_count(&none), 0, "{none}");
}

/// GDAL builds a layer's fields from its first features: the report layer has `event_id`,
/// `public_precision` and `location_coarsened` although none of the seeded reports is private
/// (before, a field the first page lacked never became a column), and a filter reads them.
#[test]
fn gdal_sees_the_event_and_privacy_fields_of_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    let summary = oapif(&server, &["-so", "reports"]);
    for field in [
        "event_id: String",
        "public_precision: String",
        "location_coarsened: Integer(Boolean)",
    ] {
        assert!(summary.contains(field), "{field} missing: {summary}");
    }
    let dump = oapif(&server, &["-al", "-q", "-oo", "PAGE_SIZE=100", "reports"]);
    let (_, events) = server.get("/api/events?limit=1000");
    let expected: BTreeSet<&str> = events["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let named: BTreeSet<&str> = values(&dump, "event_id").into_iter().collect();
    assert_eq!(named, expected, "every report names its event: {dump}");
    assert_eq!(values(&dump, "location_coarsened"), ["0"; SEEDED]);
    assert_eq!(values(&dump, "public_precision"), ["(null)"; SEEDED]);
    let none = oapif(
        &server,
        &["-so", "-where", "location_coarsened = 1", "reports"],
    );
    assert_eq!(feature_count(&none), 0, "{none}");
}

/// GDAL reads the events through the OGC API as polygons with flat fields, the same events
/// that `/api/events` lists, filters them by a field, and reads the events' CSV export with
/// its footprints from the WKT column.
#[test]
fn gdal_reads_the_events_as_a_layer_and_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let server = seeded(&dir.path().join("data"));
    let (status, listed) = server.get("/api/events?limit=1000");
    assert_eq!(status, 200);
    let expected: BTreeSet<String> = listed["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());

    let dump = oapif(&server, &["-al", "-q", "-oo", "PAGE_SIZE=7", "events"]);
    let read: BTreeSet<String> = values(&dump, "id").into_iter().map(String::from).collect();
    assert_eq!(
        read, expected,
        "the OGC layer holds the events /api/events lists"
    );
    assert!(
        dump.contains("MULTIPOLYGON") || dump.contains("POLYGON"),
        "footprints are polygons: {dump}"
    );
    // Every seeded report has an asserting resident and a denying ministry.
    let grades: BTreeSet<&str> = values(&dump, "suggested_grade").into_iter().collect();
    assert_eq!(grades, BTreeSet::from(["asserted_and_denied"]), "{dump}");
    let summary = oapif(&server, &["-so", "events"]);
    assert!(summary.contains("asserting_origins: Integer"), "{summary}");
    assert!(summary.contains("observed_from: DateTime"), "{summary}");
    let none = oapif(&server, &["-so", "-where", "denying_origins = 0", "events"]);
    assert_eq!(feature_count(&none), 0, "{none}");

    // The CSV export, footprints as WKT.
    let mut reply = agent(Duration::from_secs(10))
        .get(format!("{}/api/events?format=csv", server.base))
        .call()
        .expect("GET events CSV");
    assert_eq!(reply.status(), 200);
    let csv = dir.path().join("events.csv");
    std::fs::write(&csv, reply.body_mut().read_to_vec().unwrap()).unwrap();
    let summary = ogrinfo(&[csv.to_str().unwrap()]);
    assert_eq!(
        feature_count(&summary) as usize,
        expected.len(),
        "{summary}"
    );
    assert!(
        summary.contains("Geometry: Multi Polygon") || summary.contains("Geometry: Unknown"),
        "{summary}"
    );
    let dump = ogrinfo_ok(&["-ro", "-al", "-q", csv.to_str().unwrap()]);
    let geometries = dump
        .lines()
        .filter(|l| l.trim_start().starts_with("MULTIPOLYGON (("))
        .count();
    assert_eq!(geometries, expected.len(), "a footprint per event: {dump}");

    // A FlatGeobuf export with each report's event.
    let fgb = dir.path().join("reports.fgb");
    download(&server, "format=fgb&events=true", &fgb);
    let dump = ogrinfo_ok(&["-ro", "-al", "-q", fgb.to_str().unwrap()]);
    let named: BTreeSet<String> = values(&dump, "event_id")
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(named, expected, "every report names its event: {dump}");
    assert_eq!(
        values(&dump, "event_suggested_grade"),
        ["asserted_and_denied"; SEEDED]
    );
}
