//! What clients send: a report's fields as flat JSON (the same names as the GeoJSON
//! properties sightmap writes), checked field by field into a [`Report`].
//!
//! Validation collects every problem, each naming its field, so that one round trip tells a
//! client everything to fix.

use super::{
    DayEnd, EventReview, FieldError, Gazetteer, Interval, Kind, Location, Precision, Report,
    ReportId, Source, SourceType, Stance, Status, Timestamp,
};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
const MAX_SHORT_TEXT_CHARS: usize = 200;
const MAX_STATEMENT_CHARS: usize = 2_000;
const MAX_URL_CHARS: usize = 2_000;
const MAX_SOURCES: usize = 50;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 50;
/// Largest uncertainty radius accepted, in metres (the size of a large country).
const MAX_UNCERTAINTY_M: f64 = 2_000_000.0;
/// The earliest year (UTC) an observation may lie in. The latest is the year after the
/// server's clock's: a report is of something seen, and a typo such as 0025 or 9999 would
/// otherwise stretch every timeline and event it touches over millennia.
pub const EARLIEST_OBSERVED_YEAR: i32 = 1900;
/// The longest observation interval accepted, in days: a year, leap or not. A report of
/// "sometime in the last two years" places nothing in time.
pub const MAX_OBSERVED_DAYS: i64 = 366;

/// The observation interval as sent: `{"from": …, "to": …}`; `to` defaults to `from`, and a
/// bare date covers the whole day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedInput {
    /// Start, RFC 3339 or a date.
    pub from: Option<String>,
    /// End, RFC 3339 or a date.
    pub to: Option<String>,
}

/// A source as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// Who.
    pub name: Option<String>,
    /// Where they said it.
    pub url: Option<String>,
    /// civilian | media | official | social | other.
    #[serde(rename = "type")]
    pub source_type: Option<SourceType>,
    /// asserts | denies | investigating.
    pub stance: Option<Stance>,
    /// What they said, in brief.
    pub statement: Option<String>,
    /// The outlet that relayed what they said, if it reached us through one.
    pub via: Option<String>,
}

/// Declares an input struct with the location's fields (the place text named `$text`) and
/// then `$rest`: the nested [`LocationInput`] and the flat fields of [`ReportInput`] are one
/// list, which [`ReportInput::flatten_location`] moves from the one to the other. (serde's
/// `flatten` cannot be combined with `deny_unknown_fields`.)
macro_rules! with_location_fields {
    ($(#[$meta:meta])* struct $name:ident { $text:ident; $($rest:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The place as reported.
            pub $text: Option<String>,
            /// WGS84 latitude.
            pub lat: Option<f64>,
            /// WGS84 longitude.
            pub lon: Option<f64>,
            /// exact | place | near | region | province | country.
            pub precision: Option<Precision>,
            /// Uncertainty radius in metres.
            pub uncertainty_m: Option<f64>,
            /// Province name.
            pub province: Option<String>,
            /// ISO 3166-1 alpha-2 code.
            pub country: Option<String>,
            /// place | province | country: how coarsely the public may see the location.
            pub public_precision: Option<Precision>,
            $($rest)*
        }
    };
}

with_location_fields! {
    /// The location as a nested object: `"location": {"text": "eastern Gilan"}` or with
    /// coordinates. The same fields may instead be sent flat (`location_text`, `lat`, `lon`,
    /// …).
    struct LocationInput { text; }
}

with_location_fields! {
    /// A report as sent to `POST /api/reports`, as a GeoJSON Feature's properties, or as a
    /// CSV row. The location's fields come first, flat (the place text as `location_text`).
    struct ReportInput {
        location_text;
        /// Kept only by import, so that a re-imported export keeps its ids.
        pub id: Option<String>,
        /// What was seen or heard.
        pub kind: Option<Kind>,
        /// The claim in the reporter's words.
        pub description: Option<String>,
        /// The location as a nested object, instead of the flat fields.
        pub location: Option<LocationInput>,
        /// Written on a private location's public view; ignored on input.
        pub location_coarsened: Option<IgnoredAny>,
        /// Observation interval.
        pub observed: Option<ObservedInput>,
        /// Observation start (flat form, as written in GeoJSON properties).
        pub observed_from: Option<String>,
        /// Observation end (flat form).
        pub observed_to: Option<String>,
        /// Who claims, denies or investigates it.
        pub sources: Option<Vec<SourceInput>>,
        /// unverified | corroborated | confirmed | disputed | retracted.
        pub status: Option<Status>,
        /// Short labels.
        pub tags: Option<Vec<String>>,
        /// A reviewer's correction of the report's event: `auto`, `exclude` or an event id.
        pub event_review: Option<EventReview>,
        /// Kept only by import.
        pub reported_at: Option<String>,
        /// Kept only by import.
        pub updated_at: Option<String>,
        /// Written by queries; ignored on input so that exports import cleanly.
        pub distance_km: Option<IgnoredAny>,
        /// Written by radius queries with `include_uncertain`; ignored on input.
        pub within_radius: Option<IgnoredAny>,
        /// Written by radius queries with `include_uncertain`; ignored on input.
        pub uncertainty_overlap_km: Option<IgnoredAny>,
        /// Written by radius queries with `include_uncertain`; ignored on input.
        pub uncertainty_overlap_share: Option<IgnoredAny>,
        /// Computed by the server from the point; ignored on input.
        pub border_distance_km: Option<IgnoredAny>,
        /// Computed by the server from the point; ignored on input.
        pub border_country: Option<IgnoredAny>,
        /// Computed by the server from the point; ignored on input.
        pub coast_distance_km: Option<IgnoredAny>,
        /// Computed by the server from the point; ignored on input.
        pub in_sea: Option<IgnoredAny>,
        /// Set by the geocoder; kept by import, ignored from clients.
        pub location_ambiguous: Option<bool>,
    }
}

/// Who is writing, which decides whether server-set fields may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A client of the HTTP API: ids and server times are the server's.
    Client,
    /// `sightmap import`: ids and times from an earlier export are kept.
    Import,
}

impl ReportInput {
    /// Checks every field and builds the report, or lists every problem.
    ///
    /// `existing` is the report being edited (for PATCH), whose id and `reported_at` stay.
    /// `gazetteer` geocodes place text sent without coordinates, and fills in the province and
    /// country of coordinates sent without them.
    pub fn into_report(
        mut self,
        origin: Origin,
        existing: Option<&Report>,
        now: Timestamp,
        gazetteer: Option<&dyn Gazetteer>,
    ) -> Result<Report, Vec<FieldError>> {
        let mut errors = Vec::new();
        self.flatten_location(&mut errors);

        if origin == Origin::Client {
            for (field, given) in [
                ("id", self.id.is_some()),
                ("reported_at", self.reported_at.is_some()),
                ("updated_at", self.updated_at.is_some()),
            ] {
                if given {
                    errors.push(FieldError::server_set(field));
                }
            }
        }

        let id = match (&self.id, existing) {
            (_, Some(report)) => report.id,
            (Some(text), None) => text.parse().unwrap_or_else(|_| {
                errors.push(FieldError::not_a_uuid("id", text));
                ReportId::new()
            }),
            (None, None) => ReportId::new(),
        };

        let kind = self.kind.unwrap_or_else(|| {
            errors.push(FieldError::required_choice("kind", Kind::WORDS));
            Kind::Other
        });

        let description = match self.description.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::required("description"));
                String::new()
            }
            Some(text) => {
                check_length(&mut errors, "description", text, MAX_DESCRIPTION_CHARS);
                text.to_string()
            }
        };

        let mut location = self.location(&mut errors, gazetteer);
        if origin == Origin::Import
            && self.location_ambiguous == Some(true)
            && let Some(l) = location.as_mut()
        {
            l.ambiguous = true;
        }
        let observed = observed_interval(
            self.observed,
            self.observed_from,
            self.observed_to,
            now,
            &mut errors,
        );
        let sources = self
            .sources
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| s.into_source(i, &mut errors))
            .collect::<Vec<_>>();
        if sources.len() > MAX_SOURCES {
            errors.push(FieldError::too_many("sources", MAX_SOURCES));
        }
        let tags = normalise_tags(self.tags.unwrap_or_default(), &mut errors);

        let reported_at = match existing {
            Some(report) => report.reported_at,
            None => server_time(self.reported_at, "reported_at", origin, now, &mut errors),
        };
        let updated_at = match existing {
            Some(_) => now,
            None => server_time(self.updated_at, "updated_at", origin, now, &mut errors),
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        let mut location = location.expect("no errors means a location");
        let public = match (self.public_precision, gazetteer) {
            (None, _) => None,
            (Some(level), Some(g)) => {
                location.public_precision = Some(level);
                match crate::domain::model::privacy::public_view(&location, level, g) {
                    Ok(view) => Some(Box::new(view)),
                    Err(e) => return Err(vec![e]),
                }
            }
            (Some(_), None) => {
                // Only where no gazetteer is loaded (tests, tools): the server has one.
                return Err(vec![FieldError::not_applicable("public_precision")]);
            }
        };
        Ok(Report {
            id,
            kind,
            description,
            relation: gazetteer
                .map(|g| g.relate(location.lon, location.lat))
                .unwrap_or_default(),
            location,
            public,
            observed: observed.expect("no errors means an interval"),
            sources,
            status: self.status.unwrap_or(Status::Unverified),
            tags,
            reported_at,
            updated_at,
            event_review: self.event_review.unwrap_or_default(),
        })
    }

    /// Moves a nested `location` object into the flat fields; a field given both ways is an
    /// error.
    fn flatten_location(&mut self, errors: &mut Vec<FieldError>) {
        let Some(nested) = self.location.take() else {
            return;
        };
        fn take<T>(
            errors: &mut Vec<FieldError>,
            name: &str,
            flat: &mut Option<T>,
            nested: Option<T>,
        ) {
            if nested.is_some() {
                if flat.is_some() {
                    let flat_name = if name == "text" {
                        "location_text"
                    } else {
                        name
                    };
                    errors.push(FieldError::conflict(
                        format!("location.{name}"),
                        &[flat_name],
                    ));
                }
                *flat = nested;
            }
        }
        take(errors, "text", &mut self.location_text, nested.text);
        take(errors, "lat", &mut self.lat, nested.lat);
        take(errors, "lon", &mut self.lon, nested.lon);
        take(errors, "precision", &mut self.precision, nested.precision);
        take(
            errors,
            "uncertainty_m",
            &mut self.uncertainty_m,
            nested.uncertainty_m,
        );
        take(errors, "province", &mut self.province, nested.province);
        take(errors, "country", &mut self.country, nested.country);
        take(
            errors,
            "public_precision",
            &mut self.public_precision,
            nested.public_precision,
        );
    }

    fn location(
        &self,
        errors: &mut Vec<FieldError>,
        gazetteer: Option<&dyn Gazetteer>,
    ) -> Option<Location> {
        let text = self
            .location_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if let Some(t) = &text {
            let before = errors.len();
            check_length(errors, "location_text", t, MAX_SHORT_TEXT_CHARS);
            if errors.len() > before {
                // Too long to be a place: not worth geocoding.
                return None;
            }
        }
        let (lon, lat) = match (self.lon, self.lat) {
            (Some(lon), Some(lat)) => {
                let lat_ok = check_coordinate(errors, "lat", lat, 90.0);
                let lon_ok = check_coordinate(errors, "lon", lon, 180.0);
                if !(lat_ok && lon_ok) {
                    return None;
                }
                (lon, lat)
            }
            (Some(_), None) => {
                errors.push(FieldError::required("lat"));
                return None;
            }
            (None, Some(_)) => {
                errors.push(FieldError::required("lon"));
                return None;
            }
            (None, None) => {
                return match (&text, gazetteer) {
                    (Some(t), Some(g)) => match g.resolve(t) {
                        Ok(place) => self.geocoded_location(text.clone(), place, errors),
                        Err(unresolved) => {
                            errors.push(unresolved.field_error("location_text", t));
                            None
                        }
                    },
                    // No text, or no gazetteer loaded (tests, tools; the server has one).
                    _ => {
                        errors.push(FieldError::location_required("lat"));
                        None
                    }
                };
            }
        };
        let precision = self.precision.unwrap_or(Precision::Exact);
        let uncertainty_m = self.uncertainty_or(default_uncertainty_m(precision), errors)?;
        let province = self.checked_province(errors);
        let country = self.checked_country(errors);
        // The region's outlines decide where they can, so that filters by province and
        // country agree with the map; the client's names stand where they cannot (at sea, or
        // outside the region).
        let (province, country) = match gazetteer.map(|g| g.locate(lon, lat)) {
            Some((p, c)) => (p.or(province), c.or(country)),
            None => (province, country),
        };
        Some(Location {
            text,
            lon,
            lat,
            precision,
            uncertainty_m,
            province,
            country,
            ambiguous: false,
            public_precision: None,
            coarsened: false,
        })
    }

    /// The location of a geocoded text: the client's precision, uncertainty, province and
    /// country win over the geocoder's where given.
    fn geocoded_location(
        &self,
        text: Option<String>,
        place: Location,
        errors: &mut Vec<FieldError>,
    ) -> Option<Location> {
        let uncertainty_m = self.uncertainty_or(place.uncertainty_m, errors)?;
        let province = self.checked_province(errors);
        let country = self.checked_country(errors);
        Some(Location {
            text,
            precision: self.precision.unwrap_or(place.precision),
            uncertainty_m,
            province: province.or(place.province),
            country: country.or(place.country),
            ..place
        })
    }

    /// The client's uncertainty radius, checked, or `default`.
    fn uncertainty_or(&self, default: f64, errors: &mut Vec<FieldError>) -> Option<f64> {
        match self.uncertainty_m {
            None => Some(default),
            Some(u) if u.is_finite() && (0.0..=MAX_UNCERTAINTY_M).contains(&u) => Some(u),
            Some(u) => {
                errors.push(FieldError::out_of_range(
                    "uncertainty_m",
                    u,
                    0.0,
                    MAX_UNCERTAINTY_M,
                ));
                None
            }
        }
    }

    /// The client's province name, trimmed and checked for length.
    fn checked_province(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        let province = self
            .province
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        if let Some(p) = &province {
            check_length(errors, "province", p, MAX_SHORT_TEXT_CHARS);
        }
        province
    }

    /// The client's country code, checked and upper-cased.
    fn checked_country(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        match self.country.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                Some(c.to_ascii_uppercase())
            }
            Some(c) => {
                errors.push(FieldError::not_a_country_code("country", c));
                None
            }
        }
    }
}

impl SourceInput {
    fn into_source(self, index: usize, errors: &mut Vec<FieldError>) -> Option<Source> {
        let at = |field: &str| format!("sources[{index}].{field}");
        let before = errors.len();
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            errors.push(FieldError::required(at("name")));
        }
        check_length(errors, &at("name"), &name, MAX_SHORT_TEXT_CHARS);
        let url = self
            .url
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        if let Some(u) = &url {
            let lower = u.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://"))
                || u.contains(char::is_whitespace)
            {
                errors.push(FieldError::not_a_url(at("url"), u));
            }
            check_length(errors, &at("url"), u, MAX_URL_CHARS);
        }
        if self.source_type.is_none() {
            errors.push(FieldError::required_choice(at("type"), SourceType::WORDS));
        }
        if self.stance.is_none() {
            errors.push(FieldError::required_choice(at("stance"), Stance::WORDS));
        }
        let statement = self
            .statement
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(s) = &statement {
            check_length(errors, &at("statement"), s, MAX_STATEMENT_CHARS);
        }
        let via = self
            .via
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        if let Some(v) = &via {
            check_length(errors, &at("via"), v, MAX_SHORT_TEXT_CHARS);
        }
        (errors.len() == before).then(|| Source {
            name,
            url,
            source_type: self.source_type.expect("checked"),
            stance: self.stance.expect("checked"),
            statement,
            via,
        })
    }
}

/// The uncertainty radius assumed for a precision when the client gives none, in metres.
pub fn default_uncertainty_m(precision: Precision) -> f64 {
    match precision {
        Precision::Exact => 50.0,
        Precision::Place => 5_000.0,
        Precision::Near => 15_000.0,
        Precision::Region => 50_000.0,
        Precision::Province => 100_000.0,
        Precision::Country => 500_000.0,
    }
}

fn check_length(errors: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    let chars = text.chars().count();
    if chars > max {
        errors.push(FieldError::too_long(field, chars, max));
    }
}

fn check_coordinate(errors: &mut Vec<FieldError>, field: &str, value: f64, limit: f64) -> bool {
    if value.is_finite() && (-limit..=limit).contains(&value) {
        return true;
    }
    errors.push(FieldError::out_of_range(field, value, -limit, limit));
    false
}

/// The observation interval from either form, checked: it ends no earlier than it starts,
/// both ends lie in the years [`EARLIEST_OBSERVED_YEAR`] to the year after `now`'s, and it
/// spans at most [`MAX_OBSERVED_DAYS`].
fn observed_interval(
    nested: Option<ObservedInput>,
    flat_from: Option<String>,
    flat_to: Option<String>,
    now: Timestamp,
    errors: &mut Vec<FieldError>,
) -> Option<Interval> {
    let (prefix, from, to) = match nested {
        Some(_) if flat_from.is_some() || flat_to.is_some() => {
            errors.push(FieldError::conflict(
                "observed",
                &["observed_from", "observed_to"],
            ));
            return None;
        }
        Some(o) => ("observed.", o.from, o.to),
        None => ("observed_", flat_from, flat_to),
    };
    let field = |end: &str| format!("{prefix}{end}");
    let Some(from_text) = from else {
        errors.push(FieldError::required(field("from")));
        return None;
    };
    let from = match Timestamp::parse(&from_text, DayEnd::Start) {
        Ok(t) => t,
        Err(e) => {
            errors.push(FieldError::not_a_time(field("from"), &e.0));
            return None;
        }
    };
    // Without `to`, the interval is the instant given, or the whole day of a bare date.
    let to_text = to.unwrap_or(from_text);
    let to = match Timestamp::parse(&to_text, DayEnd::End) {
        Ok(t) => t,
        Err(e) => {
            errors.push(FieldError::not_a_time(field("to"), &e.0));
            return None;
        }
    };
    let latest = now.year().map_or(i32::MAX, |y| y.saturating_add(1));
    let mut in_range = true;
    for (end, t) in [("from", from), ("to", to)] {
        let year = t.year();
        if year.is_none_or(|y| !(EARLIEST_OBSERVED_YEAR..=latest).contains(&y)) {
            // Beyond the calendar, the year of the seconds at an average year's length.
            let year = year.map_or(t.0.div_euclid(31_556_952) + 1970, i64::from);
            errors.push(FieldError::year_out_of_range(
                field(end),
                year,
                &format!("{EARLIEST_OBSERVED_YEAR}-01-01"),
                &format!("{latest}-12-31"),
            ));
            in_range = false;
        }
    }
    if !in_range {
        return None;
    }
    if to < from {
        errors.push(FieldError::interval_order(field("to"), from, to));
        return None;
    }
    let span = to.0 - from.0;
    if span > MAX_OBSERVED_DAYS * 86_400 {
        errors.push(FieldError::interval_too_long(
            field("to"),
            &field("from"),
            from,
            to,
            MAX_OBSERVED_DAYS,
        ));
        return None;
    }
    Some(Interval { from, to })
}

fn normalise_tags(tags: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim().to_lowercase();
        let field = format!("tags[{i}]");
        if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS || tag.contains(',') {
            errors.push(FieldError::not_a_tag(field, &tag, MAX_TAG_CHARS));
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        errors.push(FieldError::too_many("tags", MAX_TAGS));
    }
    out
}

fn server_time(
    given: Option<String>,
    field: &str,
    origin: Origin,
    now: Timestamp,
    errors: &mut Vec<FieldError>,
) -> Timestamp {
    match (origin, given) {
        (Origin::Import, Some(text)) => {
            Timestamp::parse(&text, DayEnd::Start).unwrap_or_else(|e| {
                errors.push(FieldError::not_a_time(field, &e.0));
                now
            })
        }
        _ => now,
    }
}

#[cfg(test)]
mod tests;
