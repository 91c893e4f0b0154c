//! The HTTP API, in process, through `router(state).oneshot(...)`: every route and every bad
//! input the API promises to refuse, checked for status, content type and problem body.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod access_log;
mod as_of;
mod coordinates;
mod errors;
mod events;
mod export;
mod geocode;
mod history;
mod layers;
mod limits;
mod ogc;
mod privacy;
mod queries;
mod relate;
mod reports;
mod support;
mod timeline;
mod web;
