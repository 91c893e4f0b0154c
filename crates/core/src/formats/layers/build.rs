//! The one place that chooses a layer's builder from the catalogue, and what the catalogue
//! says of each layer without building it (its feature count and extent).

use super::builders;
use super::catalogue::Layer;
use super::features::{LayerFeatures, Properties, bbox_of};
use crate::engine::index::{IndexFigures, MapPoint};
use crate::geospatial::atlas::Atlas;
use crate::geospatial::geodesy;
use crate::geospatial::region::Area;
use geo::BoundingRect;

/// Default buffer distance, km.
pub const DEFAULT_BUFFER_KM: f64 = 20.0;
/// Default density cell, km.
pub const DEFAULT_CELL_KM: f64 = 25.0;

/// A layer's own parameters, read and checked (the report filters are applied before: a
/// report layer is built from the matches).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerParams {
    /// Douglas–Peucker tolerance in metres (0 keeps every vertex).
    pub simplify_m: f64,
    /// A buffer's distance, km.
    pub km: f64,
    /// A density cell's side, km.
    pub cell_km: f64,
    /// `countries`: the countries to draw (ISO codes as given); `provinces`: the report
    /// filter's countries (matched in any case). `None` draws every one.
    pub countries: Option<Vec<String>>,
    /// `provinces`: the report filter's province names (matched in any case).
    pub provinces: Option<Vec<String>>,
    /// `border`: the neighbours whose border to draw.
    pub border_countries: Option<Vec<String>>,
    /// `border-buffer`: the neighbour whose border it surrounds (default
    /// [`focus_neighbour`]); `links`: the neighbour whose border each report is linked to
    /// (default the nearest border).
    pub border_country: Option<String>,
}

impl Default for LayerParams {
    fn default() -> Self {
        Self {
            simplify_m: 0.0,
            km: DEFAULT_BUFFER_KM,
            cell_km: DEFAULT_CELL_KM,
            countries: None,
            provinces: None,
            border_countries: None,
            border_country: None,
        }
    }
}

/// The neighbour a border buffer surrounds by default: the region's focus neighbour, or the
/// first neighbour whose border the region holds.
pub fn focus_neighbour(atlas: &Atlas) -> Option<String> {
    atlas
        .region
        .meta
        .focus_neighbour
        .clone()
        .or_else(|| atlas.geography.neighbours().next().map(str::to_string))
}

/// Builds a layer: the one place a layer's builder is chosen. `matches` are the reports a
/// layer drawn from the reports counts or draws (`None` for none: `provinces` is then the
/// outlines alone, as the OGC collection serves them). The layers answered from the index
/// itself (`reports`, `events`, `points`) are not built here: `None`.
pub fn build(
    layer: Layer,
    params: &LayerParams,
    atlas: &Atlas,
    matches: Option<&[MapPoint<'_>]>,
) -> Option<LayerFeatures> {
    let region = &atlas.region;
    let geography = &atlas.geography;
    let simplify_m = params.simplify_m;
    let reports = matches.unwrap_or_default();
    Some(match layer {
        Layer::Countries => builders::areas(
            region
                .countries
                .iter()
                .filter(|c| params.countries.as_ref().is_none_or(|k| k.contains(&c.id))),
            None,
            simplify_m,
        ),
        Layer::Provinces => {
            let counts = matches.map(builders::province_counts);
            let listed = region.provinces.iter().filter(|p| {
                params
                    .provinces
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
                    && params
                        .countries
                        .as_ref()
                        .is_none_or(|w| w.iter().any(|c| c.eq_ignore_ascii_case(&p.country)))
            });
            builders::areas(listed, counts.as_ref(), simplify_m)
        }
        Layer::Sea => builders::water(&geography.water, simplify_m),
        Layer::Coast => builders::lines(&geography.coast, |_| true, simplify_m),
        Layer::Border => builders::lines(
            &geography.borders,
            |l| {
                params
                    .border_countries
                    .as_ref()
                    .is_none_or(|w| l.country.as_ref().is_some_and(|c| w.contains(c)))
            },
            simplify_m,
        ),
        Layer::BorderBuffer => {
            let code = params
                .border_country
                .clone()
                .or_else(|| focus_neighbour(atlas))
                .unwrap_or_default();
            let lines = geography
                .borders
                .iter()
                .filter(|b| b.country.as_ref() == Some(&code))
                .map(|b| b.coordinates.as_slice());
            let shape = builders::land_buffer(geography, lines, params.km * 1000.0);
            let mut properties = Properties::with_capacity(2);
            properties.set("border_country", code);
            properties.set("km", params.km);
            builders::buffer(&shape, properties, simplify_m)
        }
        Layer::CoastBuffer => {
            let lines = geography.coast.iter().map(|c| c.coordinates.as_slice());
            let shape = builders::land_buffer(geography, lines, params.km * 1000.0);
            let mut properties = Properties::with_capacity(1);
            properties.set("km", params.km);
            builders::buffer(&shape, properties, simplify_m)
        }
        Layer::Density => builders::density(reports, params.cell_km),
        Layer::Uncertainty => builders::uncertainty(reports),
        Layer::Links => builders::links(reports, geography, params.border_country.as_deref()),
        Layer::Places => builders::places(region),
        Layer::Points | Layer::Reports | Layer::Events => return None,
    })
}

/// What the catalogue says of a layer at its default parameters: how many features and the
/// box that holds them, each left out where only building the layer could tell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// The number of features.
    pub feature_count: Option<u64>,
    /// `[min_lon, min_lat, max_lon, max_lat]`, holding every feature (for a layer drawn from
    /// the reports, perhaps larger: the index's box grows with every report written and
    /// shrinks only when it is rebuilt).
    pub bbox: Option<[f64; 4]>,
}

/// The summary of a layer as far as the region's data tells it, without building geometry:
/// counts and the boxes of the data pack's shapes and lines. The region does not change while
/// the server runs, so a caller may keep it. `None` for a layer whose figures come from the
/// index ([`index_summary`]).
pub fn region_summary(layer: Layer, atlas: &Atlas) -> Option<Summary> {
    let region = &atlas.region;
    let g = &atlas.geography;
    let count = |n: usize| Some(n as u64);
    let lines_box = |lines: &[crate::geospatial::geography::LineFeature]| {
        bbox_of(lines.iter().filter_map(|l| {
            let line: geo::LineString<f64> = l.coordinates.iter().map(|p| (p[0], p[1])).collect();
            line.bounding_rect()
        }))
    };
    let areas = |areas: &[Area]| Summary {
        feature_count: count(areas.len()),
        bbox: bbox_of(areas.iter().filter_map(|a| a.shape.bounding_rect())),
    };
    Some(match layer {
        Layer::Countries => areas(&region.countries),
        Layer::Provinces => areas(&region.provinces),
        Layer::Sea => Summary {
            feature_count: count(g.water.len()),
            bbox: bbox_of(g.water.iter().filter_map(|w| w.shape.bounding_rect())),
        },
        Layer::Coast => Summary {
            feature_count: count(g.coast.len()),
            bbox: lines_box(&g.coast),
        },
        Layer::Border => Summary {
            feature_count: count(g.borders.len()),
            bbox: lines_box(&g.borders),
        },
        // One feature; where its edge runs only the buffer itself can tell.
        Layer::BorderBuffer | Layer::CoastBuffer => Summary {
            feature_count: Some(1),
            bbox: None,
        },
        Layer::Places => Summary {
            feature_count: count(region.places.len()),
            bbox: Some(region.meta.bbox),
        },
        Layer::Density
        | Layer::Uncertainty
        | Layer::Links
        | Layer::Points
        | Layer::Reports
        | Layer::Events => return None,
    })
}

/// The summary of a layer drawn from the reports, from what the index keeps up to date
/// (`events`: the number of events). `None` for a layer whose figures come from the region
/// ([`region_summary`]).
pub fn index_summary(layer: Layer, figures: &IndexFigures, events: usize) -> Option<Summary> {
    let count = |n: usize| Some(n as u64);
    Some(match layer {
        Layer::Reports | Layer::Points => Summary {
            feature_count: count(figures.reports),
            bbox: figures.bounds,
        },
        Layer::Events => Summary {
            feature_count: count(events),
            bbox: figures.bounds,
        },
        Layer::Uncertainty => Summary {
            feature_count: count(figures.circles),
            bbox: figures
                .bounds
                .filter(|_| figures.circles > 0)
                .map(|b| geodesy::box_grown_by(b, figures.max_uncertainty_m)),
        },
        // How many cells, and which border points each report links to, only a build tells.
        Layer::Density | Layer::Links => Summary::default(),
        Layer::Countries
        | Layer::Provinces
        | Layer::Sea
        | Layer::Coast
        | Layer::Border
        | Layer::BorderBuffer
        | Layer::CoastBuffer
        | Layer::Places => return None,
    })
}
