//! sightmap's core: unverified sighting reports, stored durably, indexed in space and time,
//! grouped into suggested events and written in the formats GIS users read. It has no HTTP
//! and no command line: the `sightmap` crate (the service) serves it.
//!
//! The folders are the layers, and code names a module by its folder's path
//! (`crate::domain::model`, `sightmap_core::engine::index`); nothing is re-exported here.
//! - [`domain`]: the report model (a *claim*, with its sources and their stances), input
//!   checks, privacy ([`domain::model::privacy`]), access and history.
//! - [`geospatial`]: geodesy, the region's data pack, geocoding and the relation of points to
//!   borders and coast ([`geospatial::atlas`] holds all three).
//! - [`engine`]: the in-memory index ([`engine::index`], an rstar R*-tree on the auxiliary
//!   sphere), the suggested events, the stores behind [`engine::store::Store`] (SQLite
//!   embedded, PostgreSQL/PostGIS shared), and the service that keeps store and index in step.
//! - [`formats`]: GeoJSON features, the map's layers, exports (GeoJSON, CSV, KML,
//!   FlatGeobuf), imports and CQL2.
//!
//! Which layer may use which is a table in `tests/architecture.rs`, checked for every module.
#![deny(missing_docs)]

pub mod domain;
pub mod engine;
pub mod formats;
pub mod geospatial;
