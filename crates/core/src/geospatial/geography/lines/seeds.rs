//! A first candidate for every query point in a region: a grid of longitude and latitude
//! cells, each holding the segment nearest to its centre. The search measures that segment
//! first, so that its bound is within a cell's width of the answer before it reads a single
//! node, and descends only where something nearer can be.
//!
//! A seed only speeds the search up: any segment would give the same answer. Points outside
//! the grid get none and are searched nearest node first from the root.

use super::tree::SegmentTree;
use crate::geospatial::geodesy::AuxPoint;

/// Cells are this many degrees wide, or wider if the region needs more than [`MAX_CELLS`].
const CELL_DEG: f64 = 0.1;
/// At most this many cells (4 bytes each).
const MAX_CELLS: f64 = 65_536.0;

/// The nearest segment to the centre of each cell of a longitude/latitude grid.
#[derive(Debug)]
pub(super) struct SeedGrid {
    lon0: f64,
    lat0: f64,
    /// Cells a degree.
    per_deg: f64,
    nx: usize,
    ny: usize,
    /// Row by row from the south-west, the slot of each cell's seed.
    slots: Vec<u32>,
}

impl SeedGrid {
    /// A grid over `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) of the tree's segments.
    pub(super) fn new(tree: &SegmentTree, bbox: [f64; 4]) -> Option<Self> {
        let (width, height) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
        if tree.is_empty() || !(width > 0.0 && height > 0.0) {
            return None;
        }
        let cell = CELL_DEG.max((width * height / MAX_CELLS).sqrt());
        let (nx, ny) = (
            (width / cell).ceil() as usize,
            (height / cell).ceil() as usize,
        );
        let mut slots = Vec::with_capacity(nx * ny);
        // Each cell's search starts from its western neighbour's answer.
        let mut previous = None;
        for y in 0..ny {
            for x in 0..nx {
                let lon = bbox[0] + (x as f64 + 0.5) * cell;
                let lat = bbox[1] + (y as f64 + 0.5) * cell;
                let hit = tree.nearest(&AuxPoint::new(lon, lat), previous)?;
                previous = Some(hit.slot);
                slots.push(hit.slot);
            }
        }
        Some(Self {
            lon0: bbox[0],
            lat0: bbox[1],
            per_deg: 1.0 / cell,
            nx,
            ny,
            slots,
        })
    }

    /// The seed of the cell that holds a point, if the grid covers it.
    pub(super) fn seed(&self, lon: f64, lat: f64) -> Option<u32> {
        let x = (lon - self.lon0) * self.per_deg;
        let y = (lat - self.lat0) * self.per_deg;
        // Also false for NaN.
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x, y) = (x as usize, y as usize);
        (x < self.nx && y < self.ny).then(|| self.slots[y * self.nx + x])
    }
}
