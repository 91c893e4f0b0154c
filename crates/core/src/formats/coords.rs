//! Coordinates as every output writes them: longitudes and latitudes to [`DECIMALS`] decimal
//! places (about 1 cm), whatever the stored value carries. Report points in GeoJSON, the OGC
//! API and every export, event footprints, map layers and the CSV's `lon`, `lat` and WKT all
//! round here, in their encoders; stored values are never changed.
//!
//! Rounding is monotonic, so a box of rounded coordinates is the rounded box: an extent
//! rounded here still holds every geometry rounded here.

use geo::MapCoords;

/// Decimal places of a written coordinate: 1e-7° is 1.1 cm of latitude.
pub const DECIMALS: i32 = 7;

/// A coordinate (degrees) rounded to [`DECIMALS`] places. Written in its shortest form
/// (`serde_json`, `f64`'s `Display`), it has at most that many decimals.
///
/// # Examples
///
/// ```
/// use sightmap_core::formats::coords::round;
/// assert_eq!(round(49.583_218_765_432_1), 49.583_218_8);
/// assert_eq!(round(37.28).to_string(), "37.28");
/// ```
pub fn round(degrees: f64) -> f64 {
    // The quotient of two exact integers, correctly rounded: the double nearest the decimal.
    (degrees * 1e7).round() / 1e7
}

/// A point `[lon, lat]` with both coordinates rounded.
pub fn point(lon: f64, lat: f64) -> [f64; 2] {
    [round(lon), round(lat)]
}

/// A geometry with every coordinate rounded.
pub fn geometry<G: MapCoords<f64, f64>>(shape: &G) -> G::Output {
    shape.map_coords(|c| geo::Coord {
        x: round(c.x),
        y: round(c.y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decimals of a number as written.
    fn decimals(text: &str) -> usize {
        text.split_once('.').map_or(0, |(_, d)| d.len())
    }

    #[test]
    fn rounded_coordinates_print_with_at_most_seven_decimals() {
        // Seeded pseudo-random coordinates over the whole range, and awkward ones.
        let mut state = 20_240_601u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let awkward = [
            0.1 + 0.2,
            49.999_999_95,
            -179.999_999_99,
            1e-9,
            37.123_456_75,
        ];
        for v in (0..100_000).map(|_| next() * 360.0 - 180.0).chain(awkward) {
            let r = round(v);
            assert!((r - v).abs() <= 0.5e-7 + 1e-12, "{v} -> {r}");
            for text in [r.to_string(), serde_json::to_string(&r).unwrap()] {
                assert!(
                    decimals(&text) <= DECIMALS as usize,
                    "{v} is written {text}"
                );
            }
        }
    }

    #[test]
    fn rounding_keeps_order_so_boxes_stay_boxes() {
        let (a, b) = (49.123_456_749_9, 49.123_456_750_1);
        assert!(round(a) <= round(b));
        assert_eq!(point(1.000_000_04, -2.000_000_06), [1.0, -2.000_000_1]);
    }
}
