//! The geocoder's query reading: arbitrary UTF-8 as place text, through `geocode`, `resolve`
//! and the tokenizer and normalisers they use, over the real data pack under `data/region/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightmap_core::geospatial::geocode::normalize;

#[path = "common.rs"]
mod common;
use common::on_globe;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // Tokens are ordered, non-overlapping slices of the input on character boundaries.
    let tokens = normalize::tokenize(text);
    let mut last_end = 0;
    for t in &tokens {
        assert!(
            t.start < t.end && t.start >= last_end,
            "bad token span {t:?}"
        );
        assert!(
            text.get(t.start..t.end).is_some(),
            "token {t:?} is not on char boundaries"
        );
        assert!(!t.text.is_empty(), "empty token {t:?}");
        let _ = t.number();
        last_end = t.end;
    }
    let folded = normalize::fold(text);
    let loose = normalize::loose(&folded);
    if let Some(d) = normalize::edit_distance(&folded, &loose, 2) {
        assert!(d <= 2);
    }

    let geocoder = &common::places().geocoder;
    match geocoder.geocode(text, 5) {
        Ok(answer) => {
            assert!(
                answer.candidates.len() <= 5,
                "{} candidates",
                answer.candidates.len()
            );
            for c in &answer.candidates {
                assert!(on_globe(c.lon, c.lat), "candidate out of range: {c:?}");
                assert!(
                    c.uncertainty_m.is_finite() && c.uncertainty_m >= 0.0,
                    "bad uncertainty: {c:?}"
                );
                assert!((0.0..=1.0).contains(&c.confidence), "bad confidence: {c:?}");
            }
            if let Some(best) = answer.candidates.first() {
                let _ = geocoder.reverse(best.lon, best.lat);
            }
        }
        Err(_) => assert!(text.trim().is_empty(), "only a blank text is refused"),
    }
    if let Ok(place) = geocoder.resolve(text) {
        assert!(
            on_globe(place.lon, place.lat),
            "resolved out of range: {place:?}"
        );
        assert!(place.uncertainty_m.is_finite() && place.uncertainty_m >= 0.0);
    }
});
