//! Client input checked field by field: every problem named.

use super::*;
use crate::domain::model::input_from_json;
use serde_json::json;

/// 2025-06-15T15:06:40Z: observations may lie in 1900 to 2026.
const NOW: Timestamp = Timestamp(1_750_000_000);

fn valid() -> serde_json::Value {
    json!({
        "kind": "drone",
        "description": "drones over the hills",
        "lat": 37.28, "lon": 49.59,
        "observed_from": "2025-06-14",
        "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
    })
}

fn build(value: serde_json::Value, origin: Origin) -> Result<Report, Vec<FieldError>> {
    input_from_json(value)?.into_report(origin, None, NOW, None)
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn a_valid_report_is_built_with_the_servers_times() {
    let r = build(valid(), Origin::Client).unwrap();
    assert_eq!(r.kind, Kind::Drone);
    assert_eq!(r.location.precision, Precision::Exact);
    assert_eq!(r.reported_at, NOW);
    assert_eq!(r.updated_at, NOW);
    assert_eq!(r.sources.len(), 1);
}

#[test]
fn a_bare_date_covers_its_day_and_an_interval_may_not_end_before_it_starts() {
    let r = build(valid(), Origin::Client).unwrap();
    assert_eq!(r.observed.from.to_string(), "2025-06-14T00:00:00Z");
    assert_eq!(r.observed.to.to_string(), "2025-06-14T23:59:59Z");
    let mut v = valid();
    v["observed_to"] = json!("2025-06-13");
    let errors = build(v, Origin::Client).unwrap_err();
    assert_eq!(fields(&errors), ["observed_to"]);
}

/// Issue 16, item 8: an interval of 0000 to 9999 was stored, and then the default
/// timeline needed 521,776 bins and its event spanned ten millennia.
#[test]
fn observations_lie_from_1900_to_next_year_and_span_at_most_366_days() {
    let with = |from: &str, to: &str| {
        let mut v = valid();
        v["observed_from"] = json!(from);
        v["observed_to"] = json!(to);
        v
    };
    let refused = |v: serde_json::Value, origin| -> Vec<String> {
        let errors = build(v, origin).unwrap_err();
        for e in &errors {
            assert!(e.detail.contains(&e.field), "{}: {}", e.field, e.detail);
        }
        errors.into_iter().map(|e| e.field).collect()
    };
    // Both ends named, whoever writes.
    for origin in [Origin::Client, Origin::Import] {
        assert_eq!(
            refused(with("0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"), origin),
            ["observed_from", "observed_to"]
        );
    }
    let errors = build(with("0000-01-01", "0000-01-02"), Origin::Client).unwrap_err();
    assert!(
        errors[0].detail.contains("in the year 0;"),
        "{}",
        errors[0].detail
    );
    assert!(errors[0].detail.contains("1900-01-01 and 2026-12-31"));
    // The nested form names its own fields.
    let mut v = valid();
    v.as_object_mut().unwrap().remove("observed_from");
    v["observed"] = json!({"from": "2025-06-14", "to": "3025-06-14"});
    assert_eq!(refused(v, Origin::Client), ["observed.to"]);
    // The years' edges, in UTC: NOW is in 2025, so 2026 is the last year allowed.
    build(
        with("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z"),
        Origin::Client,
    )
    .unwrap();
    assert_eq!(
        refused(
            with("1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z"),
            Origin::Client
        ),
        ["observed_from"]
    );
    assert_eq!(
        refused(
            with("1900-01-01T03:00:00+03:30", "1900-01-01T04:00:00Z"),
            Origin::Client
        ),
        ["observed_from"]
    );
    build(
        with("2026-12-31T23:59:59Z", "2026-12-31T23:59:59Z"),
        Origin::Client,
    )
    .unwrap();
    assert_eq!(
        refused(
            with("2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"),
            Origin::Client
        ),
        ["observed_to"]
    );
    // At most 366 days: a leap year to the second, not a second more, nor two years.
    let leap = build(
        with("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        Origin::Client,
    )
    .unwrap();
    assert_eq!(leap.observed.to.0 - leap.observed.from.0, 366 * 86_400);
    assert_eq!(
        refused(
            with("2024-01-01T00:00:00Z", "2025-01-01T00:00:01Z"),
            Origin::Client
        ),
        ["observed_to"]
    );
    assert_eq!(
        refused(with("2023-06-01", "2025-06-01"), Origin::Import),
        ["observed_to"]
    );
    let errors = build(with("2023-06-01", "2025-06-01"), Origin::Client).unwrap_err();
    assert!(
        errors[0]
            .detail
            .contains("more than 366 days after observed_from"),
        "{}",
        errors[0].detail
    );
    // Twelve days "during the war", as in the sample data, are fine.
    build(with("2025-06-13", "2025-06-24"), Origin::Client).unwrap();
}

#[test]
fn every_problem_is_named_at_once() {
    let mut v = valid();
    v["description"] = json!("x".repeat(MAX_DESCRIPTION_CHARS + 1));
    v["lat"] = json!(95.0);
    v["sources"] = json!([{"name": " ", "type": "civilian"}]);
    let errors = build(v, Origin::Client).unwrap_err();
    assert_eq!(
        fields(&errors),
        ["description", "lat", "sources[0].name", "sources[0].stance"]
    );
    let mut v = valid();
    v["uncertainty_m"] = json!(MAX_UNCERTAINTY_M * 2.0);
    assert_eq!(
        fields(&build(v, Origin::Client).unwrap_err()),
        ["uncertainty_m"]
    );
}

#[test]
fn server_fields_are_the_servers_for_clients_and_kept_on_import() {
    let mut v = valid();
    v["id"] = json!("0190f3c2-0000-7000-8000-000000000001");
    v["reported_at"] = json!("2025-06-15T10:00:00Z");
    let errors = build(v.clone(), Origin::Client).unwrap_err();
    assert_eq!(fields(&errors), ["id", "reported_at"]);
    let imported = build(v, Origin::Import).unwrap();
    assert_eq!(imported.reported_at.to_string(), "2025-06-15T10:00:00Z");
    assert_eq!(
        imported.id.0.to_string(),
        "0190f3c2-0000-7000-8000-000000000001"
    );
}

#[test]
fn tags_are_trimmed_lowercased_deduplicated_and_bounded() {
    let mut v = valid();
    v["tags"] = json!([" Night ", "night", "Rasht"]);
    assert_eq!(build(v, Origin::Client).unwrap().tags, ["night", "rasht"]);
    let mut v = valid();
    v["tags"] = json!(["a,b", ""]);
    assert_eq!(
        fields(&build(v, Origin::Client).unwrap_err()),
        ["tags[0]", "tags[1]"]
    );
    let mut v = valid();
    v["tags"] = json!((0..=MAX_TAGS).map(|i| format!("t{i}")).collect::<Vec<_>>());
    assert_eq!(fields(&build(v, Origin::Client).unwrap_err()), ["tags"]);
}

#[test]
fn sources_need_a_name_a_type_a_stance_and_a_web_address() {
    let mut v = valid();
    v["sources"] = json!([
        {"name": "a", "type": "civilian", "stance": "asserts", "url": "ftp://x"},
    ]);
    assert_eq!(
        fields(&build(v, Origin::Client).unwrap_err()),
        ["sources[0].url"]
    );
    // An unknown word is a type error, named with its path.
    let mut v = valid();
    v["sources"] = json!([
        {"name": "a", "type": "civilian", "stance": "asserts"},
        {"name": "b", "type": "nobody", "stance": "asserts"},
    ]);
    assert_eq!(
        fields(&build(v, Origin::Client).unwrap_err()),
        ["sources[1].type"]
    );
    let mut v = valid();
    v["sources"] = json!(
        (0..=MAX_SOURCES)
            .map(|i| json!({"name": format!("s{i}"), "type": "civilian", "stance": "asserts"}))
            .collect::<Vec<_>>()
    );
    assert!(fields(&build(v, Origin::Client).unwrap_err()).contains(&"sources"));
}
