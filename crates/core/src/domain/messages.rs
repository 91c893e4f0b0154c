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
struct Params<'a>(&'a [(&'static str, Value)]);

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
