//! Where a point lies relative to the home country's land borders and the sea's coast: the
//! figures behind `/api/relate`, each report's `border_distance_km` and `coast_distance_km`,
//! and the map's layers.
//!
//! Everything comes from the region's data pack ([`crate::geospatial::region`]): `borders.geojson` (one
//! line per stretch of border, tagged with the two countries' codes), `coast.geojson` and
//! `sea.geojson`. Distances are geodesic on WGS84 ([`lines`]); containment uses banded
//! outlines ([`crate::geospatial::region::bands`]).

pub mod buffer;
pub mod lines;

use crate::domain::model::Relation;
use crate::geospatial::region::bands::PolygonBands;
use crate::geospatial::region::{Region, RegionError, feature_shape, features, text_property};
use geo::MultiPolygon;
use lines::LineSet;
use std::sync::Arc;

/// Neighbours whose border lies further than this are left out of [`Relate::borders`].
pub const BORDER_LIST_RADIUS_M: f64 = 500_000.0;

/// One line of a layer: a stretch of border or of coast.
#[derive(Debug, Clone)]
pub struct LineFeature {
    /// Its name (`Iran–Azerbaijan (Nakhchivan)`) or water body (`Caspian Sea`).
    pub name: String,
    /// For a border, the neighbour's ISO 3166-1 alpha-2 code; for a coast, the country whose
    /// shore it is, where the pack says.
    pub country: Option<String>,
    /// `[lon, lat]` vertices.
    pub coordinates: Vec<[f64; 2]>,
}

/// A sea, lake or lagoon.
#[derive(Debug)]
pub struct WaterBody {
    /// Its name.
    pub name: String,
    /// `lagoon` for water that is not open sea, `None` for the sea itself.
    pub kind: Option<String>,
    /// Its outline.
    pub shape: MultiPolygon<f64>,
    bands: PolygonBands,
}

impl WaterBody {
    /// Whether this is the open sea rather than a lagoon.
    pub fn is_sea(&self) -> bool {
        self.kind.is_none()
    }
}

/// The nearest point of a neighbour's border.
#[derive(Debug, Clone, PartialEq)]
pub struct BorderDistance {
    /// The neighbour's ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Geodesic distance, metres.
    pub distance_m: f64,
    /// The border's nearest point, `[lon, lat]`.
    pub nearest: [f64; 2],
    /// Initial bearing from the point to `nearest`, degrees clockwise from north.
    pub bearing_deg: f64,
}

/// The nearest point of the coast.
#[derive(Debug, Clone, PartialEq)]
pub struct CoastDistance {
    /// Geodesic distance, metres.
    pub distance_m: f64,
    /// The coast's nearest point, `[lon, lat]`.
    pub nearest: [f64; 2],
}

/// Everything `/api/relate` says of a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Relate {
    /// The country's ISO code, if the point is in (or within 5 km of) one.
    pub country: Option<String>,
    /// The province's name.
    pub province: Option<String>,
    /// Whether the point lies in the open sea.
    pub in_sea: bool,
    /// The water body the point lies in (sea or lagoon), if any.
    pub water: Option<String>,
    /// Each neighbour's border within [`BORDER_LIST_RADIUS_M`], nearest first.
    pub borders: Vec<BorderDistance>,
    /// The coast's nearest point.
    pub coast: Option<CoastDistance>,
}

/// The region's borders, coast and sea, indexed.
#[derive(Debug)]
pub struct Geography {
    region: Arc<Region>,
    /// Every border line, in `borders.geojson` order.
    pub borders: Vec<LineFeature>,
    /// Every coast line, in `coast.geojson` order.
    pub coast: Vec<LineFeature>,
    /// Seas and lagoons, in `sea.geojson` order.
    pub water: Vec<WaterBody>,
    all_borders: LineSet,
    /// Neighbour code and the set of its border lines, in code order.
    by_neighbour: Vec<(String, LineSet)>,
    coast_set: LineSet,
}

impl Geography {
    /// Reads and indexes the borders, coast and sea of a loaded region.
    pub fn new(region: Arc<Region>) -> Result<Self, RegionError> {
        let home = region.meta.home_country.clone();
        let borders = parse_lines(&region.files.borders, "borders.geojson", |props| {
            let countries: Vec<&str> = props
                .get("countries")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
                .unwrap_or_default();
            match countries.as_slice() {
                [a, b] if *a == home => Ok(Some(b.to_string())),
                [a, b] if *b == home => Ok(Some(a.to_string())),
                _ => Err(format!(
                    "countries must name the home country {home} and one neighbour, not {countries:?}"
                )),
            }
        })?;
        let coast = parse_lines(&region.files.coast, "coast.geojson", |props| {
            Ok(props
                .get("country")
                .and_then(|v| v.as_str())
                .map(str::to_string))
        })?;
        let water = parse_water(&region.files.sea)?;
        fn coords(lines: &[LineFeature]) -> impl Iterator<Item = &[[f64; 2]]> {
            lines.iter().map(|l| l.coordinates.as_slice())
        }
        let mut neighbours: Vec<String> =
            borders.iter().filter_map(|b| b.country.clone()).collect();
        neighbours.sort();
        neighbours.dedup();
        // Every set gets a first candidate for each point of the region (see `LineSet::seeded`).
        let bbox = region.meta.bbox;
        let by_neighbour = neighbours
            .into_iter()
            .map(|code| {
                let set = LineSet::new(
                    borders
                        .iter()
                        .filter(|b| b.country.as_deref() == Some(&code))
                        .map(|b| b.coordinates.as_slice()),
                );
                (code, set.seeded(bbox))
            })
            .collect();
        Ok(Self {
            all_borders: LineSet::new(coords(&borders)).seeded(bbox),
            coast_set: LineSet::new(coords(&coast)).seeded(bbox),
            by_neighbour,
            borders,
            coast,
            water,
            region,
        })
    }

    /// The region underneath.
    pub fn region(&self) -> &Arc<Region> {
        &self.region
    }

    /// The codes of the neighbours the home country shares a border with, sorted.
    pub fn neighbours(&self) -> impl Iterator<Item = &str> {
        self.by_neighbour.iter().map(|(c, _)| c.as_str())
    }

    /// The nearest point of one neighbour's border, or of any border for `None`.
    pub fn nearest_border(
        &self,
        lon: f64,
        lat: f64,
        country: Option<&str>,
    ) -> Option<BorderDistance> {
        let (set, code) = match country {
            Some(code) => {
                let (code, set) = self.by_neighbour.iter().find(|(c, _)| c == code)?;
                (set, Some(code.as_str()))
            }
            None => (&self.all_borders, None),
        };
        let nearest = set.nearest(lon, lat)?;
        let country = code
            .or_else(|| self.borders[nearest.line].country.as_deref())?
            .to_string();
        Some(BorderDistance {
            country,
            distance_m: nearest.distance_m,
            nearest: nearest.point,
            bearing_deg: nearest.bearing_deg,
        })
    }

    /// The nearest point of the coast.
    pub fn nearest_coast(&self, lon: f64, lat: f64) -> Option<CoastDistance> {
        let nearest = self.coast_set.nearest(lon, lat)?;
        Some(CoastDistance {
            distance_m: nearest.distance_m,
            nearest: nearest.point,
        })
    }

    /// The water body a point lies in, if any.
    pub fn water_at(&self, lon: f64, lat: f64) -> Option<&WaterBody> {
        self.water.iter().find(|w| w.bands.contains(lon, lat))
    }

    /// Whether a point lies in the open sea.
    pub fn in_sea(&self, lon: f64, lat: f64) -> bool {
        self.water_at(lon, lat).is_some_and(WaterBody::is_sea)
    }

    /// What a report keeps: its nearest border, its distance to the coast, and whether it
    /// lies at sea. Costs a few microseconds.
    pub fn relation(&self, lon: f64, lat: f64) -> Relation {
        let border = self.all_borders.nearest(lon, lat);
        Relation {
            border_distance_m: border.map(|b| b.distance_m),
            border_country: border.and_then(|b| self.borders[b.line].country.clone()),
            coast_distance_m: self.coast_set.nearest(lon, lat).map(|c| c.distance_m),
            in_sea: self.in_sea(lon, lat),
        }
    }

    /// Everything about a point, for `/api/relate`.
    pub fn relate(&self, lon: f64, lat: f64) -> Relate {
        let (province, country) = self.region.province_and_country_at(lon, lat);
        let water = self.water_at(lon, lat);
        let mut borders: Vec<BorderDistance> = self
            .by_neighbour
            .iter()
            .filter_map(|(code, _)| self.nearest_border(lon, lat, Some(code)))
            .filter(|b| b.distance_m <= BORDER_LIST_RADIUS_M)
            .collect();
        borders.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        Relate {
            country: country.map(|c| c.id.clone()),
            province: province.map(|p| p.name.clone()),
            in_sea: water.is_some_and(WaterBody::is_sea),
            water: water.map(|w| w.name.clone()),
            borders,
            coast: self.nearest_coast(lon, lat),
        }
    }
}

/// Parses a FeatureCollection of LineStrings (or MultiLineStrings, one line per part) with a
/// `name` or `body` property; `country` reads each feature's country from its properties.
fn parse_lines(
    text: &str,
    file: &str,
    country: impl Fn(&serde_json::Map<String, serde_json::Value>) -> Result<Option<String>, String>,
) -> Result<Vec<LineFeature>, RegionError> {
    let mut lines = Vec::new();
    for (i, feature) in features(text, file)?.into_iter().enumerate() {
        let bad = |what: &str| RegionError::new(file, format!("feature {i}: {what}"));
        let empty = serde_json::Map::new();
        let props = feature.properties.as_ref().unwrap_or(&empty);
        let name = ["name", "body"]
            .iter()
            .find_map(|k| props.get(*k).and_then(|v| v.as_str()))
            .unwrap_or_default()
            .to_string();
        let country = country(props).map_err(|e| bad(&e))?;
        let geometry = feature
            .geometry
            .as_ref()
            .ok_or_else(|| bad("no geometry"))?;
        let parts: Vec<Vec<[f64; 2]>> = match geo::Geometry::<f64>::try_from(geometry) {
            Ok(geo::Geometry::LineString(line)) => vec![to_pairs(&line)],
            Ok(geo::Geometry::MultiLineString(parts)) => parts.iter().map(to_pairs).collect(),
            _ => return Err(bad("not a LineString or MultiLineString")),
        };
        for coordinates in parts {
            if coordinates.len() < 2 {
                return Err(bad("a line needs at least two positions"));
            }
            lines.push(LineFeature {
                name: name.clone(),
                country: country.clone(),
                coordinates,
            });
        }
    }
    Ok(lines)
}

fn to_pairs(line: &geo::LineString<f64>) -> Vec<[f64; 2]> {
    line.coords().map(|c| [c.x, c.y]).collect()
}

/// Parses `sea.geojson`: (Multi)Polygons with a `name` and an optional `kind`.
fn parse_water(text: &str) -> Result<Vec<WaterBody>, RegionError> {
    const FILE: &str = "sea.geojson";
    features(text, FILE)?
        .into_iter()
        .enumerate()
        .map(|(i, feature)| {
            let bad = |what: &str| RegionError::new(FILE, format!("feature {i}: {what}"));
            let text = |key: &str| text_property(&feature, key);
            let name = text("name").ok_or_else(|| bad("no name"))?;
            let kind = text("kind");
            let shape = feature_shape(&feature).map_err(bad)?;
            Ok(WaterBody {
                name,
                kind,
                bands: PolygonBands::new(&shape),
                shape,
            })
        })
        .collect()
}
