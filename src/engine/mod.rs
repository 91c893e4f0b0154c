//! The engine: the in-memory index, the durable stores, the service that keeps them in
//! step, queries, the feature cache and copying between stores.

pub mod events;
pub mod feature_cache;
pub mod index;
pub mod migrate;
pub mod query;
pub mod service;
pub mod store;
