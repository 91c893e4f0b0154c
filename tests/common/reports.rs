//! New reports as clients send them, built field by field: every test builds its reports
//! here, so a change to what a report needs is made once.

use serde_json::{Value, json};

/// A report as a client posts it: by default a drone at the point, observed from 13 June 2025
/// 00:00 UTC, with one civilian source asserting it.
#[derive(Debug, Clone)]
pub struct NewReport(Value);

impl NewReport {
    /// The default report at a point.
    pub fn at(lon: f64, lat: f64) -> Self {
        Self(json!({
            "kind": "drone",
            "description": "a test report",
            "lon": lon,
            "lat": lat,
            "observed": {"from": "2025-06-13T00:00:00Z"},
            "sources": [{"name": "test", "type": "civilian", "stance": "asserts"}],
        }))
    }

    /// What was seen.
    pub fn kind(self, kind: &str) -> Self {
        self.set("kind", json!(kind))
    }

    /// The account in words.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.set("description", json!(text.into()))
    }

    /// The verification status.
    pub fn status(self, status: &str) -> Self {
        self.set("status", json!(status))
    }

    /// When it was observed: an instant, or from `from` to `to`.
    pub fn observed(self, from: &str, to: Option<&str>) -> Self {
        let observed = match to {
            Some(to) => json!({"from": from, "to": to}),
            None => json!({"from": from}),
        };
        self.set("observed", observed)
    }

    /// One source in place of the default: its name, type and stance.
    pub fn source(self, name: &str, source_type: &str, stance: &str) -> Self {
        self.set(
            "sources",
            json!([{"name": name, "type": source_type, "stance": stance}]),
        )
    }

    /// Tags.
    pub fn tags(self, tags: &[&str]) -> Self {
        self.set("tags", json!(tags))
    }

    /// Any other field, as JSON.
    pub fn set(mut self, field: &str, value: Value) -> Self {
        self.0[field] = value;
        self
    }

    /// The report's JSON body.
    pub fn json(self) -> Value {
        self.0
    }
}
