//! Import of CSV: arbitrary bytes as a CSV file, every row read and validated as
//! `sightmap import` does (place text geocoded with the real data pack). Errors are fine;
//! panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightmap_core::formats::import::{Format, read_records};

#[path = "common.rs"]
mod common;
use common::validate;

fuzz_target!(|data: &[u8]| {
    let mut records = 0usize;
    let _ = read_records(data, Format::Csv, &mut |position, value| {
        assert!(position.starts_with("row "), "{position}");
        records += 1;
        validate(value);
        true
    });
    assert!(
        records <= data.len(),
        "{records} records from {} bytes",
        data.len()
    );
});
