//! Every change is kept: `GET /api/reports/{id}/history` lists who changed what and when; a
//! deleted report keeps its history, which only admins may read.

use crate::support::{App, report_at};
use serde_json::{Value, json};

const ADMIN: &str = "admin-secret";

async fn token(app: &App, name: &str, role: &str) -> String {
    app.make_token(ADMIN, name, role).await.1
}

fn changed_fields(revision: &Value) -> Vec<String> {
    revision["changes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn history_says_who_changed_what_and_survives_deletion() {
    let app = App::new(Some(ADMIN)).await;
    let reporter = token(&app, "field desk", "reporter").await;
    let reviewer = token(&app, "verification", "reviewer").await;
    let created = app
        .as_token(
            &reporter,
            "POST",
            "/api/reports",
            Some(&report_at(49.58, 37.28)),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let uri = format!("/api/reports/{id}");
    let edit = |body: Value| {
        let (app, uri, reviewer) = (&app, &uri, &reviewer);
        async move {
            let reply = app.as_token(reviewer, "PATCH", uri, Some(&body)).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
    };
    edit(json!({"status": "disputed"})).await;
    edit(json!({"lon": 49.7, "lat": 37.3})).await;

    let history = app.get(&format!("{uri}/history")).await;
    assert_eq!(history.status, 200, "{}", history.body);
    assert_eq!(history.body["deleted"], false);
    let revisions = history.body["revisions"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = revisions
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("created", "field desk"),
            ("edited", "verification"),
            ("edited", "verification")
        ]
    );
    assert!(changed_fields(&revisions[0]).contains(&"description".to_string()));
    let status = &revisions[1]["changes"]["status"];
    assert_eq!(
        (status["from"].as_str(), status["to"].as_str()),
        (Some("unverified"), Some("disputed"))
    );
    let moved = changed_fields(&revisions[2]);
    assert!(
        moved.contains(&"location.lon".to_string()) && moved.contains(&"location.lat".to_string()),
        "{moved:?}"
    );
    assert!(
        !moved.contains(&"status".to_string()),
        "only what changed: {moved:?}"
    );
    let versions: Vec<i64> = revisions
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");

    assert_eq!(app.as_token(ADMIN, "DELETE", &uri, None).await.status, 204);
    assert_eq!(app.get(&uri).await.status, 404, "hidden from queries");
    app.get(&format!("{uri}/history"))
        .await
        .assert_problem(404, &id);
    app.as_token(&reviewer, "GET", &format!("{uri}/history"), None)
        .await
        .assert_problem(404, &id);
    let kept = app
        .as_token(ADMIN, "GET", &format!("{uri}/history"), None)
        .await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(kept.body["deleted"], true);
    let last = kept.body["revisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["action"].as_str(), last["by"].as_str()),
        (Some("deleted"), Some("write token"))
    );

    app.get("/api/reports/01976696-1000-76b9-b498-82321e35049e/history")
        .await
        .assert_problem(404, "01976696-1000-76b9-b498-82321e35049e");
}
