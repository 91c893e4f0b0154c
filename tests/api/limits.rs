//! Limits and headers every response carries: security headers on API answers, problems and
//! the web map (which keeps its own policy); the rate limit per client address and per token,
//! with 429 problem+json and Retry-After; loopback clients unlimited.

use crate::support::App;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use sightmap::http::Limits;
use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = App::new(None).await;
    for uri in ["/api/reports", "/no/such/page", "/ogc/collections", "/"] {
        let reply = app.get(uri).await;
        let h = &reply.headers;
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{uri}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        match uri {
            "/" => assert!(
                csp.contains("default-src 'self'"),
                "the web map keeps its policy: {csp}"
            ),
            _ => assert!(csp.starts_with("default-src 'none'"), "{uri}: {csp}"),
        }
    }
}

/// A GET from `peer`, with a bearer token if given.
fn from(peer: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/api/reports?limit=1");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

#[tokio::test]
async fn one_client_over_the_rate_gets_429_and_others_do_not() {
    let mut app = App::new(None).await;
    // 2 a second, bursts of 4.
    app.state.limits = Arc::new(Limits::new(64, 2, false));
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.send(from("203.0.113.7:40000", None)).await.status);
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        (4..=5).contains(&ok),
        "a burst of 4 (plus at most one refill): {statuses:?}"
    );
    let refused = app.send(from("203.0.113.7:40001", None)).await;
    refused.assert_problem(429, "rate limit");
    let retry: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");

    assert_eq!(
        app.send(from("198.51.100.2:40000", None)).await.status,
        StatusCode::OK,
        "another address"
    );
    assert_ne!(
        app.send(from("203.0.113.7:40002", Some("another-client")))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "a token counts on its own (here an unknown one: 401, not 429)"
    );
    for _ in 0..20 {
        assert_eq!(
            app.send(from("127.0.0.1:40000", None)).await.status,
            StatusCode::OK,
            "loopback is not limited"
        );
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let mut app = App::new(None).await;
    app.state.limits = Arc::new(Limits::new(64, 1, true));
    let via_proxy = |client: &str| {
        let mut request = from("127.0.0.1:40000", None);
        request
            .headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        request
    };
    let mut refused = 0;
    for _ in 0..6 {
        if app.send(via_proxy("203.0.113.9, 10.0.0.1")).await.status
            == StatusCode::TOO_MANY_REQUESTS
        {
            refused += 1;
        }
    }
    assert!(
        refused >= 3,
        "the forwarded client is limited behind a loopback proxy"
    );
    assert_eq!(
        app.send(via_proxy("203.0.113.10")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn loopback_is_exempt_whatever_token_it_sends_unless_behind_a_trusted_proxy() {
    let token = "the-write-token";
    let mut app = App::new(Some(token)).await;
    app.state.limits = Arc::new(Limits::new(64, 1, false));
    for i in 0..30 {
        assert_eq!(
            app.send(from("127.0.0.1:40000", Some(token))).await.status,
            StatusCode::OK,
            "a script on the server's own machine loading through the API (request {i})"
        );
    }

    // Behind a trusted proxy every client arrives from loopback: the token names it.
    app.state.limits = Arc::new(Limits::new(64, 1, true));
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.send(from("127.0.0.1:40000", Some(token))).await.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "a token through a trusted proxy is limited: {statuses:?}"
    );
}
