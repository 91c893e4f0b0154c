//! Coordinate texts ("37.28, 49.58", "37°16'N 49°35'E", Persian digits): any point read is
//! finite and on the globe, and the geocoder answers such a text with exactly that point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightmap_core::geospatial::geocode::coords;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((lon, lat)) = coords::parse(text) else {
        return;
    };
    assert!(
        lon.is_finite() && lat.is_finite(),
        "not finite: {lon}, {lat}"
    );
    assert!(
        (-180.0..=180.0).contains(&lon),
        "longitude {lon} from {text:?}"
    );
    assert!(
        (-90.0..=90.0).contains(&lat),
        "latitude {lat} from {text:?}"
    );

    // geocode() reads a coordinate pair first (after trimming): the same point, one candidate.
    if coords::parse(text.trim()) == Some((lon, lat)) {
        let answer = common::places()
            .geocoder
            .geocode(text, 5)
            .expect("a coordinate pair is not blank");
        assert_eq!(answer.candidates.len(), 1, "{answer:?}");
        let c = &answer.candidates[0];
        assert!(
            c.lon == lon && c.lat == lat,
            "geocode moved the point: {c:?}"
        );
    }
});
