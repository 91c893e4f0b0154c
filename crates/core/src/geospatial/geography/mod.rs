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
use crate::geospatial::geodesy::AuxPoint;
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
    /// lies at sea. Costs under three microseconds, over a microsecond of it Karney's
    /// algorithm for the two distances (see [`LineSet::distance`]).
    pub fn relation(&self, lon: f64, lat: f64) -> Relation {
        let p = AuxPoint::new(lon, lat);
        let border = self.all_borders.distance(&p);
        Relation {
            border_distance_m: border.map(|(distance_m, _)| distance_m),
            border_country: border.and_then(|(_, line)| self.borders[line].country.clone()),
            coast_distance_m: self
                .coast_set
                .distance(&p)
                .map(|(distance_m, _)| distance_m),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geospatial::geodesy;
    use crate::geospatial::region::RegionFiles;

    fn geography() -> Geography {
        Geography::new(Arc::new(Region::load(RegionFiles::embedded()).unwrap())).unwrap()
    }

    /// xorshift64: uniform in [0, 1).
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Karney's distance from (lon, lat) to a foot on the auxiliary sphere.
    fn karney(lon: f64, lat: f64, foot: &[f64; 3]) -> f64 {
        let (foot_lon, foot_lat) = geodesy::geodetic_of(foot);
        geodesy::geodesic_distance_m(lon, lat, foot_lon, foot_lat)
    }

    /// Checks one point's distance to a line set against a scan of every segment, and
    /// returns the scan's line (None on a tie).
    fn check(set: &LineSet, lon: f64, lat: f64, got: Option<f64>) -> Option<usize> {
        let p = AuxPoint::new(lon, lat);
        let got = got.expect("a distance");
        let (lambert_m, foot, line, tie) = set.scan(&p);
        // The answer is the walk's, which stands for every answer given before the tree.
        let (walked, walked_line) = set.walked_foot(&p).unwrap();
        assert_eq!(
            got.to_bits(),
            karney(lon, lat, &walked).to_bits(),
            "({lon}, {lat})"
        );
        assert_eq!(geodesy::lambert_distance_xyz_m(&p, &walked), lambert_m);
        // Without a tie, it is the scan's nearest point too.
        if !tie {
            assert_eq!(
                got.to_bits(),
                karney(lon, lat, &foot).to_bits(),
                "({lon}, {lat})"
            );
            assert_eq!(walked_line, line);
        }
        // Against the exact distance to every segment's nearest point: the least of them
        // lies among the segments within Lambert's error of the least Lambert distance, and
        // the answer is within that error of it.
        let exact = set
            .measure_all(&p)
            .filter(|(d, _, _)| *d <= lambert_m * (1.0 + 2e-4) + 1.0)
            .map(|(_, foot, _)| karney(lon, lat, &foot))
            .fold(f64::INFINITY, f64::min);
        assert!(
            got - exact <= exact * 1e-4 + 1e-3,
            "({lon}, {lat}): {got} m, exact {exact} m"
        );
        (!tie).then_some(line)
    }

    #[test]
    fn relations_match_a_scan_of_every_segment() {
        let g = geography();
        let bbox = g.region.meta.bbox;
        let mut seed = 0x5851_f42d_4c95_7f2du64;
        // Uniform over the region and a degree beyond it (outside the seed grids), then on
        // and next to border vertices (the ends of each line are tripoints), then at sea.
        let n = if cfg!(debug_assertions) { 100 } else { 1_500 };
        let mut points: Vec<(f64, f64)> = (0..n)
            .map(|_| {
                let lon = bbox[0] - 1.0 + (bbox[2] - bbox[0] + 2.0) * uniform(&mut seed);
                let lat = bbox[1] - 1.0 + (bbox[3] - bbox[1] + 2.0) * uniform(&mut seed);
                (lon, lat)
            })
            .collect();
        let step = if cfg!(debug_assertions) { 1_999 } else { 149 };
        for line in &g.borders {
            let c = &line.coordinates;
            for v in c.iter().step_by(step).chain([&c[0], &c[c.len() - 1]]) {
                for (dx, dy) in [(0.0, 0.0), (1e-9, 1e-9), (-3e-5, 2e-5), (0.01, -0.02)] {
                    points.push((v[0] + dx, v[1] + dy));
                }
            }
        }
        let mut at_sea = 0;
        while at_sea < n / 10 {
            let lon = bbox[0] + (bbox[2] - bbox[0]) * uniform(&mut seed);
            let lat = bbox[1] + (bbox[3] - bbox[1]) * uniform(&mut seed);
            if g.in_sea(lon, lat) {
                points.push((lon, lat));
                at_sea += 1;
            }
        }
        for (lon, lat) in points {
            let r = g.relation(lon, lat);
            if let Some(line) = check(&g.all_borders, lon, lat, r.border_distance_m) {
                assert_eq!(r.border_country, g.borders[line].country, "({lon}, {lat})");
            }
            let border = g.nearest_border(lon, lat, None).unwrap();
            assert_eq!(Some(border.distance_m), r.border_distance_m);
            assert_eq!(Some(border.country), r.border_country);
            check(&g.coast_set, lon, lat, r.coast_distance_m);
        }
    }
}
