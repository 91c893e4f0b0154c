//! How near a box or a segment must come to the query point to hold anything nearer than the
//! best candidate so far, by Lambert's distance: a threshold on the chord, a little wider for
//! boxes that reach north or south of the point, tested with a few multiplications and no
//! square root, so that a node's eight children are tested at once.
//!
//! The bound is tight to metres, where the plain chord bound
//! ([`crate::geospatial::geodesy::chord_for_min_distance`]) allows for the flattening in
//! every direction and is loose by 0.3 % (a kilometre at 300 km): far from a line, every
//! segment within that margin had to be measured, and dense borders have hundreds of them.
//!
//! **Why it holds.** For unit vectors p and q on the auxiliary sphere a chord c apart, with
//! σ = 2 asin(c/2), Lambert's formula (see [`crate::geospatial::geodesy`]) is
//! L = a (σ − f/2 (X + Y)), X = (σ − sin σ) S² / cos²(σ/2), Y = (σ + sin σ) Δz² / c²,
//! where S = (z_p + z_q)/2 and Δz = z_q − z_p (z is the sine of the reduced latitude). As
//! |Δz| ≤ c and σ + sin σ ≤ 2σ, Y ≤ 2σ m with m = min(Δz²/c², 1); as asin x ≥ x + x³/6,
//! σ ≥ g(c) = c + c³/24. Hence L ≥ a (g(c) (1 − f m) − f/2 X), and the right-hand side grows
//! with c for any fixed bound on |Δz|. A candidate can beat the best distance U only if
//! g(c) (1 − f m) ≤ K = U/a + f/2 X_max, where X_max bounds X over candidates
//! (X ≤ σ³/6 · S² / (1 − c²/4), σ ≤ (π/3) c for c ≤ 1, |S| ≤ |z_p| + C1/2, where
//! C1 = U / (b (1 − 10⁻⁴)) bounds every candidate's chord: the plain bound, without its sine,
//! as a chord is shorter than its arc). Either c ≤ C0 = g⁻¹(K), or
//! g(c) ≤ K + f Δz² (1 + c²/24)/c ≤ K + F Δz² with F = f (1 + C1²/24)/C0, and since g' ≥ 1,
//! c ≤ C0 + F Δz². With m ≤ 1, also c ≤ g⁻¹(K/(1 − f)) ≤ C0 + K f/(1 − f) = C2. So every
//! candidate lies within a chord of min(C0 + F Δz², C1, C2) of p, where Δz is the largest
//! |z − z_p| over the box.
//!
//! What the bound gives away: the Δz of the box's farthest corner where the candidate's own
//! is smaller (about 2 f times the box's extent along the line of sight, at most: 3 m for a
//! leaf of 400 m), and f² times the distance from the flattening's second order (a metre
//! at 100 km) against the true Lambert distance.
//!
//! The thresholds carry a margin of 1e-12 relative and a nanometre, far above the rounding of
//! the steps, so a segment whose computed Lambert distance equals the best one is never
//! skipped: ties are all seen (see [`super::tree`]).

use crate::geospatial::geodesy::{WGS84_A, WGS84_B, WGS84_F};

/// Relative margin on the thresholds, for rounding.
const MARGIN: f64 = 1e-12;
/// Beyond this chord (60° of arc) the bound's series steps are not used: the plain chord
/// bound alone decides.
const MAX_TIGHT_CHORD: f64 = 1.0;

/// The pruning thresholds for one query point and the best distance found so far.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bound {
    /// z of the query point.
    zp: f64,
    /// Every candidate lies within this chord (C1 and C2 below).
    c1: f64,
    /// Every candidate lies within C0 + F Δz²: C0 ...
    c0: f64,
    /// ... and F.
    f: f64,
}

impl Bound {
    /// Nothing pruned yet.
    pub(super) fn open(zp: f64) -> Self {
        Self {
            zp,
            c1: f64::INFINITY,
            c0: f64::INFINITY,
            f: 0.0,
        }
    }

    /// The thresholds once a candidate at Lambert distance `best_m` is known.
    pub(super) fn new(zp: f64, best_m: f64) -> Self {
        // The plain bound (geodesy::chord_for_min_distance) without its sine: a chord is
        // shorter than its arc.
        let c1 = best_m / (WGS84_B * (1.0 - 1e-4)) * (1.0 + MARGIN);
        if c1 >= MAX_TIGHT_CHORD {
            return Self {
                zp,
                c1,
                c0: c1,
                f: 0.0,
            };
        }
        let sigma = std::f64::consts::FRAC_PI_3 * c1;
        let x_per_s2 = sigma * sigma * sigma / 6.0 / (1.0 - c1 * c1 / 4.0);
        let s = zp.abs() + c1 / 2.0;
        let k =
            best_m * (1.0 + MARGIN) / WGS84_A + 1e-9 / WGS84_A + WGS84_F / 2.0 * x_per_s2 * s * s;
        // C0 = g⁻¹(k): one Newton step from k lands above the root (g is convex) and within
        // (k³/24)² of it, a tenth of a millimetre at 300 km.
        let c0 = k - k * k * k / 24.0 / (1.0 + k * k / 8.0);
        let c0 = c0 * (1.0 + MARGIN);
        Self {
            zp,
            // With m at most 1: c ≤ g⁻¹(K/(1 − f)) ≤ C0 + K f/(1 − f).
            c1: c1.min(c0 + k * WGS84_F / (1.0 - WGS84_F)),
            c0,
            f: WGS84_F * (1.0 + c1 * c1 / 24.0) / c0,
        }
    }

    /// Which of eight lanes may hold a candidate, as a bit mask: lane k is a box (or segment)
    /// at squared chord `d2[k]` from the point whose points have z within
    /// `[z_lo[k], z_hi[k]]`, and whose candidates may lie up to `slack` nearer than that.
    #[inline(always)]
    pub(super) fn mask(&self, d2: &[f64; 8], z_lo: &[f64; 8], z_hi: &[f64; 8], slack: f64) -> u32 {
        let mut mask = 0;
        for k in 0..8 {
            let dz = max((z_lo[k] - self.zp).abs(), (z_hi[k] - self.zp).abs());
            let reach = min(self.c0 + self.f * dz * dz, self.c1) + slack;
            mask |= ((d2[k] <= reach * reach) as u32) << k;
        }
        mask
    }
}

/// The larger of two numbers (no NaN care: compiles to one instruction).
#[inline(always)]
pub(super) fn max(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// The smaller of two numbers (no NaN care).
#[inline(always)]
pub(super) fn min(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geospatial::geodesy::{self, AuxPoint};
    use proptest::prelude::*;

    /// The lane test for one segment from `a` to `b`, as the tree makes it.
    fn passes(p: &AuxPoint, a: [f64; 3], b: [f64; 3], best_m: f64) -> bool {
        let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
        let ap = [p.xyz[0] - a[0], p.xyz[1] - a[1], p.xyz[2] - a[2]];
        let t = ((ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / len2).clamp(0.0, 1.0);
        let e = [ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]];
        let sag = super::super::sagitta(len2);
        let d2 = [e[0] * e[0] + e[1] * e[1] + e[2] * e[2]; 8];
        let z_lo = [a[2].min(b[2]) - sag; 8];
        let z_hi = [a[2].max(b[2]) + sag; 8];
        Bound::new(p.xyz[2], best_m).mask(&d2, &z_lo, &z_hi, sag) & 1 == 1
    }

    fn lambert_to_segment(p: &AuxPoint, a: [f64; 3], b: [f64; 3]) -> f64 {
        let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        geodesy::lambert_distance_xyz_m(p, &super::super::walk::foot_on_arc(&a, &ab, &p.xyz))
    }

    proptest! {
        /// A segment at exactly the best distance is never pruned, whatever its length
        /// (up to 200 km), direction and distance (up to 3,000 km), anywhere on Earth.
        #[test]
        fn a_segment_at_the_best_distance_passes(
            lon in -180.0..180.0f64, lat in -85.0..85.0f64,
            dlon in -25.0..25.0f64, dlat in -25.0..25.0f64,
            bearing in 0.0..360.0f64, length_m in 1.0..200_000.0f64,
        ) {
            let (lon1, lat1) = (lon + dlon, (lat + dlat).clamp(-89.0, 89.0));
            let (lon2, lat2) = geodesy::destination(lon1, lat1, bearing, length_m);
            let p = AuxPoint::new(lon, lat);
            let (a, b) = (AuxPoint::new(lon1, lat1).xyz, AuxPoint::new(lon2, lat2).xyz);
            let d = lambert_to_segment(&p, a, b);
            prop_assert!(passes(&p, a, b, d), "{d} m");
        }

        /// And the bound is tight: a segment farther than the best by 5e-5 of the distance
        /// (5 m at 100 km) and 2 f of its length (7 m a kilometre) is pruned, where the plain
        /// chord bound let through anything within 0.3 % of the distance.
        #[test]
        fn a_short_segment_a_little_farther_is_pruned(
            lon in 40.0..60.0f64, lat in 30.0..45.0f64,
            distance_m in 10_000.0..600_000.0f64, towards in 0.0..360.0f64,
            bearing in 0.0..360.0f64, length_m in 1.0..1_000.0f64,
        ) {
            let (lon1, lat1) = geodesy::destination(lon, lat, towards, distance_m);
            let (lon2, lat2) = geodesy::destination(lon1, lat1, bearing, length_m);
            let p = AuxPoint::new(lon, lat);
            let (a, b) = (AuxPoint::new(lon1, lat1).xyz, AuxPoint::new(lon2, lat2).xyz);
            let d = lambert_to_segment(&p, a, b);
            let margin = 5e-5 * d + 2.0 * WGS84_F * length_m;
            prop_assert!(!passes(&p, a, b, d - margin), "{d} m");
        }
    }

    #[test]
    fn nothing_is_pruned_before_a_first_candidate() {
        let bound = Bound::open(0.6);
        assert_eq!(bound.mask(&[3.9; 8], &[-1.0; 8], &[1.0; 8], 0.0), 0xff);
    }
}
