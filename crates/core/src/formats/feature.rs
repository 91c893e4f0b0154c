//! Reports as GeoJSON (RFC 7946): `[lon, lat]` order (rounded as [`crate::formats::coords`]
//! says), no `crs`, the report's id as the Feature's id, and the model's fields as flat
//! properties. Serialised from typed structs, never
//! through `serde_json::Value`, so large answers stay fast.

use crate::domain::model::{EventId, EventReview, Report, Source, Timestamp};
use crate::geospatial::overlap::Overlap;
use serde::Serialize;
use serde::ser::SerializeMap;

/// A report as a GeoJSON Feature, with its distance from a query's centre if it has one.
pub struct ReportFeature<'a> {
    /// The report.
    pub report: &'a Report,
    /// Metres from the query's centre.
    pub distance_m: Option<f64>,
    /// How far the report's uncertainty circle reaches into the query's circle, for radius
    /// queries with `include_uncertain`.
    pub overlap: Option<Overlap>,
    /// Whether to add the flat summaries GIS clients can show (see [`ReportFeature::for_gis`]).
    pub flat: bool,
    /// The event the report belongs to, as the viewer may know it (see [`crate::engine::events`]).
    pub event: Option<EventId>,
}

impl<'a> ReportFeature<'a> {
    /// A report with no query context.
    pub fn plain(report: &'a Report) -> Self {
        Self {
            report,
            distance_m: None,
            overlap: None,
            flat: false,
            event: None,
        }
    }

    /// The same feature, naming the report's event.
    pub fn in_event(self, event: Option<EventId>) -> Self {
        Self { event, ..self }
    }

    /// A report as the OGC API serves it: also the flat, text-valued summaries of its JSON
    /// arrays (the [`crate::formats::fields::Ogc::Flat`] fields: `source_count`, `source_names`,
    /// `stances`, `tags_text`), since QGIS shows arrays and objects as NULL; and, set or not,
    /// `public_precision` (null when unset), `location_coarsened` (false when not) and
    /// `event_id` (null without one; give it with [`ReportFeature::in_event`]), since QGIS and
    /// GDAL build a layer's fields from its first features.
    pub fn for_gis(report: &'a Report) -> Self {
        Self {
            flat: true,
            ..Self::plain(report)
        }
    }
}

#[derive(Serialize)]
struct Point {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Properties<'a> {
    kind: &'static str,
    status: &'static str,
    description: &'a str,
    location_text: Option<&'a str>,
    precision: &'static str,
    uncertainty_m: f64,
    location_ambiguous: bool,
    /// Outer `None`: left out (unset, in the plain form).
    #[serde(skip_serializing_if = "Option::is_none")]
    public_precision: Option<Option<&'static str>>,
    /// `None`: left out (false, in the plain form).
    #[serde(skip_serializing_if = "Option::is_none")]
    location_coarsened: Option<bool>,
    province: Option<&'a str>,
    country: Option<&'a str>,
    border_distance_km: Option<f64>,
    border_country: Option<&'a str>,
    coast_distance_km: Option<f64>,
    in_sea: bool,
    observed_from: Timestamp,
    observed_to: Timestamp,
    sources: &'a [Source],
    tags: &'a [String],
    reported_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "EventReview::is_auto")]
    event_review: EventReview,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    within_radius: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertainty_overlap_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertainty_overlap_share: Option<f64>,
    /// Outer `None`: left out (no event, in the plain form).
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<Option<EventId>>,
}

/// The properties with the flat summaries after them (the OGC API's items only, so the
/// plain path, which the feature cache and exports take, stays a plain struct).
#[derive(Serialize)]
struct WithSummaries<'a> {
    #[serde(flatten)]
    properties: Properties<'a>,
    #[serde(flatten)]
    summaries: FlatSummaries<'a>,
}

/// A report's [`crate::formats::fields::Ogc::Flat`] fields, under their OGC names, as read by the one
/// field list.
struct FlatSummaries<'a>(&'a Report);

impl Serialize for FlatSummaries<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for field in crate::formats::fields::FIELDS {
            if let crate::formats::fields::Ogc::Flat(name) = field.ogc {
                map.serialize_entry(name, &(field.read)(self.0))?;
            }
        }
        map.end()
    }
}

/// An optional property as a form writes it: the flat form (for GIS clients, which build a
/// layer's fields from its first features) whether set or not, as null when not; the plain
/// form only when set. The outer `None` leaves the property out.
fn written<T>(flat: bool, value: Option<T>) -> Option<Option<T>> {
    match flat {
        true => Some(value),
        false => value.map(Some),
    }
}

/// Rounds to `digits` decimal places.
pub(crate) fn round_to(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

impl Serialize for ReportFeature<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("type", "Feature")?;
        map.serialize_entry("id", &r.id)?;
        map.serialize_entry(
            "geometry",
            &Point {
                r#type: "Point",
                coordinates: crate::formats::coords::point(r.location.lon, r.location.lat),
            },
        )?;
        let properties = Properties {
            kind: r.kind.as_str(),
            status: r.status.as_str(),
            description: &r.description,
            location_text: r.location.text.as_deref(),
            precision: r.location.precision.as_str(),
            uncertainty_m: r.location.uncertainty_m,
            location_ambiguous: r.location.ambiguous,
            public_precision: written(self.flat, r.location.public_precision.map(|p| p.as_str())),
            location_coarsened: match self.flat {
                true => Some(r.location.coarsened),
                false => r.location.coarsened.then_some(true),
            },
            province: r.location.province.as_deref(),
            country: r.location.country.as_deref(),
            border_distance_km: r
                .relation
                .border_distance_m
                .map(|m| round_to(m / 1000.0, 3)),
            border_country: r.relation.border_country.as_deref(),
            coast_distance_km: r.relation.coast_distance_m.map(|m| round_to(m / 1000.0, 3)),
            in_sea: r.relation.in_sea,
            observed_from: r.observed.from,
            observed_to: r.observed.to,
            sources: &r.sources,
            tags: &r.tags,
            reported_at: r.reported_at,
            updated_at: r.updated_at,
            event_review: r.event_review,
            distance_km: self.distance_m.map(|m| round_to(m / 1000.0, 6)),
            within_radius: self.overlap.map(|o| o.point_inside),
            uncertainty_overlap_km: self.overlap.map(|o| round_to(o.depth_m / 1000.0, 6)),
            uncertainty_overlap_share: self.overlap.map(|o| round_to(o.share, 4)),
            event_id: written(self.flat, self.event),
        };
        if self.flat {
            map.serialize_entry(
                "properties",
                &WithSummaries {
                    properties,
                    summaries: FlatSummaries(r),
                },
            )?;
        } else {
            map.serialize_entry("properties", &properties)?;
        }
        map.end()
    }
}

/// A link in a collection (OGC API style).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// Target.
    pub href: String,
    /// Relation: `self`, `next`, …
    pub rel: &'static str,
    /// Media type.
    pub r#type: &'static str,
}

/// One page of reports as a FeatureCollection with OGC API paging members.
#[derive(Serialize)]
pub struct ReportCollection<'a> {
    r#type: &'static str,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    #[serde(rename = "timeStamp")]
    time_stamp: Timestamp,
    links: Vec<Link>,
    features: Vec<ReportFeature<'a>>,
}

impl<'a> ReportCollection<'a> {
    /// A page of features with how many matched in all, its links, and the `timeStamp` it
    /// gives: the service's time for a live answer, the moment for an `as_of` one (so a cited
    /// link answers byte for byte the same later).
    pub fn at(
        features: Vec<ReportFeature<'a>>,
        matched: usize,
        links: Vec<Link>,
        time_stamp: Timestamp,
    ) -> Self {
        Self {
            r#type: "FeatureCollection",
            number_matched: matched,
            number_returned: features.len(),
            time_stamp,
            links,
            features,
        }
    }
}

/// A report's Feature with no query context, as JSON (see [`packed_json`] for the form the
/// feature cache keeps).
pub fn plain_json(report: &Report) -> Vec<u8> {
    serde_json::to_vec(&ReportFeature::plain(report)).unwrap_or_default()
}

/// The phrases every plain feature repeats, its keys and the constant parts between its
/// values; [`packed_json`] writes each as one byte, its place in this list plus one. JSON as
/// serde_json writes it holds no byte below 0x20 (control characters in strings are escaped),
/// so those bytes are free to stand for phrases. A phrase may also occur in a value (`null` in
/// a description): it packs and unpacks alike, so any text comes back as it was.
const PHRASES: [&str; 31] = [
    "{\"type\":\"Feature\",\"id\":\"",
    "\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[",
    "]},\"properties\":{\"kind\":\"",
    "\",\"status\":\"",
    "\",\"description\":\"",
    "\",\"location_text\":",
    ",\"precision\":\"",
    "\",\"uncertainty_m\":",
    ",\"location_ambiguous\":",
    ",\"province\":",
    ",\"country\":",
    ",\"border_distance_km\":",
    ",\"border_country\":",
    ",\"coast_distance_km\":",
    ",\"in_sea\":",
    ",\"observed_from\":\"",
    "\",\"observed_to\":\"",
    "\",\"sources\":[{\"name\":\"",
    "\"},{\"name\":\"",
    "\",\"url\":\"",
    "\",\"type\":\"",
    "\",\"stance\":\"",
    "\",\"statement\":\"",
    "\",\"via\":\"",
    "\"}],\"tags\":[",
    "],\"reported_at\":\"",
    "\",\"updated_at\":\"",
    "\"}}",
    "null",
    "false",
    "true",
];

/// Leads a packed feature kept as it was, for JSON that held a byte below 0x20 (none that
/// [`plain_json`] writes).
const UNPACKED: u8 = 0;

/// A report's Feature with no query context as the feature cache keeps it: [`plain_json`]
/// with each of [`PHRASES`] packed into one byte, about 40 % of its size (so that a cache of
/// the default budget holds a million reports' features). [`unpack_feature`] gives back the
/// plain JSON, byte for byte.
pub fn packed_json(report: &Report) -> Vec<u8> {
    pack_feature(&plain_json(report))
}

/// Packs a feature's JSON: each of [`PHRASES`] found (the longest where several begin at one
/// place) becomes its byte.
pub fn pack_feature(json: &[u8]) -> Vec<u8> {
    if json.iter().any(|&b| b < 0x20) {
        let mut out = Vec::with_capacity(json.len() + 1);
        out.push(UNPACKED);
        out.extend_from_slice(json);
        return out;
    }
    let mut out = Vec::with_capacity(json.len() / 2);
    let mut rest = json;
    while let Some(&first) = rest.first() {
        let longest = PHRASES
            .iter()
            .enumerate()
            .filter(|(_, p)| p.as_bytes()[0] == first && rest.starts_with(p.as_bytes()))
            .max_by_key(|(_, p)| p.len());
        match longest {
            Some((code, phrase)) => {
                out.push(code as u8 + 1);
                rest = &rest[phrase.len()..];
            }
            None => {
                out.push(first);
                rest = &rest[1..];
            }
        }
    }
    out
}

/// Appends the plain JSON of a feature packed by [`pack_feature`].
pub fn unpack_feature(out: &mut Vec<u8>, packed: &[u8]) {
    if let Some((&UNPACKED, json)) = packed.split_first() {
        out.extend_from_slice(json);
        return;
    }
    let mut rest = packed;
    while let Some(at) = rest.iter().position(|&b| b < 0x20) {
        out.extend_from_slice(&rest[..at]);
        if let Some(phrase) = PHRASES.get(usize::from(rest[at]).wrapping_sub(1)) {
            out.extend_from_slice(phrase.as_bytes());
        }
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// Writes a feature kept as [`packed_json`], with `distance_km` and `event_id` added to its
/// properties as [`ReportFeature`] writes them: the same bytes, without reading the report
/// again.
pub fn write_with_context(
    out: &mut Vec<u8>,
    packed: &[u8],
    distance_m: Option<f64>,
    event: Option<EventId>,
) {
    let start = out.len();
    unpack_feature(out, packed);
    // A plain feature ends by closing its properties, then itself.
    if (distance_m.is_some() || event.is_some()) && out[start..].ends_with(b"}}") {
        out.truncate(out.len() - 2);
        if let Some(m) = distance_m {
            out.extend_from_slice(b",\"distance_km\":");
            let _ = serde_json::to_writer(&mut *out, &round_to(m / 1000.0, 6));
        }
        if let Some(e) = event {
            out.extend_from_slice(b",\"event_id\":");
            let _ = serde_json::to_writer(&mut *out, &e);
        }
        out.extend_from_slice(b"}}");
    }
}

/// A FeatureCollection of `returned` features that `write_features` writes as JSON, comma
/// separated: the same bytes as [`ReportCollection`] for them, stamped `time_stamp`.
pub fn collection_json(
    matched: usize,
    links: Vec<Link>,
    returned: usize,
    time_stamp: Timestamp,
    write_features: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut head = ReportCollection::at(Vec::new(), matched, links, time_stamp);
    head.number_returned = returned;
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    // The head ends with its empty feature list, `[]}`: reopen it.
    out.truncate(out.len().saturating_sub(2));
    write_features(&mut out);
    out.extend_from_slice(b"]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{
        Interval, Kind, Location, Precision, Relation, ReportId, SourceType,
    };
    use crate::domain::model::{Stance, Status};

    fn report(n: u8) -> Report {
        let mut id = [0u8; 16];
        id[15] = n;
        Report {
            id: ReportId(uuid::Uuid::from_bytes(id)),
            kind: Kind::Drone,
            description: format!("drones \"over\" the hills, report {n}\n\u{1F6E9}"),
            location: Location {
                text: Some("eastern Gilan".into()),
                lon: 49.5 + f64::from(n) / 7.0,
                lat: 37.25,
                precision: Precision::Region,
                uncertainty_m: 25_000.0,
                province: Some("Gilan".into()),
                country: Some("IR".into()),
                ambiguous: false,
                public_precision: None,
                coarsened: false,
            },
            relation: Relation {
                border_distance_m: Some(143_456.789),
                border_country: Some("AZ".into()),
                coast_distance_m: None,
                in_sea: false,
            },
            observed: Interval {
                from: Timestamp(1_750_000_000_000),
                to: Timestamp(1_750_000_360_000),
            },
            sources: vec![Source {
                name: "a resident".into(),
                url: None,
                source_type: SourceType::Civilian,
                stance: Stance::Asserts,
                statement: Some("heard them".into()),
                via: None,
            }],
            status: Status::Unverified,
            tags: vec!["night".into()],
            reported_at: Timestamp(1_750_000_400_000),
            updated_at: Timestamp(1_750_000_400_000),
            event_review: Default::default(),
            public: None,
        }
    }

    #[test]
    fn serialised_features_with_spliced_distances_match_the_collection_serde_writes() {
        let reports: Vec<Report> = (0..3).map(report).collect();
        let distances = [Some(1234.5678), None, Some(0.0)];
        let events = [
            None,
            Some(EventId(ReportId(uuid::Uuid::from_u128(7)))),
            Some(EventId(ReportId(uuid::Uuid::from_u128(9)))),
        ];
        let links = || {
            vec![Link {
                href: "http://x/api/reports?lat=1".into(),
                rel: "self",
                r#type: "application/geo+json",
            }]
        };
        let at = Timestamp(1_760_000_000_000);
        let features = reports
            .iter()
            .zip(distances)
            .zip(events)
            .map(|((report, distance_m), event)| ReportFeature {
                report,
                distance_m,
                overlap: None,
                flat: false,
                event,
            })
            .collect();
        let expected = serde_json::to_vec(&ReportCollection::at(features, 7, links(), at)).unwrap();
        let cached: Vec<Vec<u8>> = reports.iter().map(packed_json).collect();
        let written = collection_json(7, links(), 3, at, |out| {
            for (i, ((plain, distance_m), event)) in
                cached.iter().zip(distances).zip(events).enumerate()
            {
                if i > 0 {
                    out.push(b',');
                }
                write_with_context(out, plain, distance_m, event);
            }
        });
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    /// Every field of the table of report fields is a property of the Feature (the point is
    /// its geometry, the id its id) when the report has it.
    #[test]
    fn the_properties_carry_every_field_of_the_table() {
        let mut full = report(1);
        full.location.public_precision = Some(Precision::Province);
        full.location.coarsened = true;
        full.event_review = crate::domain::model::EventReview::Exclude;
        let feature = serde_json::to_value(ReportFeature::plain(&full)).unwrap();
        for field in crate::domain::model::fields::REPORT_FIELDS {
            let present = match field.name {
                "lon" | "lat" => feature["geometry"]["coordinates"].is_array(),
                "id" => feature["id"].is_string(),
                name => feature["properties"].get(name).is_some(),
            };
            assert!(present, "{} is not in the Feature", field.name);
        }
    }

    /// The public sees a private report's fields as the table of report fields says: a
    /// public field as it is, the location's fields from the public view (coarsened) and the
    /// relation's from the public point (recomputed).
    #[test]
    fn the_public_sees_each_field_as_its_privacy_says() {
        use crate::domain::model::fields::{Privacy, REPORT_FIELDS};
        use crate::domain::model::privacy::Viewer;
        let mut exact = report(1);
        exact.location.ambiguous = true;
        exact.location.public_precision = Some(Precision::Province);
        exact.relation.in_sea = true;
        let mut public = report(2);
        public.location.text = Some("Gilan".into());
        public.location.lat = 37.3;
        public.location.precision = Precision::Province;
        public.location.uncertainty_m = 150_000.0;
        public.location.province = Some("Gilan province".into());
        public.location.country = Some("Iran".into());
        public.location.public_precision = Some(Precision::Province);
        public.location.coarsened = true;
        public.relation = Relation {
            border_distance_m: Some(1.0),
            border_country: Some("TM".into()),
            coast_distance_m: Some(2.0),
            in_sea: false,
        };
        exact.public = Some(Box::new(crate::domain::model::PublicView {
            location: public.location.clone(),
            relation: public.relation.clone(),
        }));
        let seen = exact.seen_by(Viewer::Public);
        let exact_feature = serde_json::to_value(ReportFeature::plain(&exact)).unwrap();
        let seen_feature = serde_json::to_value(ReportFeature::plain(&seen)).unwrap();
        let public_feature = serde_json::to_value(ReportFeature::plain(&public)).unwrap();
        let value = |feature: &serde_json::Value, name: &str| match name {
            "lon" => feature["geometry"]["coordinates"][0].clone(),
            "lat" => feature["geometry"]["coordinates"][1].clone(),
            "id" => feature["id"].clone(),
            name => feature["properties"][name].clone(),
        };
        for field in REPORT_FIELDS {
            let (name, shown) = (field.name, value(&seen_feature, field.name));
            match field.privacy {
                Privacy::Public => assert_eq!(shown, value(&exact_feature, name), "{name}"),
                Privacy::Coarsened | Privacy::Recomputed => {
                    assert_eq!(shown, value(&public_feature, name), "{name}");
                    assert_ne!(shown, value(&exact_feature, name), "{name}");
                }
                Privacy::ReviewersOnly => assert!(shown.is_null(), "{name}"),
            }
        }
    }

    #[test]
    fn an_empty_page_is_an_empty_collection() {
        let at = Timestamp(1_760_000_000_000);
        let expected =
            serde_json::to_vec(&ReportCollection::at(Vec::new(), 0, Vec::new(), at)).unwrap();
        assert_eq!(collection_json(0, Vec::new(), 0, at, |_| {}), expected);
    }

    /// Packing gives back every feature byte for byte, packs the plain form to under half,
    /// and keeps as it was JSON that holds a byte it would use.
    #[test]
    fn packed_features_unpack_to_the_same_bytes() {
        let mut odd = report(3);
        odd.description =
            "null true false \"}} ,\"status\":\" {\"type\":\"Feature\",\"id\":\"".into();
        odd.location.text = None;
        odd.location.public_precision = Some(Precision::Province);
        odd.location.coarsened = true;
        odd.sources.push(Source {
            url: Some("https://example.org/a?b=null".into()),
            statement: Some("said so".into()),
            via: Some("an outlet".into()),
            ..odd.sources[0].clone()
        });
        for r in [report(1), report(2), odd] {
            let plain = plain_json(&r);
            let packed = packed_json(&r);
            assert!(
                packed.len() * 2 < plain.len(),
                "{} of {}",
                packed.len(),
                plain.len()
            );
            let mut out = b"[".to_vec();
            unpack_feature(&mut out, &packed);
            assert_eq!(&out[1..], &plain[..]);
        }
        let raw = b"{\"a\":\"\x01\x1f null\"}".to_vec();
        let packed = pack_feature(&raw);
        assert_eq!(packed[0], UNPACKED);
        let mut out = Vec::new();
        unpack_feature(&mut out, &packed);
        assert_eq!(out, raw);
    }
}
