//! The index on 1M synthetic reports: bulk load, and 10 km radius queries with exact geodesic
//! results (as PostGIS `ST_DWithin` on the spheroid), in process.
//!
//! `cargo bench --bench index`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rstar::RTree;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::engine::index::{IndexRecord, ReportIndex, ViewIndex};
use sightmap_core::engine::query::{Page, ReportQuery, Spatial};
use sightmap_core::geospatial::geodesy::{self, AuxPoint};
use std::hint::black_box;
use std::time::Duration;

#[path = "synthetic.rs"]
mod synthetic;

const N: usize = 1_000_000;

fn bulk_load(c: &mut Criterion) {
    let records = synthetic::records(N);
    let mut group = c.benchmark_group("index");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(N as u64));
    // The records are cloned outside the timing: start-up builds from records it owns.
    group.bench_function("bulk_load_1M", |b| {
        b.iter_batched(
            || records.clone(),
            |r| black_box(ReportIndex::build(r)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn radius(c: &mut Criterion) {
    let index = ReportIndex::build(synthetic::records(N));
    let centres = synthetic::points(10_000, 7);
    let mut group = c.benchmark_group("index");
    group.measurement_time(Duration::from_secs(10));
    for (name, radius_km, limit) in [
        ("radius_10km_all_results", 10.0, usize::MAX / 2),
        ("radius_10km_first_100", 10.0, 100),
    ] {
        let mut i = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                let (lon, lat) = centres[i % centres.len()];
                i += 1;
                let q = ReportQuery {
                    spatial: Spatial::Radius {
                        lon,
                        lat,
                        radius_m: radius_km * 1000.0,
                        include_uncertain: false,
                    },
                    page: Page { limit, offset: 0 },
                    ..Default::default()
                };
                black_box(index.query(&q, None))
            })
        });
    }
    let mut i = 0;
    group.bench_function("nearest_10", |b| {
        b.iter(|| {
            let (lon, lat) = centres[i % centres.len()];
            i += 1;
            let q = ReportQuery {
                spatial: Spatial::Nearest { lon, lat, k: 10 },
                ..Default::default()
            };
            black_box(index.query(&q, None))
        })
    });
    group.finish();
}

/// The cost of private locations (see `sightmap_core::domain::model::privacy`): 1M reports, one in a hundred
/// private (shown to the public at the centre of its half-degree cell); the same 10 km radius
/// queries as the public (the main index alone) and as a reviewer (the main index without
/// the private entries, the small exact index, merged).
fn viewers(c: &mut Criterion) {
    let records: Vec<IndexRecord> = synthetic::records(N)
        .into_iter()
        .enumerate()
        .map(|(i, r)| match i % 100 {
            0 => IndexRecord {
                lon: (r.lon * 2.0).floor() / 2.0 + 0.25,
                lat: (r.lat * 2.0).floor() / 2.0 + 0.25,
                exact: Some(Box::new(r.clone())),
                ..r
            },
            _ => r,
        })
        .collect();
    let index = ViewIndex::build(records);
    let centres = synthetic::points(10_000, 7);
    let mut group = c.benchmark_group("viewers");
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(1));
    for (name, viewer) in [
        ("radius_10km_1pct_private_public", Viewer::Public),
        ("radius_10km_1pct_private_reviewer", Viewer::Exact),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                let (lon, lat) = centres[i % centres.len()];
                i += 1;
                let q = ReportQuery {
                    spatial: Spatial::Radius {
                        lon,
                        lat,
                        radius_m: 10_000.0,
                        include_uncertain: false,
                    },
                    page: Page {
                        limit: 100,
                        offset: 0,
                    },
                    ..Default::default()
                };
                black_box(index.query(&q, None, viewer))
            })
        });
    }
    group.finish();
}

/// The field notes' reference, run beside ours so that both figures come from the same machine
/// and moment: rstar with its default parameters over bare unit vectors, a chord prefilter and
/// the ellipsoidal distance only near the edge, counting results (no ids, no order).
fn reference(c: &mut Criterion) {
    let points: Vec<[f64; 3]> = synthetic::points(N, synthetic::SEED)
        .into_iter()
        .map(|(lon, lat)| AuxPoint::new(lon, lat).xyz)
        .collect();
    let mut group = c.benchmark_group("reference");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("rstar_bulk_load_1M", |b| {
        b.iter_batched(
            || points.clone(),
            |p| black_box(RTree::bulk_load(p)),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let tree = RTree::bulk_load(points);
    let centres = synthetic::points(10_000, 7);
    let mut group = c.benchmark_group("reference");
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("rstar_radius_10km_count", |b| {
        b.iter(|| {
            let (lon, lat) = centres[i % centres.len()];
            i += 1;
            let centre = AuxPoint::new(lon, lat);
            let chord = geodesy::max_chord_for(10_000.0);
            let lon_lat = |q: &[f64; 3]| {
                let lat = q[2].atan2(q[0].hypot(q[1]));
                let lat = (lat.tan() / (1.0 - geodesy::WGS84_F)).atan();
                (q[1].atan2(q[0]).to_degrees(), lat.to_degrees())
            };
            black_box(
                tree.locate_within_distance(centre.xyz, chord * chord)
                    .filter(|q| {
                        geodesy::distance_within_xyz(&centre, q, 10_000.0, || lon_lat(q)).is_some()
                    })
                    .count(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bulk_load, radius, viewers, reference);
criterion_main!(benches);
