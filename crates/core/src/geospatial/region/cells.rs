//! The province and country of a point in one look-up wherever no outline comes near: a grid
//! of cells over the region, each keeping its centre's answer when nothing can change it
//! within the cell.
//!
//! [`super::Region::province_and_country_at`] tests the countries' outlines, then the
//! provinces', and where none holds the point, measures its distance to each within
//! [`PROVINCE_TOLERANCE_M`]: about 1.3 µs a report. Containment by the even-odd rule changes
//! only across an edge, so in a cell that no edge's bounding box (grown by a nanodegree, for
//! rounding) touches, every point lies in exactly the areas its centre lies in. The tolerance
//! matters only within it of an edge, so if the centre lies in no country (or province), a
//! cell that no edge's box grown by the tolerance touches is beyond it everywhere. Such cells
//! keep the centre's answer; the others, along borders and coasts, say nothing, and the
//! outlines decide as before. Answers are therefore the same everywhere. Neighbouring cells
//! that no edge touches hold the same areas, so the full look-up runs once for each
//! connected run of them, not once a cell: the cells build in a few milliseconds.

use super::{Area, PROVINCE_TOLERANCE_M};

/// Cells are this many degrees wide, or wider if the region needs more than [`MAX_CELLS`].
const CELL_DEG: f64 = 0.05;
/// At most this many cells (4 bytes each).
const MAX_CELLS: f64 = 1_048_576.0;
/// Edge boxes are grown by this, so that rounding in the even-odd test cannot matter.
const EDGE_MARGIN_DEG: f64 = 1e-9;
/// Metres per degree of latitude, as the outlines' distances take it; a metre less, for
/// margin.
const METRES_PER_DEGREE: f64 = 111_194.0;
/// A cell whose answer the outlines must give.
const UNKNOWN: u32 = u32::MAX;

/// A province (by index) and a country (by index), either absent.
pub(super) type Indices = (Option<usize>, Option<usize>);

/// The settled answers of a longitude/latitude grid's cells.
#[derive(Debug)]
pub(super) struct AreaCells {
    grid: Grid,
    /// Per cell, country index + 1 (0 for none) in the low half, province index + 1 in the
    /// high half; [`UNKNOWN`] where the outlines must decide.
    cells: Vec<u32>,
}

impl AreaCells {
    /// The cells over `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) for these areas;
    /// `containing` gives the areas that hold a point by containment alone (the first country,
    /// then the first of its provinces, or of all provinces where no country holds it).
    pub(super) fn new(
        bbox: [f64; 4],
        countries: &[Area],
        provinces: &[Area],
        containing: impl Fn(f64, f64) -> Indices,
    ) -> Option<Self> {
        if countries.len().max(provinces.len()) >= u16::MAX as usize {
            return None;
        }
        let grid = Grid::new(bbox)?;
        let countries = Marks::of(&grid, countries);
        let provinces = Marks::of(&grid, provinces);
        let clear = |i: usize| !countries.edge[i] && !provinces.edge[i];
        // Cells that no edge touches, side by side, lie in the same areas (nothing separates
        // them): one look-up for each connected run of them, at its first cell's centre.
        let mut answers: Vec<Option<Indices>> = vec![None; grid.nx * grid.ny];
        let mut queue = Vec::new();
        for start in 0..answers.len() {
            if answers[start].is_some() || !clear(start) {
                continue;
            }
            let (lon, lat) = grid.centre(start % grid.nx, start / grid.nx);
            let answer = containing(lon, lat);
            answers[start] = Some(answer);
            queue.push(start);
            while let Some(i) = queue.pop() {
                let (x, y) = (i % grid.nx, i / grid.nx);
                let mut visit = |j: usize| {
                    if answers[j].is_none() && clear(j) {
                        answers[j] = Some(answer);
                        queue.push(j);
                    }
                };
                if x > 0 {
                    visit(i - 1);
                }
                if x + 1 < grid.nx {
                    visit(i + 1);
                }
                if y > 0 {
                    visit(i - grid.nx);
                }
                if y + 1 < grid.ny {
                    visit(i + grid.nx);
                }
            }
        }
        // Outside every country (or province), the tolerance decides near an edge; beyond it,
        // the answer is none.
        let code = |i: Option<usize>| i.map_or(0, |i| i as u32 + 1);
        let cells = answers
            .iter()
            .enumerate()
            .map(|(i, answer)| match *answer {
                Some((province, country))
                    if (country.is_some() || !countries.near[i])
                        && (province.is_some() || !provinces.near[i]) =>
                {
                    code(country) | code(province) << 16
                }
                _ => UNKNOWN,
            })
            .collect();
        Some(Self { grid, cells })
    }

    /// The answer for a point, if its cell has one.
    pub(super) fn get(&self, lon: f64, lat: f64) -> Option<Indices> {
        let cell = self.cells[self.grid.cell(lon, lat)?];
        let index = |code: u32| (code != 0).then(|| code as usize - 1);
        (cell != UNKNOWN).then(|| (index(cell >> 16), index(cell & 0xffff)))
    }

    /// The share of cells with an answer, for tests and figures.
    #[cfg(test)]
    pub(super) fn settled(&self) -> f64 {
        self.cells.iter().filter(|&&c| c != UNKNOWN).count() as f64 / self.cells.len() as f64
    }
}

/// A longitude/latitude grid.
#[derive(Debug)]
struct Grid {
    lon0: f64,
    lat0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
}

impl Grid {
    fn new(bbox: [f64; 4]) -> Option<Self> {
        let (width, height) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
        if !(width > 0.0 && height > 0.0) {
            return None;
        }
        let cell = CELL_DEG.max((width * height / MAX_CELLS).sqrt());
        Some(Self {
            lon0: bbox[0],
            lat0: bbox[1],
            cell,
            nx: (width / cell).ceil() as usize,
            ny: (height / cell).ceil() as usize,
        })
    }

    fn centre(&self, x: usize, y: usize) -> (f64, f64) {
        (
            self.lon0 + (x as f64 + 0.5) * self.cell,
            self.lat0 + (y as f64 + 0.5) * self.cell,
        )
    }

    /// The cell that holds a point, if the grid covers it.
    fn cell(&self, lon: f64, lat: f64) -> Option<usize> {
        let x = (lon - self.lon0) / self.cell;
        let y = (lat - self.lat0) / self.cell;
        // Also false for NaN.
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x, y) = (x as usize, y as usize);
        (x < self.nx && y < self.ny).then_some(y * self.nx + x)
    }

    /// Every cell a box (`[min_lon, min_lat, max_lon, max_lat]`) touches: those that
    /// [`Grid::cell`] puts any of its points in (it rounds the same way).
    fn touched(&self, b: [f64; 4], mut mark: impl FnMut(usize)) {
        let x0 = ((b[0] - self.lon0) / self.cell).floor();
        let y0 = ((b[1] - self.lat0) / self.cell).floor();
        let x1 = ((b[2] - self.lon0) / self.cell).floor();
        let y1 = ((b[3] - self.lat0) / self.cell).floor();
        let (nx, ny) = (self.nx as f64, self.ny as f64);
        if x1 < 0.0 || y1 < 0.0 || x0 >= nx || y0 >= ny {
            return;
        }
        let clamp = |v: f64, n: f64| v.clamp(0.0, n - 1.0) as usize;
        for y in clamp(y0, ny)..=clamp(y1, ny) {
            for x in clamp(x0, nx)..=clamp(x1, nx) {
                mark(y * self.nx + x);
            }
        }
    }
}

/// The cells that a set of areas' edges cross, and those within the tolerance of one.
struct Marks {
    edge: Vec<bool>,
    near: Vec<bool>,
}

impl Marks {
    fn of(grid: &Grid, areas: &[Area]) -> Self {
        let n = grid.nx * grid.ny;
        let mut marks = Self {
            edge: vec![false; n],
            near: vec![false; n],
        };
        let dlat = PROVINCE_TOLERANCE_M / METRES_PER_DEGREE;
        let edges = areas
            .iter()
            .flat_map(|a| &a.shape.0)
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.lines());
        for line in edges {
            let (s, e) = (line.start, line.end);
            let b = [s.x.min(e.x), s.y.min(e.y), s.x.max(e.x), s.y.max(e.y)];
            let m = EDGE_MARGIN_DEG;
            grid.touched([b[0] - m, b[1] - m, b[2] + m, b[3] + m], |i| {
                marks.edge[i] = true
            });
            // A point's distance is measured on its own local plane: the widest degree of
            // longitude is at the poleward edge of the grown box.
            let pole = (b[1].abs().max(b[3].abs()) + dlat).min(90.0);
            let dlon = dlat / pole.to_radians().cos().max(0.01);
            let grown = [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat];
            grid.touched(grown, |i| marks.near[i] = true);
        }
        marks
    }
}
