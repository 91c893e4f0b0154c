//! How a report refers to an event ([`EventId`]) and how a reviewer corrects the machine's
//! grouping ([`EventReview`]). The events themselves are derived by [`crate::engine::events`].

use super::ReportId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An event's id: `ev-` and the id of the report that founded it (its earliest-created
/// member when it formed). Derived from the members, so it survives restarts and is the same
/// on every instance sharing a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub ReportId);

/// The prefix of every event id.
pub const EVENT_ID_PREFIX: &str = "ev-";

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{EVENT_ID_PREFIX}{}", self.0)
    }
}

impl FromStr for EventId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.trim()
            .strip_prefix(EVENT_ID_PREFIX)
            .and_then(|rest| rest.parse().ok())
            .map(Self)
            .ok_or_else(|| format!("an event id is '{EVENT_ID_PREFIX}' and a UUID, not '{s}'"))
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A reviewer's correction of the machine's grouping, kept with the report (so that the
/// history records who made it and when) and honoured by every later re-grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventReview {
    /// The machine groups the report (the default).
    #[default]
    Auto,
    /// The report belongs to this event whatever the machine would say. A client's write
    /// must name an event that exists
    /// ([`crate::engine::service::ReportService::check_pin`]); an import keeps the pin as
    /// given. While no such event exists (not yet imported, or gone since), the report
    /// stands alone.
    Pin(EventId),
    /// The report is kept out of every event.
    Exclude,
}

impl EventReview {
    /// The stored and JSON spelling: `auto`, `exclude` or the pinned event's id.
    pub fn as_text(&self) -> String {
        match self {
            Self::Auto => "auto".into(),
            Self::Exclude => "exclude".into(),
            Self::Pin(id) => id.to_string(),
        }
    }

    /// Whether the machine groups the report.
    pub fn is_auto(&self) -> bool {
        matches!(self, Self::Auto)
    }
}

impl FromStr for EventReview {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "auto" => Ok(Self::Auto),
            "exclude" => Ok(Self::Exclude),
            other => other.parse().map(Self::Pin).map_err(|_| {
                format!(
                    "event_review is 'auto', 'exclude' or an event id ('{EVENT_ID_PREFIX}' and a UUID) to pin the report to, not '{other}'"
                )
            }),
        }
    }
}

impl Serialize for EventReview {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

/// What an [`EventReview`] may be, as error messages list it.
pub const EVENT_REVIEW_WORDS: &[&str] = &["auto", "exclude", "ev-<uuid>"];

impl<'de> Deserialize<'de> for EventReview {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // serde's "unknown variant" message, read back as `field.not_one_of`.
        text.parse()
            .map_err(|_| serde::de::Error::unknown_variant(&text, EVENT_REVIEW_WORDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_and_reviews_read_back_what_they_write() {
        let id = EventId(ReportId::new());
        assert_eq!(id.to_string().parse::<EventId>(), Ok(id));
        for review in [
            EventReview::Auto,
            EventReview::Exclude,
            EventReview::Pin(id),
        ] {
            assert_eq!(review.as_text().parse::<EventReview>(), Ok(review));
        }
        assert!(
            "pin"
                .parse::<EventReview>()
                .unwrap_err()
                .contains("event id")
        );
        assert!(id.0.to_string().parse::<EventId>().is_err());
    }
}
