//! Events on 1M synthetic reports with realistic clustering: bursts of reports (one
//! occurrence each, 1 to 60 reports within a few km and a few hours) around 1,000 centres
//! over a year, 70 % placed precisely (core), 30 % vaguer; sources drawn from each burst's
//! witnesses, some relayed by outlets.
//!
//! Measures, in process, one thread:
//! - all events computed at start-up from the index records (`EventIndex::build`), against
//!   the index build itself (`ViewIndex::build`, which includes the events);
//! - one write's re-grouping (new reports, out-of-order reports from another instance, edits
//!   and deletions), as p50 / p99 / max over 10,000 writes each;
//! - `/api/events` for a 1° box (the events of the reports in it, summed up, first page of
//!   100 with footprints), as p50 / p99.
//!
//! `cargo bench --bench events`

use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{
    EventId, EventReview, Kind, Precision, Relation, ReportId, SourceKey, Stance, Status,
    Testimony, Timestamp, WordSet,
};
use sightmap_core::engine::events::{EventIndex, EventSettings, Member};
use sightmap_core::engine::index::{EventFilter, IndexRead, IndexRecord, ViewIndex};
use sightmap_core::engine::query::{BBox, Page, ReportQuery, Spatial};
use sightmap_core::engine::timeline;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

#[path = "synthetic.rs"]
mod synthetic;
use synthetic::{Rng, percentiles};

const N: usize = 1_000_000;
const CENTRES: usize = 1_000;
const WRITES: usize = 10_000;
const YEAR_S: f64 = 365.0 * 86_400.0;

/// Reports in creation order, ids increasing with it.
struct Generator {
    rng: Rng,
    centres: Vec<(f64, f64)>,
    next_id: u128,
}

impl Generator {
    fn new() -> Self {
        let mut rng = Rng::new(synthetic::SEED);
        let centres = (0..CENTRES)
            .map(|_| (rng.uniform(44.0, 55.0), rng.uniform(35.0, 42.0)))
            .collect();
        Self {
            rng,
            centres,
            next_id: 0x0190_0000_0000_7000_8000_0000_0000_0000,
        }
    }

    fn id(&mut self) -> ReportId {
        self.next_id += 1;
        ReportId(uuid::Uuid::from_u128(self.next_id))
    }

    /// A burst's reports, at time `start` (seconds).
    fn burst(&mut self, start: f64, out: &mut Vec<IndexRecord>) {
        let centre = self.centres[(self.rng.next_u64() % CENTRES as u64) as usize];
        let km = |rng: &mut Rng, r: f64| rng.uniform(-r, r) / 111.0;
        let at = (
            centre.0 + km(&mut self.rng, 10.0),
            centre.1 + km(&mut self.rng, 10.0),
        );
        let size = 1 + (self.rng.next_u64() % 60) as usize;
        let witnesses = 1 + size / 3;
        for _ in 0..size {
            let precision = match self.rng.next_u64() % 10 {
                0..=2 => Precision::Exact,
                3..=5 => Precision::Place,
                6 => Precision::Near,
                7 | 8 => Precision::Region,
                _ => Precision::Province,
            };
            let uncertainty_m = match precision {
                Precision::Exact => 50.0 + self.rng.uniform(0.0, 2_000.0),
                Precision::Place => 5_000.0,
                Precision::Near => 10_000.0,
                Precision::Region => 40_000.0,
                _ => 100_000.0,
            };
            let from = (start + self.rng.uniform(0.0, 3.0 * 3_600.0)) as i64;
            let to = from + self.rng.uniform(0.0, 3_600.0) as i64;
            let witness = self.rng.next_u64() % witnesses as u64 + 1;
            let via = if self.rng.next_u64() % 10 < 3 {
                self.rng.next_u64() % 20 + 1_000_000
            } else {
                0
            };
            let id = self.id();
            out.push(IndexRecord {
                id,
                version: 1,
                lon: at.0 + km(&mut self.rng, 3.0),
                lat: at.1 + km(&mut self.rng, 3.0),
                uncertainty_m,
                precision,
                kind: [
                    Kind::Drone,
                    Kind::Sound,
                    Kind::Explosion,
                    Kind::Light,
                    Kind::Strike,
                ][(self.rng.next_u64() % 5) as usize],
                status: Status::Unverified,
                source_types: WordSet::default(),
                observed_from: Timestamp(1_750_000_000 + from),
                observed_to: Timestamp(1_750_000_000 + to),
                tags: Vec::new(),
                province: None,
                country: None,
                relation: Relation::default(),
                testimony: Testimony::from_keys(vec![SourceKey {
                    name: self.next_id as u64 / 1_000 * 100 + witness,
                    via,
                    stance: if self.rng.next_u64().is_multiple_of(20) {
                        Stance::Denies
                    } else {
                        Stance::Asserts
                    },
                    media: false,
                }]),
                event_review: EventReview::Auto,
                exact: None,
            });
        }
    }

    /// About `n` reports in bursts spread over a year, in creation order.
    fn reports(&mut self, n: usize) -> Vec<IndexRecord> {
        let mut out = Vec::with_capacity(n + 60);
        let mut starts: Vec<f64> = Vec::new();
        while out.len() < n {
            let start = self.rng.uniform(0.0, YEAR_S);
            starts.push(start);
            self.burst(start, &mut out);
        }
        // Created in the order observed: ids follow the bursts' times.
        out.sort_by_key(|r| r.observed_from);
        for r in &mut out {
            self.next_id += 1;
            r.id = ReportId(uuid::Uuid::from_u128(self.next_id));
        }
        out.truncate(n);
        out
    }
}

fn main() {
    // `cargo bench` passes --bench; a filter is not supported.
    // SIGHTMAP_BENCH_N runs it smaller, for a quick look.
    let n = std::env::var("SIGHTMAP_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(N);
    let mut generator = Generator::new();
    let records = generator.reports(n);
    let settings = EventSettings::default();

    let started = Instant::now();
    let events = EventIndex::build(settings, &records);
    let build = started.elapsed();
    let core = records
        .iter()
        .filter(|r| {
            sightmap_core::engine::events::is_core(r.precision, r.observed_from.0, r.observed_to.0)
        })
        .count();
    let biggest = events.events().map(|e| e.len()).max().unwrap_or(0);
    println!(
        "events: build from {n} records ({core} core) in {:.3} s: {} events, largest {biggest} reports",
        build.as_secs_f64(),
        events.len()
    );
    // A restart: each report's event as the snapshot keeps it.
    let members: Vec<Member> = records.iter().map(Member::of).collect();
    let saved: HashMap<ReportId, EventId> = events.assignments().collect();
    drop(events);
    let started = Instant::now();
    let restored = EventIndex::restore(settings, members, saved)
        .unwrap_or_else(|_| panic!("the saved events fit"));
    println!(
        "events: restored from the saved assignment in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("SIGHTMAP_BENCH_BUILD_ONLY").is_some() {
        return;
    }

    // New reports: bursts later than every stored one (the common write).
    let mut fresh = Vec::new();
    while fresh.len() < WRITES {
        let start = YEAR_S + fresh.len() as f64 * 60.0;
        generator.burst(start, &mut fresh);
    }
    fresh.truncate(WRITES);
    // The events' part of a write alone.
    let mut events = restored;
    let mut samples = Vec::with_capacity(WRITES);
    for r in &fresh {
        let t = Instant::now();
        black_box(events.upsert(r));
        samples.push(t.elapsed());
    }
    println!("events alone: new report   {}", percentiles(samples));
    drop(events);

    let started = Instant::now();
    let mut index = ViewIndex::build(records.clone());
    println!(
        "index + events: ViewIndex::build of {n} records in {:.3} s",
        started.elapsed().as_secs_f64()
    );

    let mut samples = Vec::with_capacity(WRITES);
    for r in &fresh {
        let t = Instant::now();
        black_box(index.upsert(r.clone()));
        samples.push(t.elapsed());
    }
    println!("write: new report          {}", percentiles(samples));

    // Out of order: a report created on another instance a moment before the last few.
    let mut late = Vec::new();
    while late.len() < WRITES {
        generator.burst(YEAR_S * 1.01 + late.len() as f64 * 60.0, &mut late);
    }
    late.truncate(WRITES);
    let mut samples = Vec::with_capacity(WRITES);
    for pair in late.chunks(2) {
        // The second is stored first, then the first arrives.
        for r in pair.iter().rev() {
            let t = Instant::now();
            black_box(index.upsert(r.clone()));
            samples.push(t.elapsed());
        }
    }
    println!("write: out of order        {}", percentiles(samples));

    // Edits of recent reports: moved 2 km and an hour.
    let mut samples = Vec::with_capacity(WRITES);
    for r in late.iter().rev().take(WRITES) {
        let mut moved = r.clone();
        moved.version += 1;
        moved.lon += 0.02;
        moved.observed_from = Timestamp(moved.observed_from.0 + 3_600);
        moved.observed_to = Timestamp(moved.observed_to.0 + 3_600);
        let t = Instant::now();
        black_box(index.upsert(moved));
        samples.push(t.elapsed());
    }
    println!("write: edit (recent)       {}", percentiles(samples));

    // Deletions of recent reports.
    let mut samples = Vec::with_capacity(WRITES);
    for r in late.iter().rev().take(WRITES) {
        let t = Instant::now();
        black_box(index.remove(&r.id, r.version + 10));
        samples.push(t.elapsed());
    }
    println!("write: delete (recent)     {}", percentiles(samples));

    // An edit of an old report (a reviewer correcting last month's): the component path.
    let mut samples = Vec::with_capacity(1_000);
    for r in records.iter().step_by((n / 1_000).max(1)).take(1_000) {
        let mut moved = r.clone();
        moved.version += 1;
        moved.lat += 0.01;
        let t = Instant::now();
        black_box(index.upsert(moved));
        samples.push(t.elapsed());
    }
    println!("write: edit (old report)   {}", percentiles(samples));

    // /api/events for a 1° box: the page as the service computes it, without HTTP; the same
    // 1,000 boxes twice, the second time with the events' summaries and footprints cached.
    for pass in ["first visit", "again"] {
        let mut rng = Rng::new(11);
        let mut samples = Vec::with_capacity(1_000);
        let mut matched = 0;
        for _ in 0..1_000 {
            let (w, s) = (rng.uniform(44.0, 54.0), rng.uniform(35.0, 41.0));
            let query = ReportQuery {
                spatial: Spatial::BBox(
                    BBox::parse(&format!("{w},{s},{},{}", w + 1.0, s + 1.0)).unwrap(),
                ),
                filter: Default::default(),
                page: Page {
                    limit: 100,
                    offset: 0,
                },
            };
            let t = Instant::now();
            let page = index.event_page(&query, None, &EventFilter::default(), Viewer::Public);
            samples.push(t.elapsed());
            matched += page.matched;
        }
        println!(
            "GET /api/events 1° box, {pass:<11} {} ({} events matched on average)",
            percentiles(samples),
            matched / 1_000
        );
    }

    // /api/timeline: every matching report (or event) binned by day, as the service counts
    // them, without HTTP; the whole region's box, no place at all, and 1° boxes.
    let whole = BBox::parse("44,35,55,42").unwrap();
    let one_degree = |rng: &mut Rng| {
        let (w, s) = (rng.uniform(44.0, 54.0), rng.uniform(35.0, 41.0));
        BBox::parse(&format!("{w},{s},{},{}", w + 1.0, s + 1.0)).unwrap()
    };
    let mut rng = Rng::new(12);
    for (label, of_events) in [("reports", false), ("events", true)] {
        for place in ["whole region", "no place", "1° box"] {
            let mut samples = Vec::with_capacity(100);
            let mut matched = 0;
            let mut bins = 0;
            for _ in 0..100 {
                let spatial = match place {
                    "whole region" => Spatial::BBox(whole),
                    "no place" => Spatial::None,
                    _ => Spatial::BBox(one_degree(&mut rng)),
                };
                let query = ReportQuery {
                    spatial,
                    ..Default::default()
                };
                let t = Instant::now();
                let items = if of_events {
                    index.observed_events(&query, None, &EventFilter::default(), Viewer::Public)
                } else {
                    index.observed_reports(&query, None, Viewer::Public)
                };
                let histogram = timeline::span(&items, None, None).map(|(from, to)| {
                    let bins = timeline::Bins::covering(
                        from,
                        to,
                        timeline::BinWidth::Day,
                        timeline::UtcOffset(12_600),
                    )
                    .unwrap();
                    timeline::Histogram::of(&items, bins, (from, to), 5)
                });
                samples.push(t.elapsed());
                matched += items.len();
                bins = histogram.map_or(0, |h| h.bins.count);
            }
            println!(
                "GET /api/timeline {label:<7} {place:<12} bin=1d {} ({} matched on average, {bins} bins)",
                percentiles(samples),
                matched / 100
            );
        }
    }
}
