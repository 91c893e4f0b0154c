//! `as_of`: any read of reports answered from the data as the server knew it at a past
//! moment (see [`sightmap_core::engine::service::ReportService::as_of`]). A read that
//! starts a rebuild of its moment is charged to its client's rate limit as the work it is
//! ([`super::limits::RateCharge::past_rebuild`]); one refused because every place for a
//! rebuild is taken gets 503 `/problems/past-busy` with `Retry-After`.

use super::AppState;
use super::extract::QueryPairs;
use super::limits::RateCharge;
use super::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sightmap_core::domain::model::{DayEnd, FieldError, Timestamp};

/// The parameter's name.
pub const AS_OF: &str = "as_of";

/// The state a read answers from: the present, or with `as_of=TIMESTAMP` the reports as
/// they stood then (a bare date means the end of that day, UTC).
pub struct Reading(pub AppState);

/// The moment an `as_of` value names, or what to tell the client; `now` is the service's
/// clock ([`sightmap_core::engine::service::ReportService::now`]), which stamps the writes.
pub fn parse_as_of(text: &str, now: Timestamp) -> Result<Timestamp, FieldError> {
    let at =
        Timestamp::parse(text, DayEnd::End).map_err(|e| FieldError::not_a_time(AS_OF, &e.0))?;
    if at > now {
        return Err(FieldError::in_future(AS_OF, at, now));
    }
    Ok(at)
}

impl FromRequestParts<AppState> for Reading {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let QueryPairs(pairs) = QueryPairs::from_request_parts(parts, state).await?;
        let mut given = pairs.iter().filter(|(k, _)| k == AS_OF).map(|(_, v)| v);
        let Some(text) = given.next() else {
            return Ok(Reading(state.clone()));
        };
        if given.next().is_some() {
            return Err(Problem::invalid_query(vec![FieldError::repeated(AS_OF)]));
        }
        let at =
            parse_as_of(text, state.reports.now()).map_err(|e| Problem::invalid_query(vec![e]))?;
        if let Some(charge) = parts.extensions.get::<RateCharge>()
            && !state.reports.past_at_hand(at)
        {
            charge.past_rebuild(state.reports.len())?;
        }
        let mut past = state.clone();
        past.reports = state.reports.as_of(at).await?;
        Ok(Reading(past))
    }
}
