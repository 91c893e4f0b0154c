//! One builder per layer, each returning typed geometry ([`LayerFeatures`]): the region's lines
//! and areas, buffers, places, and the layers drawn from the reports (choropleth counts,
//! density cells, uncertainty circles, links to the border).

use super::features::{LayerFeature, LayerFeatures, Properties, bbox_of};
use crate::domain::model::Status;
use crate::engine::index::MapPoint;
use crate::geospatial::geodesy;
use crate::geospatial::geography::{Geography, LineFeature, WaterBody};
use crate::geospatial::region::{Area, Region};
use geo::{BoundingRect, Geometry, LineString, MultiPolygon, Point, Polygon, Simplify};
use std::collections::HashMap;

/// Metres per degree of latitude, to turn `simplify_m` into degrees.
pub(super) const METRES_PER_DEGREE: f64 = 111_195.0;
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
    fn write(&self, props: &mut Properties) {
        props.set("reports", self.total());
        for status in Status::ALL {
            props.set(
                format!("reports_{}", status.as_str()),
                self.0[*status as usize],
            );
        }
    }
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

/// Border or coast lines; `keep` picks which.
pub fn lines(
    lines: &[LineFeature],
    keep: impl Fn(&LineFeature) -> bool,
    simplify_m: f64,
) -> LayerFeatures {
    let features = lines
        .iter()
        .filter(|l| keep(l))
        .map(|l| {
            let line: LineString<f64> = l.coordinates.iter().map(|p| (p[0], p[1])).collect();
            let line = if simplify_m > 0.0 {
                line.simplify(tolerance_deg(simplify_m))
            } else {
                line
            };
            let mut properties = Properties::with_capacity(2);
            properties.set("country", l.country.clone());
            properties.set("name", l.name.clone());
            LayerFeature {
                geometry: Geometry::LineString(line),
                properties,
            }
        })
        .collect();
    LayerFeatures::new(features)
}

/// Seas and lagoons.
pub fn water(water: &[WaterBody], simplify_m: f64) -> LayerFeatures {
    let features = water
        .iter()
        .map(|w| {
            let mut properties = Properties::with_capacity(2);
            properties.set("kind", w.kind.clone().unwrap_or_else(|| "sea".into()));
            properties.set("name", w.name.clone());
            LayerFeature {
                geometry: Geometry::MultiPolygon(simplify_shape(&w.shape, simplify_m)),
                properties,
            }
        })
        .collect();
    LayerFeatures::new(features)
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
) -> LayerFeatures {
    let features = areas
        .map(|a| {
            let mut properties = Properties::with_capacity(4 + Status::ALL.len());
            properties.set("country", a.country.clone());
            properties.set("id", a.id.clone());
            properties.set("name", a.name.clone());
            if let Some(counts) = counts {
                counts
                    .get(&province_key(Some(&a.country), &a.name))
                    .copied()
                    .unwrap_or_default()
                    .write(&mut properties);
            }
            LayerFeature {
                geometry: Geometry::MultiPolygon(simplify_shape(&a.shape, simplify_m)),
                properties,
            }
        })
        .collect();
    LayerFeatures::new(features)
}

/// One buffer as a layer of one feature.
pub fn buffer(shape: &MultiPolygon<f64>, properties: Properties, simplify_m: f64) -> LayerFeatures {
    let shape = simplify_shape(shape, simplify_m);
    let bbox = bbox_of(shape.bounding_rect().into_iter());
    LayerFeatures {
        features: vec![LayerFeature {
            geometry: Geometry::MultiPolygon(shape),
            properties,
        }],
        bbox,
    }
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
pub fn density(matches: &[MapPoint<'_>], cell_km: f64) -> LayerFeatures {
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
    let features = keys
        .into_iter()
        .map(|(row, col)| {
            let w = width_deg(row);
            let (x0, y0) = (col as f64 * w, row as f64 * dlat);
            let (x1, y1) = (x0 + w, y0 + dlat);
            let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
            let mut properties = Properties::with_capacity(2 + Status::ALL.len());
            properties.set("cell_km", cell_km);
            cells[&(row, col)].write(&mut properties);
            LayerFeature {
                geometry: Geometry::Polygon(Polygon::new(ring, vec![])),
                properties,
            }
        })
        .collect();
    LayerFeatures::new(features)
}

fn report_props(m: &MapPoint<'_>, extra: usize) -> Properties {
    let mut properties = Properties::with_capacity(3 + extra);
    properties.set("id", m.id.to_string());
    properties.set("kind", m.kind.as_str());
    properties.set("status", m.status.as_str());
    properties
}

/// Each report's uncertainty circle, a geodesic circle of [`CIRCLE_VERTICES`] vertices.
pub fn uncertainty(matches: &[MapPoint<'_>]) -> LayerFeatures {
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
            let mut properties = report_props(m, 1);
            properties.set("uncertainty_m", m.uncertainty_m);
            LayerFeature {
                geometry: Geometry::Polygon(Polygon::new(ring, vec![])),
                properties,
            }
        })
        .collect();
    LayerFeatures::new(features)
}

/// A line from each report to its nearest border point (of `country` if given).
pub fn links(
    matches: &[MapPoint<'_>],
    geography: &Geography,
    country: Option<&str>,
) -> LayerFeatures {
    let features = matches
        .iter()
        .filter_map(|m| {
            let b = geography.nearest_border(m.lon, m.lat, country)?;
            let line = LineString::from(vec![(m.lon, m.lat), (b.nearest[0], b.nearest[1])]);
            let km = (b.distance_m / 100.0).round() / 10.0;
            let mut properties = report_props(m, 3);
            properties.set("border_country", b.country.clone());
            properties.set("distance_km", km);
            properties.set("label", format!("{km} km to the {} border", b.country));
            Some(LayerFeature {
                geometry: Geometry::LineString(line),
                properties,
            })
        })
        .collect();
    LayerFeatures::new(features)
}

/// The gazetteer's places, for labels; the bbox is the region's.
pub fn places(region: &Region) -> LayerFeatures {
    let features = region
        .places
        .iter()
        .map(|p| {
            let mut properties = Properties::with_capacity(3);
            properties.set("country", p.country.clone());
            properties.set("name", p.name.clone());
            properties.set("population", p.population);
            LayerFeature {
                geometry: Geometry::Point(Point::new(p.lon, p.lat)),
                properties,
            }
        })
        .collect();
    LayerFeatures {
        features,
        bbox: Some(region.meta.bbox),
    }
}
