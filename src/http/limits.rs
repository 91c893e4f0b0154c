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
//! - **Past rebuilds:** a read whose `as_of` moment is neither kept nor being rebuilt starts
//!   a rebuild of the whole state of that moment (about a second of a core per 100,000
//!   reports), so it costs its client one more cell per [`DEFAULT_PAST_REPORTS_PER_CELL`]
//!   reports the present holds (at least 1, at most the burst less the request's own cell),
//!   taken before the rebuild is queued; a client without them gets 429 and the rebuild is
//!   not started. The charge stands even if the rebuild is then refused as busy (503): the
//!   limiter cannot give cells back, and a refused client should wait anyway.
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

/// Reports of a past rebuild that cost one rate-limit cell unless
/// [`Limits::with_past_reports_per_cell`] sets another number: at 1 s per 100,000 reports
/// a cell is 10 ms of a core, so at the default 50 requests a second (bursts of 100) a client
/// may keep a rebuild running about half of the time; above 100,000 reports the charge is
/// capped below the burst, so a client that has waited long enough can still read any
/// moment, and a rebuild's place in line (see `--past-rebuild-queue`) bounds the rest.
pub const DEFAULT_PAST_REPORTS_PER_CELL: usize = 1_000;

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
    /// The rate's burst, in cells.
    burst: u32,
    trust_forwarded: bool,
    past_reports_per_cell: usize,
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
        let burst = per_second.saturating_mul(2);
        let rate = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1) as usize)),
            rate,
            burst,
            trust_forwarded,
            past_reports_per_cell: DEFAULT_PAST_REPORTS_PER_CELL,
        }
    }

    /// Sets how many reports of a past rebuild cost one cell (see the module's
    /// documentation; at least 1).
    pub fn with_past_reports_per_cell(mut self, reports: usize) -> Self {
        self.past_reports_per_cell = reports.max(1);
        self
    }

    /// The cells a rebuild of `reports` costs on top of the request's own.
    fn past_rebuild_cells(&self, reports: usize) -> u32 {
        let cells = u32::try_from(reports.div_ceil(self.past_reports_per_cell)).unwrap_or(u32::MAX);
        cells.clamp(1, self.burst.saturating_sub(1).max(1))
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

/// A limited client's account, put in the request's extensions by [`enforce`] for a
/// handler that finds the request costs more than one cell (see [`RateCharge::past_rebuild`]).
#[derive(Clone)]
pub struct RateCharge {
    limits: Arc<Limits>,
    client: ClientKey,
}

impl RateCharge {
    /// Charges the client for rebuilding a past state over `reports` (the present's count,
    /// which the past's is near): 429 problem+json with `Retry-After` if it has not the cells.
    pub fn past_rebuild(&self, reports: usize) -> Result<(), Problem> {
        let Some(rate) = &self.limits.rate else {
            return Ok(());
        };
        let cells = self.limits.past_rebuild_cells(reports);
        let refused = match rate.check_key_n(
            &self.client,
            NonZeroU32::new(cells).unwrap_or(NonZeroU32::MIN),
        ) {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(not_until)) => not_until.wait_time_from(rate.clock().now()).as_secs(),
            // More than the burst: cannot happen (the cells are clamped below it).
            Err(_) => 1,
        };
        Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "/problems/rate-limited",
            "Too many requests",
            format!(
                "as_of: reading this moment rebuilds the reports as they stood then, which costs \
                 {cells} requests of this client's rate limit; wait for the time in Retry-After, \
                 or read a moment already asked for"
            ),
        )
        .retry_after(refused))
    }
}

/// Middleware: the concurrency and rate limits.
pub async fn enforce(
    State(limits): State<Arc<Limits>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("too many requests at once: answered 503");
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/busy",
            "Server busy",
            "the server is answering as many requests as it may at once; retry shortly",
        )
        .retry_after(1)
        .into_response();
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(rate), Some(client)) = (&limits.rate, limits.client(request.headers(), peer)) {
        if let Err(not_until) = rate.check_key(&client) {
            let wait = not_until.wait_time_from(rate.clock().now());
            return Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/rate-limited",
                "Too many requests",
                "this client sent more requests than the server's rate limit allows; \
                 wait for the time in Retry-After",
            )
            .retry_after(wait.as_secs())
            .into_response();
        }
        request.extensions_mut().insert(RateCharge {
            limits: limits.clone(),
            client,
        });
    }
    next.run(request).await
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
