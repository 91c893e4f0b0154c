//! An event's footprint: where its core accounts place it, as a geodesic polygon.
//!
//! Each core report's uncertainty circle is a polygon of [`VERTICES`] points at its radius
//! from its point on the ellipsoid (see [`LOCAL_RADIUS_M`]), not a circle of degrees. The footprint is the intersection of the circles
//! where they all meet (where every account could be right), else the outline of their
//! union. An event without core reports takes its supporting reports' circles.

use super::member::Placement;
use crate::geospatial::geodesy::{WGS84_A, WGS84_F, destination};
use geo::{BooleanOps, ConvexHull, Coord, LineString, MultiPolygon, Polygon};

/// Vertices of one uncertainty circle.
pub const VERTICES: usize = 64;

/// Up to this radius a circle's vertices come from the ellipsoid's local radii of
/// curvature (a few centimetres off at 10 km, a few metres at 50 km, checked against Karney
/// in the tests); beyond it, from Karney's direct problem, which costs a microsecond a
/// vertex.
pub const LOCAL_RADIUS_M: f64 = 50_000.0;

/// The circle around a placement as a polygon (counter-clockwise, closed).
pub fn circle(place: &Placement) -> Polygon<f64> {
    let (lon, lat) = (place.point.lon, place.point.lat);
    // At least a metre, so that an exact point still has an area.
    let radius = place.radius_m.max(1.0);
    let local = radius <= LOCAL_RADIUS_M && lat.abs() < 80.0;
    // Meridional and prime-vertical radii of curvature at the centre.
    let sin = lat.to_radians().sin();
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let w = (1.0 - e2 * sin * sin).sqrt();
    let meridional = WGS84_A * (1.0 - e2) / (w * w * w);
    let mut ring: Vec<Coord<f64>> = (0..VERTICES)
        .map(|i| {
            let bearing = 360.0 - (i as f64) * 360.0 / VERTICES as f64;
            let (x, y) = if local {
                // Mid-latitude method: the northing by the meridional radius, the easting by
                // the prime-vertical radius at the latitude halfway along.
                let (sb, cb) = bearing.to_radians().sin_cos();
                let lat2 = lat + (radius * cb / meridional).to_degrees();
                let mid = ((lat + lat2) / 2.0).to_radians();
                let w_mid = (1.0 - e2 * mid.sin() * mid.sin()).sqrt();
                let normal_mid = WGS84_A / w_mid;
                (
                    lon + (radius * sb / (normal_mid * mid.cos())).to_degrees(),
                    lat2,
                )
            } else {
                destination(lon, lat, bearing, radius)
            };
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

/// Beyond this many circles, the union's outline is their convex hull (a boolean union of
/// hundreds of polygons costs milliseconds; the hull is the outline a reader draws around
/// them).
pub const MAX_UNION: usize = 8;

/// The footprint of a set of circles: their common intersection if it is not empty, else
/// the outline of their union. Empty for no circles.
///
/// Each circle's polygon is convex in longitude and latitude (it spans far less than a
/// hemisphere), so the intersection is clipped one circle at a time (Sutherland–Hodgman):
/// linear in the vertices, where a general boolean operation is not.
pub fn footprint(places: &[Placement]) -> MultiPolygon<f64> {
    // The smallest circle first: the clipped ring stays small. Sorted, repeats are
    // neighbours (a quadratic search would cost seconds for an event of thousands).
    let mut unique: Vec<Placement> = places.to_vec();
    unique.sort_by(|a, b| {
        a.radius_m
            .total_cmp(&b.radius_m)
            .then(a.point.lon.total_cmp(&b.point.lon))
            .then(a.point.lat.total_cmp(&b.point.lat))
    });
    unique.dedup();
    let Some((first, rest)) = unique.split_first() else {
        return MultiPolygon::new(Vec::new());
    };
    // Circles are drawn as they are needed: where the clipping empties, the rest are not.
    let mut ring: Vec<Coord<f64>> = open_ring(&circle(first));
    for p in rest {
        ring = clip(&ring, &open_ring(&circle(p)));
        if ring.len() < 3 {
            break;
        }
    }
    if ring.len() >= 3 {
        ring.push(ring[0]);
        return MultiPolygon::new(vec![Polygon::new(LineString::new(ring), Vec::new())]);
    }
    if unique.len() <= MAX_UNION {
        return rest
            .iter()
            .fold(MultiPolygon::new(vec![circle(first)]), |union, p| {
                union.union(&MultiPolygon::new(vec![circle(p)]))
            });
    }
    let outer: MultiPolygon<f64> = outermost(&unique).map(circle).collect();
    MultiPolygon::new(vec![outer.convex_hull()])
}

/// The circles that may reach the convex hull of them all: the others lie inside it, so the
/// hull of these is the hull of all, drawn from a few dozen circles however many thousand an
/// event has.
///
/// In a plane about the circles (kilometres east and north of their mean latitude), the
/// circles are taken in classes of radius (each a power of two in metres). For a class, `H`
/// is the convex hull of its centres and `r` the smallest radius of its circles centred on a
/// corner of `H`: the hull of all circles holds `H` widened by `r`. A circle whose centre
/// lies `δ` inside some class's `H` and whose radius is at most `δ + r` lies in that widened
/// hull and is left out, with a margin (1 % of its radius and 10 m) for the plane and the
/// polygons.
fn outermost(places: &[Placement]) -> impl Iterator<Item = &Placement> {
    let lat0 = places.iter().map(|p| p.point.lat).sum::<f64>() / places.len() as f64;
    let east = 111.320 * lat0.to_radians().cos();
    let plane = move |p: &Placement| Coord {
        x: p.point.lon * east,
        y: p.point.lat * 110.574,
    };
    let class_of = |p: &Placement| p.radius_m.max(1.0).log2().floor() as i32;
    let mut classes: std::collections::BTreeMap<i32, Vec<&Placement>> = Default::default();
    for p in places {
        classes.entry(class_of(p)).or_default().push(p);
    }
    // Each class's hull (counter-clockwise, closed) and its corners' least radius, km; the
    // largest circles first, which hold the most.
    let hulls: Vec<(Vec<Coord<f64>>, f64)> = classes
        .values()
        .rev()
        .map(|members| {
            let centres: geo::MultiPoint<f64> =
                members.iter().map(|p| geo::Point::from(plane(p))).collect();
            let hull = centres.convex_hull();
            // A class of one or two centres, or of centres on a line, has no inside.
            if geo::Area::unsigned_area(&hull) <= 0.0 {
                return (Vec::new(), 0.0);
            }
            let hull = hull.exterior().0.clone();
            let corner_km = members
                .iter()
                .filter(|p| hull.contains(&plane(p)))
                .map(|p| p.radius_m / 1_000.0)
                .fold(f64::INFINITY, f64::min);
            (
                hull,
                if corner_km.is_finite() {
                    corner_km
                } else {
                    0.0
                },
            )
        })
        .collect();
    places.iter().filter(move |p| {
        let (c, radius_km) = (plane(p), p.radius_m / 1_000.0);
        !hulls.iter().any(|(hull, corner_km)| {
            let inside = !hull.is_empty() && hull.windows(2).all(|e| side(e[0], e[1], c) >= 0.0);
            inside && {
                let depth_km = hull
                    .windows(2)
                    .map(|e| distance_to_segment(c, e[0], e[1]))
                    .fold(f64::INFINITY, f64::min);
                radius_km * 1.01 + 0.01 <= depth_km + corner_km
            }
        })
    })
}

/// The distance from `p` to the segment `a`–`b`, in the plane.
fn distance_to_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / length2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    (x * x + y * y).sqrt()
}

/// A closed polygon's exterior without its closing vertex, counter-clockwise.
fn open_ring(p: &Polygon<f64>) -> Vec<Coord<f64>> {
    let mut ring: Vec<Coord<f64>> = p.exterior().0.clone();
    ring.pop();
    ring
}

/// Which side of the directed edge `a → b` a point lies: positive on the left (inside a
/// counter-clockwise ring).
fn side(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> f64 {
    (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
}

/// Where segment `p → q` crosses the line through `a → b`.
fn crossing(p: Coord<f64>, q: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    let (sp, sq) = (side(a, b, p), side(a, b, q));
    let t = sp / (sp - sq);
    Coord {
        x: p.x + t * (q.x - p.x),
        y: p.y + t * (q.y - p.y),
    }
}

/// `subject` clipped to the convex counter-clockwise ring `clipper` (Sutherland–Hodgman).
fn clip(subject: &[Coord<f64>], clipper: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = subject.to_vec();
    for i in 0..clipper.len() {
        if out.is_empty() {
            break;
        }
        let (a, b) = (clipper[i], clipper[(i + 1) % clipper.len()]);
        let input = std::mem::take(&mut out);
        for j in 0..input.len() {
            let (p, q) = (input[j], input[(j + 1) % input.len()]);
            let (p_in, q_in) = (side(a, b, p) >= 0.0, side(a, b, q) >= 0.0);
            if p_in {
                out.push(p);
                if !q_in {
                    out.push(crossing(p, q, a, b));
                }
            } else if q_in {
                out.push(crossing(p, q, a, b));
            }
        }
    }
    out
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
    use crate::geospatial::geodesy::{AuxPoint, geodesic_distance_m};
    use geo::{Area, Contains, Point};

    fn place(lon: f64, lat: f64, radius_m: f64) -> Placement {
        Placement {
            point: AuxPoint::new(lon, lat),
            radius_m,
        }
    }

    #[test]
    fn the_hull_of_the_outermost_circles_is_the_hull_of_them_all() {
        let mut next = super::super::uniform(11);
        for round in 0..20 {
            let n = 20 + round * 60;
            let places: Vec<Placement> = (0..n)
                .map(|_| {
                    let radius = if next() < 0.1 {
                        next() * 40_000.0
                    } else {
                        50.0 + next() * 3_000.0
                    };
                    place(49.5 + next() * 0.25, 37.2 + next() * 0.2, radius)
                })
                .collect();
            let kept: Vec<&Placement> = outermost(&places).collect();
            assert!(kept.len() < n, "{} of {n} kept", kept.len());
            let all: MultiPolygon<f64> = places.iter().map(circle).collect();
            let some: MultiPolygon<f64> = kept.into_iter().map(circle).collect();
            let (a, b) = (all.convex_hull(), some.convex_hull());
            assert!(
                (a.unsigned_area() - b.unsigned_area()).abs() < 1e-12,
                "{} against {}",
                a.unsigned_area(),
                b.unsigned_area()
            );
        }
    }

    #[test]
    fn a_circle_s_vertices_lie_at_its_radius_by_karney() {
        // Local radii of curvature up to 50 km (within 1e-4 of the radius), Karney beyond.
        for (lat, radius, tolerance) in [
            (37.28, 5_000.0, 0.05),
            (37.28, 50_000.0, 5.0),
            (62.0, 30_000.0, 3.0),
            (37.28, 100_000.0, 0.01),
        ] {
            let c = circle(&place(49.58, lat, radius));
            for v in c.exterior().coords() {
                let d = geodesic_distance_m(49.58, lat, v.x, v.y);
                assert!((d - radius).abs() < tolerance, "{radius} m at {lat}: {d}");
            }
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

    #[test]
    fn the_clipped_intersection_equals_the_boolean_one() {
        let places = [
            place(49.50, 37.28, 5_000.0),
            place(49.54, 37.30, 6_000.0),
            place(49.52, 37.25, 4_000.0),
        ];
        let clipped = footprint(&places);
        let boolean = places
            .iter()
            .skip(1)
            .fold(MultiPolygon::new(vec![circle(&places[0])]), |acc, p| {
                acc.intersection(&MultiPolygon::new(vec![circle(p)]))
            });
        let (a, b) = (clipped.unsigned_area(), boolean.unsigned_area());
        assert!(a > 0.0 && (a - b).abs() / b < 1e-6, "{a} against {b}");
    }
}
