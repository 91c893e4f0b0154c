//! The web map's files: every file under `web/` is served from the binary with its media type
//! and the Content-Security-Policy, byte for byte; anything else is a 404 problem.

use crate::support::App;
use axum::http::StatusCode;
use std::path::Path;

fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[tokio::test]
async fn every_file_of_the_web_folder_is_served_as_it_is() {
    let app = App::new(None).await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut all = Vec::new();
    files(&root, &root, &mut all);
    assert!(all.iter().any(|f| f == "app.js"), "{all:?}");
    for file in &all {
        let reply = app.get(&format!("/web/{file}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        assert_eq!(
            reply.bytes.as_ref(),
            std::fs::read(root.join(file)).unwrap().as_slice(),
            "{file} is served byte for byte"
        );
        let expected = match file.rsplit_once('.').map(|(_, e)| e) {
            Some("js" | "mjs") => "text/javascript",
            Some("css") => "text/css",
            Some("html") => "text/html",
            Some("svg") => "image/svg+xml",
            Some("md") => "text/markdown",
            Some("txt") => "text/plain",
            other => panic!("{file}: no expectation for {other:?}"),
        };
        assert!(
            reply.content_type.starts_with(expected),
            "{file}: {}",
            reply.content_type
        );
        assert!(
            reply.headers.contains_key("content-security-policy"),
            "{file}"
        );
    }
    let missing = app.get("/web/no-such-file.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
}

#[tokio::test]
async fn the_vocabulary_is_the_models_with_the_maps_colours_and_marks() {
    use sightmap_core::domain::model::{Kind, Precision, SourceType, Stance, Status};
    let app = App::new(None).await;
    let reply = app.get("/api/vocabulary").await;
    assert_eq!(reply.status, StatusCode::OK);
    let ids = |key: &str, field: Option<&str>| -> Vec<String> {
        reply.body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| match field {
                Some(f) => v[f].as_str().unwrap().to_string(),
                None => v.as_str().unwrap().to_string(),
            })
            .collect()
    };
    let words = |all: Vec<&str>| all.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        ids("kinds", Some("id")),
        words(Kind::ALL.iter().map(|k| k.as_str()).collect())
    );
    assert_eq!(
        ids("statuses", Some("id")),
        words(Status::ALL.iter().map(|s| s.as_str()).collect())
    );
    assert_eq!(
        ids("precisions", None),
        words(Precision::ALL.iter().map(|p| p.as_str()).collect())
    );
    assert_eq!(
        ids("source_types", None),
        words(SourceType::ALL.iter().map(|t| t.as_str()).collect())
    );
    assert_eq!(
        ids("stances", None),
        words(Stance::ALL.iter().map(|s| s.as_str()).collect())
    );
    // Every status has a colour of its own, every kind a mark of its own.
    for (key, field) in [("statuses", "colour"), ("kinds", "mark")] {
        let mut values = ids(key, Some(field));
        let n = values.len();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), n, "{key} share a {field}");
    }
}

#[tokio::test]
async fn the_vocabulary_carries_the_grades_the_messages_and_the_region() {
    use sightmap_core::domain::messages::MessageCode;
    use sightmap_core::engine::events::summary::Grade;
    let app = App::new(None).await;
    let v = app.get("/api/vocabulary").await.body;
    // Every suggested grade with its words and colour, in the core's order, each colour its
    // own; no grade reads as a report status, nor shares a status's colour.
    let grades = v["grades"].as_array().unwrap();
    assert_eq!(grades.len(), Grade::ALL.len());
    for (g, entry) in Grade::ALL.iter().zip(grades) {
        assert_eq!(entry["id"], g.as_str());
        assert_eq!(entry["label"], g.label());
        assert_eq!(entry["colour"], g.colour());
    }
    assert_eq!(
        grades
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "several_origins",
            "several_origins_placed_vaguely",
            "one_origin",
            "asserted_and_denied",
            "no_assertion",
        ]
    );
    for status in v["statuses"].as_array().unwrap() {
        let word = status["id"].as_str().unwrap();
        for grade in grades {
            assert!(!grade["id"].as_str().unwrap().contains(word), "{grade}");
            assert!(!grade["label"].as_str().unwrap().contains(word), "{grade}");
            assert_ne!(grade["colour"], status["colour"], "{grade}");
        }
    }
    let mut colours: Vec<_> = grades.iter().map(|g| g["colour"].to_string()).collect();
    colours.sort();
    colours.dedup();
    assert_eq!(colours.len(), grades.len());
    // The catalogue: every code with its English template.
    let messages = v["messages"].as_object().unwrap();
    assert_eq!(messages.len(), MessageCode::ALL.len());
    for m in MessageCode::ALL {
        assert_eq!(messages[m.code()], m.template());
    }
    assert!(
        messages["events.grade_note"]
            .as_str()
            .unwrap()
            .contains("if these accounts are accurate")
    );
    assert_eq!(
        v["public_precisions"],
        serde_json::json!(["place", "province", "country"])
    );
    // The region, from its data pack.
    assert_eq!(v["region"]["home_country"], "IR");
    assert_eq!(v["region"]["focus_neighbour"], "AZ");
    assert_eq!(
        v["region"]["initial_view"]["center"],
        serde_json::json!([49.0, 37.8])
    );
    assert_eq!(v["region"]["initial_view"]["zoom"], 6.0);
}
