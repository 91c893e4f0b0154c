//! Report queries in typed form: one query has at most one spatial part (a radius, a bounding
//! box or the k nearest), any number of filters, and a page. The service crate reads them
//! from URLs (`sightmap::http::params`), naming every mistake.

use crate::domain::model::{FieldError, Kind, SourceType, Status, Timestamp};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
pub const MAX_LIMIT: usize = 10_000;
/// Largest `nearest=k`.
pub const MAX_NEAREST: usize = 10_000;

/// A longitude/latitude box in WGS84 degrees. `min_lon > max_lon` means the box crosses the
/// antimeridian (RFC 7946 §5.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl BBox {
    /// Whether a point lies inside (edges included). Only for boxes that do not cross the
    /// antimeridian; see [`BBox::split_at_antimeridian`].
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }

    /// The box as one or two boxes that do not cross the antimeridian.
    pub fn split_at_antimeridian(&self) -> Vec<BBox> {
        if self.min_lon <= self.max_lon {
            vec![*self]
        } else {
            vec![
                BBox {
                    max_lon: 180.0,
                    ..*self
                },
                BBox {
                    min_lon: -180.0,
                    ..*self
                },
            ]
        }
    }

    /// Reads `minLon,minLat,maxLon,maxLat`.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::not_a_bbox("bbox", text);
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(bad());
        }
        let mut v = [0.0; 4];
        for (slot, part) in v.iter_mut().zip(&parts) {
            *slot = part
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(bad)?;
        }
        Self::from_edges(v).map_err(|_| bad())
    }

    /// A box from `[minLon, minLat, maxLon, maxLat]`, or why those edges make none.
    pub fn from_edges(edges: [f64; 4]) -> Result<Self, &'static str> {
        let [min_lon, min_lat, max_lon, max_lat] = edges;
        if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
            return Err("longitudes must lie from -180 to 180");
        }
        if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
            return Err("latitudes must lie from -90 to 90");
        }
        if min_lat > max_lat {
            return Err("minLat is greater than maxLat");
        }
        Ok(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }
}

/// Where to look.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Spatial {
    /// Everywhere.
    #[default]
    None,
    /// Within a geodesic distance of a point, nearest first.
    Radius {
        /// Centre longitude.
        lon: f64,
        /// Centre latitude.
        lat: f64,
        /// Radius in metres.
        radius_m: f64,
        /// Also reports whose point lies outside but whose uncertainty circle reaches in.
        include_uncertain: bool,
    },
    /// Inside a box.
    BBox(BBox),
    /// The k nearest to a point, nearest first.
    Nearest {
        /// Centre longitude.
        lon: f64,
        /// Centre latitude.
        lat: f64,
        /// How many.
        k: usize,
    },
}

/// What to keep. Each list matches any of its values; different fields must all match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    /// The observation interval ends at or after this.
    pub since: Option<Timestamp>,
    /// The observation interval starts at or before this.
    pub until: Option<Timestamp>,
    /// Kinds.
    pub kinds: Option<Vec<Kind>>,
    /// Statuses.
    pub statuses: Option<Vec<Status>>,
    /// At least one source of one of these types.
    pub source_types: Option<Vec<SourceType>>,
    /// At least one of these tags.
    pub tags: Option<Vec<String>>,
    /// Words that must all appear in the description: each whitespace-separated part as a
    /// phrase of its folded words ([`crate::domain::text::query_phrases`]).
    pub text: Option<String>,
    /// At most this many metres from the nearest land border.
    pub border_within_m: Option<f64>,
    /// At most this many metres from the coast.
    pub coast_within_m: Option<f64>,
    /// Nearest border is with one of these countries (ISO alpha-2).
    pub border_countries: Option<Vec<String>>,
    /// In one of these provinces (by name, any case).
    pub provinces: Option<Vec<String>>,
    /// In one of these countries (ISO alpha-2).
    pub countries: Option<Vec<String>>,
    /// At sea (true) or not (false).
    pub in_sea: Option<bool>,
    /// Leave out reports whose location is private: set by the service when it answers a
    /// reviewer from the exact placements beside the index (see [`crate::engine::index::ViewIndex`]),
    /// never by a client.
    pub without_private: bool,
    /// Leave out these reports' live entries: set by the service when it answers for a past
    /// moment through the live index (see [`crate::engine::index::PastIndex`]), never by a
    /// client.
    pub without: Option<std::sync::Arc<crate::engine::index::ChangedReports>>,
}

/// Which slice of the ordered answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// At most this many.
    pub limit: usize,
    /// After skipping this many.
    pub offset: usize,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A whole report query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportQuery {
    /// Where.
    pub spatial: Spatial,
    /// What.
    pub filter: Filter,
    /// Which page.
    pub page: Page,
}
