//! Report queries as users write them in a URL, read into typed form with every mistake named.
//!
//! One query has at most one spatial part (a radius, a bounding box or the k nearest), any
//! number of filters, and a page. Parsing does no I/O.

use crate::geodesy::MAX_RADIUS_M;
use crate::model::{DayEnd, FieldError, Kind, SourceType, Status, Timestamp};
use std::str::FromStr;

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
        let bad = |why: &str| {
            FieldError::new(
                "bbox",
                format!(
                    "bbox must be minLon,minLat,maxLon,maxLat in WGS84 degrees, such as 48.5,36.5,50.5,38.5: {why}"
                ),
            )
        };
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(bad(&format!("got {} numbers, not 4", parts.len())));
        }
        let mut v = [0.0; 4];
        for (slot, part) in v.iter_mut().zip(&parts) {
            *slot = part
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(&format!("'{part}' is not a finite number")))?;
        }
        Self::from_edges(v).map_err(bad)
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
    /// Words that must all appear in the description.
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
    /// reviewer from the exact placements beside the index (see [`crate::index::ViewIndex`]),
    /// never by a client.
    pub without_private: bool,
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

/// The query parameters [`ReportQuery::from_pairs`] understands.
pub const REPORT_QUERY_PARAMS: &[&str] = &[
    "lat",
    "lon",
    "radius_km",
    "include_uncertain",
    "nearest",
    "bbox",
    "since",
    "until",
    "kind",
    "status",
    "source_type",
    "tag",
    "q",
    "border_within_km",
    "coast_within_km",
    "border_country",
    "province",
    "country",
    "in_sea",
    "limit",
    "offset",
    // Read by the HTTP layer, which answers from the past (see `surface::http::as_of`).
    "as_of",
];

impl ReportQuery {
    /// Reads a query from URL parameters, naming every parameter that is wrong.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in pairs {
            if !REPORT_QUERY_PARAMS.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    key.clone(),
                    format!(
                        "unknown parameter '{key}'; known: {}",
                        REPORT_QUERY_PARAMS.join(", ")
                    ),
                ));
            } else if seen.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    key.clone(),
                    format!(
                        "'{key}' is given more than once; give it once (lists are comma-separated)"
                    ),
                ));
            } else {
                seen.push(key);
            }
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };

        let lat = parse_number(get("lat"), "lat", &mut errors)
            .filter(|v| check_range(*v, -90.0, 90.0, "lat", "degrees", &mut errors));
        let lon = parse_number(get("lon"), "lon", &mut errors)
            .filter(|v| check_range(*v, -180.0, 180.0, "lon", "degrees", &mut errors));
        let radius_km = parse_number(get("radius_km"), "radius_km", &mut errors);
        let nearest = parse_count(get("nearest"), "nearest", 1, MAX_NEAREST, &mut errors);
        let bbox = get("bbox").and_then(|b| BBox::parse(b).map_err(|e| errors.push(e)).ok());
        let include_uncertain =
            parse_bool(get("include_uncertain"), "include_uncertain", &mut errors);
        if include_uncertain.is_some() && radius_km.is_none() {
            errors.push(FieldError::new(
                "include_uncertain",
                "include_uncertain applies to a radius search: give lat, lon and radius_km too",
            ));
        }

        let spatial = match (radius_km, nearest, bbox) {
            (None, None, None) => {
                if get("lat").is_some() || get("lon").is_some() {
                    errors.push(FieldError::new(
                        "lat",
                        "lat and lon need radius_km or nearest",
                    ));
                }
                Spatial::None
            }
            (Some(r), None, None) => {
                let max_km = MAX_RADIUS_M / 1000.0;
                if !(r > 0.0 && r <= max_km) {
                    errors.push(FieldError::new(
                        "radius_km",
                        format!("radius_km must be greater than 0 and at most {max_km}, not {r}"),
                    ));
                }
                match centre(lat, lon, get("lat"), get("lon"), "radius_km", &mut errors) {
                    Some((lon, lat)) => Spatial::Radius {
                        lon,
                        lat,
                        radius_m: r * 1000.0,
                        include_uncertain: include_uncertain.unwrap_or(false),
                    },
                    None => Spatial::None,
                }
            }
            (None, Some(k), None) => {
                match centre(lat, lon, get("lat"), get("lon"), "nearest", &mut errors) {
                    Some((lon, lat)) => Spatial::Nearest { lon, lat, k },
                    None => Spatial::None,
                }
            }
            (None, None, Some(b)) => {
                if get("lat").is_some() || get("lon").is_some() {
                    errors.push(FieldError::new(
                        "bbox",
                        "bbox cannot be combined with lat/lon",
                    ));
                }
                Spatial::BBox(b)
            }
            _ => {
                errors.push(FieldError::new(
                    "bbox",
                    "give only one of radius_km, nearest and bbox",
                ));
                Spatial::None
            }
        };

        let since = get("since").and_then(|t| parse_time(t, "since", DayEnd::Start, &mut errors));
        let until = get("until").and_then(|t| parse_time(t, "until", DayEnd::End, &mut errors));
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            errors.push(FieldError::new(
                "until",
                format!("until ({u}) is before since ({s})"),
            ));
        }
        let filter = Filter {
            since,
            until,
            kinds: parse_list(get("kind"), "kind", &mut errors),
            statuses: parse_list(get("status"), "status", &mut errors),
            source_types: parse_list(get("source_type"), "source_type", &mut errors),
            tags: get("tag")
                .map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                })
                .filter(|tags| !tags.is_empty()),
            text: get("q")
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_string),
            border_within_m: parse_distance_km(
                get("border_within_km"),
                "border_within_km",
                &mut errors,
            ),
            coast_within_m: parse_distance_km(
                get("coast_within_km"),
                "coast_within_km",
                &mut errors,
            ),
            border_countries: parse_codes(get("border_country"), "border_country", &mut errors),
            provinces: parse_names(get("province")),
            countries: parse_codes(get("country"), "country", &mut errors),
            in_sea: parse_bool(get("in_sea"), "in_sea", &mut errors),
            without_private: false,
        };
        let page = Page {
            limit: parse_count(get("limit"), "limit", 1, MAX_LIMIT, &mut errors)
                .unwrap_or(DEFAULT_LIMIT),
            offset: parse_count(get("offset"), "offset", 0, usize::MAX, &mut errors).unwrap_or(0),
        };
        if errors.is_empty() {
            Ok(Self {
                spatial,
                filter,
                page,
            })
        } else {
            Err(errors)
        }
    }
}

fn centre(
    lat: Option<f64>,
    lon: Option<f64>,
    lat_text: Option<&str>,
    lon_text: Option<&str>,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(f64, f64)> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Some((lon, lat)),
        _ => {
            if lat_text.is_none() {
                errors.push(FieldError::new("lat", format!("{what} needs lat and lon")));
            }
            if lon_text.is_none() {
                errors.push(FieldError::new("lon", format!("{what} needs lat and lon")));
            }
            None
        }
    }
}

fn parse_number(text: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let text = text?;
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("{field} must be a finite number, not '{text}'"),
            ));
            None
        }
    }
}

/// A distance in kilometres, as metres.
fn parse_distance_km(text: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let km = parse_number(text, field, errors)?;
    if !(0.0..=MAX_RADIUS_M / 1000.0).contains(&km) {
        errors.push(FieldError::new(
            field,
            format!(
                "{field} must be a number of kilometres from 0 to {}, not {km}",
                MAX_RADIUS_M / 1000.0
            ),
        ));
        return None;
    }
    Some(km * 1000.0)
}

/// A comma-separated list of names; empty entries are dropped.
fn parse_names(text: Option<&str>) -> Option<Vec<String>> {
    let names: Vec<String> = text?
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    (!names.is_empty()).then_some(names)
}

/// A comma-separated list of ISO 3166-1 alpha-2 codes, upper-cased; each malformed code is
/// named in `errors`.
pub(crate) fn parse_codes(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let codes = parse_names(text)?;
    for code in &codes {
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            errors.push(FieldError::new(
                field,
                format!("{field} takes ISO 3166-1 alpha-2 codes such as AZ or IR, not '{code}'"),
            ));
        }
    }
    Some(codes.into_iter().map(|c| c.to_ascii_uppercase()).collect())
}

fn parse_bool(text: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
    let text = text?;
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("{field} must be true or false, not '{text}'"),
            ));
            None
        }
    }
}

fn check_range(
    v: f64,
    min: f64,
    max: f64,
    field: &str,
    unit: &str,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = (min..=max).contains(&v);
    if !ok {
        errors.push(FieldError::new(
            field,
            format!("{field} must lie from {min} to {max} {unit}, not {v}"),
        ));
    }
    ok
}

fn parse_count(
    text: Option<&str>,
    field: &str,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<usize> {
    let text = text?;
    match text.trim().parse::<usize>() {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            let range = if max == usize::MAX {
                format!("a whole number of at least {min}")
            } else {
                format!("a whole number from {min} to {max}")
            };
            errors.push(FieldError::new(
                field,
                format!("{field} must be {range}, not '{text}'"),
            ));
            None
        }
    }
}

fn parse_time(
    text: &str,
    field: &str,
    end: DayEnd,
    errors: &mut Vec<FieldError>,
) -> Option<Timestamp> {
    Timestamp::parse(text, end)
        .map_err(|e| errors.push(FieldError::new(field, e.to_string())))
        .ok()
}

fn parse_list<T: FromStr<Err = crate::model::UnknownWord>>(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<T>> {
    let text = text?;
    let mut out = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word.parse::<T>() {
            Ok(v) => out.push(v),
            Err(e) => errors.push(FieldError::new(field, e.to_string())),
        }
    }
    // An empty list (`kind=`) filters nothing, as if it were left out.
    (!out.is_empty()).then_some(out)
}
