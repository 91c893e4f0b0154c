//! The domain: what a report is (a claim with its sources and their stances), its
//! validation and privacy rules, who may do what, and what each revision changed.

pub mod access;
pub mod history;
pub mod messages;
pub mod model;
pub mod text;
