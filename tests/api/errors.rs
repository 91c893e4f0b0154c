//! Bad input: every case gets a 4xx problem+json naming the field, never a 500.

use crate::support::{App, report_at};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = App::new(None).await;
    app.raw(
        "POST",
        "/api/reports",
        "application/json",
        "{\"kind\": ".into(),
    )
    .await
    .assert_problem(400, "JSON");
    app.raw("POST", "/api/reports", "application/json", "{} {}".into())
        .await
        .assert_problem(400, "JSON");
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_name_the_field() {
    let app = App::new(None).await;
    let mut wrong_type = report_at(49.0, 37.0);
    wrong_type["lat"] = json!("thirty-seven");
    app.json("POST", "/api/reports", &wrong_type)
        .await
        .assert_problem(422, "lat");
    let mut unknown = report_at(49.0, 37.0);
    unknown["colour"] = json!("red");
    app.json("POST", "/api/reports", &unknown)
        .await
        .assert_problem(422, "colour");
    let mut nested = report_at(49.0, 37.0);
    nested["sources"][0]["mood"] = json!("calm");
    app.json("POST", "/api/reports", &nested)
        .await
        .assert_problem(422, "sources[0]");
    app.json("POST", "/api/reports", &json!([1, 2]))
        .await
        .assert_problem(422, "body");
}

#[tokio::test]
async fn coordinates_out_of_range_are_refused() {
    let app = App::new(None).await;
    for (lon, lat, field) in [
        (49.0, 90.5, "lat"),
        (49.0, -91.0, "lat"),
        (180.5, 37.0, "lon"),
        (-181.0, 37.0, "lon"),
    ] {
        app.json("POST", "/api/reports", &report_at(lon, lat))
            .await
            .assert_problem(422, field);
    }
    // JSON has no NaN or infinity; a number too large for f64 is refused as malformed.
    let huge = report_at(49.0, 37.0).to_string().replace("37.0", "1e999");
    let reply = app
        .raw("POST", "/api/reports", "application/json", huge)
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
    assert_eq!(reply.content_type, "application/problem+json");
}

#[tokio::test]
async fn unknown_words_list_what_is_allowed() {
    let app = App::new(None).await;
    let mut kind = report_at(49.0, 37.0);
    kind["kind"] = json!("ufo");
    let reply = app.json("POST", "/api/reports", &kind).await;
    reply.assert_problem(422, "kind");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("drone"),
        "lists the allowed kinds"
    );
    let mut status = report_at(49.0, 37.0);
    status["status"] = json!("true-ish");
    app.json("POST", "/api/reports", &status)
        .await
        .assert_problem(422, "status");
    let mut stance = report_at(49.0, 37.0);
    stance["sources"][0]["stance"] = json!("maybe");
    app.json("POST", "/api/reports", &stance)
        .await
        .assert_problem(422, "stance");
}

#[tokio::test]
async fn every_problem_in_a_body_is_listed() {
    let app = App::new(None).await;
    let body = json!({"kind": "drone", "description": "", "lat": 95, "lon": 49,
        "observed": {"from": "2025-06-14", "to": "2025-06-13"}});
    let reply = app.json("POST", "/api/reports", &body).await;
    reply.assert_problem(422, "description");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"lat") && fields.contains(&"observed.to"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn observation_time_is_required_and_checked() {
    let app = App::new(None).await;
    let mut missing = report_at(49.0, 37.0);
    missing.as_object_mut().unwrap().remove("observed");
    app.json("POST", "/api/reports", &missing)
        .await
        .assert_problem(422, "observed");
    let mut bad = report_at(49.0, 37.0);
    bad["observed"] = json!({"from": "13 June 2025"});
    app.json("POST", "/api/reports", &bad)
        .await
        .assert_problem(422, "observed.from");
}

/// Issue 16, item 8: an interval of 0000 to 9999 was stored; then the default timeline
/// needed 521,776 bins (a 400) and the report's event spanned ten millennia.
#[tokio::test]
async fn observation_years_and_spans_are_bounded() {
    let (app, clock) = App::with_manual_clock(None).await;
    // 2025-06-15T00:00:00Z: observations may lie in 1900 to 2026.
    clock.set(sightmap_core::domain::model::Timestamp(1_749_945_600));
    let observed = |from: &str, to: &str| {
        let mut r = report_at(49.0, 37.0);
        r["observed"] = json!({"from": from, "to": to});
        r
    };
    let post = |body: serde_json::Value| {
        let app = &app;
        async move { app.json("POST", "/api/reports", &body).await }
    };
    let fields = |reply: &crate::support::Reply| -> Vec<String> {
        reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };
    let millennia = post(observed("0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")).await;
    millennia.assert_problem(422, "observed.from");
    assert_eq!(fields(&millennia), ["observed.from", "observed.to"]);
    assert!(
        millennia.body["detail"]
            .as_str()
            .unwrap()
            .contains("between 1900-01-01 and 2026-12-31"),
        "{}",
        millennia.body
    );
    // The flat form, and a bare date.
    let mut flat = report_at(49.0, 37.0);
    flat.as_object_mut().unwrap().remove("observed");
    flat["observed_from"] = json!("0000-01-01");
    post(flat).await.assert_problem(422, "observed_from");
    // Two years.
    let two_years = post(observed("2023-06-01", "2025-06-01")).await;
    two_years.assert_problem(422, "observed.to");
    assert_eq!(fields(&two_years), ["observed.to"]);
    // The edges: 1900 to the year after the clock's, and 366 days (a leap year) at most.
    for (from, to, accepted) in [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z", true),
        ("1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z", false),
        ("2026-12-31T23:59:59Z", "2026-12-31T23:59:59Z", true),
        ("2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", false),
        ("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", true),
        ("2024-01-01T00:00:00Z", "2025-01-01T00:00:01Z", false),
    ] {
        let reply = post(observed(from, to)).await;
        match accepted {
            true => assert_eq!(reply.status.as_u16(), 201, "{from}..{to}: {}", reply.body),
            false => reply.assert_problem(422, "observed."),
        }
    }
    // An edit is checked too.
    let stored = app.create(&report_at(49.0, 37.0)).await;
    let id = stored["id"].as_str().unwrap();
    app.json(
        "PATCH",
        &format!("/api/reports/{id}"),
        &json!({"observed_from": "0000-01-01T00:00:00Z"}),
    )
    .await
    .assert_problem(422, "observed_from");
    // Whatever was stored, the default timeline answers.
    let timeline = app.get("/api/timeline").await;
    assert_eq!(timeline.status.as_u16(), 200, "{}", timeline.body);
    assert_eq!(timeline.body["matched"], 4);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413() {
    let app = App::new(None).await;
    let mut big = report_at(49.0, 37.0);
    big["description"] = json!("x".repeat(1024 * 1024 + 10));
    app.json("POST", "/api/reports", &big)
        .await
        .assert_problem(413, "bytes");
}

#[tokio::test]
async fn a_description_over_ten_thousand_characters_is_refused() {
    let app = App::new(None).await;
    let mut long = report_at(49.0, 37.0);
    long["description"] = json!("ش".repeat(10_001));
    app.json("POST", "/api/reports", &long)
        .await
        .assert_problem(422, "description");
    long["description"] = json!("ش".repeat(10_000));
    assert_eq!(
        app.json("POST", "/api/reports", &long).await.status,
        201,
        "10,000 characters is allowed"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = App::new(None).await;
    app.raw("POST", "/api/reports", "text/plain", "kind=drone".into())
        .await
        .assert_problem(415, "Content-Type");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = App::new(None).await;
    app.raw("PUT", "/api/reports", "application/json", "{}".into())
        .await
        .assert_problem(405, "PUT");
}

#[tokio::test]
async fn bad_query_parameters_are_400s_naming_them() {
    let app = App::new(None).await;
    for (query, field) in [
        ("lat=91&lon=49&radius_km=10", "lat"),
        ("lat=37&lon=181&radius_km=10", "lon"),
        ("lat=NaN&lon=49&radius_km=10", "lat"),
        ("lat=37&lon=inf&radius_km=10", "lon"),
        ("lat=37&lon=49&radius_km=0", "radius_km"),
        ("lat=37&lon=49&radius_km=-5", "radius_km"),
        ("lat=37&lon=49&radius_km=20001", "radius_km"),
        ("lat=37&lon=49&radius_km=ten", "radius_km"),
        ("radius_km=10", "lat"),
        ("lat=37&lon=49", "radius_km"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=50,40,49,x", "bbox"),
        ("bbox=48,39,50,38", "bbox"),
        ("bbox=48,37,200,38", "bbox"),
        ("lat=37&lon=49&nearest=0", "nearest"),
        ("limit=10001", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("kind=ufo", "kind"),
        ("status=fake", "status"),
        ("source_type=oracle", "source_type"),
        ("since=yesterday", "since"),
        ("since=2025-06-20&until=2025-06-10", "until"),
        ("limit=5&limit=6", "limit"),
        ("colour=red", "colour"),
    ] {
        let reply = app.get(&format!("/api/reports?{query}")).await;
        reply.assert_problem(400, field);
    }
}

/// Every error in `reply` is a message of the catalogue: its `detail` is its code's English
/// template rendered with its `params`, which name its `field`.
#[track_caller]
fn assert_coded(reply: &crate::support::Reply) {
    use sightmap_core::domain::messages::{MessageCode, render};
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{}", reply.body);
    for e in errors {
        let code = MessageCode::parse(e["code"].as_str().unwrap()).expect("a known code");
        assert!(code.code().starts_with("field."), "{e}");
        let params: Vec<(&str, serde_json::Value)> = e["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(e["params"]["field"], e["field"], "{e}");
        assert_eq!(e["detail"], render(code.template(), &params), "{e}");
    }
}

/// Issue 15, item 5: a field error carries its catalogue code and parameters beside the
/// English detail, so that a client may render it in its own language.
#[tokio::test]
async fn field_errors_carry_a_code_and_its_params() {
    use sightmap_core::domain::model::Stance;
    let app = App::new(None).await;
    // A word of a closed vocabulary, read by serde: the allowed words as a list.
    let mut stance = report_at(49.0, 37.0);
    stance["sources"][0]["stance"] = json!("maybe");
    let reply = app.json("POST", "/api/reports", &stance).await;
    reply.assert_problem(422, "stance");
    assert_coded(&reply);
    let e = &reply.body["errors"][0];
    assert_eq!(e["field"], "sources[0].stance");
    assert_eq!(e["code"], "field.not_one_of");
    assert_eq!(e["params"]["given"], "maybe");
    assert_eq!(e["params"]["allowed"], json!(Stance::WORDS));
    // An unknown field, and the checks after reading.
    let mut unknown = report_at(49.0, 37.0);
    unknown["colour"] = json!("red");
    let reply = app.json("POST", "/api/reports", &unknown).await;
    assert_coded(&reply);
    assert_eq!(reply.body["errors"][0]["code"], "field.unknown");
    assert_eq!(reply.body["errors"][0]["field"], "colour");
    let body = json!({"kind": "drone", "description": "", "lat": 95, "lon": 49,
        "observed": {"from": "2025-06-14", "to": "2025-06-13"}});
    let reply = app.json("POST", "/api/reports", &body).await;
    assert_coded(&reply);
    let codes: Vec<(&str, &str)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert!(
        codes.contains(&("description", "field.required")),
        "{codes:?}"
    );
    assert!(codes.contains(&("lat", "field.out_of_range")), "{codes:?}");
    assert!(
        codes.contains(&("observed.to", "field.interval_order")),
        "{codes:?}"
    );
    // Query parameters.
    let reply = app.get("/api/reports?lat=37&lon=49&radius_km=-1").await;
    reply.assert_problem(400, "radius_km");
    assert_coded(&reply);
    let e = &reply.body["errors"][0];
    assert_eq!(e["code"], "field.not_positive");
    assert_eq!(e["params"]["given"], json!(-1));
    let reply = app.get("/api/reports?lat=37&lon=49&radius_km=90000").await;
    assert_coded(&reply);
    let e = &reply.body["errors"][0];
    assert_eq!(e["code"], "field.out_of_range");
    assert_eq!(e["params"]["max"], json!(20000));
    let reply = app.get("/api/reports?kind=ufo&colour=red").await;
    assert_coded(&reply);
    let codes: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["field.unknown_parameter", "field.not_one_of"]);
    assert!(
        reply.body["errors"][0]["params"]["known"]
            .as_array()
            .unwrap()
            .contains(&json!("kind"))
    );
}
