//! The closed vocabularies of the report model: kinds, statuses, precisions, source types and
//! stances. Each is a small enum with one lowercase spelling, used alike in JSON, query strings,
//! CSV and the store.

use std::fmt;
use std::str::FromStr;

/// An unknown word for one of the vocabularies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {vocabulary} '{given}'; allowed: {allowed}")]
pub struct UnknownWord {
    /// The vocabulary's name, such as `kind`.
    pub vocabulary: &'static str,
    /// What was given.
    pub given: String,
    /// The allowed words, comma-separated.
    pub allowed: String,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal, { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The vocabulary's name, as used in error messages.
            pub const LABEL: &'static str = $label;
            /// Every spelling, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The one spelling used everywhere.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// This value's bit in a set of values (see [`crate::domain::model::WordSet`]).
            pub const fn bit(self) -> u16 {
                1 << (self as u16)
            }

            /// The allowed words, comma-separated, for error messages.
            pub fn allowed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                let lower = s.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord { vocabulary: $label, given: s.to_string(), allowed: Self::allowed() }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                // serde's own "unknown variant" message, which names the word and the
                // allowed ones in a form the field errors read back
                // ([`crate::domain::model::FieldError::from_serde`]).
                word.parse()
                    .map_err(|_| serde::de::Error::unknown_variant(&word, Self::WORDS))
            }
        }
    };
}

vocabulary!(
    /// What was seen or heard.
    Kind, "kind", {
        /// An unmanned aircraft.
        Drone => "drone",
        /// A crewed aircraft, such as a fighter jet.
        Aircraft => "aircraft",
        /// A missile or rocket.
        Missile => "missile",
        /// A strike on a place.
        Strike => "strike",
        /// An explosion of unknown cause.
        Explosion => "explosion",
        /// Something heard, not seen.
        Sound => "sound",
        /// A light in the sky.
        Light => "light",
        /// Anything else.
        Other => "other",
    }
);

vocabulary!(
    /// How far a claim has been checked. Only `confirmed` presents a claim as established.
    Status, "status", {
        /// Nobody has checked it (the default).
        Unverified => "unverified",
        /// Independent sources say the same.
        Corroborated => "corroborated",
        /// Checked and found true.
        Confirmed => "confirmed",
        /// A source denies it.
        Disputed => "disputed",
        /// Withdrawn by its source.
        Retracted => "retracted",
    }
);

vocabulary!(
    /// How precisely a report's point locates what it describes.
    Precision, "precision", {
        /// Coordinates given directly (GPS or a map click).
        Exact => "exact",
        /// A named town or village.
        Place => "place",
        /// Somewhere near a named place.
        Near => "near",
        /// Part of a province ("eastern Gilan") or a named area.
        Region => "region",
        /// Somewhere in a province.
        Province => "province",
        /// Somewhere in a country.
        Country => "country",
    }
);

vocabulary!(
    /// Who a source is.
    SourceType, "source type", {
        /// A private person.
        Civilian => "civilian",
        /// A news outlet.
        Media => "media",
        /// A government, army or ministry.
        Official => "official",
        /// A social media account.
        Social => "social",
        /// Anything else.
        Other => "other",
    }
);

vocabulary!(
    /// What a source says about the claim.
    Stance, "stance", {
        /// The source says it happened.
        Asserts => "asserts",
        /// The source says it did not happen.
        Denies => "denies",
        /// The source says it is looking into it.
        Investigating => "investigating",
    }
);

/// A set of vocabulary values as a bit mask, for filters and compact in-memory records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordSet(pub u16);

impl WordSet {
    /// Adds one value's bit.
    pub fn with(self, bit: u16) -> Self {
        Self(self.0 | bit)
    }

    /// Whether any bit is shared.
    pub fn intersects(self, other: WordSet) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the value with this bit is in the set.
    pub fn contains(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

impl Precision {
    /// ACLED's `geo_precision` for this level: 1 for a named place or exact point, 2 for
    /// "near" a place, 3 for a region, province or country.
    pub const fn acled_geo_precision(self) -> u8 {
        match self {
            Self::Exact | Self::Place => 1,
            Self::Near => 2,
            Self::Region | Self::Province | Self::Country => 3,
        }
    }
}
