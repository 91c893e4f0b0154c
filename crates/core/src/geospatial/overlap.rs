//! How far a report's uncertainty circle reaches into a query circle.
//!
//! A report placed "near Rasht" with a 5 km uncertainty may have happened inside a 10 km
//! search circle even when its point lies 12 km away. [`Overlap`] says by how much: the depth
//! of the overlap along the line between the centres, and the share of the report's circle that
//! lies inside the query's. The share is computed in the plane tangent at the query's centre,
//! which is exact to well under a percent at the radii the index allows.

use std::f64::consts::PI;

/// The overlap of a report's uncertainty circle with a query circle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Whether the report's point itself lies inside the query circle.
    pub point_inside: bool,
    /// Query radius plus uncertainty radius minus the distance between the centres, metres:
    /// how deep the two circles overlap (negative when they do not).
    pub depth_m: f64,
    /// The share (0–1) of the uncertainty circle's area inside the query circle.
    pub share: f64,
}

impl Overlap {
    /// The overlap of a circle of `uncertainty_m` around a point `distance_m` from the centre
    /// of a query circle of `radius_m`.
    pub fn of(distance_m: f64, radius_m: f64, uncertainty_m: f64) -> Self {
        Self {
            point_inside: distance_m <= radius_m,
            depth_m: radius_m + uncertainty_m - distance_m,
            share: area_share(distance_m, radius_m, uncertainty_m),
        }
    }
}

/// The share of a circle of radius `r` at distance `d` from the centre of a circle of radius
/// `big_r` that lies inside the latter: the lens area over the circle's area.
fn area_share(d: f64, big_r: f64, r: f64) -> f64 {
    if r <= 0.0 {
        return if d <= big_r { 1.0 } else { 0.0 };
    }
    if d >= big_r + r {
        return 0.0;
    }
    if d <= (big_r - r).abs() {
        // One circle holds the other.
        return if r <= big_r {
            1.0
        } else {
            (big_r * big_r) / (r * r)
        };
    }
    let (r2, big_r2, d2) = (r * r, big_r * big_r, d * d);
    let alpha = ((d2 + r2 - big_r2) / (2.0 * d * r)).clamp(-1.0, 1.0).acos();
    let beta = ((d2 + big_r2 - r2) / (2.0 * d * big_r))
        .clamp(-1.0, 1.0)
        .acos();
    let kite = ((-d + r + big_r) * (d + r - big_r) * (d - r + big_r) * (d + r + big_r))
        .max(0.0)
        .sqrt();
    let lens = r2 * alpha + big_r2 * beta - 0.5 * kite;
    (lens / (PI * r2)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share by counting a fine grid of points over the uncertainty circle: an
    /// independent reference for the closed form.
    fn share_by_grid(d: f64, big_r: f64, r: f64) -> f64 {
        let n = 800;
        let (mut inside_small, mut inside_both) = (0u64, 0u64);
        for i in 0..n {
            for j in 0..n {
                let x = -r + 2.0 * r * (i as f64 + 0.5) / n as f64;
                let y = -r + 2.0 * r * (j as f64 + 0.5) / n as f64;
                if x * x + y * y <= r * r {
                    inside_small += 1;
                    let (qx, qy) = (x + d, y);
                    if qx * qx + qy * qy <= big_r * big_r {
                        inside_both += 1;
                    }
                }
            }
        }
        inside_both as f64 / inside_small as f64
    }

    #[test]
    fn share_matches_a_grid_count() {
        for &(d, big_r, r) in &[
            (12_000.0, 10_000.0, 5_000.0),
            (10_000.0, 10_000.0, 5_000.0),
            (3_000.0, 10_000.0, 20_000.0),
            (0.0, 10_000.0, 20_000.0),
            (14_000.0, 10_000.0, 5_000.0),
            (500.0, 1_000.0, 1_000.0),
        ] {
            let exact = area_share(d, big_r, r);
            let counted = share_by_grid(d, big_r, r);
            assert!(
                (exact - counted).abs() < 0.005,
                "d={d} R={big_r} r={r}: {exact} vs {counted}"
            );
        }
    }

    #[test]
    fn disjoint_contained_and_pointlike_circles() {
        assert_eq!(area_share(16_000.0, 10_000.0, 5_000.0), 0.0);
        assert_eq!(area_share(2_000.0, 10_000.0, 5_000.0), 1.0);
        assert_eq!(area_share(10_000.0, 10_000.0, 0.0), 1.0);
        assert_eq!(area_share(10_001.0, 10_000.0, 0.0), 0.0);
        let o = Overlap::of(12_000.0, 10_000.0, 5_000.0);
        assert!(!o.point_inside);
        assert_eq!(o.depth_m, 3_000.0);
        assert!(o.share > 0.0 && o.share < 0.5);
    }
}
