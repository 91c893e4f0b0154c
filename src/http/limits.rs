//! What one client may ask of the server, and the headers every response carries.
//!
//! - **Concurrency:** at most `max_in_flight` requests are answered at once; more get 503
//!   problem+json with `Retry-After` at once, rather than queueing without bound.
//! - **Rate:** each client (its token if it sends one, else its IP address) may send
//!   `per_second` requests a second, in bursts of twice that; more get 429 problem+json with
//!   `Retry-After`. Clients on the loopback address are never limited, whatever token they
//!   send, unless the server trusts `X-Forwarded-For` (it is behind a proxy, so every client
//!   arrives from loopback): then the token, else the forwarded address, names the client.
//!   Requests that carry no peer address (in-process tests) are not limited. The limiter is
//!   `governor`'s GCRA, keyed.
//! - **Security headers** on every response that does not set its own: `X-Content-Type-Options:
//!   nosniff`, `Referrer-Policy: no-referrer` and a `Content-Security-Policy` that allows
//!   nothing (API answers are data, never pages; the web map sets its own policy).

use super::problem::Problem;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Requests answered at once unless configured otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 1024;

/// The policy every API answer carries unless its handler sets one.
const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ClientKey {
    /// A hash of the bearer token sent (never the token itself).
    Token(u64),
    /// The client's address.
    Ip(IpAddr),
}

/// The server's limits (see the module's documentation).
pub struct Limits {
    in_flight: Arc<Semaphore>,
    rate: Option<DefaultKeyedRateLimiter<ClientKey>>,
    trust_forwarded: bool,
}

impl Default for Limits {
    /// No rate limit; [`DEFAULT_MAX_IN_FLIGHT`] requests at once.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_IN_FLIGHT, 0, false)
    }
}

impl Limits {
    /// `per_second` 0 turns the rate limit off. `trust_forwarded`: the server is behind a
    /// proxy that sets `X-Forwarded-For`, whose first address then names the client.
    pub fn new(max_in_flight: u32, per_second: u32, trust_forwarded: bool) -> Self {
        let rate = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1) as usize)),
            rate,
            trust_forwarded,
        }
    }

    /// Forgets clients whose allowance is full again, so the limiter's memory stays bounded
    /// by the clients of the last few seconds.
    pub fn forget_idle_clients(&self) {
        if let Some(rate) = &self.rate {
            rate.retain_recent();
            rate.shrink_to_fit();
        }
    }

    /// The client a request counts against; `None` when it is not limited.
    fn client(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<ClientKey> {
        // In-process requests, and loopback ones unless a trusted proxy stands in front,
        // are exempt whoever's token they carry.
        let peer = peer?;
        if peer.is_loopback() && !self.trust_forwarded {
            return None;
        }
        if let Some(token) = super::auth::presented_token(headers) {
            let mut hasher = DefaultHasher::new();
            token.hash(&mut hasher);
            return Some(ClientKey::Token(hasher.finish()));
        }
        match self
            .trust_forwarded
            .then(|| forwarded_for(headers))
            .flatten()
        {
            Some(forwarded) => Some(ClientKey::Ip(forwarded)),
            None if peer.is_loopback() => None,
            None => Some(ClientKey::Ip(peer)),
        }
    }
}

/// The first address of `X-Forwarded-For`.
pub(super) fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Middleware: the concurrency and rate limits.
pub async fn enforce(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("too many requests at once: answered 503");
        return with_retry_after(
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/busy",
                "Server busy",
                "the server is answering as many requests as it may at once; retry shortly",
            ),
            1,
        );
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(rate), Some(client)) = (&limits.rate, limits.client(request.headers(), peer))
        && let Err(not_until) = rate.check_key(&client)
    {
        let wait = not_until.wait_time_from(rate.clock().now());
        return with_retry_after(
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/rate-limited",
                "Too many requests",
                "this client sent more requests than the server's rate limit allows; \
                 wait for the time in Retry-After",
            ),
            wait.as_secs().max(1),
        );
    }
    next.run(request).await
}

fn with_retry_after(problem: Problem, seconds: u64) -> Response {
    let mut response = problem.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Middleware: the security headers, where the response has not set them, and `Vary:
/// Authorization`: a reviewer's answer holds exact locations that a shared cache must never
/// give to the public (see [`sightmap_core::domain::model::privacy`]).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CONTENT_SECURITY_POLICY));
    response
}
