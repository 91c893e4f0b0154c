//! sightmap: unverified sighting reports, stored durably, indexed in space and time, served as
//! GeoJSON.
//!
//! How the parts connect:
//! - [`model`] defines a report (a *claim*, with its sources and their stances) and checks input.
//! - [`store`] keeps reports durably behind the [`store::Store`] trait; [`store::sqlite`] is the
//!   embedded default.
//! - [`index`] holds every live report's place, time and filter fields in memory, with an rstar
//!   R*-tree over points on the auxiliary sphere; [`geodesy`] supplies its distances and
//!   [`overlap`] how far an uncertainty circle reaches into a search circle.
//! - [`region`] loads a region's data pack; [`geocode`] turns place text into points and
//!   [`geography`] relates points to borders and coast; [`places`] holds all three.
//! - [`service`] keeps store and index in step; [`query`] reads queries from URLs.
//! - [`export`] writes reports as GeoJSON, GeoJSON sequences, CSV and KML, streaming.
//! - [`http`] serves it all with axum; [`feature`] writes reports as GeoJSON and [`layers`]
//!   the map's other layers; [`import`] reads files;
//!   [`config`] and [`cli`] are the command line.
#![deny(missing_docs)]

pub mod access;
pub mod cli;
pub mod config;
pub mod cql2;
pub mod export;
pub mod feature;
pub mod feature_cache;
pub mod fields;
pub mod geocode;
pub mod geodesy;
pub mod geography;
pub mod history;
pub mod http;
pub mod import;
pub mod index;
pub mod layers;
pub mod migrate;
pub mod model;
pub mod overlap;
pub mod places;
pub mod privacy;
pub mod query;
pub mod region;
pub mod service;
pub mod store;
