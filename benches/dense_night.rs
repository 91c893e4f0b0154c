//! Events on an attack night: `SIGHTMAP_BENCH_N` reports (20,000 unless set) of drones,
//! sounds, lights, explosions and strikes within about 10 km of one city (Rasht) in two
//! hours, against the same number spread over the region and a year (the bursts of
//! `benches/events.rs`' kind, 1 to 60 reports each). Seeded: every run writes the same reports.
//!
//! Measures, in process, one thread, for both:
//! - grouping every report at start-up (`EventIndex::build`);
//! - one new report's write into the events (`EventIndex::upsert`), p50 / p99 / max over 1,000;
//! - a page of 100 events in a 1° box around the city, with summaries and footprints;
//! - the largest event's summary and public footprint, computed from nothing.
//!
//! With `SIGHTMAP_BENCH_INSTANT=1`, a third case: the reports spread over the region but all
//! observed at one instant (a bulk import of reports dated alike), grouping and writes only.
//!
//! `cargo bench --bench dense_night`

use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{
    EventReview, Kind, Precision, Relation, ReportId, SourceKey, Stance, Status, Testimony,
    Timestamp, WordSet,
};
use sightmap_core::engine::events::{EventIndex, EventSettings};
use sightmap_core::engine::index::{EventFilter, IndexRead, IndexRecord, ViewIndex};
use sightmap_core::engine::query::{BBox, Page, ReportQuery, Spatial};
use std::hint::black_box;
use std::time::Instant;

#[path = "synthetic.rs"]
mod synthetic;
use synthetic::{Rng, percentiles};

/// Rasht.
const CITY: (f64, f64) = (49.58, 37.28);
const NIGHT_START: i64 = 1_750_018_800; // 2025-06-15T20:20:00Z
const WRITES: usize = 1_000;

/// One synthetic report: `witness` is its source, `outlet` (0 for none) the one it came via.
struct Draw {
    lon: f64,
    lat: f64,
    from: i64,
    to: i64,
    witness: u64,
    outlet: u64,
}

fn record(id: u128, draw: Draw, rng: &mut Rng) -> IndexRecord {
    let precision = match rng.next_u64() % 20 {
        0..=7 => Precision::Exact,
        8..=13 => Precision::Place,
        14..=15 => Precision::Near,
        16..=17 => Precision::Region,
        _ => Precision::Province,
    };
    let uncertainty_m = match precision {
        Precision::Exact => 50.0 + rng.uniform(0.0, 1_000.0),
        Precision::Place => 3_000.0,
        Precision::Near => 10_000.0,
        Precision::Region => 40_000.0,
        _ => 120_000.0,
    };
    IndexRecord {
        id: ReportId(uuid::Uuid::from_u128(id)),
        version: 1,
        lon: draw.lon,
        lat: draw.lat,
        uncertainty_m,
        precision,
        kind: [
            Kind::Drone,
            Kind::Sound,
            Kind::Explosion,
            Kind::Light,
            Kind::Strike,
        ][(rng.next_u64() % 5) as usize],
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(draw.from),
        observed_to: Timestamp(draw.to),
        tags: Vec::new(),
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Testimony::from_keys(vec![SourceKey {
            name: draw.witness,
            via: draw.outlet,
            stance: if rng.next_u64().is_multiple_of(25) {
                Stance::Denies
            } else {
                Stance::Asserts
            },
            media: false,
        }]),
        event_review: EventReview::Auto,
        exact: None,
    }
}

/// `n` reports of one night in one city, in creation order (ids follow the time reported);
/// one in 50 is dated only "during the war" (twelve days), one in 10 rounded to the hour.
fn dense(n: usize, first_id: u128, rng: &mut Rng) -> Vec<IndexRecord> {
    let km = |rng: &mut Rng, r: f64| rng.uniform(-r, r) / 111.0;
    let mut out: Vec<IndexRecord> = (0..n)
        .map(|i| {
            let from = NIGHT_START + rng.uniform(0.0, 7_200.0) as i64;
            let (from, to) = match rng.next_u64() % 50 {
                0 => (NIGHT_START - 2 * 86_400, NIGHT_START + 10 * 86_400),
                1..=5 => (from - from % 3_600, from - from % 3_600 + 3_600),
                _ => (from, from + rng.uniform(0.0, 900.0) as i64),
            };
            let draw = Draw {
                lon: CITY.0 + km(rng, 10.0) / CITY.1.to_radians().cos(),
                lat: CITY.1 + km(rng, 10.0),
                from,
                to,
                witness: 1 + i as u64 % (n as u64 / 3).max(1),
                outlet: if rng.next_u64() % 10 < 3 {
                    rng.next_u64() % 12 + 1_000_000
                } else {
                    0
                },
            };
            record(0, draw, rng)
        })
        .collect();
    out.sort_by_key(|r| r.observed_from.0.max(NIGHT_START));
    for (i, r) in out.iter_mut().enumerate() {
        r.id = ReportId(uuid::Uuid::from_u128(first_id + i as u128));
    }
    out
}

/// `n` reports in bursts of 1 to 60 spread over the region and a year, in creation order.
fn spread(n: usize, first_id: u128, rng: &mut Rng) -> Vec<IndexRecord> {
    let km = |rng: &mut Rng, r: f64| rng.uniform(-r, r) / 111.0;
    let mut out = Vec::with_capacity(n + 60);
    let mut burst = 0u64;
    while out.len() < n {
        burst += 1;
        let start = NIGHT_START + rng.uniform(0.0, 365.0 * 86_400.0) as i64;
        let (lon, lat) = (rng.uniform(44.0, 55.0), rng.uniform(35.0, 42.0));
        let size = 1 + (rng.next_u64() % 60) as usize;
        for _ in 0..size {
            let from = start + rng.uniform(0.0, 7_200.0) as i64;
            let draw = Draw {
                lon: lon + km(rng, 10.0),
                lat: lat + km(rng, 10.0),
                from,
                to: from + rng.uniform(0.0, 900.0) as i64,
                witness: burst * 100 + rng.next_u64() % 20,
                outlet: 0,
            };
            out.push(record(0, draw, rng));
        }
    }
    out.truncate(n);
    out.sort_by_key(|r| r.observed_from);
    for (i, r) in out.iter_mut().enumerate() {
        r.id = ReportId(uuid::Uuid::from_u128(first_id + i as u128));
    }
    out
}

fn run(label: &str, records: Vec<IndexRecord>, fresh: &[IndexRecord]) {
    let n = records.len();
    let settings = EventSettings::default();
    let started = Instant::now();
    let events = EventIndex::build(settings, &records);
    let build = started.elapsed();
    let largest = events.events().max_by_key(|e| e.len()).unwrap();
    println!(
        "{label:<6} group {n} reports: {:>8.3} s, {} events, largest {} reports",
        build.as_secs_f64(),
        events.len(),
        largest.len()
    );
    let started = Instant::now();
    let summary = events.summary(largest).clone();
    let summed = started.elapsed();
    let started = Instant::now();
    let footprint = events.footprint(largest, true);
    println!(
        "{label:<6} largest event from nothing: summary {:.1} ms ({} origins), footprint {:.1} ms ({} polygons)",
        summed.as_secs_f64() * 1e3,
        summary.origins.asserting,
        started.elapsed().as_secs_f64() * 1e3,
        footprint.0.len()
    );
    drop(events);

    let mut index = ViewIndex::build(records);
    let mut samples = Vec::with_capacity(fresh.len());
    for r in fresh {
        let t = Instant::now();
        black_box(index.upsert(r.clone()));
        samples.push(t.elapsed());
    }
    println!("{label:<6} write: new report  {}", percentiles(samples));

    let bbox = BBox::parse(&format!(
        "{},{},{},{}",
        CITY.0 - 0.5,
        CITY.1 - 0.5,
        CITY.0 + 0.5,
        CITY.1 + 0.5
    ))
    .unwrap();
    for pass in ["first", "again"] {
        let query = ReportQuery {
            spatial: Spatial::BBox(bbox),
            filter: Default::default(),
            page: Page {
                limit: 100,
                offset: 0,
            },
        };
        let t = Instant::now();
        let page = index.event_page(&query, None, &EventFilter::default(), Viewer::Public);
        println!(
            "{label:<6} events page, 1° box at the city, {pass}: {:.2} ms ({} events matched)",
            t.elapsed().as_secs_f64() * 1e3,
            page.matched
        );
    }
}

fn main() {
    let n = std::env::var("SIGHTMAP_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng::new(synthetic::SEED);
    let base = 0x0190_0000_0000_7000_8000_0000_0000_0000u128;
    let night = dense(n, base, &mut rng);
    // The next reports of the same night, stored after all the others.
    let mut later = dense(WRITES, base + n as u128, &mut rng);
    for r in &mut later {
        r.observed_from = Timestamp(r.observed_from.0 + 7_200);
        r.observed_to = Timestamp(r.observed_to.0 + 7_200);
    }
    run("dense", night, &later);
    let mut rng = Rng::new(synthetic::SEED + 1);
    let year = spread(n, base, &mut rng);
    let fresh = spread(WRITES, base + n as u128, &mut rng);
    run("spread", year, &fresh);
    if std::env::var_os("SIGHTMAP_BENCH_INSTANT").is_some() {
        let at_once = |mut records: Vec<IndexRecord>| {
            for r in &mut records {
                r.observed_from = Timestamp(NIGHT_START);
                r.observed_to = Timestamp(NIGHT_START);
            }
            records
        };
        let mut rng = Rng::new(synthetic::SEED + 2);
        let year = at_once(spread(n, base, &mut rng));
        let fresh = at_once(spread(WRITES, base + n as u128, &mut rng));
        run("instant", year, &fresh);
    }
}
