//! Point-in-polygon and distance-to-outline in microseconds, for outlines of tens of thousands
//! of vertices (Iran's has about 30,000).
//!
//! The polygon's edges are sorted into horizontal bands of latitude. A point's band holds the
//! only edges that a horizontal ray from it can cross, a few on average, so the even-odd test
//! reads those instead of every edge; the bands within a tolerance of the point hold every edge
//! that can lie within it.

use geo::MultiPolygon;

/// Metres per degree of latitude, near enough for tolerances.
const METRES_PER_DEGREE: f64 = 111_195.0;
/// Edges per band to aim for: fewer means more bands (and more copies of long edges).
const EDGES_PER_BAND: usize = 8;
/// At most this many bands per polygon.
const MAX_BANDS: usize = 1 << 16;

/// One edge of an outline, in degrees.
#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// A (multi)polygon's edges in bands of latitude.
#[derive(Debug, Clone)]
pub struct PolygonBands {
    min_lon: f64,
    max_lon: f64,
    min_lat: f64,
    max_lat: f64,
    band_height: f64,
    /// `edges[offsets[b]..offsets[b + 1]]` are the edges that reach into band `b`.
    offsets: Vec<u32>,
    edges: Vec<Edge>,
}

impl PolygonBands {
    /// Bands over every ring (outer and inner) of a multipolygon in lon/lat degrees.
    pub fn new(shape: &MultiPolygon<f64>) -> Self {
        let edges: Vec<Edge> = shape
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|l| Edge {
                x0: l.start.x,
                y0: l.start.y,
                x1: l.end.x,
                y1: l.end.y,
            })
            .collect();
        let fold = |f: fn(&Edge) -> [f64; 2], init: f64, pick: fn(f64, f64) -> f64| {
            edges.iter().flat_map(f).fold(init, pick)
        };
        let min_lon = fold(|e| [e.x0, e.x1], f64::INFINITY, f64::min);
        let max_lon = fold(|e| [e.x0, e.x1], f64::NEG_INFINITY, f64::max);
        let min_lat = fold(|e| [e.y0, e.y1], f64::INFINITY, f64::min);
        let max_lat = fold(|e| [e.y0, e.y1], f64::NEG_INFINITY, f64::max);
        let count = (edges.len() / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let band_height = ((max_lat - min_lat) / count as f64).max(1e-9);
        let mut bands = Self {
            min_lon,
            max_lon,
            min_lat,
            max_lat,
            band_height,
            offsets: Vec::new(),
            edges: Vec::new(),
        };
        if edges.is_empty() {
            bands.offsets = vec![0, 0];
            return bands;
        }
        // Count, then place: one allocation for all bands.
        let span = |e: &Edge| {
            let lo = bands.band_of(e.y0.min(e.y1), count);
            let hi = bands.band_of(e.y0.max(e.y1), count);
            lo..=hi
        };
        let mut offsets = vec![0u32; count + 1];
        for e in &edges {
            for b in span(e) {
                offsets[b + 1] += 1;
            }
        }
        for b in 0..count {
            offsets[b + 1] += offsets[b];
        }
        let mut filled = offsets.clone();
        let mut placed = vec![edges[0]; offsets[count] as usize];
        for e in &edges {
            for b in span(e) {
                placed[filled[b] as usize] = *e;
                filled[b] += 1;
            }
        }
        bands.offsets = offsets;
        bands.edges = placed;
        bands
    }

    fn band_count(&self) -> usize {
        self.offsets.len() - 1
    }

    fn band_of(&self, lat: f64, count: usize) -> usize {
        (((lat - self.min_lat) / self.band_height).max(0.0) as usize).min(count - 1)
    }

    fn band(&self, b: usize) -> &[Edge] {
        &self.edges[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }

    /// Whether the point lies inside (even-odd rule; points on an edge may go either way).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        if !(self.min_lon..=self.max_lon).contains(&lon)
            || !(self.min_lat..=self.max_lat).contains(&lat)
        {
            return false;
        }
        let mut inside = false;
        for e in self.band(self.band_of(lat, self.band_count())) {
            if (e.y0 > lat) != (e.y1 > lat) {
                let x = e.x0 + (lat - e.y0) * (e.x1 - e.x0) / (e.y1 - e.y0);
                if lon < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Distance from the point to the outline in metres if it is at most `tolerance_m`, on a
    /// local plane (a fraction of a percent off within tens of kilometres, which is what
    /// tolerances need).
    pub fn distance_within(&self, lon: f64, lat: f64, tolerance_m: f64) -> Option<f64> {
        let dlat = tolerance_m / METRES_PER_DEGREE;
        let kx = METRES_PER_DEGREE * lat.to_radians().cos().max(0.01);
        let dlon = tolerance_m / kx;
        if lon < self.min_lon - dlon
            || lon > self.max_lon + dlon
            || lat < self.min_lat - dlat
            || lat > self.max_lat + dlat
        {
            return None;
        }
        let count = self.band_count();
        let (lo, hi) = (
            self.band_of(lat - dlat, count),
            self.band_of(lat + dlat, count),
        );
        let mut best = f64::INFINITY;
        for b in lo..=hi {
            for e in self.band(b) {
                if lon < e.x0.min(e.x1) - dlon || lon > e.x0.max(e.x1) + dlon {
                    continue;
                }
                let (ax, ay) = ((e.x0 - lon) * kx, (e.y0 - lat) * METRES_PER_DEGREE);
                let (bx, by) = ((e.x1 - lon) * kx, (e.y1 - lat) * METRES_PER_DEGREE);
                best = best.min(distance_to_origin(ax, ay, bx, by));
            }
        }
        (best <= tolerance_m).then_some(best)
    }
}

/// Distance from the origin to the segment from a to b.
fn distance_to_origin(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (ax + t * dx).hypot(ay + t * dy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point, polygon};
    use proptest::prelude::*;

    fn donut() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 2.0, y: 5.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 3.0), (x: 1.0, y: 3.0)]],
        )])
    }

    proptest! {
        /// Away from the outline, the bands agree with geo's point-in-polygon.
        #[test]
        fn agrees_with_geo(x in -1.0..6.0f64, y in -1.0..6.0f64) {
            let shape = donut();
            let bands = PolygonBands::new(&shape);
            if bands.distance_within(x, y, 10.0).is_none() {
                prop_assert_eq!(bands.contains(x, y), shape.contains(&Point::new(x, y)));
            }
        }
    }

    #[test]
    fn distance_to_the_outline_within_a_tolerance() {
        let bands = PolygonBands::new(&donut());
        // 0.01° of latitude east of the hole's west edge, at y = 2 (the hole is outside).
        let d = bands.distance_within(1.01, 2.0, 5_000.0).unwrap();
        let want = 0.01 * METRES_PER_DEGREE * 2f64.to_radians().cos();
        assert!((d - want).abs() < 1.0, "{d} vs {want}");
        assert_eq!(bands.distance_within(2.0, 2.0, 5_000.0), None);
        assert_eq!(bands.distance_within(10.0, 2.0, 5_000.0), None);
    }
}
