//! An event's footprint: where its core accounts place it, as a geodesic polygon.
//!
//! Each core report's uncertainty circle is a polygon of [`VERTICES`] points at its radius
//! along geodesics from its point (Karney's direct problem), so the circle is true on the
//! ellipsoid, not a circle of degrees. The footprint is the intersection of the circles
//! where they all meet (where every account could be right), else the outline of their
//! union. An event without core reports takes its supporting reports' circles.

use super::member::Placement;
use crate::geodesy::destination;
use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon};

/// Vertices of one uncertainty circle.
pub const VERTICES: usize = 64;

/// The circle around a placement as a polygon (counter-clockwise, closed).
pub fn circle(place: &Placement) -> Polygon<f64> {
    let (lon, lat) = (place.point.lon, place.point.lat);
    // At least a metre, so that an exact point still has an area.
    let radius = place.radius_m.max(1.0);
    let mut ring: Vec<Coord<f64>> = (0..VERTICES)
        .map(|i| {
            let bearing = 360.0 - (i as f64) * 360.0 / VERTICES as f64;
            let (x, y) = destination(lon, lat, bearing, radius);
            // Keep the ring on the point's side of the antimeridian.
            let x = if x - lon > 180.0 {
                x - 360.0
            } else if lon - x > 180.0 {
                x + 360.0
            } else {
                x
            };
            Coord { x, y }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), Vec::new())
}

/// The footprint of a set of circles: their common intersection if it is not empty, else
/// their union. Empty for no circles.
pub fn footprint(places: &[Placement]) -> MultiPolygon<f64> {
    let circles: Vec<Polygon<f64>> = places.iter().map(circle).collect();
    let Some((first, rest)) = circles.split_first() else {
        return MultiPolygon::new(Vec::new());
    };
    let mut common = MultiPolygon::new(vec![first.clone()]);
    for c in rest {
        common = common.intersection(&MultiPolygon::new(vec![c.clone()]));
        if common.0.is_empty() {
            break;
        }
    }
    if !common.0.is_empty() {
        return common;
    }
    circles
        .iter()
        .skip(1)
        .fold(MultiPolygon::new(vec![first.clone()]), |union, c| {
            union.union(&MultiPolygon::new(vec![c.clone()]))
        })
}

/// The bounding box `[west, south, east, north]` of the circles, degrees.
pub fn bounds(places: &[Placement]) -> Option<[f64; 4]> {
    places.iter().fold(None, |acc: Option<[f64; 4]>, p| {
        let dlat = p.radius_m / 110_574.0;
        let cos = p.point.lat.to_radians().cos().max(1e-6);
        let dlon = (p.radius_m / (111_320.0 * cos)).min(180.0);
        let b = [
            p.point.lon - dlon,
            (p.point.lat - dlat).max(-90.0),
            p.point.lon + dlon,
            (p.point.lat + dlat).min(90.0),
        ];
        Some(match acc {
            None => b,
            Some(a) => [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::{AuxPoint, geodesic_distance_m};
    use geo::{Area, Contains, Point};

    fn place(lon: f64, lat: f64, radius_m: f64) -> Placement {
        Placement {
            point: AuxPoint::new(lon, lat),
            radius_m,
        }
    }

    #[test]
    fn a_circle_s_vertices_lie_at_its_radius() {
        let c = circle(&place(49.58, 37.28, 5_000.0));
        for v in c.exterior().coords() {
            let d = geodesic_distance_m(49.58, 37.28, v.x, v.y);
            assert!((d - 5_000.0).abs() < 0.01, "{d}");
        }
    }

    #[test]
    fn overlapping_circles_give_their_intersection_else_their_union() {
        let a = place(49.50, 37.28, 5_000.0);
        let b = place(49.55, 37.28, 5_000.0); // 4.4 km apart: they overlap
        let both = footprint(&[a, b]);
        let one = footprint(&[a]);
        assert!(both.unsigned_area() < one.unsigned_area());
        // The midpoint is in both circles, so in the intersection.
        assert!(both.contains(&Point::new(49.525, 37.28)));
        // Far apart: the union, with both points in it.
        let c = place(50.0, 37.28, 5_000.0);
        let apart = footprint(&[a, c]);
        assert!(apart.contains(&Point::new(49.50, 37.28)));
        assert!(apart.contains(&Point::new(50.0, 37.28)));
        assert!(!apart.contains(&Point::new(49.75, 37.28)));
    }
}
