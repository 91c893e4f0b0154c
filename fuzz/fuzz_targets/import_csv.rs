//! Import of CSV: arbitrary bytes as a CSV file, every row read and validated as
//! `sightmap import` does (place text geocoded with the real data pack). Errors are fine;
//! panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightmap::import::{Format, read_records};
use sightmap::model::{FieldError, Gazetteer, Origin, Timestamp, input_from_json};
use sightmap::places::Places;
use sightmap::region::RegionFiles;
use std::sync::OnceLock;

fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/region");
        let files = RegionFiles::from_dir(dir.as_ref()).expect("read data/region");
        Places::load(files).expect("data/region is a valid pack")
    })
}

/// Validates one record as `import` does, and checks what a valid report holds.
fn validate(value: Result<serde_json::Value, Vec<FieldError>>) {
    // A fixed "now" keeps runs reproducible.
    let now = Timestamp(1_795_305_600); // 2026-11-22T00:00:00Z
    let gazetteer: &dyn Gazetteer = places();
    let report = value
        .and_then(input_from_json)
        .and_then(|i| i.into_report(Origin::Import, None, now, Some(gazetteer)));
    if let Ok(r) = report {
        let l = &r.location;
        assert!(
            l.lon.is_finite() && (-180.0..=180.0).contains(&l.lon),
            "longitude {}",
            l.lon
        );
        assert!(
            l.lat.is_finite() && (-90.0..=90.0).contains(&l.lat),
            "latitude {}",
            l.lat
        );
        assert!(
            l.uncertainty_m.is_finite() && l.uncertainty_m >= 0.0,
            "uncertainty {}",
            l.uncertainty_m
        );
        assert!(r.observed.from.0 <= r.observed.to.0, "{:?}", r.observed);
    }
}

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
