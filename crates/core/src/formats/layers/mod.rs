//! The map's layers as typed geometry: `geo` geometries with typed properties
//! ([`LayerFeatures`]), one builder per layer ([`build`] chooses it from the catalogue), and
//! GeoJSON as one encoder of them ([`geojson`]). The region's lines and areas, buffers, and
//! layers drawn from the reports (choropleth counts, density cells, uncertainty circles,
//! links to the border) are computed from data already in memory; the HTTP layer
//! (`sightmap::http`) adds parameters, caching and ETags. [`region_summary`] and
//! [`index_summary`] say what the catalogue lists of each layer without building it.

mod build;
mod builders;
mod catalogue;
mod features;
pub mod geojson;

pub use build::{
    DEFAULT_BUFFER_KM, DEFAULT_CELL_KM, LayerParams, Summary, build, focus_neighbour,
    index_summary, region_summary,
};
pub use builders::{StatusCounts, land_buffer, province_counts};
pub use catalogue::{Layer, OgcCollection, Source};
pub use features::{LayerFeature, LayerFeatures, Properties, PropertyValue, bbox_of};

use crate::engine::index::MapPoint;

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
                coordinates: crate::formats::coords::point(m.lon, m.lat),
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
