//! OGC API – Features at /ogc: what QGIS and GDAL rely on, paging, datetime, CQL2 filters.

use crate::support::{App, ids_of, report_at};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// 23 reports along a line from Rasht eastwards, a day apart; every third disputed.
async fn seeded() -> (App, Vec<Value>) {
    let app = App::new(None).await;
    let mut made = Vec::new();
    for i in 0..23 {
        let mut r = report_at(49.5 + i as f64 * 0.1, 37.2);
        r["status"] = json!(if i % 3 == 0 { "disputed" } else { "unverified" });
        r["kind"] = json!(if i % 2 == 0 { "drone" } else { "sound" });
        r["observed"] = json!({"from": format!("2025-06-{:02}T12:00:00Z", i + 1)});
        made.push(app.create(&r).await);
    }
    (app, made)
}

#[tokio::test]
async fn landing_conformance_and_collections_are_what_clients_need() {
    let app = App::new(None).await;
    let landing = app.get("/ogc").await.body;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rel} missing: {rels:?}");
    }
    let desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    let api = app.get("/ogc/api").await;
    assert_eq!(
        api.content_type,
        "application/vnd.oai.openapi+json;version=3.0"
    );
    assert_eq!(api.body["openapi"], "3.0.3");
    // The page-size hint QGIS reads (components.parameters.limit) and GDAL 3.8+ reads (the
    // $ref on each collection's own items path): integers, default and maximum.
    let limit = &api.body["components"]["parameters"]["limit"]["schema"];
    assert_eq!(limit["default"], 10, "{limit}");
    assert_eq!(limit["maximum"], 10_000, "{limit}");
    for id in ["reports", "border", "coast", "sea", "provinces"] {
        let path = &api.body["paths"][format!("/collections/{id}/items")];
        assert!(path["post"].is_null(), "read-only");
        let refs: Vec<&Value> = path["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: no items path"))
            .iter()
            .filter(|p| p["$ref"] == "#/components/parameters/limit")
            .collect();
        assert_eq!(refs.len(), 1, "{id}: limit by reference");
    }
    // Above the maximum is served as the maximum, not refused.
    let clamped = app.get("/ogc/collections/reports/items?limit=50000").await;
    assert_eq!(clamped.status, 200);
    assert_eq!(
        clamped.body["numberReturned"],
        clamped.body["numberMatched"]
    );

    let conformance = app.get("/ogc/conformance").await.body;
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for needed in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    ] {
        assert!(classes.contains(&needed), "{needed}");
    }

    let collections = app.get("/ogc/collections").await.body;
    let list = collections["collections"].as_array().unwrap();
    let names: BTreeSet<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["reports", "events", "border", "coast", "sea", "provinces"])
    );
    for c in list {
        assert_eq!(
            c["extent"]["spatial"]["bbox"][0].as_array().unwrap().len(),
            4,
            "{c}"
        );
        assert!(c["extent"]["temporal"]["interval"].is_array());
        assert!(
            c["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["rel"] == "items" && l["type"] == "application/geo+json")
        );
    }
    let one = app.get("/ogc/collections/border").await.body;
    assert_eq!(one["id"], "border");
    app.get("/ogc/collections/nothing")
        .await
        .assert_problem(404, "nothing");
}

#[tokio::test]
async fn items_count_page_and_filter() {
    let (app, made) = seeded().await;
    // QGIS counts with limit=1.
    let one = app.get("/ogc/collections/reports/items?limit=1").await;
    assert_eq!(one.content_type, "application/geo+json");
    assert_eq!(one.body["numberMatched"], 23);
    assert_eq!(one.body["numberReturned"], 1);

    // Following `next` 10 at a time reads every report once.
    let mut seen = Vec::new();
    let mut url = "/ogc/collections/reports/items?limit=10".to_string();
    loop {
        let body = app.get(&url).await.body;
        seen.extend(ids_of(&body));
        match body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
            Some(next) => {
                let href = next["href"].as_str().unwrap();
                url = href[href.find("/ogc").unwrap()..].to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 23);

    // datetime: an interval against the observation interval; an open end.
    let june_5_to_9 = app.get("/ogc/collections/reports/items?datetime=2025-06-05T00:00:00Z/2025-06-09T23:59:59Z&limit=100").await.body;
    assert_eq!(june_5_to_9["numberMatched"], 5);
    let from_20 = app
        .get("/ogc/collections/reports/items?datetime=2025-06-20T00:00:00Z/..&limit=100")
        .await
        .body;
    assert_eq!(from_20["numberMatched"], 4);

    // CQL2 text, against a direct count of the seeded reports.
    let disputed_drones = made
        .iter()
        .filter(|r| r["properties"]["status"] == "disputed" && r["properties"]["kind"] == "drone")
        .count();
    let body = app.get("/ogc/collections/reports/items?filter-lang=cql2-text&filter=status%20%3D%20'disputed'%20AND%20kind%20%3D%20'drone'&limit=100").await.body;
    assert_eq!(body["numberMatched"], disputed_drones as u64);
    let spatial = app.get("/ogc/collections/reports/items?filter=S_INTERSECTS(geometry,BBOX(49.45,37,50.05,38))&limit=100").await.body;
    assert_eq!(spatial["numberMatched"], 6);
    let bbox = app
        .get("/ogc/collections/reports/items?bbox=49.45,37,50.05,38&limit=100")
        .await
        .body;
    assert_eq!(
        ids_of(&bbox).into_iter().collect::<BTreeSet<_>>(),
        ids_of(&spatial).into_iter().collect()
    );

    // The report filters of /api/reports work here too.
    let sounds = app
        .get("/ogc/collections/reports/items?kind=sound&limit=100")
        .await
        .body;
    assert_eq!(sounds["numberMatched"], 11);

    // One item, and region collections.
    let id = made[4]["id"].as_str().unwrap();
    let item = app
        .get(&format!("/ogc/collections/reports/items/{id}"))
        .await;
    assert_eq!(item.body["id"], id);
    app.get("/ogc/collections/reports/items/nope")
        .await
        .assert_problem(404, "nope");
    let az = app
        .get("/ogc/collections/border/items?filter=country%3D'AZ'")
        .await
        .body;
    assert_eq!(az["numberMatched"], 2);
    assert_eq!(
        app.get("/ogc/collections/border/items/1").await.body["id"],
        1
    );

    // Queryables, and errors that name the parameter.
    let q = app.get("/ogc/collections/reports/queryables").await;
    assert_eq!(q.content_type, "application/schema+json");
    assert_eq!(q.body["properties"]["status"]["type"], "string");
    assert_eq!(q.body["properties"]["observed_from"]["format"], "date-time");
    app.get("/ogc/collections/reports/items?filter=nothing%3D1")
        .await
        .assert_problem(400, "filter");
    app.get("/ogc/collections/reports/items?filter=status%3D")
        .await
        .assert_problem(400, "filter");
    app.get("/ogc/collections/reports/items?filter-lang=cql2-json&filter=x")
        .await
        .assert_problem(400, "filter-lang");
    app.get("/ogc/collections/reports/items?limit=0")
        .await
        .assert_problem(400, "limit");
    app.get("/ogc/collections/reports/items?colour=red")
        .await
        .assert_problem(400, "colour");
}

#[tokio::test]
async fn report_items_carry_flat_text_fields_that_gis_clients_can_show() {
    let app = App::new(None).await;
    let mut r = report_at(49.6, 37.3);
    r["sources"] = json!([
        {"name": "a resident", "type": "civilian", "stance": "asserts"},
        {"name": "a ministry", "type": "official", "stance": "denies"}
    ]);
    r["tags"] = json!(["night", "coast"]);
    let made = app.create(&r).await;
    let id = made["id"].as_str().unwrap();
    let other = app.create(&report_at(49.9, 37.4)).await;

    let page = app.get("/ogc/collections/reports/items").await.body;
    let one = app
        .get(&format!("/ogc/collections/reports/items/{id}"))
        .await
        .body;
    let listed = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap();
    for feature in [listed, &one] {
        let p = &feature["properties"];
        assert_eq!(p["source_count"], 2, "{p}");
        assert_eq!(p["source_names"], "a resident; a ministry");
        assert_eq!(p["stances"], "asserts; denies");
        assert_eq!(p["tags_text"], "night; coast");
        assert_eq!(p["tags"], json!(["night", "coast"]), "the array stays");
        assert!(p["sources"].is_array(), "the structured sources stay");
    }
    // /api keeps its own shape.
    let api = app.get(&format!("/api/reports/{id}")).await.body;
    assert!(api["properties"]["source_names"].is_null(), "{api}");

    let q = app.get("/ogc/collections/reports/queryables").await.body;
    assert_eq!(q["properties"]["source_count"]["type"], "integer");
    for name in ["source_names", "stances", "tags_text"] {
        assert_eq!(q["properties"][name]["type"], "string", "{name}");
    }
    let filtered = app
        .get("/ogc/collections/reports/items?filter=stances%20LIKE%20'%25denies%25'%20AND%20source_count%20%3D%202")
        .await
        .body;
    assert_eq!(ids_of(&filtered), vec![id.to_string()], "{filtered}");
    let by_tag = app
        .get("/ogc/collections/reports/items?filter=tags_text%20LIKE%20'%25coast%25'")
        .await
        .body;
    assert_eq!(ids_of(&by_tag), vec![id.to_string()]);
    assert_ne!(other["id"], made["id"]);
}

/// QGIS and GDAL build a layer's fields from its first features, so a field that the first
/// reports lack never becomes a column: every report item carries `event_id`,
/// `public_precision` and `location_coarsened`, null (or false) when unset, and filters may
/// use all three.
#[tokio::test]
async fn report_items_always_carry_the_event_and_privacy_fields() {
    let app = App::new(None).await;
    let mut grouped = report_at(49.6, 37.3);
    grouped["observed"] = json!({"from": "2025-06-01T12:00:00Z"});
    let grouped = app.create(&grouped).await;
    let mut private = report_at(50.1, 36.9);
    private["observed"] = json!({"from": "2025-06-05T12:00:00Z"});
    private["public_precision"] = json!("place");
    let private = app.create(&private).await;
    let mut alone = report_at(51.0, 36.6);
    alone["observed"] = json!({"from": "2025-06-09T12:00:00Z"});
    let alone = app.create(&alone).await;
    let id = |f: &Value| f["id"].as_str().unwrap().to_string();
    let excluded = app
        .json(
            "PATCH",
            &format!("/api/reports/{}", id(&alone)),
            &json!({"event_review": "exclude"}),
        )
        .await;
    assert_eq!(excluded.status, 200, "{}", excluded.body);
    let event = app
        .get(&format!("/api/reports/{}", id(&grouped)))
        .await
        .body["properties"]["event_id"]
        .as_str()
        .expect("the grouped report names its event")
        .to_string();

    // The plain /api answer still leaves unset fields out.
    let plain = app
        .get(&format!("/api/reports/{}", id(&grouped)))
        .await
        .body;
    let plain = plain["properties"].as_object().unwrap();
    assert!(!plain.contains_key("public_precision") && !plain.contains_key("location_coarsened"));

    let page = app.get("/ogc/collections/reports/items?limit=100").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let features = page.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let expected = [
        (id(&grouped), json!(event), json!(null), json!(false)),
        (id(&private), json!(null), json!("place"), json!(true)),
        (id(&alone), json!(null), json!(null), json!(false)),
    ];
    for (report, event_id, public_precision, coarsened) in &expected {
        let listed = features.iter().find(|f| &id(f) == report).unwrap();
        let one = app
            .get(&format!("/ogc/collections/reports/items/{report}"))
            .await
            .body;
        for feature in [listed, &one] {
            let p = feature["properties"].as_object().unwrap();
            for name in ["event_id", "public_precision", "location_coarsened"] {
                assert!(p.contains_key(name), "{report} lacks {name}: {p:?}");
            }
            assert_eq!(&p["event_id"], event_id, "{report}");
            assert_eq!(&p["public_precision"], public_precision, "{report}");
            assert_eq!(&p["location_coarsened"], coarsened, "{report}");
        }
    }

    let q = app.get("/ogc/collections/reports/queryables").await.body;
    assert_eq!(q["properties"]["event_id"]["type"], "string", "{q}");
    assert_eq!(q["properties"]["public_precision"]["type"], "string");
    assert_eq!(q["properties"]["location_coarsened"]["type"], "boolean");

    let filtered = |cql: String| {
        let app = &app;
        async move {
            let reply = app
                .get(&format!(
                    "/ogc/collections/reports/items?filter={}",
                    cql.replace(' ', "%20")
                        .replace('\'', "%27")
                        .replace('=', "%3D")
                ))
                .await;
            assert_eq!(reply.status, 200, "{cql}: {}", reply.body);
            let mut ids = ids_of(&reply.body);
            ids.sort();
            ids
        }
    };
    assert_eq!(
        filtered(format!("event_id = '{event}'")).await,
        [id(&grouped)]
    );
    let mut no_event = vec![id(&private), id(&alone)];
    no_event.sort();
    assert_eq!(filtered("event_id IS NULL".into()).await, no_event);
    assert_eq!(
        filtered("public_precision IS NOT NULL".into()).await,
        [id(&private)]
    );
    assert_eq!(
        filtered("location_coarsened = true".into()).await,
        [id(&private)]
    );
}

/// The numbers of a GeoJSON geometry's coordinates, however nested.
fn positions(coordinates: &Value, out: &mut Vec<[f64; 2]>) {
    match coordinates.as_array() {
        Some(a) if a.len() >= 2 && a.iter().all(Value::is_number) => {
            out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()]);
        }
        Some(a) => a.iter().for_each(|c| positions(c, out)),
        None => {}
    }
}

/// A GIS client zooms to a collection's advertised extent: the events' must hold their whole
/// footprints, which reach past the members' points by their uncertainty circles (it was the
/// box of the points, so the edges of the footprints lay outside it).
#[tokio::test]
async fn the_events_extent_holds_every_footprint() {
    let app = App::new(None).await;
    // Two accounts of one strike a few km apart, and three lone ones with wide circles.
    for (lon, lat, metres, day) in [
        (49.0, 37.0, 8_000.0, 1),
        (49.05, 37.02, 6_000.0, 1),
        (50.0, 38.0, 40_000.0, 3),
        (51.5, 36.4, 20_000.0, 5),
        (48.2, 38.6, 70_000.0, 7),
    ] {
        let mut r = report_at(lon, lat);
        r["precision"] = json!("near");
        r["uncertainty_m"] = json!(metres);
        r["observed"] = json!({"from": format!("2025-06-{day:02}T12:00:00Z")});
        app.create(&r).await;
    }
    let listed = app.get("/ogc/collections").await.body;
    let from_list = listed["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "events")
        .unwrap()["extent"]
        .clone();
    let extent = app.get("/ogc/collections/events").await.body["extent"].clone();
    assert_eq!(extent, from_list, "the list and the collection agree");
    let bbox: Vec<f64> = extent["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let interval = &extent["temporal"]["interval"][0];

    let points =
        app.get("/ogc/collections/reports").await.body["extent"]["spatial"]["bbox"][0].clone();
    let points: Vec<f64> = points
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let items = app
        .get("/ogc/collections/events/items?limit=1000")
        .await
        .body;
    let events = items["features"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{items}");
    let mut beyond_points = 0;
    for event in events {
        let mut all = Vec::new();
        positions(&event["geometry"]["coordinates"], &mut all);
        assert!(!all.is_empty(), "{event}");
        for [lon, lat] in all {
            assert!(
                (bbox[0]..=bbox[2]).contains(&lon) && (bbox[1]..=bbox[3]).contains(&lat),
                "{} reaches {lon},{lat} outside the advertised extent {bbox:?}",
                event["id"]
            );
            if !((points[0]..=points[2]).contains(&lon) && (points[1]..=points[3]).contains(&lat)) {
                beyond_points += 1;
            }
        }
        let p = &event["properties"];
        assert!(interval[0].as_str().unwrap() <= p["observed_from"].as_str().unwrap());
        assert!(interval[1].as_str().unwrap() >= p["observed_to"].as_str().unwrap());
    }
    assert!(
        beyond_points > 0,
        "the footprints reach past the points' box"
    );
}
