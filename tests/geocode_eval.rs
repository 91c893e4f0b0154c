//! The geocoder's evaluation: every phrasing in `tests/geocode-eval.tsv` (spelling variants,
//! Persian script, typos, qualifiers, offsets, coordinates, ambiguity and unknown places),
//! each with its expected point from GeoNames and a tolerance. Prints the accuracy by
//! category and fails below 95 %.

use sightmap::geocode::Geocoder;
use sightmap::geodesy::geodesic_distance_m;
use sightmap::region::Region;
use std::collections::BTreeMap;
use std::sync::Arc;

const REQUIRED_ACCURACY: f64 = 0.95;

struct Row {
    category: String,
    query: String,
    expect: String,
    point: Option<(f64, f64)>,
    tolerance_km: f64,
    precision: String,
}

fn rows() -> Vec<Row> {
    let text = include_str!("geocode-eval.tsv");
    let mut category = String::from("?");
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        if let Some(comment) = line.strip_prefix('#') {
            category = comment.trim().split(':').next().unwrap_or("?").to_string();
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let number = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        rows.push(Row {
            category: category.clone(),
            query: f[0].to_string(),
            expect: f[1].to_string(),
            point: number(2).zip(number(3)).map(|(lat, lon)| (lon, lat)),
            tolerance_km: number(4).unwrap_or(0.0),
            precision: f.get(5).unwrap_or(&"").to_string(),
        });
    }
    rows
}

#[test]
fn geocoder_accuracy_is_at_least_95_percent() {
    let geocoder = Geocoder::new(Arc::new(
        Region::load(sightmap::region::RegionFiles::embedded()).unwrap(),
    ));
    let rows = rows();
    assert!(
        rows.len() >= 150,
        "the evaluation needs at least 150 phrasings"
    );
    let mut by_category: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in &rows {
        let answer = geocoder.geocode(&row.query, 10).expect("not blank");
        let near = |c: &sightmap::geocode::Candidate| {
            let (lon, lat) = row.point.expect("a point");
            geodesic_distance_m(lon, lat, c.lon, c.lat) / 1000.0 <= row.tolerance_km
        };
        let best = answer.candidates.first();
        let verdict: Result<(), String> = match row.expect.as_str() {
            "unknown" => match best {
                None => Ok(()),
                Some(c) => Err(format!("expected no match, got {} ({})", c.name, c.matched)),
            },
            "ambiguous" if !answer.ambiguous => Err("not flagged ambiguous".into()),
            "ambiguous" if !answer.candidates.iter().any(near) => {
                Err("expected point not among the candidates".into())
            }
            "ambiguous" => Ok(()),
            _ => match best {
                None => Err(format!("no match; suggestions {:?}", answer.suggestions)),
                Some(c) if !near(c) => {
                    let (lon, lat) = row.point.unwrap();
                    Err(format!(
                        "best {} ({}, {}) is {:.1} km away (tolerance {})",
                        c.name,
                        c.lat,
                        c.lon,
                        geodesic_distance_m(lon, lat, c.lon, c.lat) / 1000.0,
                        row.tolerance_km
                    ))
                }
                Some(c) if !row.precision.is_empty() && c.precision.as_str() != row.precision => {
                    Err(format!(
                        "precision {} instead of {}",
                        c.precision.as_str(),
                        row.precision
                    ))
                }
                Some(_) => Ok(()),
            },
        };
        let entry = by_category.entry(row.category.clone()).or_default();
        entry.1 += 1;
        match verdict {
            Ok(()) => entry.0 += 1,
            Err(why) => failures.push(format!("[{}] {:?}: {why}", row.category, row.query)),
        }
    }
    let passed: usize = by_category.values().map(|v| v.0).sum();
    let accuracy = passed as f64 / rows.len() as f64;
    println!(
        "geocoder evaluation: {passed}/{} = {:.1} %",
        rows.len(),
        accuracy * 100.0
    );
    for (category, (ok, all)) in &by_category {
        println!("  {category:<12} {ok}/{all}");
    }
    for f in &failures {
        println!("  FAIL {f}");
    }
    assert!(
        accuracy >= REQUIRED_ACCURACY,
        "accuracy {:.1} % is below {:.0} %",
        accuracy * 100.0,
        REQUIRED_ACCURACY * 100.0
    );
}
