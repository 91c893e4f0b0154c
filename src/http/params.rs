//! Report queries as users write them in a URL, read into the core's typed form
//! ([`sightmap_core::engine::query::ReportQuery`]) with every mistake named. Parsing does no
//! I/O.

use sightmap_core::domain::messages::MessageCode;
use sightmap_core::domain::model::{DayEnd, FieldError, Timestamp};
use sightmap_core::engine::query::{
    BBox, DEFAULT_LIMIT, Filter, MAX_LIMIT, MAX_NEAREST, Page, ReportQuery, Spatial,
};
use sightmap_core::geospatial::geodesy::MAX_RADIUS_M;
use std::str::FromStr;

/// The query parameters [`report_query`] understands.
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
    // Read by the HTTP layer, which answers from the past (see `sightmap::http::as_of`).
    "as_of",
];

/// `errors` of [`report_query`] for an endpoint that takes `more` parameters besides the
/// report filters: an unknown parameter's known list names those too.
pub fn also_known(errors: Vec<FieldError>, more: &[&str]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            if e.code == MessageCode::FieldUnknownParameter {
                let known: Vec<&str> = REPORT_QUERY_PARAMS.iter().chain(more).copied().collect();
                FieldError::unknown_parameter(e.field, &known)
            } else {
                e
            }
        })
        .collect()
}

/// Reads a report query from URL parameters, naming every parameter that is wrong.
pub fn report_query(pairs: &[(String, String)]) -> Result<ReportQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in pairs {
        if !REPORT_QUERY_PARAMS.contains(&key.as_str()) {
            errors.push(FieldError::unknown_parameter(
                key.clone(),
                REPORT_QUERY_PARAMS,
            ));
        } else if seen.contains(&key.as_str()) {
            errors.push(FieldError::repeated(key.clone()));
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
        .filter(|v| check_range(*v, -90.0, 90.0, "lat", &mut errors));
    let lon = parse_number(get("lon"), "lon", &mut errors)
        .filter(|v| check_range(*v, -180.0, 180.0, "lon", &mut errors));
    let radius_km = parse_number(get("radius_km"), "radius_km", &mut errors);
    let nearest = parse_count(get("nearest"), "nearest", 1, MAX_NEAREST, &mut errors);
    let bbox = get("bbox").and_then(|b| BBox::parse(b).map_err(|e| errors.push(e)).ok());
    let include_uncertain = parse_bool(get("include_uncertain"), "include_uncertain", &mut errors);
    if include_uncertain.is_some() && radius_km.is_none() {
        errors.push(FieldError::requires(
            "include_uncertain",
            &["lat", "lon", "radius_km"],
        ));
    }

    let spatial = match (radius_km, nearest, bbox) {
        (None, None, None) => {
            if get("lat").is_some() || get("lon").is_some() {
                errors.push(FieldError::requires_one_of(
                    "lat",
                    &["radius_km", "nearest"],
                ));
            }
            Spatial::None
        }
        (Some(r), None, None) => {
            let max_km = MAX_RADIUS_M / 1000.0;
            if r <= 0.0 {
                errors.push(FieldError::not_positive("radius_km", r));
            } else if r > max_km {
                errors.push(FieldError::out_of_range("radius_km", r, 0.0, max_km));
            }
            match centre(lat, lon, get("lat"), get("lon"), &mut errors) {
                Some((lon, lat)) => Spatial::Radius {
                    lon,
                    lat,
                    radius_m: r * 1000.0,
                    include_uncertain: include_uncertain.unwrap_or(false),
                },
                None => Spatial::None,
            }
        }
        (None, Some(k), None) => match centre(lat, lon, get("lat"), get("lon"), &mut errors) {
            Some((lon, lat)) => Spatial::Nearest { lon, lat, k },
            None => Spatial::None,
        },
        (None, None, Some(b)) => {
            if get("lat").is_some() || get("lon").is_some() {
                errors.push(FieldError::conflict("bbox", &["lat", "lon"]));
            }
            Spatial::BBox(b)
        }
        _ => {
            let given: Vec<&str> = [
                ("radius_km", radius_km.is_some()),
                ("nearest", nearest.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, given)| given.then_some(name))
            .collect();
            let field = if bbox.is_some() { "bbox" } else { "nearest" };
            let others: Vec<&str> = given.into_iter().filter(|n| *n != field).collect();
            errors.push(FieldError::conflict(field, &others));
            Spatial::None
        }
    };

    let since = get("since").and_then(|t| parse_time(t, "since", DayEnd::Start, &mut errors));
    let until = get("until").and_then(|t| parse_time(t, "until", DayEnd::End, &mut errors));
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        errors.push(FieldError::interval_order("until", s, u));
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
        coast_within_m: parse_distance_km(get("coast_within_km"), "coast_within_km", &mut errors),
        border_countries: parse_codes(get("border_country"), "border_country", &mut errors),
        provinces: parse_names(get("province")),
        countries: parse_codes(get("country"), "country", &mut errors),
        in_sea: parse_bool(get("in_sea"), "in_sea", &mut errors),
        without_private: false,
        without: None,
    };
    let page = Page {
        limit: parse_count(get("limit"), "limit", 1, MAX_LIMIT, &mut errors)
            .unwrap_or(DEFAULT_LIMIT),
        offset: parse_count(get("offset"), "offset", 0, usize::MAX, &mut errors).unwrap_or(0),
    };
    if errors.is_empty() {
        Ok(ReportQuery {
            spatial,
            filter,
            page,
        })
    } else {
        Err(errors)
    }
}

fn centre(
    lat: Option<f64>,
    lon: Option<f64>,
    lat_text: Option<&str>,
    lon_text: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<(f64, f64)> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Some((lon, lat)),
        _ => {
            if lat_text.is_none() {
                errors.push(FieldError::required("lat"));
            }
            if lon_text.is_none() {
                errors.push(FieldError::required("lon"));
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
            errors.push(FieldError::not_a_number(field, text));
            None
        }
    }
}

/// A distance in kilometres, as metres.
fn parse_distance_km(text: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let km = parse_number(text, field, errors)?;
    if !(0.0..=MAX_RADIUS_M / 1000.0).contains(&km) {
        errors.push(FieldError::out_of_range(
            field,
            km,
            0.0,
            MAX_RADIUS_M / 1000.0,
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
pub fn parse_codes(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let codes = parse_names(text)?;
    for code in &codes {
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            errors.push(FieldError::not_a_country_code(field, code));
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
            errors.push(FieldError::not_a_boolean(field, text));
            None
        }
    }
}

fn check_range(v: f64, min: f64, max: f64, field: &str, errors: &mut Vec<FieldError>) -> bool {
    let ok = (min..=max).contains(&v);
    if !ok {
        errors.push(FieldError::out_of_range(field, v, min, max));
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
            errors.push(FieldError::whole_number(field, text, min, max));
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
        .map_err(|e| errors.push(FieldError::not_a_time(field, &e.0)))
        .ok()
}

fn parse_list<T: FromStr<Err = sightmap_core::domain::model::UnknownWord>>(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<T>> {
    let text = text?;
    let mut out = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word.parse::<T>() {
            Ok(v) => out.push(v),
            Err(e) => errors.push(FieldError::unknown_word(field, &e)),
        }
    }
    // An empty list (`kind=`) filters nothing, as if it were left out.
    (!out.is_empty()).then_some(out)
}
