//! Tokens and roles: an admin makes tokens through `/api/tokens`; reporters create, reviewers
//! edit, admins delete; a role too low gets 403, a missing, unknown or revoked token 401, each
//! as problem+json naming the role needed; `--private` servers want a token to read; the store
//! keeps only each token's hash.

use crate::support::{App, report_at};
use serde_json::json;

const ADMIN: &str = "admin-secret";

async fn make(app: &App, name: &str, role: &str) -> (String, String) {
    app.make_token(ADMIN, name, role).await
}

#[tokio::test]
async fn each_role_does_what_it_may_and_no_more() {
    let app = App::new(Some(ADMIN)).await;
    let (reporter_id, reporter) = make(&app, "field desk", "reporter").await;
    let (_, reviewer) = make(&app, "verification", "reviewer").await;
    let (_, reader) = make(&app, "newsroom", "reader").await;

    let created = app
        .as_token(
            &reporter,
            "POST",
            "/api/reports",
            Some(&report_at(49.58, 37.28)),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let uri = format!("/api/reports/{id}");
    let patch = json!({"status": "disputed"});

    app.as_token(
        &reader,
        "POST",
        "/api/reports",
        Some(&report_at(49.6, 37.3)),
    )
    .await
    .assert_problem(403, "reporter");
    app.as_token(&reporter, "PATCH", &uri, Some(&patch))
        .await
        .assert_problem(403, "reviewer");
    let edited = app.as_token(&reviewer, "PATCH", &uri, Some(&patch)).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["properties"]["status"], "disputed");
    app.as_token(&reviewer, "DELETE", &uri, None)
        .await
        .assert_problem(403, "admin");
    app.as_token(&reviewer, "GET", "/api/tokens", None)
        .await
        .assert_problem(403, "admin");
    app.json("POST", "/api/reports", &report_at(49.6, 37.3))
        .await
        .assert_problem(401, "reporter");
    app.as_token(
        "smt_not-a-token",
        "POST",
        "/api/reports",
        Some(&report_at(49.6, 37.3)),
    )
    .await
    .assert_problem(401, "not valid");
    assert_eq!(app.as_token(ADMIN, "DELETE", &uri, None).await.status, 204);

    // Revoked: the reporter's token stops working at once.
    let revoke = format!("/api/tokens/{reporter_id}");
    assert_eq!(
        app.as_token(ADMIN, "DELETE", &revoke, None).await.status,
        204
    );
    app.as_token(
        &reporter,
        "POST",
        "/api/reports",
        Some(&report_at(49.6, 37.3)),
    )
    .await
    .assert_problem(401, "revoked");
    app.as_token(ADMIN, "DELETE", &revoke, None)
        .await
        .assert_problem(404, "no live token");

    // Listed without secrets or hashes; the revoked one says when.
    let listed = app.as_token(ADMIN, "GET", "/api/tokens", None).await;
    assert_eq!(listed.status, 200);
    let tokens = listed.body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3);
    for t in tokens {
        assert!(t.get("token").is_none() && t.get("hash").is_none(), "{t}");
    }
    let field_desk = tokens.iter().find(|t| t["name"] == "field desk").unwrap();
    assert!(field_desk["revoked_at"].is_string());
}

#[tokio::test]
async fn bad_token_requests_name_the_field() {
    let app = App::new(Some(ADMIN)).await;
    app.as_token(
        ADMIN,
        "POST",
        "/api/tokens",
        Some(&json!({"name": "x", "role": "owner"})),
    )
    .await
    .assert_problem(422, "role");
    app.as_token(
        ADMIN,
        "POST",
        "/api/tokens",
        Some(&json!({"name": " ", "role": "reader"})),
    )
    .await
    .assert_problem(422, "name");
    app.as_token(ADMIN, "DELETE", "/api/tokens/not-a-uuid", None)
        .await
        .assert_problem(400, "id");
}

#[tokio::test]
async fn a_private_server_wants_a_token_to_read() {
    let app = App::private(ADMIN).await;
    app.get("/api/reports").await.assert_problem(401, "reader");
    app.get("/ogc/collections/reports/items")
        .await
        .assert_problem(401, "reader");
    assert_eq!(app.get("/health").await.status, 200);
    assert_eq!(
        app.get("/").await.status,
        200,
        "the web map's page itself is public"
    );
    let (_, reader) = make(&app, "newsroom", "reader").await;
    assert_eq!(
        app.as_token(&reader, "GET", "/api/reports", None)
            .await
            .status,
        200
    );
    app.as_token(
        &reader,
        "POST",
        "/api/reports",
        Some(&report_at(49.6, 37.3)),
    )
    .await
    .assert_problem(403, "reporter");
}

/// A GET with `Authorization: Basic base64(user:password)`, as QGIS and GDAL send it.
async fn with_basic(app: &App, uri: &str, user: &str, password: &str) -> crate::support::Reply {
    use base64::Engine;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    app.send(
        axum::http::Request::get(uri)
            .header("authorization", format!("Basic {credentials}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn basic_credentials_whose_password_is_a_token_act_as_that_token() {
    let app = App::private(ADMIN).await;
    let refused = app.get("/ogc/collections/reports/items").await;
    refused.assert_problem(401, "Basic");
    let challenge = refused.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("Basic realm=") && challenge.contains("Bearer"),
        "a 401 offers both forms: {challenge}"
    );
    let (_, reader) = make(&app, "qgis desk", "reader").await;
    for user in ["qgis", "", "anyone at all"] {
        assert_eq!(
            with_basic(&app, "/ogc/collections/reports/items", user, &reader)
                .await
                .status,
            200,
            "user name '{user}' is ignored"
        );
    }
    with_basic(&app, "/api/reports", "qgis", "smt_not-a-token")
        .await
        .assert_problem(401, "not valid");
    with_basic(&app, "/api/reports", &reader, "")
        .await
        .assert_problem(401, "Basic");
    // The same roles: a reader's password cannot write.
    let mut request =
        axum::http::Request::post("/api/reports").header("content-type", "application/json");
    use base64::Engine;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("x:{reader}"));
    request = request.header("authorization", format!("Basic {credentials}"));
    app.send(
        request
            .body(axum::body::Body::from(report_at(49.6, 37.3).to_string()))
            .unwrap(),
    )
    .await
    .assert_problem(403, "reporter");
}

#[tokio::test]
async fn the_store_keeps_only_hashes() {
    let app = App::new(Some(ADMIN)).await;
    let (_, secret) = make(&app, "field desk", "reporter").await;
    let stored = app.state.reports.store().unwrap().tokens().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].hash,
        sightmap_core::domain::access::hash_secret(&secret)
    );
    // Nothing under the data directory holds the secret (the embedded store's files).
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&secret[4..]), "a file holds the secret");
    }
}

#[tokio::test]
async fn tokens_are_never_managed_anonymously() {
    // No token exists, so writes are open (loopback); making a token still needs an admin one.
    let app = App::new(None).await;
    app.json(
        "POST",
        "/api/tokens",
        &json!({"name": "me", "role": "admin"}),
    )
    .await
    .assert_problem(401, "admin");
    app.get("/api/tokens").await.assert_problem(401, "admin");
    assert_eq!(
        app.json("POST", "/api/reports", &report_at(49.6, 37.3))
            .await
            .status,
        201,
        "reports stay open to write"
    );
}

/// The `Cache-Control` of an answer, empty if it has none.
fn cache_control(reply: &crate::support::Reply) -> &str {
    reply
        .headers
        .get("cache-control")
        .map_or("", |v| v.to_str().unwrap())
}

/// An answer to a request with a token is never kept by a cache, the client's own included
/// (QGIS kept pages read with one password and showed them after it changed); public answers
/// keep their caching (a layer's ETag and `no-cache`, a 304 for a matching `If-None-Match`).
#[tokio::test]
async fn answers_to_a_token_are_never_stored_and_public_ones_keep_their_caching() {
    let app = App::new(Some(ADMIN)).await;
    app.as_token(ADMIN, "POST", "/api/reports", Some(&report_at(49.6, 37.3)))
        .await;
    let (_, reader) = make(&app, "qgis desk", "reader").await;

    let layer = app.get("/api/layers/border").await;
    assert_eq!(layer.status, 200);
    assert_eq!(cache_control(&layer), "no-cache");
    let etag = layer.headers["etag"].to_str().unwrap().to_string();
    let again = app
        .send(
            axum::http::Request::get("/api/layers/border")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 304, "the public still revalidates by ETag");
    for uri in ["/api/reports", "/ogc/collections/reports/items", "/health"] {
        let public = app.get(uri).await;
        assert_eq!(public.status, 200, "{uri}");
        assert!(
            !cache_control(&public).contains("no-store"),
            "{uri}: a public answer is not marked private"
        );
    }

    for uri in [
        "/api/reports",
        "/api/layers/border",
        "/ogc/collections",
        "/ogc/collections/reports/items",
        "/api/events?format=csv",
        "/api/export?format=csv",
        "/api/nothing-here",
    ] {
        for reply in [
            app.as_token(&reader, "GET", uri, None).await,
            with_basic(&app, uri, "qgis", &reader).await,
        ] {
            assert_eq!(cache_control(&reply), "private, no-store", "{uri}");
        }
    }
    // Credentials that name no live token are credentials all the same.
    for reply in [
        with_basic(&app, "/api/reports", "qgis", "smt_wrong").await,
        app.as_token("smt_wrong", "GET", "/api/layers/border", None)
            .await,
    ] {
        assert_eq!(cache_control(&reply), "private, no-store");
    }
}

/// On a `--private` server no answer is stored by a cache, with a token or without one (the
/// 401 that asks for one included), whatever caching its handler chose.
#[tokio::test]
async fn a_private_server_s_answers_are_never_stored() {
    let app = App::private(ADMIN).await;
    let (_, reader) = make(&app, "qgis desk", "reader").await;
    // A wrong password's 401 is not replayed once the password is right.
    let wrong = with_basic(&app, "/ogc/collections/reports/items", "qgis", "smt_wrong").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(cache_control(&wrong), "private, no-store");
    for uri in ["/api/reports", "/api/layers/border", "/ogc/collections"] {
        let refused = app.get(uri).await;
        assert_eq!(refused.status, 401, "{uri}");
        assert_eq!(cache_control(&refused), "private, no-store", "{uri}");
        let read = app.as_token(&reader, "GET", uri, None).await;
        assert_eq!(read.status, 200, "{uri}");
        assert_eq!(cache_control(&read), "private, no-store", "{uri}");
    }
    for uri in ["/", "/health"] {
        let public = app.get(uri).await;
        assert_eq!(public.status, 200, "{uri}");
        assert_eq!(cache_control(&public), "private, no-store", "{uri}");
    }
}
