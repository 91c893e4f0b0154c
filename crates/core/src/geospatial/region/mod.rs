//! A region's data pack: the gazetteer, provinces, countries, land borders, coast and sea.
//!
//! The pack lives under `data/region/` (see `data/README.md` for its sources and licences) and
//! is embedded in the binary, so that the service runs with no files beside it; `--region DIR`
//! loads another pack with the same file layout instead. No region's names or coordinates are
//! written in code.

mod area;
pub mod bands;
mod cells;
mod files;
mod place;

pub use area::{Area, Direction, Part};
pub(crate) use area::{feature_shape, features, text_property};
pub use files::RegionFiles;
pub use place::Place;

use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Deserialize;
use std::collections::HashMap;

/// Towns just outside every coarse province polygon still get the nearest province within
/// this distance.
pub const PROVINCE_TOLERANCE_M: f64 = 5_000.0;

/// What a data pack says about itself (`region.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct RegionMeta {
    /// The region's name.
    pub name: String,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// ISO 3166-1 alpha-2 code of the country whose borders and coast matter.
    pub home_country: String,
    /// Its neighbours within the region.
    pub neighbours: Vec<String>,
    /// The neighbour whose border the map's buffers and links show unless asked for
    /// another (the first neighbour if the pack names none).
    #[serde(default)]
    pub focus_neighbour: Option<String>,
    /// Where the web map opens (the middle of `bbox` at zoom 6 if the pack says nothing).
    #[serde(default)]
    pub initial_view: Option<InitialView>,
    /// Where the data comes from.
    #[serde(default)]
    pub sources: Vec<serde_json::Value>,
}

/// A map view: its centre and zoom.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
pub struct InitialView {
    /// `[lon, lat]`.
    pub center: [f64; 2],
    /// Web Mercator zoom level.
    pub zoom: f64,
}

impl RegionMeta {
    /// Where the web map opens.
    pub fn view(&self) -> InitialView {
        self.initial_view.unwrap_or(InitialView {
            center: [
                (self.bbox[0] + self.bbox[2]) / 2.0,
                (self.bbox[1] + self.bbox[3]) / 2.0,
            ],
            zoom: 6.0,
        })
    }

    /// The neighbour whose border the map shows unless asked for another: the pack's focus
    /// neighbour, else its first neighbour.
    pub fn focus(&self) -> Option<&str> {
        self.focus_neighbour
            .as_deref()
            .or(self.neighbours.first().map(String::as_str))
    }
}

/// A loaded data pack.
#[derive(Debug)]
pub struct Region {
    /// The pack's own description.
    pub meta: RegionMeta,
    /// Populated places, in gazetteer order.
    pub places: Vec<Place>,
    /// First-level divisions.
    pub provinces: Vec<Area>,
    /// Countries.
    pub countries: Vec<Area>,
    /// The files the pack was read from, for the map layers.
    pub files: RegionFiles,
    place_tree: RTree<GeomWithData<[f64; 3], u32>>,
    province_by_id: HashMap<String, usize>,
    /// Province and country settled for most of the region (see [`cells`]).
    cells: Option<cells::AreaCells>,
}

/// Why a data pack could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("region data {file}: {detail}")]
pub struct RegionError {
    /// The file at fault.
    pub file: String,
    /// What is wrong with it.
    pub detail: String,
}

impl RegionError {
    pub(crate) fn new(file: &str, detail: impl std::fmt::Display) -> Self {
        Self {
            file: file.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// The nearest populated place to a point.
#[derive(Debug, Clone, Copy)]
pub struct NearestPlace<'a> {
    /// The place.
    pub place: &'a Place,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}

impl Region {
    /// Parses a pack.
    pub fn load(files: RegionFiles) -> Result<Self, RegionError> {
        let meta: RegionMeta =
            serde_json::from_str(&files.region).map_err(|e| RegionError::new("region.json", e))?;
        let places = place::parse_places(&files.places)?;
        let provinces = area::parse_areas(&files.provinces, "provinces.geojson", true)?;
        let countries = area::parse_areas(&files.countries, "countries.geojson", false)?;
        let place_tree = RTree::bulk_load(
            places
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(AuxPoint::new(p.lon, p.lat).xyz, i as u32))
                .collect(),
        );
        let province_by_id = provinces
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let mut region = Self {
            meta,
            places,
            provinces,
            countries,
            files,
            place_tree,
            province_by_id,
            cells: None,
        };
        region.cells = cells::AreaCells::new(
            region.meta.bbox,
            &region.countries,
            &region.provinces,
            |lon, lat| region.containing(lon, lat),
        );
        Ok(region)
    }

    /// The province with this id (such as `IR.GI`).
    pub fn province(&self, id: &str) -> Option<&Area> {
        self.province_by_id.get(id).map(|&i| &self.provinces[i])
    }

    /// The province that holds a point, or the nearest within [`PROVINCE_TOLERANCE_M`].
    ///
    /// Province outlines are coarser than country outlines: the country is found first, and
    /// only its provinces are considered.
    pub fn province_at(&self, lon: f64, lat: f64) -> Option<&Area> {
        self.province_and_country_at(lon, lat).0
    }

    /// The province and the country at a point, finding the country once.
    pub fn province_and_country_at(&self, lon: f64, lat: f64) -> (Option<&Area>, Option<&Area>) {
        let (province, country) = self.cell_or_locate(lon, lat);
        (
            province.map(|i| &self.provinces[i]),
            country.map(|i| &self.countries[i]),
        )
    }

    /// The country that holds a point, or the nearest within [`PROVINCE_TOLERANCE_M`].
    pub fn country_at(&self, lon: f64, lat: f64) -> Option<&Area> {
        match self.cells.as_ref().and_then(|c| c.get(lon, lat)) {
            Some((_, country)) => country.map(|i| &self.countries[i]),
            None => area_at(&self.countries, |_| true, lon, lat).map(|i| &self.countries[i]),
        }
    }

    /// Province and country indices: the point's cell's, if settled, else [`Region::locate`].
    fn cell_or_locate(&self, lon: f64, lat: f64) -> cells::Indices {
        self.cells
            .as_ref()
            .and_then(|c| c.get(lon, lat))
            .unwrap_or_else(|| self.locate(lon, lat))
    }

    /// Province and country indices from the outlines: the first country that holds the
    /// point or else the nearest within the tolerance, then the same among its provinces
    /// (among all provinces where no country is found).
    fn locate(&self, lon: f64, lat: f64) -> cells::Indices {
        let country = area_at(&self.countries, |_| true, lon, lat);
        let code = country.map(|i| self.countries[i].id.as_str());
        let inside = |a: &Area| code.is_none_or(|c| a.country == c);
        (area_at(&self.provinces, inside, lon, lat), country)
    }

    /// What [`Region::locate`] finds by containment alone: the first country that holds the
    /// point, and the first of its provinces (of all, where no country does) that holds it.
    fn containing(&self, lon: f64, lat: f64) -> cells::Indices {
        let first = |areas: &[Area], chosen: &dyn Fn(&Area) -> bool| {
            areas.iter().position(|a| chosen(a) && a.contains(lon, lat))
        };
        let country = first(&self.countries, &|_| true);
        let code = country.map(|i| self.countries[i].id.as_str());
        (
            first(&self.provinces, &|a| code.is_none_or(|c| a.country == c)),
            country,
        )
    }

    /// The country with this ISO 3166-1 alpha-2 code.
    pub fn country(&self, code: &str) -> Option<&Area> {
        self.countries.iter().find(|c| c.id == code)
    }

    /// The populated place nearest to a point, by geodesic distance.
    pub fn nearest_place(&self, lon: f64, lat: f64) -> Option<NearestPlace<'_>> {
        let centre = AuxPoint::new(lon, lat);
        // Chord order is geodesic order to within the flattening: the best of the first few
        // by chord is the nearest.
        self.place_tree
            .nearest_neighbor_iter(centre.xyz)
            .take(4)
            .map(|p| {
                let place = &self.places[p.data as usize];
                let distance_m = geodesy::geodesic_distance_m(lon, lat, place.lon, place.lat);
                NearestPlace { place, distance_m }
            })
            .min_by(|a, b| a.distance_m.total_cmp(&b.distance_m))
    }
}

/// The index of the first of the chosen areas that holds a point, else of the nearest within
/// [`PROVINCE_TOLERANCE_M`].
fn area_at(areas: &[Area], chosen: impl Fn(&Area) -> bool, lon: f64, lat: f64) -> Option<usize> {
    let candidates = || areas.iter().enumerate().filter(|(_, a)| chosen(a));
    if let Some((i, _)) = candidates().find(|(_, a)| a.contains(lon, lat)) {
        return Some(i);
    }
    candidates()
        .filter_map(|(i, a)| {
            Some((
                i,
                a.boundary_distance_within(lon, lat, PROVINCE_TOLERANCE_M)?,
            ))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: uniform in [0, 1).
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_cells_answer_as_the_outlines_do() {
        let region = Region::load(RegionFiles::embedded()).unwrap();
        let cells = region.cells.as_ref().expect("cells over the region");
        // Most of the region is settled (82 % of its cells).
        assert!(cells.settled() > 0.75, "{}", cells.settled());
        let b = region.meta.bbox;
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        let n = if cfg!(debug_assertions) {
            20_000
        } else {
            300_000
        };
        // The region and a degree around it, then every outline's vertices, and points a
        // nanodegree, a few metres and a few kilometres from them (the tolerance is 5 km).
        let mut points: Vec<(f64, f64)> = (0..n)
            .map(|_| {
                (
                    b[0] - 1.0 + (b[2] - b[0] + 2.0) * uniform(&mut seed),
                    b[1] - 1.0 + (b[3] - b[1] + 2.0) * uniform(&mut seed),
                )
            })
            .collect();
        let step = if cfg!(debug_assertions) { 211 } else { 7 };
        let vertices = region
            .countries
            .iter()
            .chain(&region.provinces)
            .flat_map(|a| &a.shape.0)
            .flat_map(|p| p.exterior().0.iter().step_by(step));
        for v in vertices {
            for (dx, dy) in [
                (0.0, 0.0),
                (1e-9, -1e-9),
                (3e-5, 2e-5),
                (-0.04, 0.03),
                (0.05, 0.0),
            ] {
                points.push((v.x + dx, v.y + dy));
            }
        }
        let mut settled = 0;
        for (lon, lat) in points {
            settled += cells.get(lon, lat).is_some() as usize;
            assert_eq!(
                region.cell_or_locate(lon, lat),
                region.locate(lon, lat),
                "({lon}, {lat})"
            );
        }
        assert!(settled > n / 2);
    }
}
