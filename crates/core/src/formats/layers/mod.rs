//! The map's layers as GeoJSON FeatureCollections: the region's lines and areas, buffers,
//! and layers drawn from the reports (choropleth counts, density cells, uncertainty circles,
//! links to the border). Everything here is computed from data already in memory; the HTTP
//! layer (`sightmap::http`) adds parameters, caching and ETags.

mod catalogue;

pub use catalogue::{Layer, OgcCollection, Source};

use crate::domain::model::Status;
use crate::engine::index::MapPoint;
use crate::geospatial::geodesy;
use crate::geospatial::geography::{Geography, LineFeature, WaterBody};
use crate::geospatial::region::{Area, Region};
use geo::{BoundingRect, LineString, MultiPolygon, Polygon, Simplify};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Metres per degree of latitude, to turn `simplify_m` into degrees.
const METRES_PER_DEGREE: f64 = 111_195.0;
/// Vertices of an uncertainty circle.
const CIRCLE_VERTICES: usize = 48;

/// Counts of reports by verification status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts([u32; Status::ALL.len()]);

impl StatusCounts {
    fn add(&mut self, status: Status) {
        self.0[status as usize] += 1;
    }

    fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    /// Writes `reports` and one count per status into feature properties.
    fn write(&self, props: &mut Map<String, Value>) {
        props.insert("reports".into(), json!(self.total()));
        for status in Status::ALL {
            props.insert(
                format!("reports_{}", status.as_str()),
                json!(self.0[*status as usize]),
            );
        }
    }
}

/// A FeatureCollection with a bbox member computed from its features' extent.
pub fn collection(features: Vec<Value>, bbox: Option<[f64; 4]>) -> Value {
    let mut c = json!({"type": "FeatureCollection", "features": features});
    if let Some(b) = bbox {
        c["bbox"] = json!(b.map(round6));
    }
    c
}

fn feature(geometry: Value, properties: Map<String, Value>) -> Value {
    json!({"type": "Feature", "geometry": geometry, "properties": properties})
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn position(c: &geo::Coord<f64>) -> Value {
    json!([round6(c.x), round6(c.y)])
}

fn line_json(line: &LineString<f64>) -> Value {
    json!({"type": "LineString", "coordinates": line.coords().map(position).collect::<Vec<_>>()})
}

fn rings(polygon: &Polygon<f64>) -> Vec<Value> {
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|r| Value::Array(r.coords().map(position).collect()))
        .collect()
}

fn multipolygon_json(shape: &MultiPolygon<f64>) -> Value {
    json!({
        "type": "MultiPolygon",
        "coordinates": shape.0.iter().map(rings).collect::<Vec<_>>(),
    })
}

fn polygon_json(polygon: &Polygon<f64>) -> Value {
    json!({"type": "Polygon", "coordinates": rings(polygon)})
}

/// Degrees of simplification tolerance for `simplify_m` (0 keeps every vertex).
fn tolerance_deg(simplify_m: f64) -> f64 {
    simplify_m.max(0.0) / METRES_PER_DEGREE
}

fn simplify_shape(shape: &MultiPolygon<f64>, simplify_m: f64) -> MultiPolygon<f64> {
    if simplify_m > 0.0 {
        shape.simplify(tolerance_deg(simplify_m))
    } else {
        shape.clone()
    }
}

fn bbox_of(shapes: impl Iterator<Item = geo::Rect<f64>>) -> Option<[f64; 4]> {
    shapes
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
}

/// Border or coast lines; `keep` picks which.
pub fn lines(lines: &[LineFeature], keep: impl Fn(&LineFeature) -> bool, simplify_m: f64) -> Value {
    let kept: Vec<LineString<f64>> = lines
        .iter()
        .filter(|l| keep(l))
        .map(|l| {
            let line: LineString<f64> = l.coordinates.iter().map(|p| (p[0], p[1])).collect();
            if simplify_m > 0.0 {
                line.simplify(tolerance_deg(simplify_m))
            } else {
                line
            }
        })
        .collect();
    let features = lines
        .iter()
        .filter(|l| keep(l))
        .zip(&kept)
        .map(|(l, line)| {
            let mut props = Map::new();
            props.insert("name".into(), json!(l.name));
            props.insert("country".into(), json!(l.country));
            feature(line_json(line), props)
        })
        .collect();
    collection(
        features,
        bbox_of(kept.iter().filter_map(|l| l.bounding_rect())),
    )
}

/// Seas and lagoons.
pub fn water(water: &[WaterBody], simplify_m: f64) -> Value {
    let shapes: Vec<MultiPolygon<f64>> = water
        .iter()
        .map(|w| simplify_shape(&w.shape, simplify_m))
        .collect();
    let features = water
        .iter()
        .zip(&shapes)
        .map(|(w, shape)| {
            let mut props = Map::new();
            props.insert("name".into(), json!(w.name));
            props.insert("kind".into(), json!(w.kind.as_deref().unwrap_or("sea")));
            feature(multipolygon_json(shape), props)
        })
        .collect();
    collection(
        features,
        bbox_of(shapes.iter().filter_map(|s| s.bounding_rect())),
    )
}

/// The key by which report counts are matched to a province: its country and its name,
/// case-folded.
fn province_key(country: Option<&str>, province: &str) -> (String, String) {
    (
        country.unwrap_or_default().to_ascii_uppercase(),
        province.trim().to_lowercase(),
    )
}

/// Counts of matching reports per province.
pub fn province_counts(matches: &[MapPoint<'_>]) -> HashMap<(String, String), StatusCounts> {
    let mut counts: HashMap<(String, String), StatusCounts> = HashMap::new();
    for m in matches {
        if let Some(p) = m.province {
            counts
                .entry(province_key(m.country, p))
                .or_default()
                .add(m.status);
        }
    }
    counts
}

/// Provinces or countries, each with report counts when `counts` is given.
pub fn areas<'a>(
    areas: impl Iterator<Item = &'a Area>,
    counts: Option<&HashMap<(String, String), StatusCounts>>,
    simplify_m: f64,
) -> Value {
    let mut boxes = Vec::new();
    let features = areas
        .map(|a| {
            let shape = simplify_shape(&a.shape, simplify_m);
            if let Some(b) = shape.bounding_rect() {
                boxes.push(b);
            }
            let mut props = Map::new();
            props.insert("id".into(), json!(a.id));
            props.insert("name".into(), json!(a.name));
            props.insert("country".into(), json!(a.country));
            if let Some(counts) = counts {
                counts
                    .get(&province_key(Some(&a.country), &a.name))
                    .copied()
                    .unwrap_or_default()
                    .write(&mut props);
            }
            feature(multipolygon_json(&shape), props)
        })
        .collect();
    collection(features, bbox_of(boxes.into_iter()))
}

/// One buffer as a FeatureCollection of one feature.
pub fn buffer(shape: &MultiPolygon<f64>, props: Map<String, Value>, simplify_m: f64) -> Value {
    let shape = simplify_shape(shape, simplify_m);
    let bbox = shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    collection(vec![feature(multipolygon_json(&shape), props)], bbox)
}

/// The land within `distance_m` of some lines: their geodesic buffer less the sea.
pub fn land_buffer<'a>(
    geography: &Geography,
    lines: impl IntoIterator<Item = &'a [[f64; 2]]>,
    distance_m: f64,
) -> MultiPolygon<f64> {
    use geo::BooleanOps;
    let buffered = crate::geospatial::geography::buffer::buffer_lines(lines, distance_m);
    geography
        .water
        .iter()
        .filter(|w| w.is_sea())
        .fold(buffered, |land, sea| land.difference(&sea.shape))
}

/// Square cells about `cell_km` on a side with the reports in each. Rows are `cell_km` of
/// latitude apart; each row's cells are `cell_km` wide at the row's middle latitude.
pub fn density(matches: &[MapPoint<'_>], cell_km: f64) -> Value {
    let dlat = cell_km * 1000.0 / METRES_PER_DEGREE;
    let width_deg = |row: i64| {
        let mid = (row as f64 + 0.5) * dlat;
        dlat / mid.to_radians().cos().max(0.01)
    };
    let mut cells: HashMap<(i64, i64), StatusCounts> = HashMap::new();
    for m in matches {
        let row = (m.lat / dlat).floor() as i64;
        let col = (m.lon / width_deg(row)).floor() as i64;
        cells.entry((row, col)).or_default().add(m.status);
    }
    let mut keys: Vec<_> = cells.keys().copied().collect();
    keys.sort_unstable();
    let mut boxes = Vec::new();
    let features = keys
        .into_iter()
        .map(|(row, col)| {
            let w = width_deg(row);
            let (x0, y0) = (col as f64 * w, row as f64 * dlat);
            let (x1, y1) = (x0 + w, y0 + dlat);
            boxes.push(geo::Rect::new((x0, y0), (x1, y1)));
            let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
            let mut props = Map::new();
            props.insert("cell_km".into(), json!(cell_km));
            cells[&(row, col)].write(&mut props);
            feature(polygon_json(&Polygon::new(ring, vec![])), props)
        })
        .collect();
    collection(features, bbox_of(boxes.into_iter()))
}

fn report_props(m: &MapPoint<'_>) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("id".into(), json!(m.id));
    props.insert("status".into(), json!(m.status.as_str()));
    props.insert("kind".into(), json!(m.kind.as_str()));
    props
}

/// Each report's uncertainty circle, a geodesic circle of [`CIRCLE_VERTICES`] vertices.
pub fn uncertainty(matches: &[MapPoint<'_>]) -> Value {
    let mut boxes = Vec::new();
    let features = matches
        .iter()
        .filter(|m| m.uncertainty_m > 0.0)
        .map(|m| {
            let ring: LineString<f64> = (0..=CIRCLE_VERTICES)
                .map(|i| {
                    let bearing = 360.0 * (i % CIRCLE_VERTICES) as f64 / CIRCLE_VERTICES as f64;
                    geodesy::destination(m.lon, m.lat, bearing, m.uncertainty_m)
                })
                .collect();
            let polygon = Polygon::new(ring, vec![]);
            if let Some(b) = polygon.bounding_rect() {
                boxes.push(b);
            }
            let mut props = report_props(m);
            props.insert("uncertainty_m".into(), json!(m.uncertainty_m));
            feature(polygon_json(&polygon), props)
        })
        .collect();
    collection(features, bbox_of(boxes.into_iter()))
}

/// A line from each report to its nearest border point (of `country` if given).
pub fn links(matches: &[MapPoint<'_>], geography: &Geography, country: Option<&str>) -> Value {
    let mut boxes = Vec::new();
    let features = matches
        .iter()
        .filter_map(|m| {
            let b = geography.nearest_border(m.lon, m.lat, country)?;
            let line = LineString::from(vec![(m.lon, m.lat), (b.nearest[0], b.nearest[1])]);
            if let Some(r) = line.bounding_rect() {
                boxes.push(r);
            }
            let km = (b.distance_m / 100.0).round() / 10.0;
            let mut props = report_props(m);
            props.insert("border_country".into(), json!(b.country));
            props.insert("distance_km".into(), json!(km));
            props.insert(
                "label".into(),
                json!(format!("{km} km to the {} border", b.country)),
            );
            Some(feature(line_json(&line), props))
        })
        .collect();
    collection(features, bbox_of(boxes.into_iter()))
}

/// The gazetteer's places, for labels.
pub fn places(region: &Region) -> Value {
    let features = region
        .places
        .iter()
        .map(|p| {
            let mut props = Map::new();
            props.insert("name".into(), json!(p.name));
            props.insert("population".into(), json!(p.population));
            props.insert("country".into(), json!(p.country));
            feature(
                json!({"type": "Point", "coordinates": [p.lon, p.lat]}),
                props,
            )
        })
        .collect();
    let b = region.meta.bbox;
    collection(features, Some(b))
}

/// One report as a compact point feature: what the map needs to draw and style it, and the
/// id to fetch the rest.
#[derive(serde::Serialize)]
struct PointFeature {
    r#type: &'static str,
    geometry: PointGeometry,
    properties: PointProperties,
}

#[derive(serde::Serialize)]
struct PointGeometry {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(serde::Serialize)]
struct PointProperties {
    /// A property rather than the feature's id: map libraries keep properties through
    /// clustering and tiling, and not always string ids.
    id: crate::domain::model::ReportId,
    kind: &'static str,
    status: &'static str,
    precision: &'static str,
    uncertainty_m: f64,
    /// The observation interval in epoch seconds, which map expressions can compare (the
    /// web map's playback).
    observed_from_s: i64,
    observed_to_s: i64,
}

/// Every match as a compact point, serialised straight to bytes (no intermediate JSON tree).
pub fn points(matches: &[MapPoint<'_>]) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Points {
        r#type: &'static str,
        features: Vec<PointFeature>,
    }
    let features = matches
        .iter()
        .map(|m| PointFeature {
            r#type: "Feature",
            geometry: PointGeometry {
                r#type: "Point",
                coordinates: [m.lon, m.lat],
            },
            properties: PointProperties {
                id: m.id,
                kind: m.kind.as_str(),
                status: m.status.as_str(),
                precision: m.precision.as_str(),
                uncertainty_m: m.uncertainty_m,
                observed_from_s: m.from,
                observed_to_s: m.to,
            },
        })
        .collect();
    serde_json::to_vec(&Points {
        r#type: "FeatureCollection",
        features,
    })
}
