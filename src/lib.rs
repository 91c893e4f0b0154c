//! sightmap: unverified sighting reports, stored durably, indexed in space and time, served as
//! GeoJSON.
//!
//! The folders are the layers: `domain` (the model, access, history), `geospatial` (geodesy,
//! the region, geocoding, geography), `engine` (index, stores, service, queries), `formats`
//! (GeoJSON, fields, layers, exports, imports, CQL2) and `surface` (HTTP, command line,
//! configuration). Each module is re-exported here, at the path it is known by.
//!
//! How the parts connect:
//! - [`model`] defines a report (a *claim*, with its sources and their stances), checks input
//!   and holds the privacy rules ([`model::privacy`]).
//! - [`store`] keeps reports durably behind the [`store::Store`] trait; [`store::sqlite`] is the
//!   embedded default.
//! - [`index`] holds every live report's place, time and filter fields in memory, with an rstar
//!   R*-tree over points on the auxiliary sphere; [`geodesy`] supplies its distances and
//!   [`overlap`] how far an uncertainty circle reaches into a search circle.
//! - [`region`] loads a region's data pack; [`geocode`] turns place text into points and
//!   [`geography`] relates points to borders and coast; [`atlas`] holds all three.
//! - [`service`] keeps store and index in step; [`query`] reads queries from URLs.
//! - [`export`] writes reports as GeoJSON, GeoJSON sequences, CSV and KML, streaming.
//! - [`http`] serves it all with axum; [`feature`] writes reports as GeoJSON and [`layers`]
//!   the map's other layers; [`import`] reads files;
//!   [`config`] and [`cli`] are the command line.
//!
//! The dependency rule: `http`, `cli` and `config` are the *surface* and may use everything;
//! every other module is the *core* and never imports the surface (it takes what it needs as
//! arguments: limits, file names, defaults). `tests/architecture.rs` reads the sources and
//! fails on a forbidden path. Inside the core, the model (with its privacy rules and the
//! record the index keeps of a report) depends on nothing else of the crate but vocabulary,
//! geodesy and [`domain::text`] (folded names); the stores return the model's types, not the index's.
#![deny(missing_docs)]

pub mod domain;
pub mod engine;
pub mod formats;
pub mod geospatial;
pub mod surface;

// The modules keep their paths at the crate root (`crate::model`, `sightmap::index`…);
// the folders above group them by layer.
pub use domain::{access, history, model};
pub use engine::{
    events, feature_cache, index, migrate, parallel, query, service, store, timeline,
};
pub use formats::{cql2, export, feature, fields, import, layers};
pub use geospatial::{atlas, geocode, geodesy, geography, overlap, region};
pub use surface::{cli, config, http};
