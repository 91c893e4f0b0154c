//! The message catalogue: every sentence the API sends as data (grade reasons, the grade
//! note, the timeline's weighting note, …) is a [`MessageCode`] with named parameters and an
//! English template, so that a client may render it in another language from its code and
//! parameters, while GIS clients keep reading the English text.
//!
//! Templates are a small subset of ICU MessageFormat: `{name}` is a parameter, and
//! `{name, plural, =0 {…} one {…} other {…}}` chooses by a number (`=N` first, then `one`
//! for 1 in English, then `other`), with `#` for the number inside the choice.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

macro_rules! catalogue {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $template:literal,)+) => {
        /// A sentence of the API, by code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MessageCode {
            $($(#[$doc])* $variant,)+
        }

        impl MessageCode {
            /// Every message, in catalogue order.
            pub const ALL: &'static [MessageCode] = &[$(MessageCode::$variant),+];

            /// Its stable code (dotted snake_case).
            pub const fn code(self) -> &'static str {
                match self {
                    $(MessageCode::$variant => $code,)+
                }
            }

            /// Its English template.
            pub const fn template(self) -> &'static str {
                match self {
                    $(MessageCode::$variant => $template,)+
                }
            }
        }
    };
}

catalogue! {
    /// What an event's grade is, wherever events are shown.
    GradeNote = "events.grade_note" => "A suggested grade computed from the sources' stances and independence, not a finding: if these accounts are accurate, they may describe one occurrence. Reviewers set each report's status.",
    /// Origins assert and origins deny (`asserting`, `denying`): the grade `asserted_and_denied`.
    ReasonAssertedAndDenied = "grade.reason.asserted_and_denied" => "{asserting, plural, one {one independent origin asserts} other {# independent origins assert}} it and {denying, plural, one {one independent origin denies} other {# independent origins deny}} it",
    /// Two or more origins assert among the precisely placed members (`core_asserting`): the
    /// grade `several_origins`.
    ReasonSeveralOrigins = "grade.reason.several_origins" => "{core_asserting} independent origins assert it at a precise place (exact, place or near precision); none denies it",
    /// Two or more origins assert, fewer than two precisely (`asserting`, `core_asserting`):
    /// the grade `several_origins_placed_vaguely`.
    ReasonSeveralOriginsPlacedVaguely = "grade.reason.several_origins_placed_vaguely" => "{asserting} independent origins assert it, but {core_asserting, plural, =0 {none places} one {one independent origin places} other {# independent origins place}} it precisely; the others name only a region, province or country",
    /// One origin asserts (`reports`: the event's reports): the grade `one_origin`.
    ReasonOneOrigin = "grade.reason.one_origin" => "{reports, plural, one {one report from one origin} other {# reports, all tracing back to one origin}}",
    /// Nobody asserts: the grade `no_assertion`.
    ReasonNoAssertion = "grade.reason.no_assertion" => "no origin asserts it: only denials or investigations, or the assertions were retracted",
    /// Every asserting origin (two or more) came through one outlet (`outlet`: its name as
    /// a report wrote it), so their independence rests on that outlet's relaying.
    ReasonOneOutlet = "grade.reason.one_outlet" => "every asserting origin reached us through one outlet ({outlet})",
    /// Origins investigate (`investigating`).
    ReasonInvestigating = "grade.reason.investigating" => "{investigating, plural, one {one independent origin is investigating} other {# independent origins are investigating}}",
    /// Outlets relay the accounts (`outlets`).
    ReasonRelayed = "grade.reason.relayed" => "relayed through {outlets, plural, one {# outlet} other {# outlets}}",
    /// What the timeline's counts mean.
    TimelineWeightingNote = "timeline.weighting_note" => "A report observed over an interval counts in every bin it covers, by the share of its interval that falls in the bin, so that each report adds one in all. Counts are of claims, not of occurrences.",
    /// What possible duplicates are.
    PossibleDuplicatesNote = "reports.possible_duplicates_note" => "These stored reports overlap the new one in place and time and may be the same report; sending it is still allowed.",
    // Field errors: every one names the field at fault in `field` (its path, such as
    // `sources[1].stance`), among its other parameters. Lists are arrays, rendered joined
    // by ", ".
    /// A field is missing (`field`).
    FieldRequired = "field.required" => "{field} is required",
    /// A field is missing that takes one of a closed list of words (`field`, `allowed`).
    FieldRequiredChoice = "field.required_choice" => "{field} is required; one of {allowed}",
    /// A report has no location (`field`: where the location goes, `lat`).
    FieldLocationRequired = "field.location_required" => "a location is required: give lat and lon (WGS84 degrees), or location.text to geocode",
    /// A body field the object does not have (`field`, `known`: the names it has).
    FieldUnknown = "field.unknown" => "unknown field '{field}'; known: {known}",
    /// A query parameter the endpoint does not take (`field`, `known`: the ones it takes).
    FieldUnknownParameter = "field.unknown_parameter" => "unknown parameter '{field}'; known: {known}",
    /// A query parameter given twice (`field`).
    FieldRepeated = "field.repeated" => "'{field}' is given more than once; give it once (lists are comma-separated)",
    /// A word outside a closed list (`field`, `given`, `allowed`).
    FieldNotOneOf = "field.not_one_of" => "{field} must be one of {allowed}, not '{given}'",
    /// Not a boolean (`field`, `given`).
    FieldNotABoolean = "field.not_a_boolean" => "{field} must be true or false, not '{given}'",
    /// Not a finite number (`field`, `given`).
    FieldNotANumber = "field.not_a_number" => "{field} must be a finite number, not '{given}'",
    /// A number outside its range, the ends included (`field`, `given`, `min`, `max`; the
    /// unit is the field's: `_km`, `_m`, degrees for `lat` and `lon`).
    FieldOutOfRange = "field.out_of_range" => "{field} must be a number from {min} to {max}, not {given}",
    /// A number that must be greater than 0 (`field`, `given`).
    FieldNotPositive = "field.not_positive" => "{field} must be greater than 0, not {given}",
    /// Not a whole number within a range (`field`, `given`, `min`, `max`).
    FieldWholeNumber = "field.whole_number" => "{field} must be a whole number from {min} to {max}, not '{given}'",
    /// Not a whole number at least `min` (`field`, `given`, `min`).
    FieldWholeNumberAtLeast = "field.whole_number_at_least" => "{field} must be a whole number of at least {min}, not '{given}'",
    /// Text too long (`field`, `chars`: its length, `max_chars`).
    FieldTooLong = "field.too_long" => "{field} has {chars} characters; at most {max_chars} are allowed",
    /// A list too long (`field`, `max`: the most items allowed).
    FieldTooMany = "field.too_many" => "at most {max} {field}",
    /// A JSON value of the wrong type (`field`, `expected`: object, array, string, number
    /// or boolean).
    FieldWrongType = "field.wrong_type" => "{field} must be a JSON {expected}",
    /// Not a timestamp or date (`field`, `given`).
    FieldNotATime = "field.not_a_time" => "'{given}' is not an RFC 3339 timestamp (such as 2025-06-13T21:30:00Z or 2025-06-13T21:30:00+03:30) or a date (2025-06-13)",
    /// A time in the future where only the past makes sense (`field`, `given`, `now`).
    FieldInFuture = "field.in_future" => "{field} ({given}) is in the future (now is {now}): a view of the future would change; leave {field} out for the present",
    /// An observation's year out of bounds (`field`, `year`, `earliest` and `latest`: dates).
    FieldYearOutOfRange = "field.year_out_of_range" => "{field} is in the year {year}; an observation lies between {earliest} and {latest} (UTC): correct the year",
    /// An interval that ends before it starts (`field`: its end, `from`, `to`).
    FieldIntervalOrder = "field.interval_order" => "the interval ends ({to}) before it starts ({from})",
    /// An observation interval too long (`field`: its end, `from_field`: its start, `from`,
    /// `to`, `max_days`).
    FieldIntervalTooLong = "field.interval_too_long" => "{field} ({to}) is more than {max_days} days after {from_field} ({from}): an observation interval spans a year at most; give the narrowest interval the report supports",
    /// Fields given together that exclude each other (`field`, `other`: the others).
    FieldConflict = "field.conflict" => "{field} cannot be combined with {other}",
    /// A field that needs others given too (`field`, `requires`).
    FieldRequires = "field.requires" => "{field} needs {requires} as well",
    /// A field that needs one of others given too (`field`, `options`).
    FieldRequiresOneOf = "field.requires_one_of" => "{field} needs one of {options} as well",
    /// A parameter the request takes but that does not apply to this one (`field`).
    FieldNotApplicable = "field.not_applicable" => "{field} does not apply here: leave it out",
    /// A field the server sets (`field`).
    FieldServerSet = "field.server_set" => "{field} is set by the server; leave it out",
    /// Not an ISO 3166-1 alpha-2 country code (`field`, `given`).
    FieldNotACountryCode = "field.not_a_country_code" => "{field} must be an ISO 3166-1 alpha-2 code such as IR or AZ, not '{given}'",
    /// Not a UUID (`field`, `given`).
    FieldNotAUuid = "field.not_a_uuid" => "{field} must be a UUID, not '{given}'",
    /// Not an http(s) address (`field`, `given`).
    FieldNotAUrl = "field.not_a_url" => "{field} must be an http:// or https:// address, not '{given}'",
    /// Not a GeoJSON Point (`field`).
    FieldNotAPoint = "field.not_a_point" => "{field} must be a GeoJSON Point with [lon, lat] coordinates, or null when location_text is given",
    /// Not a bounding box (`field`, `given`).
    FieldNotABbox = "field.not_a_bbox" => "{field} must be minLon,minLat,maxLon,maxLat in WGS84 degrees (longitudes from -180 to 180, latitudes from -90 to 90, minLat at most maxLat), such as 48.5,36.5,50.5,38.5, not '{given}'",
    /// Not a tag (`field`, `given`, `max_chars`).
    FieldNotATag = "field.not_a_tag" => "a tag is 1 to {max_chars} characters with no comma, not '{given}'",
    /// Not an offset from UTC (`field`, `given`).
    FieldNotAUtcOffset = "field.not_a_utc_offset" => "{field} is the viewer's offset from UTC such as +03:30, -05:00 or Z (at most 18 hours), not '{given}'",
    /// A timeline whose span needs too many bins of the width asked (`field`, `needed`,
    /// `width`, `max`).
    FieldTooManyBins = "field.too_many_bins" => "{needed} bins of {width} would be needed to cover the span, more than the {max} allowed; choose a wider bin or narrow since/until",
    /// Place text the gazetteer does not know (`field`, `given`, `suggestions`: names it
    /// might mean, `suggested`: how many).
    FieldPlaceUnknown = "field.place_unknown" => "no known place matches '{given}'; {suggested, plural, =0 {check the spelling, or give lat and lon} other {did you mean {suggestions}? Or give lat and lon}}",
    /// A private location no area of the region at the public level holds (`field`, `level`).
    FieldNoAreaAtPrecision = "field.no_area_at_precision" => "no {level} of the region holds this point, so it cannot be shown at {level} precision; choose a coarser {field}",
    /// A pin to an event that is none or that a pin founded (`field`, `event`).
    FieldPinRefused = "field.pin_refused" => "{field} pins the report to {event}, which is no event here or holds only a report pinned by a reviewer itself (pins do not chain): give the id of an event the machine formed (GET /api/events lists them), or 'auto' to let the machine group the report, or 'exclude'",
    /// The last resort: text a parser could not read (`field`, `reason`: the parser's own
    /// words, in English, such as a CQL2 or CSV syntax error).
    FieldUnreadable = "field.unreadable" => "{field} cannot be read: {reason}",
    /// The server failed while checking the field (`field`); the error is logged.
    FieldInternal = "field.internal" => "sightmap failed while checking this {field} (an internal error, logged)",
}

impl MessageCode {
    /// The message by its code.
    pub fn parse(code: &str) -> Option<MessageCode> {
        MessageCode::ALL.iter().copied().find(|m| m.code() == code)
    }

    /// The message without parameters.
    pub fn message(self) -> Message {
        Message::new(self, Vec::new())
    }

    /// Its English text without parameters (for messages that take none).
    pub fn text(self) -> String {
        render(self.template(), &[])
    }
}

impl Serialize for MessageCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A sentence: its code, its parameters (in order) and its English text. Serialises as
/// `{"code": …, "params": {…}, "text": …}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Which sentence.
    pub code: MessageCode,
    /// Its parameters, in the order the template names them.
    pub params: Vec<(&'static str, Value)>,
    /// The English text.
    pub text: String,
}

impl Message {
    /// The message `code` with these parameters, rendered in English.
    pub fn new(code: MessageCode, params: Vec<(&'static str, Value)>) -> Message {
        let text = render(code.template(), &params);
        Message { code, params, text }
    }

    /// The English text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Serialises parameters as a JSON object, in order.
pub struct Params<'a>(pub &'a [(&'static str, Value)]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("code", self.code.code())?;
        map.serialize_entry("params", &Params(&self.params))?;
        map.serialize_entry("text", &self.text)?;
        map.end()
    }
}

/// The index of the `}` closing the `{` at `open`, or the end of `text`.
fn closing(text: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// A parameter as text.
fn show(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| show(Some(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(v) => v.to_string(),
    }
}

/// The branch of a plural choice (`=N {…} one {…} other {…}`) for `n`.
fn choose(branches: &str, n: f64) -> &str {
    let mut found: [Option<&str>; 3] = [None; 3];
    let mut rest = branches;
    while let Some(open) = rest.find('{') {
        let selector = rest[..open].trim();
        let close = closing(rest, open);
        let body = &rest[open + 1..close.min(rest.len())];
        let exact = selector
            .strip_prefix('=')
            .and_then(|v| v.trim().parse::<f64>().ok());
        match (selector, exact) {
            (_, Some(v)) if v == n && found[0].is_none() => found[0] = Some(body),
            ("one", _) if n == 1.0 => found[1] = Some(body),
            ("other", _) => found[2] = Some(body),
            _ => {}
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    found.into_iter().flatten().next().unwrap_or("")
}

/// Renders `template` with `params` (English plural rules), `#` standing for `number`.
fn render_into(template: &str, params: &[(&str, Value)], number: Option<&Value>, out: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find(['{', '#']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('#') {
            match number {
                Some(n) => out.push_str(&show(Some(n))),
                None => out.push('#'),
            }
            rest = &rest[i + 1..];
            continue;
        }
        let close = closing(rest, i);
        let inner = &rest[i + 1..close];
        let mut parts = inner.splitn(3, ',');
        let name = parts.next().unwrap_or("").trim();
        let value = params.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        match (parts.next().map(str::trim), parts.next()) {
            (Some("plural"), Some(branches)) => {
                let n = value.and_then(Value::as_f64).unwrap_or(0.0);
                render_into(choose(branches, n), params, value, out);
            }
            _ => out.push_str(&show(value)),
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
}

/// Renders a template with its parameters in English.
pub fn render(template: &str, params: &[(&str, Value)]) -> String {
    let mut out = String::new();
    render_into(template, params, None, &mut out);
    out
}

/// The catalogue as JSON: each code with its English template.
pub fn catalogue() -> serde_json::Map<String, Value> {
    MessageCode::ALL
        .iter()
        .map(|m| (m.code().to_string(), Value::from(m.template())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_are_unique_and_parse() {
        for m in MessageCode::ALL {
            assert_eq!(MessageCode::parse(m.code()), Some(*m));
            assert!(
                m.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
            );
        }
        let mut codes: Vec<_> = MessageCode::ALL.iter().map(|m| m.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), MessageCode::ALL.len());
    }

    #[test]
    fn plurals_choose_exact_then_one_then_other() {
        let t = "{n, plural, =0 {none} one {one thing} other {# things}} left";
        let r = |n: i64| render(t, &[("n", json!(n))]);
        assert_eq!(r(0), "none left");
        assert_eq!(r(1), "one thing left");
        assert_eq!(r(7), "7 things left");
        assert_eq!(render("a {x} b", &[("x", json!("y"))]), "a y b");
    }

    #[test]
    fn a_message_serialises_with_code_params_and_text() {
        let m = Message::new(MessageCode::ReasonRelayed, vec![("outlets", json!(2))]);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"code":"grade.reason.relayed","params":{"outlets":2},"text":"relayed through 2 outlets"}"#
        );
    }
}
