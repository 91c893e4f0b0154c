//! Distances on the WGS84 ellipsoid, fast enough for an index and exact where it matters.
//!
//! Terms used here:
//! - **reduced latitude** β: `tan β = (1 − f) tan φ`. Points placed on a unit sphere by (β, λ)
//!   form Bessel's *auxiliary sphere*, on which ellipsoidal geodesics are nearly great circles.
//! - **chord**: the straight-line distance between two such unit vectors. It is monotonic in the
//!   central angle σ, so an R-tree over unit vectors answers "within angle σ" with a Euclidean
//!   ball query.
//!
//! Three measures, from cheapest to exact:
//! 1. the chord, for the index prefilter ([`max_chord_for`]);
//! 2. Lambert's formula for long lines ([`lambert_distance_m`]), which corrects the auxiliary
//!    angle for the flattening to first order: its error is of order f² (about 1e-5 relative);
//! 3. Karney's algorithm ([`geodesic_distance_m`], GeographicLib), exact to nanometres.
//!
//! [`distance_within`] combines 2 and 3: it decides membership in a circle exactly (as PostGIS
//! `ST_DWithin` on the spheroid does) while paying for Karney only near the circle's edge.

use geographiclib_rs::{Geodesic, InverseGeodesic};
use std::sync::OnceLock;

/// WGS84 semi-major axis, in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis, in metres.
pub const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);

/// The largest radius a query may ask for, in metres: more than half the equator, so that any
/// two points on Earth are within it.
pub const MAX_RADIUS_M: f64 = 20_000_000.0;

/// Relative slack on Lambert's formula: five times the error its tests allow against
/// GeographicLib (`lambert_is_within_tolerance`), plus a metre of absolute slack.
const LAMBERT_RELATIVE_TOLERANCE: f64 = 1e-4;
const LAMBERT_ABSOLUTE_TOLERANCE_M: f64 = 1.0;

/// Beyond this chord (σ above about 177°) Lambert's formula loses accuracy: use Karney.
const NEAR_ANTIPODAL_CHORD: f64 = 1.998;

/// A point on the auxiliary sphere, with what the distance formulas need precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuxPoint {
    /// Unit vector `[cos β cos λ, cos β sin λ, sin β]`.
    pub xyz: [f64; 3],
    /// Longitude in degrees, as given.
    pub lon: f64,
    /// Geodetic latitude in degrees, as given.
    pub lat: f64,
}

impl AuxPoint {
    /// Places a WGS84 longitude/latitude (degrees) on the auxiliary sphere.
    ///
    /// # Examples
    /// ```
    /// let p = sightmap_core::geospatial::geodesy::AuxPoint::new(0.0, 90.0);
    /// assert!((p.xyz[2] - 1.0).abs() < 1e-12);
    /// ```
    pub fn new(lon: f64, lat: f64) -> Self {
        let (sin_phi, cos_phi) = lat.to_radians().sin_cos();
        let (sin_lambda, cos_lambda) = lon.to_radians().sin_cos();
        let one_minus_f = 1.0 - WGS84_F;
        let norm = (cos_phi * cos_phi + one_minus_f * one_minus_f * sin_phi * sin_phi).sqrt();
        let sin_beta = one_minus_f * sin_phi / norm;
        let cos_beta = cos_phi / norm;
        Self {
            xyz: [cos_beta * cos_lambda, cos_beta * sin_lambda, sin_beta],
            lon,
            lat,
        }
    }
}

/// Squared chord between two unit vectors.
pub fn chord_squared(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let dz = a[2] - b[2];
    dx * dx + dy * dy + dz * dz
}

/// Central angle on the auxiliary sphere for a chord, in radians.
pub fn angle_for_chord(chord: f64) -> f64 {
    2.0 * (chord / 2.0).clamp(0.0, 1.0).asin()
}

/// The chord that encloses every point whose geodesic distance is at most `radius_m`.
///
/// A geodesic of length s spans an auxiliary angle of at most about s / b; the 0.1 % margin
/// covers the small difference between ellipsoidal and auxiliary longitude.
pub fn max_chord_for(radius_m: f64) -> f64 {
    let sigma = radius_m / (WGS84_B * (1.0 - 1e-3));
    if sigma >= std::f64::consts::PI {
        2.0
    } else {
        2.0 * (sigma / 2.0).sin()
    }
}

/// A lower bound, in metres, on the geodesic distance between points a chord apart: the
/// converse of [`max_chord_for`], used to stop a nearest-neighbour scan.
pub fn min_distance_for_chord(chord: f64) -> f64 {
    angle_for_chord(chord) * WGS84_B * (1.0 - 1e-3)
}

/// The longest chord between two points whose geodesic distance can be at most
/// `distance_m`: anything farther than this chord from a point is farther than `distance_m`
/// from it, and farther than a Lambert distance of `distance_m` too.
///
/// A geodesic of length s spans an auxiliary-sphere arc σ ≤ s / b, since s = b ∫₀^σ
/// √(1 + k² sin² σ') dσ' ≥ b σ; and the great-circle arc between the endpoints' aux-sphere
/// vectors is shorter still than σ, since their aux-sphere longitude difference ω12 exceeds
/// the ellipsoidal λ12 (λ12 = ω12 − f sin α0 I3(σ), I3 > 0). Hence chord ≤ 2 sin(s / 2b). The
/// 1e-4 margin covers Lambert's formula, by which candidates are ranked (its error is of order
/// f², about 1e-5 relative), and rounding.
pub fn chord_for_min_distance(distance_m: f64) -> f64 {
    let angle = distance_m / (WGS84_B * (1.0 - 1e-4));
    if angle >= std::f64::consts::PI {
        return 2.0;
    }
    2.0 * (angle / 2.0).sin()
}

/// Lambert's formula for long lines on the WGS84 ellipsoid, in metres.
///
/// Accurate to about 1e-5 relative everywhere but near antipodes (where it falls back to
/// Karney). Costs one `asin` and one `sqrt`.
pub fn lambert_distance_m(p: &AuxPoint, q: &AuxPoint) -> f64 {
    lambert_xyz(&p.xyz, &q.xyz).unwrap_or_else(|| geodesic_distance_m(p.lon, p.lat, q.lon, q.lat))
}

/// Lambert's formula from a point to a unit vector on the auxiliary sphere (the point's own
/// vector and the other's alone: no trigonometry but one `asin`), in metres. Near antipodes
/// it falls back to Karney, turning the vector into longitude and latitude.
pub fn lambert_distance_xyz_m(p: &AuxPoint, q: &[f64; 3]) -> f64 {
    lambert_xyz(&p.xyz, q).unwrap_or_else(|| {
        let (lon, lat) = geodetic_of(q);
        geodesic_distance_m(p.lon, p.lat, lon, lat)
    })
}

/// The geodetic longitude and latitude (degrees) of a unit vector on the auxiliary sphere.
pub fn geodetic_of(v: &[f64; 3]) -> (f64, f64) {
    let lon = v[1].atan2(v[0]).to_degrees();
    // Reduced latitude β from the vector; geodetic φ from tan φ = tan β / (1 − f).
    let lat = v[2].atan2((1.0 - WGS84_F) * v[0].hypot(v[1])).to_degrees();
    (lon, lat)
}

/// Lambert's formula from the unit vectors alone; `None` near antipodes, where it is not
/// accurate enough.
fn lambert_xyz(p: &[f64; 3], q: &[f64; 3]) -> Option<f64> {
    lambert_chord2(p, q, chord_squared(p, q))
}

/// Lambert's formula for unit vectors whose squared chord is already known.
fn lambert_chord2(p: &[f64; 3], q: &[f64; 3], chord2: f64) -> Option<f64> {
    if chord2 < 1e-30 {
        return Some(0.0);
    }
    let half_chord2 = chord2 / 4.0; // sin²(σ/2)
    if half_chord2 >= (NEAR_ANTIPODAL_CHORD / 2.0).powi(2) {
        return None;
    }
    let sin_half = half_chord2.sqrt();
    let cos_half2 = 1.0 - half_chord2; // cos²(σ/2)
    let sigma = 2.0 * sin_half.asin();
    let sin_sigma = 2.0 * sin_half * cos_half2.sqrt();
    // sin P cos Q and cos P sin Q, with P = (β1+β2)/2 and Q = (β2−β1)/2; z is sin β.
    let sp_cq = (p[2] + q[2]) / 2.0;
    let cp_sq = (q[2] - p[2]) / 2.0;
    let x = (sigma - sin_sigma) * sp_cq * sp_cq / cos_half2;
    let y = (sigma + sin_sigma) * cp_sq * cp_sq / half_chord2;
    Some(WGS84_A * (sigma - WGS84_F / 2.0 * (x + y)))
}

fn wgs84() -> &'static Geodesic {
    static WGS84: OnceLock<Geodesic> = OnceLock::new();
    WGS84.get_or_init(Geodesic::wgs84)
}

/// The geodesic distance on WGS84 by Karney's algorithm (GeographicLib), in metres.
///
/// # Examples
/// ```
/// // One degree of longitude along the equator.
/// let d = sightmap_core::geospatial::geodesy::geodesic_distance_m(0.0, 0.0, 1.0, 0.0);
/// assert!((d - 111_319.49).abs() < 0.01);
/// ```
pub fn geodesic_distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let s12: f64 = wgs84().inverse(lat1, lon1, lat2, lon2);
    s12
}

/// The initial bearing from the first point to the second, in degrees clockwise from north
/// (0–360), on WGS84.
pub fn initial_bearing_deg(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    distance_and_bearing(lon1, lat1, lon2, lat2).1
}

/// The geodesic distance in metres and the initial bearing in degrees (0–360) from the first
/// point to the second, on WGS84, in one solution of the inverse problem.
pub fn distance_and_bearing(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(lat1, lon1, lat2, lon2);
    (s12, azi1.rem_euclid(360.0))
}

/// The point `distance_m` from (lon, lat) along the geodesic with initial bearing
/// `bearing_deg`, on WGS84, as (lon, lat).
///
/// # Examples
/// ```
/// // Ten kilometres due north of the equator.
/// let (lon, lat) = sightmap_core::geospatial::geodesy::destination(0.0, 0.0, 0.0, 10_000.0);
/// assert!(lon.abs() < 1e-12 && (lat - 0.0904369).abs() < 1e-6);
/// ```
pub fn destination(lon: f64, lat: f64, bearing_deg: f64, distance_m: f64) -> (f64, f64) {
    let (lat2, lon2): (f64, f64) =
        geographiclib_rs::DirectGeodesic::direct(wgs84(), lat, lon, bearing_deg, distance_m);
    (normalise_lon(lon2), lat2)
}

/// The point halfway along the geodesic between two points, as (lon, lat).
pub fn midpoint(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(lat1, lon1, lat2, lon2);
    destination(lon1, lat1, azi1, s12 / 2.0)
}

fn normalise_lon(lon: f64) -> f64 {
    let l = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if l == -180.0 && lon > 0.0 { 180.0 } else { l }
}

/// Whether `q` lies within `radius_m` of `p` along the geodesic, and if so how far.
///
/// Membership is exact (Karney) whenever Lambert's estimate lies within its tolerance of the
/// radius; the distance returned is then Karney's too, and otherwise Lambert's.
pub fn distance_within(p: &AuxPoint, q: &AuxPoint, radius_m: f64) -> Option<f64> {
    distance_within_xyz(p, &q.xyz, radius_m, || (q.lon, q.lat))
}

/// [`distance_within`] for a candidate known by its unit vector, asking for its longitude and
/// latitude (`lon_lat`) only in the rare case that needs Karney's algorithm.
pub fn distance_within_xyz(
    p: &AuxPoint,
    q: &[f64; 3],
    radius_m: f64,
    lon_lat: impl FnOnce() -> (f64, f64),
) -> Option<f64> {
    distance_within_chord2(p, q, chord_squared(&p.xyz, q), radius_m, lon_lat)
}

/// [`distance_within_xyz`] for a candidate whose squared chord to `p` is already known, as
/// an index scan knows it.
pub fn distance_within_chord2(
    p: &AuxPoint,
    q: &[f64; 3],
    chord2: f64,
    radius_m: f64,
    lon_lat: impl FnOnce() -> (f64, f64),
) -> Option<f64> {
    let exact = |lon_lat: (f64, f64)| {
        let d = geodesic_distance_m(p.lon, p.lat, lon_lat.0, lon_lat.1);
        (d <= radius_m).then_some(d)
    };
    let Some(estimate) = lambert_chord2(&p.xyz, q, chord2) else {
        return exact(lon_lat());
    };
    let slack = estimate * LAMBERT_RELATIVE_TOLERANCE + LAMBERT_ABSOLUTE_TOLERANCE_M;
    if estimate + slack < radius_m {
        Some(estimate)
    } else if estimate - slack > radius_m {
        None
    } else {
        exact(lon_lat())
    }
}

/// A lon/lat box grown by `m` metres on every side (generously: a degree of latitude is
/// never shorter than 110.5 km, and longitude degrees are taken at the box's poleward edge).
pub fn box_grown_by(b: [f64; 4], m: f64) -> [f64; 4] {
    let dlat = m / 110_495.0;
    let north = (b[1].abs().max(b[3].abs()) + dlat).min(89.0);
    let dlon = (dlat / north.to_radians().cos()).min(180.0);
    [
        (b[0] - dlon).max(-180.0),
        (b[1] - dlat).max(-90.0),
        (b[2] + dlon).min(180.0),
        (b[3] + dlat).min(90.0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn relative_error(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
        let exact = geodesic_distance_m(lon1, lat1, lon2, lat2);
        let approx = lambert_distance_m(&AuxPoint::new(lon1, lat1), &AuxPoint::new(lon2, lat2));
        (approx - exact).abs() / exact.max(1.0)
    }

    #[test]
    fn known_distances_match_geographiclib_reference() {
        // References from Python's geographiclib 2.x, Geodesic.WGS84.Inverse.
        // Rasht (37.2808 N, 49.5832 E) to Ardabil (38.2498 N, 48.2933 E).
        let d = geodesic_distance_m(49.5832, 37.2808, 48.2933, 38.2498);
        assert!((d - 156_472.745).abs() < 0.01, "Rasht–Ardabil {d}");
        // JFK to LHR.
        let d = geodesic_distance_m(-73.7781, 40.6413, -0.4543, 51.4700);
        assert!((d - 5_554_908.791).abs() < 0.01, "JFK–LHR {d}");
        // The two Astaras, across the border.
        let d = geodesic_distance_m(48.870, 38.431, 48.875, 38.456);
        assert!((d - 2_809.242).abs() < 0.01, "Astara–Astara {d}");
    }

    proptest! {
        #[test]
        fn lambert_is_within_tolerance(
            lon1 in -180.0..180.0f64, lat1 in -89.9..89.9f64,
            dlon in -60.0..60.0f64, dlat in -30.0..30.0f64,
        ) {
            let lat2 = (lat1 + dlat).clamp(-89.9, 89.9);
            let lon2 = lon1 + dlon;
            prop_assert!(relative_error(lon1, lat1, lon2, lat2) < LAMBERT_RELATIVE_TOLERANCE / 5.0);
        }

        #[test]
        fn short_lines_are_within_tolerance(
            lon1 in 40.0..60.0f64, lat1 in 30.0..45.0f64,
            dlon in -0.5..0.5f64, dlat in -0.5..0.5f64,
        ) {
            prop_assert!(relative_error(lon1, lat1, lon1 + dlon, lat1 + dlat) < LAMBERT_RELATIVE_TOLERANCE / 5.0);
        }

        #[test]
        fn chord_bounds_enclose_the_geodesic(
            lon1 in -180.0..180.0f64, lat1 in -89.0..89.0f64,
            lon2 in -180.0..180.0f64, lat2 in -89.0..89.0f64,
        ) {
            let p = AuxPoint::new(lon1, lat1);
            let q = AuxPoint::new(lon2, lat2);
            let exact = geodesic_distance_m(lon1, lat1, lon2, lat2);
            let chord = chord_squared(&p.xyz, &q.xyz).sqrt();
            prop_assert!(chord <= max_chord_for(exact) + 1e-12);
            prop_assert!(min_distance_for_chord(chord) <= exact + 1e-6);
        }

        #[test]
        fn membership_matches_karney(
            lon1 in 44.0..55.0f64, lat1 in 35.0..42.0f64,
            lon2 in 44.0..55.0f64, lat2 in 35.0..42.0f64,
        ) {
            let exact = geodesic_distance_m(lon1, lat1, lon2, lat2);
            let p = AuxPoint::new(lon1, lat1);
            let q = AuxPoint::new(lon2, lat2);
            // Radii right at, just inside and just outside the exact distance.
            for radius in [exact, exact * (1.0 + 1e-9), exact * (1.0 - 1e-9)] {
                prop_assert_eq!(distance_within(&p, &q, radius).is_some(), exact <= radius);
            }
        }
    }
}
