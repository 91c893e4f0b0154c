//! One field that is wrong, and how to fix it: what every validation error names.
//!
//! Each error is a message of the catalogue ([`crate::domain::messages`]): a code, its
//! parameters (always with `field`) and the English text rendered from them, so that a client
//! may say it in its own language while GIS clients keep reading `detail`.

use crate::domain::messages::{MessageCode, Params, render};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

/// One field that is wrong, and how to fix it. Serialises as
/// `{"field": …, "code": …, "params": {…}, "detail": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path, such as `sources[1].stance`.
    pub field: String,
    /// Which sentence of the catalogue says what is wrong (a `field.` code).
    pub code: MessageCode,
    /// The sentence's parameters, `field` first.
    pub params: Vec<(&'static str, Value)>,
    /// What is wrong and what is allowed: the sentence in English.
    pub detail: String,
}

impl Serialize for FieldError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("field", &self.field)?;
        map.serialize_entry("code", self.code.code())?;
        map.serialize_entry("params", &Params(&self.params))?;
        map.serialize_entry("detail", &self.detail)?;
        map.end()
    }
}

/// A list of names or words as a parameter.
fn list<S: AsRef<str>>(items: &[S]) -> Value {
    Value::Array(items.iter().map(|s| json!(s.as_ref())).collect())
}

/// A number as a parameter: a whole one as an integer (`20000`, not `20000.0`), as Rust
/// prints it.
fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

impl FieldError {
    /// The error `code` at `field`, with these parameters (besides `field`).
    pub fn of(
        field: impl Into<String>,
        code: MessageCode,
        more: Vec<(&'static str, Value)>,
    ) -> Self {
        let field = field.into();
        let mut params = vec![("field", json!(field))];
        params.extend(more);
        let detail = render(code.template(), &params);
        Self {
            field,
            code,
            params,
            detail,
        }
    }

    /// The parameter `name`, if the error has it.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// `field.required`: the field is missing.
    pub fn required(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldRequired, vec![])
    }

    /// `field.required_choice`: the field, one of `allowed`, is missing.
    pub fn required_choice(field: impl Into<String>, allowed: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldRequiredChoice,
            vec![("allowed", list(allowed))],
        )
    }

    /// `field.location_required`: a report has no location.
    pub fn location_required(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldLocationRequired, vec![])
    }

    /// `field.unknown`: a body field the object does not have; `known` are those it has.
    pub fn unknown(field: impl Into<String>, known: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldUnknown,
            vec![("known", list(known))],
        )
    }

    /// `field.unknown_parameter`: a query parameter the endpoint does not take.
    pub fn unknown_parameter(field: impl Into<String>, known: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldUnknownParameter,
            vec![("known", list(known))],
        )
    }

    /// `field.repeated`: a query parameter given more than once.
    pub fn repeated(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldRepeated, vec![])
    }

    /// `field.not_one_of`: `given` is not one of `allowed`.
    pub fn not_one_of(field: impl Into<String>, given: &str, allowed: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotOneOf,
            vec![("given", json!(given)), ("allowed", list(allowed))],
        )
    }

    /// `field.not_one_of` for a word of a closed vocabulary that was not read.
    pub fn unknown_word(field: impl Into<String>, e: &super::UnknownWord) -> Self {
        let allowed: Vec<&str> = e.allowed.split(", ").collect();
        Self::not_one_of(field, &e.given, &allowed)
    }

    /// `field.not_a_boolean`.
    pub fn not_a_boolean(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotABoolean,
            vec![("given", json!(given))],
        )
    }

    /// `field.not_a_number`: not a finite number.
    pub fn not_a_number(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotANumber,
            vec![("given", json!(given))],
        )
    }

    /// `field.out_of_range`: `given` (a number, or the text that was not one) lies outside
    /// `min..=max`.
    pub fn out_of_range(
        field: impl Into<String>,
        given: impl Into<Value>,
        min: f64,
        max: f64,
    ) -> Self {
        let given = match given.into() {
            Value::Number(n) => n.as_f64().map_or(Value::Number(n), num),
            other => other,
        };
        Self::of(
            field,
            MessageCode::FieldOutOfRange,
            vec![("given", given), ("min", num(min)), ("max", num(max))],
        )
    }

    /// `field.not_positive`: `given` is 0 or less.
    pub fn not_positive(field: impl Into<String>, given: f64) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotPositive,
            vec![("given", num(given))],
        )
    }

    /// `field.whole_number` (`min..=max`), or `field.whole_number_at_least` when `max` is
    /// `usize::MAX`.
    pub fn whole_number(field: impl Into<String>, given: &str, min: usize, max: usize) -> Self {
        if max == usize::MAX {
            return Self::of(
                field,
                MessageCode::FieldWholeNumberAtLeast,
                vec![("given", json!(given)), ("min", json!(min))],
            );
        }
        Self::of(
            field,
            MessageCode::FieldWholeNumber,
            vec![
                ("given", json!(given)),
                ("min", json!(min)),
                ("max", json!(max)),
            ],
        )
    }

    /// `field.too_long`: text of `chars` characters, more than `max_chars`.
    pub fn too_long(field: impl Into<String>, chars: usize, max_chars: usize) -> Self {
        Self::of(
            field,
            MessageCode::FieldTooLong,
            vec![("chars", json!(chars)), ("max_chars", json!(max_chars))],
        )
    }

    /// `field.too_many`: a list of more than `max` items.
    pub fn too_many(field: impl Into<String>, max: usize) -> Self {
        Self::of(field, MessageCode::FieldTooMany, vec![("max", json!(max))])
    }

    /// `field.wrong_type`: a JSON value that is not an `expected` (object, array, string,
    /// number or boolean).
    pub fn wrong_type(field: impl Into<String>, expected: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldWrongType,
            vec![("expected", json!(expected))],
        )
    }

    /// `field.not_a_time`: neither RFC 3339 nor a date.
    pub fn not_a_time(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotATime,
            vec![("given", json!(given))],
        )
    }

    /// `field.in_future`: `given` lies after `now`.
    pub fn in_future(field: impl Into<String>, given: impl ToString, now: impl ToString) -> Self {
        Self::of(
            field,
            MessageCode::FieldInFuture,
            vec![
                ("given", json!(given.to_string())),
                ("now", json!(now.to_string())),
            ],
        )
    }

    /// `field.year_out_of_range`: an observation in `year`, outside `earliest..=latest`
    /// (dates).
    pub fn year_out_of_range(
        field: impl Into<String>,
        year: i64,
        earliest: &str,
        latest: &str,
    ) -> Self {
        Self::of(
            field,
            MessageCode::FieldYearOutOfRange,
            vec![
                ("year", json!(year)),
                ("earliest", json!(earliest)),
                ("latest", json!(latest)),
            ],
        )
    }

    /// `field.interval_order`: the interval ends (`to`, at `field`) before it starts.
    pub fn interval_order(
        field: impl Into<String>,
        from: impl ToString,
        to: impl ToString,
    ) -> Self {
        Self::of(
            field,
            MessageCode::FieldIntervalOrder,
            vec![
                ("from", json!(from.to_string())),
                ("to", json!(to.to_string())),
            ],
        )
    }

    /// `field.interval_too_long`: the end `to` (at `field`) lies more than `max_days` after
    /// the start `from` (at `from_field`).
    pub fn interval_too_long(
        field: impl Into<String>,
        from_field: &str,
        from: impl ToString,
        to: impl ToString,
        max_days: i64,
    ) -> Self {
        Self::of(
            field,
            MessageCode::FieldIntervalTooLong,
            vec![
                ("from_field", json!(from_field)),
                ("from", json!(from.to_string())),
                ("to", json!(to.to_string())),
                ("max_days", json!(max_days)),
            ],
        )
    }

    /// `field.conflict`: the field cannot be given with the `other` fields.
    pub fn conflict(field: impl Into<String>, other: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldConflict,
            vec![("other", list(other))],
        )
    }

    /// `field.requires`: the field needs all of `requires` given too.
    pub fn requires(field: impl Into<String>, requires: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldRequires,
            vec![("requires", list(requires))],
        )
    }

    /// `field.requires_one_of`: the field needs one of `options` given too.
    pub fn requires_one_of(field: impl Into<String>, options: &[&str]) -> Self {
        Self::of(
            field,
            MessageCode::FieldRequiresOneOf,
            vec![("options", list(options))],
        )
    }

    /// `field.not_applicable`: a parameter that does not apply to this request.
    pub fn not_applicable(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldNotApplicable, vec![])
    }

    /// `field.server_set`: a field the server sets.
    pub fn server_set(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldServerSet, vec![])
    }

    /// `field.not_a_country_code`.
    pub fn not_a_country_code(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotACountryCode,
            vec![("given", json!(given))],
        )
    }

    /// `field.not_a_uuid`.
    pub fn not_a_uuid(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotAUuid,
            vec![("given", json!(given))],
        )
    }

    /// `field.not_a_url`.
    pub fn not_a_url(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotAUrl,
            vec![("given", json!(given))],
        )
    }

    /// `field.not_a_point`: not a GeoJSON Point.
    pub fn not_a_point(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldNotAPoint, vec![])
    }

    /// `field.not_a_bbox`.
    pub fn not_a_bbox(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotABbox,
            vec![("given", json!(given))],
        )
    }

    /// `field.not_a_tag`: a tag empty, too long or with a comma.
    pub fn not_a_tag(field: impl Into<String>, given: &str, max_chars: usize) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotATag,
            vec![("given", json!(given)), ("max_chars", json!(max_chars))],
        )
    }

    /// `field.not_a_utc_offset`.
    pub fn not_a_utc_offset(field: impl Into<String>, given: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNotAUtcOffset,
            vec![("given", json!(given))],
        )
    }

    /// `field.too_many_bins`: a timeline span would need `needed` bins of `width`, more than
    /// `max`.
    pub fn too_many_bins(field: impl Into<String>, needed: u64, width: &str, max: usize) -> Self {
        Self::of(
            field,
            MessageCode::FieldTooManyBins,
            vec![
                ("needed", json!(needed)),
                ("width", json!(width)),
                ("max", json!(max)),
            ],
        )
    }

    /// `field.place_unknown`: place text no place matches; `suggestions` are names it may
    /// mean.
    pub fn place_unknown(field: impl Into<String>, given: &str, suggestions: &[String]) -> Self {
        Self::of(
            field,
            MessageCode::FieldPlaceUnknown,
            vec![
                ("given", json!(given)),
                ("suggestions", list(suggestions)),
                ("suggested", json!(suggestions.len())),
            ],
        )
    }

    /// `field.no_area_at_precision`: no area at the public `level` holds the point.
    pub fn no_area_at_precision(field: impl Into<String>, level: &str) -> Self {
        Self::of(
            field,
            MessageCode::FieldNoAreaAtPrecision,
            vec![("level", json!(level))],
        )
    }

    /// `field.pin_refused`: a pin to `event`, which is no event or was founded by a pin.
    pub fn pin_refused(field: impl Into<String>, event: impl ToString) -> Self {
        Self::of(
            field,
            MessageCode::FieldPinRefused,
            vec![("event", json!(event.to_string()))],
        )
    }

    /// `field.unreadable`, the last resort: text a parser could not read, with the parser's
    /// own words as `reason`.
    pub fn unreadable(field: impl Into<String>, reason: impl ToString) -> Self {
        Self::of(
            field,
            MessageCode::FieldUnreadable,
            vec![("reason", json!(reason.to_string()))],
        )
    }

    /// `field.internal`: the server failed while checking the field.
    pub fn internal(field: impl Into<String>) -> Self {
        Self::of(field, MessageCode::FieldInternal, vec![])
    }
}

/// The text between backticks in a serde message, in order.
fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The JSON type a serde "expected …" names, if it is one.
fn json_type(expected: &str) -> Option<&'static str> {
    let e = expected.trim();
    let numeric = [
        "f64", "f32", "i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8", "usize",
    ];
    if numeric.contains(&e) || e.contains("number") || e.contains("integer") {
        Some("number")
    } else if e == "a string" || e == "string" || e.starts_with("a borrowed str") {
        Some("string")
    } else if e == "a boolean" || e == "bool" {
        Some("boolean")
    } else if e.contains("sequence") || e.contains("tuple") || e.contains("array") {
        Some("array")
    } else if e.starts_with("struct ") || e == "a map" || e.contains("object") {
        Some("object")
    } else {
        None
    }
}

impl FieldError {
    /// The field error for a serde message (such as serde_json's) about `field` (`"body"`
    /// for the whole value): serde's own messages (unknown field or variant, missing field,
    /// wrong type, duplicate field) map to their codes; any other is `field.unreadable`.
    pub fn from_serde(field: &str, message: &str) -> Self {
        // serde_json adds where in the text the error lies; the field says it better.
        let message = match message.rfind(" at line ") {
            Some(i) if message[i..].contains(" column ") => &message[..i],
            _ => message,
        };
        let child = |name: &str| -> String {
            if field == "body" || field == "." || field.is_empty() {
                name.to_string()
            } else if field == name || field.ends_with(&format!(".{name}")) {
                field.to_string()
            } else {
                format!("{field}.{name}")
            }
        };
        let names = ticked(message);
        if message.starts_with("unknown field `") {
            if let Some((name, known)) = names.split_first() {
                return Self::unknown(child(name), known);
            }
        } else if message.starts_with("missing field `") {
            if let Some(name) = names.first() {
                return Self::required(child(name));
            }
        } else if message.starts_with("duplicate field `") {
            if let Some(name) = names.first() {
                return Self::repeated(child(name));
            }
        } else if message.starts_with("unknown variant `") {
            if let Some((given, allowed)) = names.split_first() {
                return Self::not_one_of(field, given, allowed);
            }
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            let expected = rest.rsplit_once(", expected ").map(|(_, e)| e);
            if let Some(t) = expected.and_then(json_type) {
                return Self::wrong_type(field, t);
            }
        }
        Self::unreadable(field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every constructor, as the sites call them.
    fn every_kind() -> Vec<FieldError> {
        vec![
            FieldError::required("kind"),
            FieldError::required_choice("kind", &["drone", "other"]),
            FieldError::location_required("lat"),
            FieldError::unknown("colour", &["kind", "lat"]),
            FieldError::unknown_parameter("colour", &["kind", "lat"]),
            FieldError::repeated("kind"),
            FieldError::not_one_of("stance", "maybe", &["asserts", "denies"]),
            FieldError::not_a_boolean("nearest", "perhaps"),
            FieldError::not_a_number("lat", "north"),
            FieldError::out_of_range("lat", 95.0, -90.0, 90.0),
            FieldError::not_positive("radius_km", -1.0),
            FieldError::whole_number("limit", "ten", 1, 1000),
            FieldError::whole_number("offset", "-1", 0, usize::MAX),
            FieldError::too_long("description", 10_001, 10_000),
            FieldError::too_many("tags", 20),
            FieldError::wrong_type("body", "object"),
            FieldError::not_a_time("since", "yesterday"),
            FieldError::in_future("as_of", "2030-01-01T00:00:00Z", "2025-06-15T00:00:00Z"),
            FieldError::year_out_of_range("observed.from", 0, "1900-01-01", "2026-12-31"),
            FieldError::interval_order("observed.to", "2025-06-14", "2025-06-13"),
            FieldError::interval_too_long("observed.to", "observed.from", "a", "b", 366),
            FieldError::conflict("bbox", &["lat", "lon"]),
            FieldError::requires("include_uncertain", &["lat", "lon", "radius_km"]),
            FieldError::requires_one_of("lat", &["radius_km", "nearest"]),
            FieldError::not_applicable("limit"),
            FieldError::server_set("reported_at"),
            FieldError::not_a_country_code("country", "Iran"),
            FieldError::not_a_uuid("id", "7"),
            FieldError::not_a_url("sources[0].url", "ftp://x"),
            FieldError::not_a_point("geometry"),
            FieldError::not_a_bbox("bbox", "1,2,3"),
            FieldError::not_a_tag("tags[0]", "a,b", 50),
            FieldError::not_a_utc_offset("utc_offset", "+25:00"),
            FieldError::too_many_bins("bin", 1_000_000, "1h", 2_000),
            FieldError::place_unknown("location_text", "Atlantis", &[]),
            FieldError::place_unknown("location_text", "Rashd", &["Rasht".into(), "Rash".into()]),
            FieldError::no_area_at_precision("public_precision", "province"),
            FieldError::pin_refused("event_review", "ev-1"),
            FieldError::unreadable("filter", "expected an operator"),
            FieldError::internal("record"),
        ]
    }

    #[test]
    fn every_field_code_renders_with_the_params_its_constructors_pass() {
        let errors = every_kind();
        for code in MessageCode::ALL
            .iter()
            .filter(|c| c.code().starts_with("field."))
        {
            assert!(
                errors.iter().any(|e| e.code == *code),
                "no constructor of {} is tested",
                code.code()
            );
        }
        for e in &errors {
            assert!(e.code.code().starts_with("field."), "{}", e.code.code());
            assert!(
                !e.detail.contains('{') && !e.detail.contains('}'),
                "{}: {}",
                e.code.code(),
                e.detail
            );
            // Every parameter the template names (`{name}` or `{name, plural, …}`) is given.
            let template = e.code.template();
            for (i, _) in template.match_indices('{') {
                let rest = &template[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .unwrap_or(rest.len());
                if end > 0 && matches!(rest[end..].chars().next(), Some('}' | ',')) {
                    let name = &rest[..end];
                    assert!(e.param(name).is_some(), "{} lacks {name}", e.code.code());
                }
            }
        }
        assert_eq!(
            errors[6].detail,
            "stance must be one of asserts, denies, not 'maybe'"
        );
        let places: Vec<&str> = errors
            .iter()
            .filter(|e| e.code == MessageCode::FieldPlaceUnknown)
            .map(|e| e.detail.as_str())
            .collect();
        assert!(places[0].ends_with("check the spelling, or give lat and lon"));
        assert!(places[1].contains("did you mean Rasht, Rash? Or"));
    }

    #[test]
    fn a_field_error_serialises_with_its_code_and_params() {
        let e = FieldError::not_one_of("sources[0].stance", "maybe", &["asserts", "denies"]);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"field": "sources[0].stance", "code": "field.not_one_of",
                "params": {"field": "sources[0].stance", "given": "maybe", "allowed": ["asserts", "denies"]},
                "detail": "sources[0].stance must be one of asserts, denies, not 'maybe'"})
        );
    }

    #[test]
    fn serde_messages_map_to_their_codes() {
        let e = FieldError::from_serde(
            "body",
            "unknown field `colour`, expected one of `kind`, `lat` at line 1 column 9",
        );
        assert_eq!(
            (e.field.as_str(), e.code),
            ("colour", MessageCode::FieldUnknown)
        );
        assert_eq!(e.param("known"), Some(&json!(["kind", "lat"])));
        let e = FieldError::from_serde("sources[0]", "missing field `name`");
        assert_eq!(
            (e.field.as_str(), e.code),
            ("sources[0].name", MessageCode::FieldRequired)
        );
        let e = FieldError::from_serde(
            "sources[0].stance",
            "unknown variant `maybe`, expected one of `asserts`, `denies`",
        );
        assert_eq!(e.code, MessageCode::FieldNotOneOf);
        let e = FieldError::from_serde("lat", "invalid type: string \"x\", expected f64");
        assert_eq!(e.detail, "lat must be a JSON number");
        let e = FieldError::from_serde("x", "something else");
        assert_eq!(e.code, MessageCode::FieldUnreadable);
    }
}
