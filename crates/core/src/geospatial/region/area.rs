//! Areas: provinces and countries, as polygons with the figures the geocoder needs.

use super::RegionError;
use super::bands::PolygonBands;
use crate::geospatial::geodesy;
use geo::{BoundingRect, Centroid, Contains, InteriorPoint, MultiPolygon, Point, Rect};
use std::sync::OnceLock;

/// Grid cells per side when sampling an area for its parts.
const SAMPLE_GRID: usize = 48;

/// A compass direction, for "eastern Gilan" or "10 km north of Rasht".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// North.
    N,
    /// North-east.
    NE,
    /// East.
    E,
    /// South-east.
    SE,
    /// South.
    S,
    /// South-west.
    SW,
    /// West.
    W,
    /// North-west.
    NW,
}

impl Direction {
    /// Its bearing, degrees clockwise from north.
    pub fn bearing_deg(self) -> f64 {
        match self {
            Self::N => 0.0,
            Self::NE => 45.0,
            Self::E => 90.0,
            Self::SE => 135.0,
            Self::S => 180.0,
            Self::SW => 225.0,
            Self::W => 270.0,
            Self::NW => 315.0,
        }
    }

    /// Its name, as in "north-east".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::N => "north",
            Self::NE => "north-east",
            Self::E => "east",
            Self::SE => "south-east",
            Self::S => "south",
            Self::SW => "south-west",
            Self::W => "west",
            Self::NW => "north-west",
        }
    }
}

/// A part of an area: its centre and a radius that covers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// Longitude of the part's centre.
    pub lon: f64,
    /// Latitude of the part's centre.
    pub lat: f64,
    /// Metres from the centre that cover the part.
    pub radius_m: f64,
}

/// A province or a country.
#[derive(Debug)]
pub struct Area {
    /// HASC code for a province (`IR.GI`), ISO 3166-1 alpha-2 for a country.
    pub id: String,
    /// Its usual English name.
    pub name: String,
    /// The country's ISO code (its own id for a country).
    pub country: String,
    /// Other names: spellings, and the names in the region's languages and scripts.
    pub names: Vec<String>,
    /// Its outline.
    pub shape: MultiPolygon<f64>,
    bands: PolygonBands,
    bbox: Rect<f64>,
    /// A point inside it that stands for it: the centroid, unless that falls outside.
    pub representative: (f64, f64),
    /// Metres from the representative point that cover the whole area.
    pub cover_m: f64,
    samples: OnceLock<Vec<(f64, f64)>>,
}

impl Area {
    fn new(
        id: String,
        name: String,
        country: String,
        names: Vec<String>,
        shape: MultiPolygon<f64>,
    ) -> Option<Self> {
        let bbox = shape.bounding_rect()?;
        let representative = shape
            .centroid()
            .filter(|c| shape.contains(c))
            .or_else(|| shape.interior_point())?;
        let (rlon, rlat) = (representative.x(), representative.y());
        let cover_m = shape
            .0
            .iter()
            .flat_map(|p| p.exterior().0.iter())
            .map(|c| geodesy::lambert_distance_m(&aux(rlon, rlat), &aux(c.x, c.y)))
            .fold(0.0, f64::max);
        Some(Self {
            id,
            name,
            country,
            names,
            bands: PolygonBands::new(&shape),
            shape,
            bbox,
            representative: (rlon, rlat),
            cover_m,
            samples: OnceLock::new(),
        })
    }

    /// Whether the point lies inside.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.bands.contains(lon, lat)
    }

    /// Distance from the point to the outline in metres, if it is at most `tolerance_m`, on a
    /// local plane (accurate to a fraction of a percent within tens of kilometres, which is
    /// what tolerances need).
    pub fn boundary_distance_within(&self, lon: f64, lat: f64, tolerance_m: f64) -> Option<f64> {
        self.bands.distance_within(lon, lat, tolerance_m)
    }

    /// The part of the area towards `direction` (the outer third along it), or its centre
    /// (the middle third both ways) for `None`.
    pub fn part(&self, direction: Option<Direction>) -> Part {
        let samples = self.samples();
        let (rlon, rlat) = self.representative;
        let kx = rlat.to_radians().cos();
        // Sample points in a local frame, x east and y north, in degrees of latitude.
        let local: Vec<(f64, f64)> = samples
            .iter()
            .map(|&(lon, lat)| ((lon - rlon) * kx, lat - rlat))
            .collect();
        let chosen: Vec<(f64, f64)> = match direction {
            Some(d) => {
                let (s, c) = d.bearing_deg().to_radians().sin_cos();
                let along = |&(x, y): &(f64, f64)| x * s + y * c;
                let (lo, hi) = min_max(local.iter().map(along));
                let cut = lo + (hi - lo) * 2.0 / 3.0;
                samples
                    .iter()
                    .zip(&local)
                    .filter(|(_, l)| along(l) >= cut)
                    .map(|(s, _)| *s)
                    .collect()
            }
            None => {
                let (x0, x1) = min_max(local.iter().map(|l| l.0));
                let (y0, y1) = min_max(local.iter().map(|l| l.1));
                let middle = |v: f64, lo: f64, hi: f64| {
                    v >= lo + (hi - lo) / 3.0 && v <= lo + (hi - lo) * 2.0 / 3.0
                };
                samples
                    .iter()
                    .zip(&local)
                    .filter(|(_, l)| middle(l.0, x0, x1) && middle(l.1, y0, y1))
                    .map(|(s, _)| *s)
                    .collect()
            }
        };
        if chosen.is_empty() {
            return Part {
                lon: rlon,
                lat: rlat,
                radius_m: self.cover_m,
            };
        }
        let n = chosen.len() as f64;
        let lon = chosen.iter().map(|p| p.0).sum::<f64>() / n;
        let lat = chosen.iter().map(|p| p.1).sum::<f64>() / n;
        let centre = aux(lon, lat);
        let (cell_w, cell_h) = self.cell();
        let half_cell =
            geodesy::lambert_distance_m(&aux(lon, lat), &aux(lon + cell_w, lat + cell_h)) / 2.0;
        let radius_m = chosen
            .iter()
            .map(|&(x, y)| geodesy::lambert_distance_m(&centre, &aux(x, y)))
            .fold(0.0, f64::max)
            + half_cell;
        Part { lon, lat, radius_m }
    }

    fn cell(&self) -> (f64, f64) {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        (
            (max.x - min.x) / SAMPLE_GRID as f64,
            (max.y - min.y) / SAMPLE_GRID as f64,
        )
    }

    /// Grid points inside the area, computed once on first use.
    fn samples(&self) -> &[(f64, f64)] {
        self.samples.get_or_init(|| {
            let min = self.bbox.min();
            let (w, h) = self.cell();
            let inside: Vec<(f64, f64)> = (0..SAMPLE_GRID)
                .flat_map(|i| (0..SAMPLE_GRID).map(move |j| (i, j)))
                .map(|(i, j)| (min.x + (i as f64 + 0.5) * w, min.y + (j as f64 + 0.5) * h))
                .filter(|&(lon, lat)| self.shape.contains(&Point::new(lon, lat)))
                .collect();
            if inside.is_empty() {
                vec![self.representative]
            } else {
                inside
            }
        })
    }
}

fn aux(lon: f64, lat: f64) -> geodesy::AuxPoint {
    geodesy::AuxPoint::new(lon, lat)
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// The features of one GeoJSON file of the data pack (`file` names it in errors).
pub(crate) fn features(text: &str, file: &str) -> Result<Vec<geojson::Feature>, RegionError> {
    let collection: geojson::FeatureCollection =
        serde_json::from_str(text).map_err(|e| RegionError::new(file, e))?;
    Ok(collection.features)
}

/// A feature's text property, if it has one.
pub(crate) fn text_property(feature: &geojson::Feature, key: &str) -> Option<String> {
    feature
        .property(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// The (Multi)Polygon of a data pack's feature, as a MultiPolygon, or what is wrong with it.
pub(crate) fn feature_shape(feature: &geojson::Feature) -> Result<MultiPolygon<f64>, &'static str> {
    let geometry = feature.geometry.as_ref().ok_or("no geometry")?;
    match geo::Geometry::<f64>::try_from(geometry) {
        Ok(geo::Geometry::Polygon(p)) => Ok(MultiPolygon(vec![p])),
        Ok(geo::Geometry::MultiPolygon(m)) => Ok(m),
        _ => Err("not a Polygon or MultiPolygon"),
    }
}

/// Parses a FeatureCollection of (Multi)Polygons with properties `id`, `name`, `names` and,
/// for provinces, `country`.
pub(super) fn parse_areas(
    text: &str,
    file: &str,
    provinces: bool,
) -> Result<Vec<Area>, RegionError> {
    features(text, file)?
        .into_iter()
        .enumerate()
        .map(|(i, feature)| {
            let bad = |what: &str| RegionError::new(file, format!("feature {i}: {what}"));
            let text_property = |key: &str| text_property(&feature, key);
            let id = text_property("id").ok_or_else(|| bad("no id"))?;
            let name = text_property("name").ok_or_else(|| bad("no name"))?;
            let country = if provinces {
                text_property("country").ok_or_else(|| bad("no country"))?
            } else {
                id.clone()
            };
            let names = feature
                .property("names")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let shape = feature_shape(&feature).map_err(bad)?;
            Area::new(id, name, country, names, shape).ok_or_else(|| bad("empty geometry"))
        })
        .collect()
}
