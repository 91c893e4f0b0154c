//! Geography of the region: geodesy on WGS84, the data pack, the geocoder, borders and
//! coast, uncertainty overlaps, and the atlas that holds them together.

pub mod atlas;
pub mod geocode;
pub mod geodesy;
pub mod geography;
pub mod overlap;
pub mod region;
