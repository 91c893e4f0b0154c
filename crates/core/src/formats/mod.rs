//! Formats: reports, events and layers as GeoJSON, the one list of exported fields, exports,
//! imports and CQL2 filters.

pub mod cql2;
pub mod events;
pub mod export;
pub mod feature;
pub mod fields;
pub mod import;
pub mod layers;
