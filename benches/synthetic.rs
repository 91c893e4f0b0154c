//! Synthetic reports for benchmarks: uniform over lon 44–55, lat 35–42, fixed seed (the data
//! the field notes' peer figures were measured on). Shared by the bench targets with
//! `#[path]`, so it needs no public API in the library.

#![allow(dead_code)]

use sightmap_core::domain::model::{
    Interval, Kind, Location, Precision, Relation, Report, ReportId, Source, SourceType, Stance,
    Status, Timestamp, WordSet,
};
use sightmap_core::engine::index::IndexRecord;

/// The seed of the field notes.
pub const SEED: u64 = 20_240_601;

/// splitmix64: small, fast and good enough to spread points uniformly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// `n` points, in order.
pub fn points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (rng.uniform(44.0, 55.0), rng.uniform(35.0, 42.0)))
        .collect()
}

/// Index records for `n` synthetic reports.
pub fn records(n: usize) -> Vec<IndexRecord> {
    points(n, SEED)
        .into_iter()
        .enumerate()
        .map(|(i, (lon, lat))| IndexRecord {
            id: ReportId(uuid::Uuid::from_u128((1u128 << 120) + i as u128)),
            version: i as i64 + 1,
            lon,
            lat,
            uncertainty_m: 50.0 + (i % 500) as f64 * 10.0,
            precision: Precision::Exact,
            kind: Kind::ALL[i % Kind::ALL.len()],
            status: Status::Unverified,
            source_types: WordSet::default().with(SourceType::Civilian.bit()),
            observed_from: Timestamp(1_749_772_800 + (i as i64 % 1_000_000)),
            observed_to: Timestamp(1_749_772_800 + (i as i64 % 1_000_000) + 3_600),
            tags: vec!["synthetic".into()],
            province: Some(["Gilan", "Ardabil", "Mazandaran"][i % 3].into()),
            country: Some("IR".into()),
            relation: Relation {
                border_distance_m: Some((i % 400_000) as f64),
                border_country: Some(["AZ", "TM", "AM"][i % 3].into()),
                coast_distance_m: Some((i % 300_000) as f64),
                in_sea: false,
            },
            testimony: Default::default(),
            event_review: Default::default(),
            exact: None,
        })
        .collect()
}

/// Full reports for `n` synthetic points.
pub fn reports(n: usize, seed: u64) -> Vec<Report> {
    points(n, seed)
        .into_iter()
        .enumerate()
        .map(|(i, (lon, lat))| {
            let at = Timestamp(1_749_772_800 + (i as i64 % 1_000_000));
            Report {
                id: ReportId::new(),
                kind: Kind::ALL[i % Kind::ALL.len()],
                description: format!("synthetic report {i}"),
                location: Location {
                    text: None,
                    lon,
                    lat,
                    precision: Precision::Exact,
                    uncertainty_m: 50.0,
                    province: None,
                    country: None,
                    ambiguous: false,
                    public_precision: None,
                    coarsened: false,
                },
                relation: Relation::default(),
                observed: Interval {
                    from: at,
                    to: Timestamp(at.0 + 3_600),
                },
                sources: vec![Source::new(
                    "benchmark",
                    SourceType::Civilian,
                    Stance::Asserts,
                )],
                status: Status::Unverified,
                tags: vec!["synthetic".into()],
                reported_at: at,
                updated_at: at,
                event_review: Default::default(),
                public: None,
            }
        })
        .collect()
}

/// p50, p99 and the largest of some timings, in microseconds, as the benches print them.
pub fn percentiles(mut samples: Vec<std::time::Duration>) -> String {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!(
        "p50 {:>8.1} µs  p99 {:>8.1} µs  max {:>9.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples.last().unwrap().as_secs_f64() * 1e6
    )
}
