//! The engine: the in-memory index, the durable stores, the service that keeps them in
//! step, queries, the feature cache, copying between stores, work split over two cores, and a bit per
//! slot of a table.

pub mod clock;
pub mod events;
pub mod feature_cache;
pub mod index;
pub mod migrate;
pub mod parallel;
pub mod query;
pub mod service;
pub mod slot_bits;
pub mod store;
pub mod timeline;
