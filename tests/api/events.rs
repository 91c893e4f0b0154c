//! `/api/events`: reports that may describe one occurrence, counted by independent origin,
//! with a suggested grade; the sample data's claims read as their sources say.

use crate::support::{App, report_at};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn sample_features() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sample-reports.geojson"
    ))
    .unwrap();
    let collection: Value = serde_json::from_str(&text).unwrap();
    collection["features"].as_array().unwrap().clone()
}

/// The event holding the report whose location text starts with `place`.
async fn event_with(app: &App, place: &str) -> Value {
    let all = app.get("/api/events?limit=100").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    for feature in all.body["features"].as_array().unwrap() {
        let id = feature["id"].as_str().unwrap();
        let one = app.get(&format!("/api/events/{id}")).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        let members = one.body["properties"]["members"]["features"]
            .as_array()
            .unwrap();
        if members.iter().any(|m| {
            m["properties"]["location_text"]
                .as_str()
                .is_some_and(|t| t.starts_with(place))
        }) {
            return one.body;
        }
    }
    panic!("no event holds the report at {place}");
}

/// The sample's claims are dated only "during the war" (13 to 24 June): vague in time, each
/// stands alone, and none places an event precisely.
#[tokio::test]
async fn the_sample_s_claims_dated_only_during_the_war_shape_no_event() {
    let app = App::new(None).await;
    for feature in sample_features() {
        app.create(&feature).await;
    }
    let rasht = event_with(&app, "Rasht").await;
    let p = &rasht["properties"];
    assert_eq!(p["reports"], 1, "{p}");
    assert_eq!(p["core_reports"], 0, "{p}");
}

#[tokio::test]
async fn one_resident_s_two_reports_are_one_independent_origin() {
    let app = App::new(None).await;
    // The sample's claims as if each were dated to one evening, the placed strike in Rasht
    // stored first (a vague report supports only an event formed before it).
    let mut features = sample_features();
    features.sort_by_key(|f| f["properties"]["precision"] != "place");
    for mut feature in features {
        feature["properties"]["observed_from"] = json!("2025-06-13T20:00:00Z");
        feature["properties"]["observed_to"] = json!("2025-06-13T22:00:00Z");
        app.create(&feature).await;
    }
    let rasht = event_with(&app, "Rasht").await;
    let p = &rasht["properties"];
    let members = p["members"]["features"].as_array().unwrap();
    let texts: Vec<&str> = members
        .iter()
        .map(|m| m["properties"]["location_text"].as_str().unwrap())
        .collect();
    // The strike in Rasht (placed) is the core; the resident's sound report from eastern
    // Gilan supports it.
    assert!(texts.contains(&"eastern Gilan"), "{texts:?}");
    assert_eq!(p["core_reports"], 1);
    assert_eq!(
        members
            .iter()
            .filter(|m| m["properties"]["event_role"] == "core")
            .count(),
        1
    );
    // Her two reports (the sound and the strike) come from one origin: with the Gilan
    // residents' report, three reports stand on two independent origins, not three, and
    // Tehran Times, the outlet relaying them, is no origin of its own.
    let hers = members
        .iter()
        .filter(|m| {
            m["properties"]["sources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "A resident of eastern Gilan" && s["via"] == "Tehran Times")
        })
        .count();
    assert_eq!(hers, 2);
    assert_eq!(p["reports"], 3, "{p}");
    assert_eq!(p["asserting_origins"], 2, "{p}");
    assert_eq!(
        p["suggested_grade"], "several_origins_placed_vaguely",
        "{p}"
    );
    // The panel's groups: her two statements under one origin, Tehran Times as the outlet
    // that only relays.
    let groups = p["origins"].as_array().unwrap();
    let group = |name: &str| {
        groups
            .iter()
            .find(|g| g["origin"] == name)
            .unwrap_or_else(|| panic!("no group {name}: {groups:?}"))
    };
    assert_eq!(
        group("A resident of eastern Gilan")["sources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(group("Tehran Times")["relays_only"], true);
    assert_eq!(p["outlets"], 1, "{p}");
    assert!(
        p["grade_note"]
            .as_str()
            .unwrap()
            .contains("if these accounts are accurate"),
        "{p}"
    );
    // Beside each sentence, its message: code, parameters and the same English text.
    assert_eq!(p["grade_note_message"]["code"], "events.grade_note");
    assert_eq!(p["grade_note_message"]["text"], p["grade_note"]);
    let coded = p["grade_reason_messages"].as_array().unwrap();
    assert_eq!(coded.len(), p["grade_reasons"].as_array().unwrap().len());
    for (m, text) in coded.iter().zip(p["grade_reasons"].as_array().unwrap()) {
        assert_eq!(&m["text"], text, "{p}");
        assert!(m["code"].as_str().unwrap().starts_with("grade.reason."));
    }
    assert!(
        coded
            .iter()
            .any(|m| m["code"] == "grade.reason.relayed" && m["params"]["outlets"] == 1),
        "{p}"
    );
    // Both groups of residents reached us only through Tehran Times: their two origins
    // rest on one outlet's relaying, and a reason says so, naming it.
    let one_outlet = coded
        .iter()
        .find(|m| m["code"] == "grade.reason.one_outlet")
        .unwrap_or_else(|| panic!("no one_outlet reason: {p}"));
    assert_eq!(one_outlet["params"]["outlet"], "Tehran Times");
    assert_eq!(
        one_outlet["text"],
        "every asserting origin reached us through one outlet (Tehran Times)"
    );
    // The Ardabil drones are asserted by residents and denied by Azerbaijan's officials.
    let ardabil = event_with(&app, "Ardabil").await;
    assert_eq!(
        ardabil["properties"]["suggested_grade"],
        "asserted_and_denied"
    );
    let denied = &ardabil["properties"]["grade_reason_messages"][0];
    assert_eq!(denied["code"], "grade.reason.asserted_and_denied");
    assert_eq!(denied["params"]["denying"], 2);
    assert_eq!(ardabil["properties"]["denying_origins"], 2);
}

#[tokio::test]
async fn reports_close_in_place_and_time_form_one_event_and_far_ones_do_not() {
    let app = App::new(None).await;
    let mut a = report_at(49.58, 37.28);
    a["sources"] = json!([{"name": "Resident A", "type": "civilian", "stance": "asserts"}]);
    let mut b = report_at(49.60, 37.29);
    b["sources"] = json!([{"name": "Resident B", "type": "civilian", "stance": "asserts"}]);
    let mut c = report_at(50.90, 36.60); // 150 km away
    c["sources"] = json!([{"name": "Resident C", "type": "civilian", "stance": "asserts"}]);
    for r in [&a, &b, &c] {
        app.create(r).await;
    }
    let all = app.get("/api/events").await;
    assert_eq!(all.body["numberMatched"], 2, "{}", all.body);
    let several = app.get("/api/events?grade=several_origins").await;
    assert_eq!(several.body["numberMatched"], 1);
    let p = &several.body["features"][0]["properties"];
    assert_eq!(p["asserting_origins"], 2);
    assert_eq!(p["core_reports"], 2);
    assert_eq!(
        several.body["features"][0]["geometry"]["type"],
        "MultiPolygon"
    );
    // The report filters pick events by their members.
    let east = app.get("/api/events?bbox=50.5,36.0,51.5,37.0").await;
    assert_eq!(east.body["numberMatched"], 1);
    assert_eq!(
        east.body["features"][0]["properties"]["suggested_grade"],
        "one_origin"
    );
    let two = app.get("/api/events?min_origins=2").await;
    assert_eq!(two.body["numberMatched"], 1);
}

/// Issue 16, item 3: two outlets each report an explosion themselves, and two province-wide
/// reports carry one shepherd through them. Each outlet is an origin in its own report and a
/// relay only in the shepherd's: three asserting origins, two placed precisely, so the event
/// has several origins and a filter for at least two finds it.
#[tokio::test]
async fn an_outlet_s_own_report_counts_though_it_relays_in_another() {
    let app = App::new(None).await;
    let outlet = |name: &str| json!({"name": name, "type": "media", "stance": "asserts"});
    let shepherd = |via: &str| json!({"name": "A shepherd", "type": "civilian", "stance": "asserts", "via": via});
    let mut one = report_at(49.58, 37.28);
    one["sources"] = json!([outlet("Outlet One")]);
    let mut two = report_at(49.59, 37.28);
    two["sources"] = json!([outlet("Outlet Two")]);
    let mut relayed_one = report_at(49.6, 37.3);
    relayed_one["precision"] = json!("province");
    relayed_one["sources"] = json!([shepherd("Outlet One"), outlet("Outlet One")]);
    let mut relayed_two = report_at(49.6, 37.3);
    relayed_two["precision"] = json!("province");
    relayed_two["sources"] = json!([shepherd("Outlet Two"), outlet("Outlet Two")]);
    for r in [&one, &two, &relayed_one, &relayed_two] {
        app.create(r).await;
    }
    let all = app.get("/api/events").await;
    assert_eq!(all.body["numberMatched"], 1, "{}", all.body);
    let p = &all.body["features"][0]["properties"];
    assert_eq!(p["reports"], 4, "{p}");
    assert_eq!(p["asserting_origins"], 3, "{p}");
    assert_eq!(p["core_asserting_origins"], 2, "{p}");
    assert_eq!(p["outlets"], 2, "{p}");
    assert_eq!(p["suggested_grade"], "several_origins", "{p}");
    // The filters agree with the counts, and the former word still finds the event.
    for query in [
        "grade=several_origins&min_origins=2",
        "grade=corroborated&min_origins=2",
        "grade=Several%20origins&min_origins=3",
    ] {
        let found = app.get(&format!("/api/events?{query}")).await;
        assert_eq!(found.status, StatusCode::OK, "{query}: {}", found.body);
        assert_eq!(found.body["numberMatched"], 1, "{query}");
    }
    // The panel's groups: each outlet once as an origin (its own report) and once as a
    // relay (the shepherd's report).
    let id = all.body["features"][0]["id"].as_str().unwrap();
    let event = app.get(&format!("/api/events/{id}")).await.body;
    let groups = event["properties"]["origins"].as_array().unwrap();
    for name in ["Outlet One", "Outlet Two"] {
        let roles: Vec<bool> = groups
            .iter()
            .filter(|g| g["origin"] == name)
            .map(|g| g["relays_only"].as_bool().unwrap())
            .collect();
        assert_eq!(roles, [false, true], "{name}: {groups:?}");
    }
}

/// Former grade words (before the grades were renamed so that none reads as a report status)
/// still filter: an old link keeps finding what it found.
#[tokio::test]
async fn former_grade_words_filter_as_the_grades_they_became() {
    let app = App::new(None).await;
    for feature in sample_features() {
        app.create(&feature).await;
    }
    for (old, new) in [
        ("corroborated", "several_origins"),
        ("partly%20corroborated", "several_origins_placed_vaguely"),
        ("partly_corroborated", "several_origins_placed_vaguely"),
        ("single%20source", "one_origin"),
        ("contested", "asserted_and_denied"),
        ("no%20assertion", "no_assertion"),
    ] {
        let was = app.get(&format!("/api/events?grade={old}")).await;
        let is = app.get(&format!("/api/events?grade={new}")).await;
        assert_eq!(was.status, StatusCode::OK, "{old}: {}", was.body);
        assert_eq!(feature_ids(&was.body), feature_ids(&is.body), "{old}");
    }
    let bad = app.get("/api/events?grade=confirmed").await;
    bad.assert_problem(400, "grade");
    assert!(
        bad.body["detail"]
            .as_str()
            .unwrap()
            .contains("several_origins, several_origins_placed_vaguely, one_origin"),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn bad_event_queries_and_ids_are_problems() {
    let app = App::new(None).await;
    app.get("/api/events?grade=true")
        .await
        .assert_problem(400, "grade");
    app.get("/api/events?min_origins=-1")
        .await
        .assert_problem(400, "min_origins");
    app.get("/api/events?colour=red")
        .await
        .assert_problem(400, "colour");
    let missing = app
        .get("/api/events/ev-01900000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/events/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_reviewer_keeps_a_report_out_of_events_or_pins_it_to_one() {
    let app = App::new(None).await;
    let a = app.create(&report_at(49.58, 37.28)).await;
    let b = app.create(&report_at(49.60, 37.29)).await;
    let far = app.create(&report_at(50.90, 36.60)).await;
    assert_eq!(app.get("/api/events").await.body["numberMatched"], 2);
    let b_id = b["id"].as_str().unwrap();
    let excluded = app
        .json(
            "PATCH",
            &format!("/api/reports/{b_id}"),
            &json!({"event_review": "exclude"}),
        )
        .await;
    assert_eq!(excluded.status, StatusCode::OK, "{}", excluded.body);
    let events = app.get("/api/events").await;
    assert_eq!(events.body["numberMatched"], 2);
    assert!(
        events.body["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["properties"]["reports"] == 1),
        "{}",
        events.body
    );
    // Pinned to the far report's event, 150 km away: the reviewer's word holds.
    let far_event = format!("ev-{}", far["id"].as_str().unwrap());
    let pinned = app
        .json(
            "PATCH",
            &format!("/api/reports/{b_id}"),
            &json!({"event_review": far_event}),
        )
        .await;
    assert_eq!(pinned.status, StatusCode::OK, "{}", pinned.body);
    let event = app.get(&format!("/api/events/{far_event}")).await;
    assert_eq!(event.body["properties"]["reports"], 2, "{}", event.body);
    // An edit of another field keeps the pin.
    app.json(
        "PATCH",
        &format!("/api/reports/{b_id}"),
        &json!({"tags": ["night"]}),
    )
    .await;
    let event = app.get(&format!("/api/events/{far_event}")).await;
    assert_eq!(event.body["properties"]["reports"], 2, "{}", event.body);
    let _ = a;
    app.json(
        "PATCH",
        &format!("/api/reports/{b_id}"),
        &json!({"event_review": "pin"}),
    )
    .await
    .assert_problem(422, "event_review");
}

/// Issue 16, item 8: a pin to an event that does not exist was accepted (200) and ignored.
#[tokio::test]
async fn a_pin_must_name_an_event_that_exists() {
    let app = App::new(None).await;
    let a = app.create(&report_at(49.58, 37.28)).await;
    let far = app.create(&report_at(50.90, 36.60)).await;
    let a_id = a["id"].as_str().unwrap();
    let far_event = format!("ev-{}", far["id"].as_str().unwrap());
    // No report founded this event (nor any other): a typo, say.
    let nowhere = "ev-01900000-0000-7000-8000-000000000000";
    let refused = |reply: crate::support::Reply| {
        reply.assert_problem(422, "event_review");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(nowhere), "{detail}");
        assert!(detail.contains("/api/events"), "{detail}");
        assert_eq!(reply.body["errors"][0]["field"], "event_review");
    };
    let mut pinned = report_at(49.60, 37.29);
    pinned["event_review"] = json!(nowhere);
    refused(app.json("POST", "/api/reports", &pinned).await);
    refused(app.json("POST", "/api/possible-duplicates", &pinned).await);
    refused(
        app.json(
            "PATCH",
            &format!("/api/reports/{a_id}"),
            &json!({"event_review": nowhere}),
        )
        .await,
    );
    assert_eq!(app.get("/api/reports").await.body["numberMatched"], 2);
    let unchanged = app.get(&format!("/api/reports/{a_id}")).await;
    assert!(unchanged.body["properties"].get("event_review").is_none());
    // An event that exists is taken, on creation as on an edit.
    pinned["event_review"] = json!(far_event);
    let b = app.create(&pinned).await;
    assert_eq!(b["properties"]["event_id"], far_event.as_str());
    let edited = app
        .json(
            "PATCH",
            &format!("/api/reports/{a_id}"),
            &json!({"event_review": far_event}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let event = app.get(&format!("/api/events/{far_event}")).await;
    assert_eq!(event.body["properties"]["reports"], 3, "{}", event.body);
    // Once the event is gone (its founder deleted), an edit of another field keeps the pin:
    // only a pin the write changes is checked.
    let deleted = app
        .send(
            axum::http::Request::delete(format!("/api/reports/{}", far["id"].as_str().unwrap()))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        app.get(&format!("/api/events/{far_event}")).await.status,
        StatusCode::NOT_FOUND
    );
    let tagged = app
        .json(
            "PATCH",
            &format!("/api/reports/{a_id}"),
            &json!({"tags": ["night"]}),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    assert_eq!(
        tagged.body["properties"]["event_review"],
        far_event.as_str()
    );
    // The report now stands alone in an event of its own, to which no pin holds (pins do
    // not chain): a pin to it is refused too.
    let alone = format!("ev-{a_id}");
    assert_eq!(tagged.body["properties"]["event_id"], alone.as_str());
    pinned["event_review"] = json!(alone);
    let chained = app.json("POST", "/api/reports", &pinned).await;
    chained.assert_problem(422, "event_review");
    assert!(
        chained.body["detail"]
            .as_str()
            .unwrap()
            .contains("pins do not chain"),
        "{}",
        chained.body
    );
}

/// An import keeps pins as given: an export pins its reports to events founded by reports it
/// holds too, which form here once they are imported.
#[tokio::test]
async fn an_import_keeps_pins_to_the_events_its_file_brings() {
    let app = App::new(None).await;
    app.create(&report_at(49.58, 37.28)).await;
    let far = app.create(&report_at(50.90, 36.60)).await;
    let far_event = format!("ev-{}", far["id"].as_str().unwrap());
    let mut pinned = report_at(49.60, 37.29);
    pinned["event_review"] = json!(far_event);
    let pinned = app.create(&pinned).await;
    let export = app.get("/api/export?format=geojson").await;
    assert_eq!(export.status, StatusCode::OK);
    // A pin to an event that exists nowhere is imported too; its report stands alone.
    let mut file: Value = serde_json::from_slice(&export.bytes).unwrap();
    let mut stray = file["features"][0].clone();
    stray["id"] = json!("01900000-0000-7000-8000-000000000001");
    stray["properties"]["event_review"] = json!("ev-01900000-0000-7000-8000-000000000000");
    file["features"].as_array_mut().unwrap().push(stray);

    let other = App::new(None).await;
    let summary = sightmap_core::formats::import::import(
        Some(other.state.reports.clone()),
        std::io::Cursor::new(file.to_string().into_bytes()),
        sightmap_core::formats::import::Format::FeatureCollection,
        sightmap_core::formats::import::Options {
            gazetteer: Some(crate::support::places()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.imported, summary.rejected_count),
        (4, 0),
        "{summary:?}"
    );
    let event = other.get(&format!("/api/events/{far_event}")).await;
    assert_eq!(event.status, StatusCode::OK, "{}", event.body);
    assert_eq!(event.body["properties"]["reports"], 2, "{}", event.body);
    let kept = other
        .get(&format!("/api/reports/{}", pinned["id"].as_str().unwrap()))
        .await;
    assert_eq!(kept.body["properties"]["event_id"], far_event.as_str());
    let stray = other
        .get("/api/reports/01900000-0000-7000-8000-000000000001")
        .await;
    assert_eq!(
        stray.body["properties"]["event_review"],
        "ev-01900000-0000-7000-8000-000000000000"
    );
}

#[tokio::test]
async fn every_report_names_its_event() {
    let app = App::new(None).await;
    let a = app.create(&report_at(49.58, 37.28)).await;
    let b = app.create(&report_at(49.60, 37.29)).await;
    let event = a["properties"]["event_id"].as_str().unwrap().to_string();
    assert_eq!(event, format!("ev-{}", a["id"].as_str().unwrap()));
    // The second report joined the first's event, in the response to its creation.
    assert_eq!(b["properties"]["event_id"], event.as_str());
    let one = app
        .get(&format!("/api/reports/{}", b["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.body["properties"]["event_id"], event.as_str());
    let list = app.get("/api/reports").await;
    for f in list.body["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["event_id"], event.as_str(), "{f}");
    }
    let near = app
        .get("/api/reports?lat=37.28&lon=49.58&radius_km=10")
        .await;
    assert!(near.body["features"][0]["properties"]["distance_km"].is_number());
    assert_eq!(
        near.body["features"][0]["properties"]["event_id"],
        event.as_str()
    );
}

#[tokio::test]
async fn a_new_report_lists_its_possible_duplicates_those_of_its_origin_first() {
    let app = App::new(None).await;
    // Points known to within 3 km: circles 3 km apart overlap.
    let report_at = |lon: f64, lat: f64| {
        let mut r = report_at(lon, lat);
        r["uncertainty_m"] = json!(3_000);
        r
    };
    let mut same_source = report_at(49.61, 37.30);
    same_source["sources"] =
        json!([{"name": "Resident A", "type": "civilian", "stance": "asserts"}]);
    let same_source = app.create(&same_source).await;
    let mut nearer = report_at(49.585, 37.282);
    nearer["sources"] = json!([{"name": "Resident B", "type": "civilian", "stance": "asserts"}]);
    let nearer = app.create(&nearer).await;
    // Far away, or at another time, or of an incompatible kind: not duplicates.
    app.create(&report_at(51.5, 36.5)).await;
    let mut later = report_at(49.58, 37.28);
    later["observed"] = json!({"from": "2025-06-20T20:00:00Z", "to": "2025-06-20T21:00:00Z"});
    app.create(&later).await;
    let mut other = report_at(49.58, 37.28);
    other["kind"] = json!("other");
    app.create(&other).await;

    let mut new = report_at(49.58, 37.28);
    new["sources"] = json!([{"name": "resident a", "type": "civilian", "stance": "asserts"}]);
    // Checked before sending: nothing is stored.
    let checked = app.json("POST", "/api/possible-duplicates", &new).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let expected = vec![
        same_source["id"].as_str().unwrap().to_string(),
        nearer["id"].as_str().unwrap().to_string(),
    ];
    assert_eq!(ids(&checked.body["possible_duplicates"]), expected);
    assert_eq!(
        checked.body["possible_duplicates"][0]["shares_origin"],
        true
    );
    assert_eq!(
        checked.body["note_message"]["code"],
        "reports.possible_duplicates_note"
    );
    assert_eq!(checked.body["note_message"]["text"], checked.body["note"]);
    assert_eq!(app.get("/api/reports").await.body["numberMatched"], 5);
    // Sending is still allowed, and the response lists them too.
    let created = app.create(&new).await;
    assert_eq!(ids(&created["properties"]["possible_duplicates"]), expected);
    app.json(
        "POST",
        "/api/possible-duplicates",
        &json!({"kind": "drone"}),
    )
    .await
    .assert_problem(422, "description");
}

/// Issue 16, item 8: possible duplicates needed exactly overlapping intervals, so a report a
/// minute after another was missed. They match within the events' time gap
/// (`--event-gap-h`, an hour unless set), as events link reports.
#[tokio::test]
async fn possible_duplicates_match_within_the_event_time_gap() {
    let at = |from: &str, to: &str| {
        crate::support::new_report(49.58, 37.28)
            .observed(from, Some(to))
            .json()
    };
    let duplicates = |reply: crate::support::Reply| -> Vec<String> {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["possible_duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let app = App::new(None).await;
    let id = |f: &Value| f["id"].as_str().unwrap().to_string();
    // Ends a minute before the new report starts.
    let minute_before = app
        .create(&at("2025-06-13T20:00:00Z", "2025-06-13T21:00:00Z"))
        .await;
    // Starts an hour after it ends, to the second: within the gap.
    let hour_after = app
        .create(&at("2025-06-13T22:30:00Z", "2025-06-13T22:45:00Z"))
        .await;
    // A second more: beyond it.
    app.create(&at("2025-06-13T22:30:01Z", "2025-06-13T22:45:00Z"))
        .await;
    // And ended an hour and a minute before it started.
    app.create(&at("2025-06-13T19:00:00Z", "2025-06-13T20:00:00Z"))
        .await;
    let new = at("2025-06-13T21:01:00Z", "2025-06-13T21:30:00Z");
    let mut found = duplicates(app.json("POST", "/api/possible-duplicates", &new).await);
    found.sort();
    let mut expected = vec![id(&minute_before), id(&hour_after)];
    expected.sort();
    assert_eq!(found, expected);

    // The gap is the events' setting: at half an hour, the report a minute before is found,
    // the one an hour after is not.
    let store = app.state.reports.store().unwrap().clone();
    let settings = sightmap_core::engine::events::EventSettings {
        gap_h: 0.5,
        ..Default::default()
    };
    let narrow = App::on_store(store.clone()).await;
    let mut narrow = narrow;
    narrow.state.reports = std::sync::Arc::new(
        sightmap_core::engine::service::ReportService::open_with_snapshot(
            store,
            Some(crate::support::places()),
            &app.dir.path().join("no-snapshot"),
            settings,
        )
        .await
        .unwrap(),
    );
    let found = duplicates(narrow.json("POST", "/api/possible-duplicates", &new).await);
    assert_eq!(found, [id(&minute_before)]);
}

#[tokio::test]
async fn events_export_as_csv_with_the_same_figures() {
    let app = App::new(None).await;
    for feature in sample_features() {
        app.create(&feature).await;
    }
    let json = app.get("/api/events?limit=100").await;
    let csv = app.get("/api/events?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let mut reader = csv::Reader::from_reader(csv.bytes.as_ref());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let features = json.body["features"].as_array().unwrap();
    assert_eq!(rows.len(), features.len());
    for (row, feature) in rows.iter().zip(features) {
        let p = &feature["properties"];
        assert_eq!(&row[column("id")], feature["id"].as_str().unwrap());
        assert_eq!(
            &row[column("suggested_grade")],
            p["suggested_grade"].as_str().unwrap()
        );
        assert_eq!(
            row[column("asserting_origins")],
            p["asserting_origins"].to_string()
        );
        assert!(row[column("wkt")].starts_with("MULTIPOLYGON ((("));
    }
    app.get("/api/events?format=kml")
        .await
        .assert_problem(400, "format");
}

/// The rows of a CSV answer, by its header's names.
fn csv_rows(bytes: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// `/api/events?format=csv` holds every matching event, not the first page of 100 it held
/// without saying so: 130 events (a report a day, so none links to another) come as 130 rows,
/// the events that `/api/events` pages through; filters still apply, and a page is refused
/// rather than given as a file cut short.
#[tokio::test]
async fn the_events_csv_holds_every_event_however_many() {
    const N: usize = 130;
    let app = App::new(None).await;
    for i in 0..N {
        let day = nth_day(i);
        let mut r = report_at(49.5 + (i % 10) as f64 * 0.2, 37.2);
        r["observed"] =
            json!({"from": format!("{day}T12:00:00Z"), "to": format!("{day}T12:30:00Z")});
        app.create(&r).await;
    }
    let mut paged = Vec::new();
    let mut next = Some("/api/events?limit=50".to_string());
    while let Some(uri) = next {
        let page = app.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["numberMatched"], N);
        paged.extend(feature_ids(&page.body));
        next = page.body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| {
                let href = l["href"].as_str().unwrap();
                href[href.find("/api/").unwrap()..].to_string()
            });
    }
    paged.sort();
    assert_eq!(paged.len(), N);

    let csv = app.get("/api/events?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    assert_eq!(
        csv.headers["content-disposition"],
        "attachment; filename=\"sightmap-events.csv\""
    );
    let rows = csv_rows(&csv.bytes);
    assert_eq!(rows.len(), N, "every event, not a page of 100");
    let mut ids: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    ids.sort();
    assert_eq!(
        ids, paged,
        "the same events as the GeoJSON pages, each once"
    );
    // Newest first, as the GeoJSON.
    let froms: Vec<&str> = rows.iter().map(|r| r["observed_from"].as_str()).collect();
    assert!(froms.windows(2).all(|w| w[0] >= w[1]), "{froms:?}");

    // Filters apply: the events of the first 40 days.
    let until = format!("{}T23:59:59Z", nth_day(39));
    let some = app
        .get(&format!("/api/events?format=csv&until={until}"))
        .await;
    assert_eq!(some.status, StatusCode::OK, "{}", some.body);
    assert_eq!(csv_rows(&some.bytes).len(), 40);

    for (query, field) in [
        ("format=csv&limit=100", "limit"),
        ("format=csv&offset=100", "offset"),
        ("limit=10&format=csv&grade=single%20source", "limit"),
    ] {
        app.get(&format!("/api/events?{query}"))
            .await
            .assert_problem(400, field);
    }
}

/// The `i`th day from 1 June 2025, as `YYYY-MM-DD`.
fn nth_day(i: usize) -> String {
    let start = 1_748_736_000i64; // 2025-06-01T00:00:00Z
    let at = sightmap_core::domain::model::Timestamp(start + i as i64 * 86_400);
    at.to_string()[..10].to_string()
}

/// The ids of a FeatureCollection's features, sorted.
fn feature_ids(collection: &Value) -> Vec<String> {
    let mut ids: Vec<String> = collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The OGC collection `events` holds the events of `/api/events`, flat for GIS, with the
/// fields as queryables: a CQL2 filter, `grade` and `min_origins` keep what `/api/events`
/// keeps, and one event is found by its id.
#[tokio::test]
async fn the_ogc_events_collection_serves_the_events_flat_with_queryables() {
    let app = App::new(None).await;
    for feature in sample_features() {
        app.create(&feature).await;
    }
    let collections = app.get("/ogc/collections").await.body;
    let listed: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"events"), "{listed:?}");
    let queryables = app.get("/ogc/collections/events/queryables").await.body;
    let props = &queryables["properties"];
    assert_eq!(props["asserting_origins"]["type"], "integer");
    assert_eq!(props["suggested_grade"]["type"], "string");
    assert_eq!(props["observed_from"]["format"], "date-time");

    let all = app.get("/api/events?limit=1000").await.body;
    let items = app.get("/ogc/collections/events/items?limit=1000").await;
    assert_eq!(items.status, StatusCode::OK, "{}", items.body);
    assert_eq!(feature_ids(&items.body), feature_ids(&all));
    assert_eq!(items.body["numberMatched"], all["numberMatched"]);
    // Flat: no arrays or objects for a GIS attribute table.
    for f in items.body["features"].as_array().unwrap() {
        for (name, value) in f["properties"].as_object().unwrap() {
            assert!(!value.is_array() && !value.is_object(), "{name}: {value}");
        }
    }
    for (cql, api) in [
        ("asserting_origins >= 2", "min_origins=2"),
        (
            "suggested_grade = 'asserted_and_denied'",
            "grade=asserted_and_denied",
        ),
    ] {
        let filtered = app
            .get(&format!(
                "/ogc/collections/events/items?limit=1000&filter={}",
                urlencoding(cql)
            ))
            .await;
        assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.body);
        let expected = app.get(&format!("/api/events?limit=1000&{api}")).await.body;
        assert_eq!(feature_ids(&filtered.body), feature_ids(&expected), "{cql}");
        // Paged with the filter: the same events, a page at a time, the same count.
        let mut paged = Vec::new();
        for offset in 0..filtered.body["features"].as_array().unwrap().len() {
            let one = app
                .get(&format!(
                    "/ogc/collections/events/items?limit=1&offset={offset}&filter={}",
                    urlencoding(cql)
                ))
                .await
                .body;
            assert_eq!(
                one["numberMatched"], filtered.body["numberMatched"],
                "{cql}"
            );
            paged.extend(feature_ids(&one));
        }
        paged.sort();
        assert_eq!(paged, feature_ids(&filtered.body), "{cql}");
        let by_param = app
            .get(&format!("/ogc/collections/events/items?limit=1000&{api}"))
            .await
            .body;
        assert_eq!(feature_ids(&by_param), feature_ids(&expected), "{api}");
    }
    let first = &items.body["features"][0];
    let id = first["id"].as_str().unwrap();
    let one = app
        .get(&format!("/ogc/collections/events/items/{id}"))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["properties"], first["properties"]);
    let unknown = app
        .get("/ogc/collections/events/items?filter=nothing%3D1")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    // Only the queryables may be filtered on: they are the allowed words.
    assert_eq!(unknown.body["errors"][0]["code"], "field.not_one_of");
    assert_eq!(unknown.body["errors"][0]["params"]["given"], "nothing");
    let missing = app.get("/ogc/collections/events/items/ev-nothing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/api/export?events=true` gives each report its event, the event's suggested grade and
/// independent asserting origins, in CSV and GeoJSON alike, as `/api/events` has them.
#[tokio::test]
async fn exports_name_each_report_s_event_and_its_grade_when_asked() {
    let app = App::new(None).await;
    for feature in sample_features() {
        app.create(&feature).await;
    }
    let events = app.get("/api/events?limit=1000").await.body;
    let mut expected = std::collections::BTreeMap::new();
    for e in events["features"].as_array().unwrap() {
        let p = &e["properties"];
        for member in p["core"]
            .as_array()
            .unwrap()
            .iter()
            .chain(p["support"].as_array().unwrap())
        {
            expected.insert(
                member.as_str().unwrap().to_string(),
                (
                    e["id"].as_str().unwrap().to_string(),
                    p["suggested_grade"].as_str().unwrap().to_string(),
                    p["asserting_origins"].to_string(),
                ),
            );
        }
    }
    assert!(!expected.is_empty());

    let csv = app.get("/api/export?format=csv&events=true").await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.bytes.as_ref());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, event, grade, origins) = (
        at("id"),
        at("event_id"),
        at("event_suggested_grade"),
        at("event_asserting_origins"),
    );
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let want = &expected[&row[id].to_string()];
        assert_eq!(
            (
                row[event].to_string(),
                row[grade].to_string(),
                row[origins].to_string()
            ),
            want.clone()
        );
        rows += 1;
    }
    assert_eq!(rows, expected.len());

    let geojson = app.get("/api/export?format=geojson&events=true").await.body;
    for f in geojson["features"].as_array().unwrap() {
        let want = &expected[f["id"].as_str().unwrap()];
        assert_eq!(f["properties"]["event_id"], want.0.as_str());
        assert_eq!(f["properties"]["event_suggested_grade"], want.1.as_str());
    }
    // Without events=true, no event columns.
    let plain = app.get("/api/export?format=csv").await;
    assert!(
        !String::from_utf8_lossy(&plain.bytes)
            .lines()
            .next()
            .unwrap()
            .contains("event_id")
    );
    app.get("/api/export?events=yes")
        .await
        .assert_problem(400, "events");
}
