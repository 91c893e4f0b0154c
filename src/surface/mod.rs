//! The surface: the HTTP server, the command line and its configuration. It may use every
//! part of the core; nothing in the core imports it (see `tests/architecture.rs`).

pub mod cli;
pub mod config;
pub mod http;
