//! The embedded store: durable single-report inserts (each acknowledged only once on disk),
//! batched import, and cold start (open the store and rebuild the index) with 1M reports.
//!
//! `cargo bench --bench store`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sightmap_core::engine::service::ReportService;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::engine::store::{ReportWriter, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "synthetic.rs"]
mod synthetic;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn single_inserts(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let reports = synthetic::reports(200_000, 3);
    let mut next = 0;
    let mut group = c.benchmark_group("store");
    group
        .throughput(Throughput::Elements(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("durable_single_insert", |b| {
        b.iter(|| {
            let r = reports[next % reports.len()].clone();
            next += 1;
            let mut r = r;
            r.id = sightmap_core::domain::model::ReportId::new();
            rt.block_on(store.insert(vec![r], "bench")).unwrap()
        })
    });
    group.finish();
}

fn batched_import(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("store");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    const N: usize = 100_000;
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("batched_import_100k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(dir.path()).unwrap();
                let reports = synthetic::reports(N, 11);
                let start = Instant::now();
                rt.block_on(async {
                    for chunk in reports.chunks(10_000) {
                        store.insert(chunk.to_vec(), "bench").await.unwrap();
                    }
                });
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

fn cold_start(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(dir.path()).unwrap();
        for chunk in synthetic::reports(1_000_000, synthetic::SEED).chunks(20_000) {
            store.insert(chunk.to_vec(), "bench").await.unwrap();
        }
    });
    let mut group = c.benchmark_group("store");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("cold_start_1M", |b| {
        b.iter(|| {
            rt.block_on(async {
                let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
                let service = ReportService::open(store, None).await.unwrap();
                assert_eq!(service.len(), 1_000_000);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, single_inserts, batched_import, cold_start);
criterion_main!(benches);
