//! Reports relative to the borders and coast: what each report's write pays (nearest border,
//! coast distance, at sea), everything `/api/relate` says of a point, and building the border
//! buffer layer.
//!
//! `cargo bench --bench relate`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sightmap_core::formats::layers;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::hint::black_box;
use std::time::Duration;

mod synthetic;

fn bench(c: &mut Criterion) {
    let places = Atlas::load(RegionFiles::embedded()).expect("the embedded region is valid");
    let g = &places.geography;
    // The same 10,000 uniform points over lon 44–55, lat 35–42 as the geocoder's reverse bench.
    let points = synthetic::points(10_000, synthetic::SEED);
    let mut group = c.benchmark_group("relate");
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("relation_per_report", |b| {
        b.iter(|| {
            let (lon, lat) = points[i % points.len()];
            i += 1;
            black_box(g.relation(lon, lat))
        })
    });
    let mut i = 0;
    group.bench_function("relate_endpoint", |b| {
        b.iter(|| {
            let (lon, lat) = points[i % points.len()];
            i += 1;
            black_box(g.relate(lon, lat))
        })
    });
    group.sample_size(10);
    group.bench_function("border_buffer_20km_layer", |b| {
        b.iter(|| {
            let lines = g
                .borders
                .iter()
                .filter(|l| l.country.as_deref() == Some("AZ"))
                .map(|l| l.coordinates.as_slice());
            black_box(layers::land_buffer(g, lines, 20_000.0))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
