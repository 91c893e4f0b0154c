//! Times what the import asks of the region for each report, one thread, best of three:
//! the relation (nearest border, coast distance, at sea) and its parts, and the province and
//! country lookup.
//!
//! `cargo run --release -p sightmap-core --example relate_timing -- POINTS.csv [DUMP]`
//!
//! `POINTS.csv` is `id,lon,lat` lines without a header (`bench/gen.py`'s `points.csv`). With
//! `DUMP`, each point's relation, province and country are written there, one line a point
//! with the distances' bits, so that two builds' answers can be compared with `cmp`.

use sightmap_core::domain::model::Gazetteer;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: relate_timing POINTS.csv [DUMP]");
    let dump = args.next();
    let points: Vec<(f64, f64)> = std::fs::read_to_string(&path)
        .expect("read the points")
        .lines()
        .map(|line| {
            let mut fields = line.split(',').skip(1);
            let mut next = || fields.next().unwrap().parse::<f64>().unwrap();
            (next(), next())
        })
        .collect();
    let started = Instant::now();
    let atlas = Atlas::load(RegionFiles::embedded()).expect("the embedded region");
    println!("region loaded and indexed in {:.0?}", started.elapsed());
    let g = &atlas.geography;
    let n = points.len();
    let time = |what: &str, f: &dyn Fn(f64, f64) -> u64| {
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                let mut sum = 0u64;
                for &(lon, lat) in &points {
                    sum = sum.wrapping_add(f(lon, lat));
                }
                black_box(sum);
                start.elapsed()
            })
            .min()
            .unwrap();
        println!(
            "{what:<40} {:>7.3} µs a point ({n} points, best of 3)",
            best.as_secs_f64() * 1e6 / n as f64
        );
    };
    let bits = |d: Option<f64>| d.map_or(0, f64::to_bits);
    time("relation (what a report keeps)", &|lon, lat| {
        let r = g.relation(lon, lat);
        bits(r.border_distance_m) ^ bits(r.coast_distance_m) ^ r.in_sea as u64
    });
    time("- nearest border, any neighbour", &|lon, lat| {
        bits(g.nearest_border(lon, lat, None).map(|b| b.distance_m))
    });
    time("- nearest coast", &|lon, lat| {
        bits(g.nearest_coast(lon, lat).map(|c| c.distance_m))
    });
    time("- in sea", &|lon, lat| g.in_sea(lon, lat) as u64);
    time("province and country (locate)", &|lon, lat| {
        let (p, c) = atlas.locate(lon, lat);
        p.map_or(0, |p| p.len() as u64) + c.map_or(0, |c| c.len() as u64)
    });
    if let Some(dump) = dump {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&dump).expect("create DUMP"));
        for &(lon, lat) in &points {
            let r = g.relation(lon, lat);
            let (province, country) = atlas.locate(lon, lat);
            writeln!(
                out,
                "{lon} {lat} {:?} {:?} {:?} {:016x} {:016x} {province:?} {country:?}",
                r.border_country,
                r.in_sea,
                r.border_distance_m,
                bits(r.border_distance_m),
                bits(r.coast_distance_m)
            )
            .expect("write DUMP");
        }
        println!("relations, provinces and countries written to {dump}");
    }
}
