//! Geodesic buffers of lines: "the land within 20 km of the border".
//!
//! A buffer is drawn piece by piece. Each line is cut into pieces of at most
//! [`PIECE_LENGTH_M`]; each piece is projected to an azimuthal equidistant plane centred on it
//! (distances and bearings from the centre are exact geodesics, computed with GeographicLib),
//! buffered there in metres, and projected back. Within 100 km of a piece's centre, lengths on
//! that plane are off by less than 0.02 %, so the buffer's edge lies at the asked distance from
//! the line to well within a percent (the tests measure it with Karney's algorithm). The pieces
//! are then united in longitude/latitude. This is what PostGIS does for `ST_Buffer(geography)`,
//! with a plane chosen per piece rather than one per geometry.

use crate::geospatial::geodesy;
use geo::algorithm::buffer::{Buffer, BufferStyle, LineJoin};
use geo::{BooleanOps, Coord, LineString, MapCoords, MultiPolygon, Simplify};

/// Longest piece of line buffered on one plane.
pub const PIECE_LENGTH_M: f64 = 100_000.0;
/// Largest buffer distance: beyond it the per-piece planes distort too much.
pub const MAX_BUFFER_M: f64 = 500_000.0;

/// An azimuthal equidistant projection about a centre, on WGS84.
struct Aeqd {
    lon: f64,
    lat: f64,
}

impl Aeqd {
    fn forward(&self, lon: f64, lat: f64) -> Coord<f64> {
        let (distance, bearing) = geodesy::distance_and_bearing(self.lon, self.lat, lon, lat);
        let (sin, cos) = bearing.to_radians().sin_cos();
        Coord {
            x: distance * sin,
            y: distance * cos,
        }
    }

    fn inverse(&self, c: Coord<f64>) -> Coord<f64> {
        let distance = c.x.hypot(c.y);
        let bearing = c.x.atan2(c.y).to_degrees();
        let (lon, lat) = geodesy::destination(self.lon, self.lat, bearing, distance);
        Coord { x: lon, y: lat }
    }
}

/// The area within `distance_m` of any of the lines (`[lon, lat]` vertices), as a
/// multipolygon in lon/lat degrees.
pub fn buffer_lines<'a>(
    lines: impl IntoIterator<Item = &'a [[f64; 2]]>,
    distance_m: f64,
) -> MultiPolygon<f64> {
    let distance_m = distance_m.clamp(1.0, MAX_BUFFER_M);
    // Vertices closer than this to the simplified line change the buffer's edge by less
    // than 1 % of its distance.
    let tolerance_m = (distance_m / 100.0).min(500.0);
    let mut result = MultiPolygon::<f64>(Vec::new());
    for line in lines {
        for piece in pieces(line) {
            let centre = piece[piece.len() / 2];
            let plane = Aeqd {
                lon: centre[0],
                lat: centre[1],
            };
            let projected: LineString<f64> =
                piece.iter().map(|p| plane.forward(p[0], p[1])).collect();
            let simplified = projected.simplify(tolerance_m);
            let style = BufferStyle::new(distance_m).line_join(LineJoin::Round(
                // An arc step of 5°: the chord of each step sags 0.1 % of the distance.
                5f64.to_radians(),
            ));
            let buffered = simplified.buffer_with_style(style);
            let back = MultiPolygon(
                buffered
                    .0
                    .into_iter()
                    .map(|polygon| polygon.map_coords(|c| plane.inverse(c)))
                    .collect(),
            );
            result = result.union(&back);
        }
    }
    result
}

/// The line cut into pieces of at most [`PIECE_LENGTH_M`], sharing their end vertices.
fn pieces(line: &[[f64; 2]]) -> Vec<&[[f64; 2]]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut length = 0.0;
    for i in 1..line.len() {
        length +=
            geodesy::geodesic_distance_m(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1]);
        if length >= PIECE_LENGTH_M || i == line.len() - 1 {
            out.push(&line[start..=i]);
            start = i;
            length = 0.0;
        }
    }
    if out.is_empty() && !line.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point};

    #[test]
    fn the_plane_round_trips() {
        let plane = Aeqd {
            lon: 48.5,
            lat: 38.5,
        };
        let c = plane.forward(49.1, 38.1);
        let back = plane.inverse(c);
        assert!((back.x - 49.1).abs() < 1e-9 && (back.y - 38.1).abs() < 1e-9);
        let d = geodesy::geodesic_distance_m(48.5, 38.5, 49.1, 38.1);
        assert!((c.x.hypot(c.y) - d).abs() < 1e-6);
    }

    #[test]
    fn a_buffer_holds_what_is_within_its_distance_and_nothing_beyond() {
        // A 300 km line, cut into pieces.
        let line = [[47.0, 38.0], [48.5, 38.6], [50.0, 38.2]];
        let buffer = buffer_lines([&line[..]], 20_000.0);
        let nearest = |lon: f64, lat: f64| {
            let set = super::super::lines::LineSet::new([&line[..]]);
            set.nearest(lon, lat).unwrap().distance_m
        };
        for i in 0..200 {
            let lon = 46.6 + (i % 20) as f64 * 0.19;
            let lat = 37.5 + (i / 20) as f64 * 0.16;
            let d = nearest(lon, lat);
            let inside = buffer.contains(&Point::new(lon, lat));
            if d < 19_800.0 {
                assert!(inside, "({lon}, {lat}) is {d} m from the line");
            } else if d > 20_200.0 {
                assert!(!inside, "({lon}, {lat}) is {d} m from the line");
            }
        }
    }
}
