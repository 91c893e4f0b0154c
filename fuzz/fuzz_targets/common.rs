//! What the fuzz targets share (each includes this file with `#[path]`): the real data pack
//! under `data/region/`, loaded once, and the checks every point and valid report must pass.
#![allow(dead_code)]

use sightmap_core::domain::model::{FieldError, Gazetteer, Origin, Timestamp, input_from_json};
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::sync::OnceLock;

/// The region's places, geocoder and geography, loaded on first use.
pub fn places() -> &'static Atlas {
    static PLACES: OnceLock<Atlas> = OnceLock::new();
    PLACES.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/region");
        let files = RegionFiles::from_dir(dir.as_ref()).expect("read data/region");
        Atlas::load(files).expect("data/region is a valid pack")
    })
}

/// Whether a point is finite and on the globe.
pub fn on_globe(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// Validates one imported record as `import` does, and checks what a valid report holds.
pub fn validate(value: Result<serde_json::Value, Vec<FieldError>>) {
    // A fixed "now" keeps runs reproducible.
    let now = Timestamp(1_795_305_600); // 2026-11-22T00:00:00Z
    let gazetteer: &dyn Gazetteer = places();
    let report = value
        .and_then(input_from_json)
        .and_then(|i| i.into_report(Origin::Import, None, now, Some(gazetteer)));
    if let Ok(r) = report {
        let l = &r.location;
        assert!(on_globe(l.lon, l.lat), "point {}, {}", l.lon, l.lat);
        assert!(
            l.uncertainty_m.is_finite() && l.uncertainty_m >= 0.0,
            "uncertainty {}",
            l.uncertainty_m
        );
        assert!(r.observed.from.0 <= r.observed.to.0, "{:?}", r.observed);
    }
}
