//! Import of GeoJSON: arbitrary bytes as a FeatureCollection file and as a GeoJSON Lines file,
//! every record read and validated as `sightmap import` does (place text geocoded with the real
//! data pack). Errors are fine; panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightmap_core::formats::import::{Format, read_records};

#[path = "common.rs"]
mod common;
use common::validate;

fuzz_target!(|data: &[u8]| {
    for format in [Format::FeatureCollection, Format::GeoJsonLines] {
        let mut records = 0usize;
        let _ = read_records(data, format, &mut |position, value| {
            assert!(!position.is_empty());
            records += 1;
            validate(value);
            true
        });
        assert!(
            records <= data.len(),
            "{records} records from {} bytes",
            data.len()
        );
    }
});
