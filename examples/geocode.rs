//! Geocodes each argument (or each line of standard input) with the embedded region and prints
//! the candidates: `cargo run --release --example geocode -- "northern Ardabil" "Bilesavar"`.

use sightmap_core::geospatial::geocode::Geocoder;
use sightmap_core::geospatial::region::{Region, RegionFiles};
use std::io::BufRead;
use std::sync::Arc;

fn main() {
    let region = Region::load(RegionFiles::embedded()).expect("the embedded region pack");
    let geocoder = Geocoder::new(Arc::new(region));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let queries: Vec<String> = if args.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect()
    } else {
        args
    };
    for query in queries {
        match geocoder.geocode(&query, 5) {
            Err(e) => println!("{query}: {e}"),
            Ok(answer) => {
                println!(
                    "{query}: ambiguous={} suggestions={:?}",
                    answer.ambiguous, answer.suggestions
                );
                for c in answer.candidates {
                    println!(
                        "   {} [{:.4}, {:.4}] {} ±{:.0} m conf {} {:?} {:?} ({})",
                        c.name,
                        c.lat,
                        c.lon,
                        c.precision.as_str(),
                        c.uncertainty_m,
                        c.confidence,
                        c.province,
                        c.country,
                        c.source_id
                    );
                }
            }
        }
    }
}
