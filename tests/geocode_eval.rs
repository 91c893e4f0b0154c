//! The geocoder's evaluations, each printing its accuracy by class and by script with the
//! failures:
//! - the generated one, written by `scripts/gen_geocode_eval.py` from the region data pack
//!   when the test runs (python3 with geographiclib: `scripts/install-python-test-deps.sh`):
//!   every place of 5,000 people or more and every province, as plain names, transliteration
//!   variants, Persian script, typos, qualifiers, offsets, coordinates, province context,
//!   cross-border twins, district seats, bare provinces and current local names; fails
//!   below 98 %;
//! - the hand-written one, `tests/geocode-eval.tsv` (built and checked by
//!   `scripts/make_geocode_eval.py`), with ambiguity and unknown places; fails below 98 %.
//!
//! Run with `cargo test --release --test geocode_eval -- --nocapture`.

use sightmap_core::geospatial::geocode::{Candidate, Geocoder};
use sightmap_core::geospatial::geodesy::geodesic_distance_m;
use sightmap_core::geospatial::region::Region;
use std::collections::BTreeMap;
use std::sync::Arc;

const REQUIRED_ACCURACY: f64 = 0.98;
const FAILURES_SHOWN: usize = 60;

struct Row {
    query: String,
    expect: String,
    /// (lon, lat)
    point: Option<(f64, f64)>,
    tolerance_km: f64,
    precision: String,
    class: String,
    script: String,
    note: String,
}

/// Runs the generator into the test's own folder and reads what it wrote.
fn generated() -> String {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("geocode-eval-generated.tsv");
    let run = std::process::Command::new("python3")
        .arg("scripts/gen_geocode_eval.py")
        .arg("--out")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs (the evaluation is generated from the data pack)");
    assert!(
        run.status.success(),
        "scripts/gen_geocode_eval.py failed (it needs geographiclib: run \
         scripts/install-python-test-deps.sh):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(&out).expect("the generated evaluation")
}

/// The generated evaluation's rows: nine columns, the class and script given.
fn generated_rows() -> Vec<Row> {
    let text = generated();
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 9, "nine columns in {line:?}");
        let number = |i: usize| f[i].parse::<f64>().ok();
        rows.push(Row {
            query: f[0].to_string(),
            expect: f[1].to_string(),
            point: number(2).zip(number(3)).map(|(lat, lon)| (lon, lat)),
            tolerance_km: number(4).unwrap_or(0.0),
            precision: f[5].to_string(),
            class: f[6].to_string(),
            script: f[7].to_string(),
            note: f[8].to_string(),
        });
    }
    rows
}

/// The hand-written evaluation's rows: seven columns under `# class: …` comment lines; the
/// script is read off the query.
fn hand_written_rows() -> Vec<Row> {
    let text = include_str!("geocode-eval.tsv");
    let mut class = String::from("?");
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        if let Some(comment) = line.strip_prefix('#') {
            class = comment.trim().split(':').next().unwrap_or("?").to_string();
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let number = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        let persian = f[0].chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c));
        rows.push(Row {
            query: f[0].to_string(),
            expect: f[1].to_string(),
            point: number(2).zip(number(3)).map(|(lat, lon)| (lon, lat)),
            tolerance_km: number(4).unwrap_or(0.0),
            precision: f.get(5).unwrap_or(&"").to_string(),
            class: class.clone(),
            script: if persian { "persian" } else { "latin" }.to_string(),
            note: f.get(6).unwrap_or(&"").to_string(),
        });
    }
    rows
}

fn distance_km(row: &Row, c: &Candidate) -> f64 {
    let (lon, lat) = row.point.expect("a point");
    geodesic_distance_m(lon, lat, c.lon, c.lat) / 1000.0
}

/// Ok (with whether the answer was flagged ambiguous), or the kind of failure (for the tally)
/// and its details.
fn verdict(geocoder: &Geocoder, row: &Row) -> Result<bool, (&'static str, String)> {
    let answer = match geocoder.geocode(&row.query, 10) {
        Ok(a) => a,
        Err(e) => return Err(("error", format!("{e:?}"))),
    };
    let flagged = answer.ambiguous;
    let near = |c: &Candidate| distance_km(row, c) <= row.tolerance_km;
    let best = answer.candidates.first();
    let listed = || {
        answer
            .candidates
            .iter()
            .take(3)
            .map(|c| {
                format!(
                    "{} [{}, {:.0} km]",
                    c.name,
                    c.precision.as_str(),
                    distance_km(row, c)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    match row.expect.as_str() {
        "unknown" => match best {
            None => Ok(flagged),
            Some(c) => Err((
                "unexpected match",
                format!("got {} ({})", c.name, c.matched),
            )),
        },
        "ambiguous" if answer.candidates.is_empty() => Err((
            "no match",
            format!("no candidates; suggestions {:?}", answer.suggestions),
        )),
        "ambiguous" if !answer.candidates.iter().any(near) => {
            Err(("expected point not among candidates", listed()))
        }
        "ambiguous" if !answer.ambiguous => Err(("not flagged ambiguous", listed())),
        "ambiguous" => Ok(flagged),
        _ => match best {
            None => Err(("no match", format!("suggestions {:?}", answer.suggestions))),
            Some(c) if !near(c) => Err((
                if answer.candidates.iter().any(near) {
                    "wrong best candidate (the expected one is listed)"
                } else {
                    "wrong place"
                },
                format!(
                    "best {} ({}) is {:.1} km away (tolerance {}); {}",
                    c.name,
                    c.precision.as_str(),
                    distance_km(row, c),
                    row.tolerance_km,
                    listed()
                ),
            )),
            Some(c) if !row.precision.is_empty() && c.precision.as_str() != row.precision => Err((
                "wrong precision",
                format!(
                    "{} instead of {} ({})",
                    c.precision.as_str(),
                    row.precision,
                    c.name
                ),
            )),
            Some(_) => Ok(flagged),
        },
    }
}

fn print_table(title: &str, table: &BTreeMap<String, (usize, usize)>) {
    println!("  by {title}:");
    for (key, (ok, all)) in table {
        println!(
            "    {key:<20} {ok:>5}/{all:<5} {:>5.1} %",
            *ok as f64 * 100.0 / *all as f64
        );
    }
}

/// Runs every row, prints the tallies and the failures, and fails below the required
/// accuracy or with fewer rows than required.
fn evaluate(name: &str, rows: &[Row], required_rows: usize) {
    let geocoder = Geocoder::new(Arc::new(
        Region::load(sightmap_core::geospatial::region::RegionFiles::embedded()).unwrap(),
    ));
    assert!(
        rows.len() >= required_rows,
        "the {name} evaluation needs at least {required_rows} phrasings, has {}",
        rows.len()
    );
    let mut by_class: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_script: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut kinds: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut flagged_matches = Vec::new();
    for row in rows {
        let result = verdict(&geocoder, row);
        let ok = usize::from(result.is_ok());
        for (table, key) in [(&mut by_class, &row.class), (&mut by_script, &row.script)] {
            let entry = table.entry(key.clone()).or_default();
            entry.0 += ok;
            entry.1 += 1;
        }
        if row.expect == "match" && result == Ok(true) {
            flagged_matches.push(format!("[{}] {:?}", row.class, row.query));
        }
        if let Err((kind, why)) = result {
            *kinds.entry((kind, row.class.clone())).or_default() += 1;
            failures.push(format!(
                "[{}/{}] {:?} expect {}: {kind}: {why}  ({})",
                row.class, row.script, row.query, row.expect, row.note
            ));
        }
    }
    let passed: usize = by_class.values().map(|v| v.0).sum();
    let accuracy = passed as f64 / rows.len() as f64;
    println!(
        "{name} geocoder evaluation: {passed}/{} = {:.1} %",
        rows.len(),
        accuracy * 100.0
    );
    print_table("class", &by_class);
    print_table("script", &by_script);
    println!(
        "  passing `match` rows whose answer was flagged ambiguous (not failures): {}{}",
        flagged_matches.len(),
        if flagged_matches.is_empty() {
            String::new()
        } else {
            format!(
                ", e.g. {}",
                flagged_matches[..flagged_matches.len().min(8)].join(", ")
            )
        }
    );
    println!("  failures by kind and class:");
    for ((kind, class), n) in &kinds {
        println!("    {n:>5}  {kind} [{class}]");
    }
    println!(
        "  first {} of {} failures:",
        FAILURES_SHOWN.min(failures.len()),
        failures.len()
    );
    for f in failures.iter().take(FAILURES_SHOWN) {
        println!("    FAIL {f}");
    }
    assert!(
        accuracy >= REQUIRED_ACCURACY,
        "{name}: accuracy {:.1} % is below {:.0} %",
        accuracy * 100.0,
        REQUIRED_ACCURACY * 100.0
    );
}

#[test]
fn generated_evaluation_is_at_least_98_percent() {
    evaluate("generated", &generated_rows(), 1_500);
}

#[test]
fn hand_written_evaluation_is_at_least_98_percent() {
    evaluate("hand-written", &hand_written_rows(), 150);
}
