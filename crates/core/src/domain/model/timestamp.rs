//! Timestamps: whole seconds in UTC, written in one RFC 3339 form, `2025-06-13T00:00:00Z`.
//!
//! Input may carry any offset (`+03:30`) and fractional seconds (dropped), or be a bare date
//! (`2025-06-13`), which means the whole day: its start as a lower bound and its last second
//! as an upper bound.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

/// An instant in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// 00:00:00.
    Start,
    /// 23:59:59.
    End,
}

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an RFC 3339 timestamp (such as 2025-06-13T21:30:00Z or 2025-06-13T21:30:00+03:30) or a date (2025-06-13)"
)]
pub struct BadTimestamp(pub String);

impl Timestamp {
    /// The current time, to the second.
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc().unix_timestamp())
    }

    /// Reads RFC 3339 or a bare date; `end` says which end of the day a bare date means.
    ///
    /// # Examples
    /// ```
    /// use sightmap_core::domain::model::{DayEnd, Timestamp};
    /// let t = Timestamp::parse("2025-06-13T03:30:00+03:30", DayEnd::Start).unwrap();
    /// assert_eq!(t.to_string(), "2025-06-13T00:00:00Z");
    /// let t = Timestamp::parse("2025-06-24", DayEnd::End).unwrap();
    /// assert_eq!(t.to_string(), "2025-06-24T23:59:59Z");
    /// ```
    pub fn parse(text: &str, end: DayEnd) -> Result<Self, BadTimestamp> {
        let text = text.trim();
        if let Some(t) = Self::parse_canonical(text.as_bytes()) {
            return Ok(t);
        }
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Ok(Self(t.unix_timestamp()));
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        let date = Date::parse(text, &date_format).map_err(|_| BadTimestamp(text.to_string()))?;
        let time = match end {
            DayEnd::Start => Time::MIDNIGHT,
            DayEnd::End => Time::from_hms(23, 59, 59).expect("a valid time"),
        };
        Ok(Self(date.with_time(time).assume_utc().unix_timestamp()))
    }
}

impl Timestamp {
    /// The calendar year of this instant in UTC (`None` beyond what the calendar holds,
    /// ±9999 years or so).
    ///
    /// # Examples
    /// ```
    /// use sightmap_core::domain::model::Timestamp;
    /// assert_eq!(Timestamp(1_749_772_800).year(), Some(2025));
    /// assert_eq!(Timestamp(-1).year(), Some(1969));
    /// ```
    pub fn year(&self) -> Option<i32> {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .map(|t| t.year())
    }

    /// Reads the form sightmap writes, `YYYY-MM-DDTHH:MM:SSZ`, digit by digit: stored reports
    /// and revisions are read back in millions. `None` for anything else (or an impossible
    /// date), which the general parser then reads or refuses.
    fn parse_canonical(b: &[u8]) -> Option<Self> {
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        let digits = |from: usize, to: usize| {
            b[from..to].iter().try_fold(0i32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0'))
            })
        };
        let two = |at: usize| u8::try_from(digits(at, at + 2)?).ok();
        // The time crate checks the month, the day of the month and the time of day.
        let month = time::Month::try_from(two(5)?).ok()?;
        let date = Date::from_calendar_date(digits(0, 4)?, month, two(8)?).ok()?;
        let time = Time::from_hms(two(11)?, two(14)?, two(17)?).ok()?;
        Some(Self(date.with_time(time).assume_utc().unix_timestamp()))
    }

    /// The RFC 3339 form, `YYYY-MM-DDTHH:MM:SSZ`, for years 0 to 9999: written digit by digit,
    /// as exports write millions of them.
    fn rfc3339(&self) -> Option<[u8; 20]> {
        let t = OffsetDateTime::from_unix_timestamp(self.0).ok()?;
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(t.month())));
        put(8, 2, u32::from(t.day()));
        put(11, 2, u32::from(t.hour()));
        put(14, 2, u32::from(t.minute()));
        put(17, 2, u32::from(t.second()));
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            // The bytes are ASCII digits and separators.
            Some(b) => f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(b) => s.serialize_str(std::str::from_utf8(&b).map_err(serde::ser::Error::custom)?),
            None => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text, DayEnd::Start).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse("2025-06-13T01:00:00.750+03:30", DayEnd::Start).unwrap();
        assert_eq!(t.to_string(), "2025-06-12T21:30:00Z");
    }

    #[test]
    fn the_written_form_reads_back_as_the_general_parser_reads_it() {
        for t in [
            0,
            -1,
            951_782_400,
            1_749_772_800,
            1_709_251_199,
            4_102_444_800,
            -62_135_596_800,
            253_402_300_799,
        ] {
            let text = Timestamp(t).to_string();
            assert_eq!(
                Timestamp::parse_canonical(text.as_bytes()),
                Some(Timestamp(t)),
                "{text}"
            );
            let general = OffsetDateTime::parse(&text, &Rfc3339)
                .unwrap()
                .unix_timestamp();
            assert_eq!(general, t, "{text}");
        }
        // And a spread of instants over years 0 to 9999.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let t = -62_167_219_200 + (x >> 11) as i64 % 315_537_897_600;
            let text = Timestamp(t).to_string();
            assert_eq!(
                Timestamp::parse_canonical(text.as_bytes()),
                Some(Timestamp(t)),
                "{text}"
            );
        }
        for bad in [
            "2025-02-29T00:00:00Z",
            "2025-06-13T24:00:00Z",
            "2025-00-13T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_canonical(bad.as_bytes()), None, "{bad}");
            assert!(Timestamp::parse(bad, DayEnd::Start).is_err(), "{bad}");
        }
        assert_eq!(
            Timestamp::parse_canonical(b"2024-02-29T12:00:00Z"),
            Some(Timestamp(1_709_208_000))
        );
    }

    #[test]
    fn bare_dates_cover_the_day() {
        let from = Timestamp::parse("2025-06-13", DayEnd::Start).unwrap();
        let to = Timestamp::parse("2025-06-13", DayEnd::End).unwrap();
        assert_eq!(to.0 - from.0, 86_399);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(Timestamp::parse("13 June", DayEnd::Start).is_err());
        assert!(Timestamp::parse("2025-13-01", DayEnd::Start).is_err());
    }
}
