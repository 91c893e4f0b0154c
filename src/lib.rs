//! sightmap, the service: the HTTP surface ([`http`]: the JSON API, OGC API – Features, the
//! web map), the command line ([`cli`], [`config`]) and the binary, over the core crate
//! `sightmap_core` (model, geodesy, index, events, stores, formats), which has no HTTP.
//!
//! The service may use every part of the core; nothing in the core names the service (a
//! crate cannot name its dependent, and `tests/architecture.rs` holds the core's own layers).
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod http;
