//! The offline geocoder over the embedded region pack: plain-name look-ups, qualified phrases
//! and sentences, typos, reverse geocoding, start-up (load the pack and index its names), and
//! the memory the region and geocoder hold. The queries are the evaluation's phrasings
//! (`tests/geocode-eval.tsv`), cycled one per iteration.
//!
//! `cargo bench --bench geocode`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sightmap_core::geospatial::geocode::Geocoder;
use sightmap_core::geospatial::region::{Region, RegionFiles};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// The seed of the field notes, as in `benches/synthetic.rs`.
const SEED: u64 = 20_240_601;

/// `n` points uniform over lon 44–55, lat 35–42: the same splitmix64 stream as
/// `synthetic::points`, repeated here so that this bench does not compile the report model
/// that `synthetic.rs` builds.
fn points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut uniform =
        |lo: f64, hi: f64| lo + (next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo);
    (0..n)
        .map(|_| (uniform(44.0, 55.0), uniform(35.0, 42.0)))
        .collect()
}

/// The evaluation's phrasings; `#` lines name the category of the rows below them.
const EVAL: &str = include_str!("../tests/geocode-eval.tsv");
/// Candidates asked for, as the evaluation does.
const LIMIT: usize = 10;

/// The queries of these categories, in file order.
fn queries(categories: &[&str]) -> Vec<&'static str> {
    let mut category = "";
    let mut out = Vec::new();
    for line in EVAL.lines().skip(1) {
        if let Some(comment) = line.strip_prefix('#') {
            category = comment.split(':').next().unwrap_or("").trim();
            continue;
        }
        let query = line.split('\t').next().unwrap_or("");
        if categories.contains(&category) && !query.trim().is_empty() {
            out.push(query);
        }
    }
    assert!(!out.is_empty(), "no queries in {categories:?}");
    out
}

fn geocoder() -> Geocoder {
    let region = Region::load(RegionFiles::embedded()).expect("the embedded region is valid");
    Geocoder::new(Arc::new(region))
}

/// Bench one query per iteration, cycling through `queries`.
fn cycle(c: &mut Criterion, geocoder: &Geocoder, name: &str, queries: &[&str]) {
    let mut group = c.benchmark_group("geocode");
    group
        .throughput(Throughput::Elements(1))
        .measurement_time(Duration::from_secs(10));
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            let q = queries[i % queries.len()];
            i += 1;
            black_box(geocoder.geocode(black_box(q), LIMIT))
        })
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let geocoder = geocoder();
    cycle(
        c,
        &geocoder,
        "plain_name",
        &queries(&["plain", "variants", "persian"]),
    );
    cycle(
        c,
        &geocoder,
        "qualifier_or_sentence",
        &queries(&["direction", "near", "offset", "between", "sentence"]),
    );
    cycle(c, &geocoder, "typo", &queries(&["typo"]));
    // Unknown words get "did you mean" suggestions from the BK-tree.
    cycle(c, &geocoder, "unknown", &queries(&["unknown"]));
    cycle(
        c,
        &geocoder,
        "unknown_30_letters",
        &[
            "Qarmizestanabadkuhsarvandiyehx",
            "Zuvlendorfskamiragazhinotrubek",
        ],
    );
}

fn reverse(c: &mut Criterion) {
    let geocoder = geocoder();
    let points = points(10_000, SEED);
    let mut group = c.benchmark_group("geocode");
    group
        .throughput(Throughput::Elements(1))
        .measurement_time(Duration::from_secs(10));
    let mut i = 0;
    group.bench_function("reverse", |b| {
        b.iter(|| {
            let (lon, lat) = points[i % points.len()];
            i += 1;
            black_box(geocoder.reverse(black_box(lon), black_box(lat)))
        })
    });
    group.finish();
}

/// Start-up: parse the embedded pack and index its names. The drop is left out of the timing.
fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("geocode");
    group.sample_size(10);
    group.bench_function("load", |b| {
        b.iter_batched(
            RegionFiles::embedded,
            |files| {
                let region = Region::load(files).expect("the embedded region is valid");
                Geocoder::new(Arc::new(region))
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Resident memory, in kB, of one `/proc/self/status` field (`VmRSS`, `RssAnon`, ...).
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Not a timing: prints the resident memory that the region and geocoder add (read from
/// `/proc/self/status`, so Linux only), once built and again once the lazily computed area
/// parts are warm (every direction row geocoded once). It runs first, before the other
/// benches grow the heap, and the figure includes heap the allocator keeps after the load's
/// temporary allocations, so it is an upper bound. `RssFile` is the embedded pack's pages.
fn memory(_: &mut Criterion) {
    let fields = ["VmRSS", "RssAnon", "RssFile"];
    let read = || fields.map(|f| status_kb(f).unwrap_or(0));
    let before = read();
    let geocoder = geocoder();
    let built = read();
    for q in queries(&["direction"]) {
        black_box(geocoder.geocode(q, LIMIT).expect("not blank"));
    }
    let warm = read();
    let mb = |kb: u64, base: u64| (kb as f64 - base as f64) / 1024.0;
    for (i, field) in fields.iter().enumerate() {
        println!(
            "geocode/memory {field}: {:.1} MB before, +{:.1} MB built, +{:.1} MB warm",
            before[i] as f64 / 1024.0,
            mb(built[i], before[i]),
            mb(warm[i], before[i]),
        );
    }
    black_box(&geocoder);
}

criterion_group!(benches, memory, lookups, reverse, load);
criterion_main!(benches);
