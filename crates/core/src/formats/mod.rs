//! Formats: reports, events and layers as GeoJSON, the one list of exported fields, exports,
//! imports and CQL2 filters; coordinates rounded alike in all of them ([`coords`]).

pub mod coords;
pub mod cql2;
pub mod events;
pub mod export;
pub mod feature;
pub mod fields;
pub mod import;
pub mod layers;
