//! The engine: the in-memory index, the durable stores, the service that keeps them in
//! step, queries, the feature cache, copying between stores, and work split over two cores.

pub mod clock;
pub mod events;
pub mod feature_cache;
pub mod index;
pub mod migrate;
pub mod parallel;
pub mod query;
pub mod service;
pub mod store;
pub mod timeline;
