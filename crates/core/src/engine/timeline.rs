//! Timelines: how many reports (or events) were observed in each bin of time, by category
//! (a report's status, an event's suggested grade).
//!
//! A claim observed over an interval counts in every bin its interval covers, by the share
//! of the interval that falls in the bin, so that each claim adds one in all (less when part
//! of its interval lies outside the span asked for, `since` to `until`: the bins at its edges,
//! aligned in the viewer's zone, reach beyond it, and count only what lies within). An
//! instant counts one in its bin.
//!
//! Bins are aligned in the viewer's time zone, given as a UTC offset: a day bin starts at
//! local midnight, a week bin on Monday at local midnight. Spreading a claim over its bins
//! costs the same for a minute and a month: the bins it covers whole are added through a
//! difference array.

use crate::domain::model::Timestamp;

/// The most bins one timeline may have.
pub const MAX_BINS: usize = 10_000;
/// The most bins `bin=auto` aims for.
pub const AUTO_BINS: usize = 400;

/// How wide a bin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinWidth {
    /// One hour.
    Hour,
    /// Six hours.
    SixHours,
    /// One day.
    Day,
    /// One week, from Monday.
    Week,
}

impl BinWidth {
    /// Every width, narrowest first.
    pub const ALL: [BinWidth; 4] = [
        BinWidth::Hour,
        BinWidth::SixHours,
        BinWidth::Day,
        BinWidth::Week,
    ];

    /// The width's name in URLs.
    pub const fn as_str(self) -> &'static str {
        match self {
            BinWidth::Hour => "1h",
            BinWidth::SixHours => "6h",
            BinWidth::Day => "1d",
            BinWidth::Week => "7d",
        }
    }

    /// The width of this name.
    pub fn parse(text: &str) -> Option<BinWidth> {
        BinWidth::ALL.into_iter().find(|w| w.as_str() == text)
    }

    /// Its length in seconds.
    pub const fn seconds(self) -> i64 {
        match self {
            BinWidth::Hour => 3_600,
            BinWidth::SixHours => 6 * 3_600,
            BinWidth::Day => 86_400,
            BinWidth::Week => 7 * 86_400,
        }
    }

    /// The local time from which bins of this width are counted, in seconds after the Unix
    /// epoch: the epoch itself, but for weeks the Monday before it (1969-12-29).
    const fn origin(self) -> i64 {
        match self {
            BinWidth::Week => -3 * 86_400,
            _ => 0,
        }
    }
}

/// A time zone as an offset from UTC, in seconds (east positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffset(pub i32);

impl UtcOffset {
    /// The largest offset allowed either way: 18 hours, as RFC 3339 and ISO 8601 allow.
    const MAX_SECONDS: i32 = 18 * 3_600;

    /// Reads `Z`, `+03:30`, `-05:00` or `+0330`.
    pub fn parse(text: &str) -> Option<UtcOffset> {
        if text == "Z" {
            return Some(UtcOffset(0));
        }
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1, &text[1..]),
            b'-' => (-1, &text[1..]),
            _ => return None,
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit())
            || digits.len() != 4
            || rest.len() != digits.len() + usize::from(rest.contains(':'))
            || (rest.contains(':') && rest.find(':') != Some(2))
        {
            return None;
        }
        let hours: i32 = digits[..2].parse().ok()?;
        let minutes: i32 = digits[2..].parse().ok()?;
        let seconds = hours * 3_600 + minutes * 60;
        (minutes < 60 && seconds <= Self::MAX_SECONDS).then_some(UtcOffset(sign * seconds))
    }

    /// The offset as RFC 3339 writes it: `Z` or `+03:30`.
    pub fn to_rfc3339(self) -> String {
        if self.0 == 0 {
            return "Z".into();
        }
        let sign = if self.0 < 0 { '-' } else { '+' };
        let s = self.0.unsigned_abs();
        format!("{sign}{:02}:{:02}", s / 3_600, s % 3_600 / 60)
    }

    /// An instant written in this zone, RFC 3339.
    pub fn format(self, t: i64) -> String {
        use time::format_description::well_known::Rfc3339;
        let Ok(offset) = time::UtcOffset::from_whole_seconds(self.0) else {
            return Timestamp(t).to_string();
        };
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(|d| d.to_offset(offset))
            .ok()
            .and_then(|d| d.format(&Rfc3339).ok())
            .unwrap_or_else(|| Timestamp(t).to_string())
    }
}

/// Consecutive bins of one width, aligned in one time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bins {
    /// Their width.
    pub width: BinWidth,
    /// The zone in which they are aligned.
    pub offset: UtcOffset,
    /// The start of the first, epoch seconds.
    pub first: i64,
    /// How many.
    pub count: usize,
}

/// Why no bins could be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{needed} bins of {width} would be needed to cover the span, more than the {max} allowed; choose a wider bin or narrow since/until",
    width = .width.as_str(),
    max = MAX_BINS
)]
pub struct TooManyBins {
    /// The width asked for.
    pub width: BinWidth,
    /// How many bins that needed.
    pub needed: u64,
}

impl Bins {
    /// The bins of `width` that cover `[from, to]` (epoch seconds), aligned in `offset`'s zone.
    pub fn covering(
        from: i64,
        to: i64,
        width: BinWidth,
        offset: UtcOffset,
    ) -> Result<Bins, TooManyBins> {
        let w = width.seconds();
        let shift = width.origin() - i64::from(offset.0);
        let start = |t: i64| (t.saturating_sub(shift)).div_euclid(w) * w + shift;
        let first = start(from);
        let last = start(to.max(from));
        let needed = ((last as i128 - first as i128) / w as i128 + 1) as u64;
        if needed > MAX_BINS as u64 {
            return Err(TooManyBins { width, needed });
        }
        Ok(Bins {
            width,
            offset,
            first,
            count: needed as usize,
        })
    }

    /// The narrowest width whose bins over `[from, to]` are at most [`AUTO_BINS`], else the
    /// widest.
    pub fn auto(from: i64, to: i64, offset: UtcOffset) -> Result<Bins, TooManyBins> {
        BinWidth::ALL
            .into_iter()
            .filter_map(|w| Bins::covering(from, to, w, offset).ok())
            .find(|b| b.count <= AUTO_BINS)
            .map_or_else(|| Bins::covering(from, to, BinWidth::Week, offset), Ok)
    }

    /// The start of bin `i`, epoch seconds.
    pub fn start(&self, i: usize) -> i64 {
        self.first + i as i64 * self.width.seconds()
    }

    /// The end of the last bin (exclusive), epoch seconds.
    pub fn end(&self) -> i64 {
        self.start(self.count)
    }
}

/// A claim's observation time and category, as a timeline counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// Start, epoch seconds.
    pub from: i64,
    /// End, epoch seconds (equal to `from` for an instant).
    pub to: i64,
    /// Its category's column.
    pub category: u8,
}

/// Counts per bin and category.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The bins.
    pub bins: Bins,
    /// How many categories each bin counts.
    pub categories: usize,
    /// Bin-major: `counts[bin * categories + category]`.
    pub counts: Vec<f64>,
}

impl Histogram {
    /// Counts the part of each of `items` that lies within `span` (epoch seconds, both ends
    /// included, as [`span`] gives it) into `bins`, in `categories` columns (an item's category
    /// must be below). An interval adds to each bin the share of its length that lies in both
    /// the bin and the span; an instant adds one to its bin if it lies in the span.
    pub fn of(items: &[Observed], bins: Bins, span: (i64, i64), categories: usize) -> Histogram {
        let n = bins.count;
        let w = bins.width.seconds();
        let (first_start, bins_end) = (bins.first, bins.end());
        // The bins at the edges may reach beyond the span (they are aligned in the viewer's
        // zone, the span is not): only the span is counted.
        let (lo, hi) = (span.0.max(first_start), span.1.min(bins_end));
        let mut counts = vec![0.0; n * categories];
        // Whole bins covered by an interval: `diff[bin]` starts adding, a later bin stops.
        let mut diff = vec![0.0; (n + 1) * categories];
        let bin_of = |t: i64| ((t - first_start).div_euclid(w)) as usize;
        for item in items {
            let c = item.category as usize;
            if item.to <= item.from {
                if (lo..=hi).contains(&item.from) && item.from < bins_end {
                    counts[bin_of(item.from) * categories + c] += 1.0;
                }
                continue;
            }
            let (a, b) = (item.from.max(lo), item.to.min(hi));
            if a >= b {
                continue;
            }
            let length = (item.to - item.from) as f64;
            let (first, last) = (bin_of(a), bin_of(b - 1));
            if first == last {
                counts[first * categories + c] += (b - a) as f64 / length;
                continue;
            }
            counts[first * categories + c] += (bins.start(first + 1) - a) as f64 / length;
            counts[last * categories + c] += (b - bins.start(last)) as f64 / length;
            if last > first + 1 {
                let share = w as f64 / length;
                diff[(first + 1) * categories + c] += share;
                diff[last * categories + c] -= share;
            }
        }
        for c in 0..categories {
            let mut running = 0.0;
            for bin in 0..n {
                running += diff[bin * categories + c];
                counts[bin * categories + c] += running;
            }
        }
        Histogram {
            bins,
            categories,
            counts,
        }
    }

    /// The counts of bin `i`, one per category.
    pub fn bin(&self, i: usize) -> &[f64] {
        &self.counts[i * self.categories..(i + 1) * self.categories]
    }
}

/// The span a timeline covers: from `since` (or the earliest start among `items`) to `until`
/// (or the latest end), `None` when neither is given and there are no items.
pub fn span(items: &[Observed], since: Option<i64>, until: Option<i64>) -> Option<(i64, i64)> {
    let from = since.or_else(|| items.iter().map(|i| i.from).min())?;
    let to = until.or_else(|| items.iter().map(|i| i.to.max(i.from)).max())?;
    Some((from, to.max(from)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_and_write() {
        assert_eq!(UtcOffset::parse("+03:30"), Some(UtcOffset(12_600)));
        assert_eq!(UtcOffset::parse("-05:00"), Some(UtcOffset(-18_000)));
        assert_eq!(UtcOffset::parse("+0330"), Some(UtcOffset(12_600)));
        assert_eq!(UtcOffset::parse("Z"), Some(UtcOffset(0)));
        for bad in [
            "",
            "03:30",
            "+3:30",
            "+03:60",
            "+19:00",
            "+03:3",
            "+03:30:00",
            "+0:330",
            "+03",
            "z",
        ] {
            assert_eq!(UtcOffset::parse(bad), None, "{bad}");
        }
        assert_eq!(UtcOffset(12_600).to_rfc3339(), "+03:30");
        assert_eq!(UtcOffset(-18_000).to_rfc3339(), "-05:00");
        assert_eq!(UtcOffset(0).format(0), "1970-01-01T00:00:00Z");
        assert_eq!(UtcOffset(12_600).format(0), "1970-01-01T03:30:00+03:30");
    }

    #[test]
    fn days_start_at_local_midnight_and_weeks_on_monday() {
        // 2025-06-13T10:00:00Z is 13:30 in Tehran.
        let t = 1_749_808_800;
        let tehran = UtcOffset(12_600);
        let day = Bins::covering(t, t, BinWidth::Day, tehran).unwrap();
        assert_eq!(tehran.format(day.first), "2025-06-13T00:00:00+03:30");
        let week = Bins::covering(t, t, BinWidth::Week, tehran).unwrap();
        // 13 June 2025 was a Friday: its week began on Monday 9 June.
        assert_eq!(tehran.format(week.first), "2025-06-09T00:00:00+03:30");
        assert_eq!(week.count, 1);
    }

    #[test]
    fn an_interval_adds_one_across_its_bins() {
        let bins = Bins::covering(0, 10 * 3_600 - 1, BinWidth::Hour, UtcOffset(0)).unwrap();
        let items = [
            Observed {
                from: 1_800,
                to: 5 * 3_600 + 1_800,
                category: 0,
            },
            Observed {
                from: 7_200,
                to: 7_200,
                category: 1,
            },
        ];
        let h = Histogram::of(&items, bins, (0, 10 * 3_600 - 1), 2);
        let total: f64 = h.counts.iter().sum();
        assert!((total - 2.0).abs() < 1e-12);
        assert!((h.bin(0)[0] - 0.1).abs() < 1e-12);
        assert!((h.bin(1)[0] - 0.2).abs() < 1e-12);
        assert!((h.bin(5)[0] - 0.1).abs() < 1e-12);
        assert_eq!(h.bin(2)[1], 1.0);
        assert_eq!(h.bin(6)[0], 0.0);
    }

    /// Issue 16, item 8: with a zone, the bins at the edges reach beyond since/until, and
    /// counted the time there too.
    #[test]
    fn the_edge_bins_count_only_the_span() {
        let hour = 3_600;
        let tehran = UtcOffset(12_600);
        // An interval of 8 hours from 16:00 UTC; since 18:00 and until 23:00 keep 5 of them.
        let item = Observed {
            from: 16 * hour,
            to: 24 * hour,
            category: 0,
        };
        let (since, until) = (18 * hour, 23 * hour);
        let bins = Bins::covering(since, until, BinWidth::Day, tehran).unwrap();
        // Local days start at 20:30 UTC: the span's 18:00 to 20:30 fall in the first, 20:30 to
        // 23:00 in the second; 2.5 of the interval's 8 hours in each.
        assert_eq!((bins.first, bins.count), (-3 * hour - 1_800, 2));
        let h = Histogram::of(&[item], bins, (since, until), 1);
        assert!((h.bin(0)[0] - 2.5 / 8.0).abs() < 1e-12, "{:?}", h.counts);
        assert!((h.bin(1)[0] - 2.5 / 8.0).abs() < 1e-12, "{:?}", h.counts);
        // An instant outside the span, though inside an edge bin, is not counted.
        let early = Observed {
            from: 17 * hour,
            to: 17 * hour,
            category: 0,
        };
        assert_eq!(
            Histogram::of(&[early], bins, (since, until), 1).bin(0)[0],
            0.0
        );
        let at_until = Observed {
            from: until,
            to: until,
            category: 0,
        };
        assert_eq!(
            Histogram::of(&[at_until], bins, (since, until), 1).bin(1)[0],
            1.0
        );
    }

    #[test]
    fn too_many_bins_is_refused_and_auto_widens() {
        let year = 365 * 86_400;
        assert!(Bins::covering(0, 2 * year, BinWidth::Hour, UtcOffset(0)).is_err());
        // A year is 366 day bins, within the 400 that auto aims for; two years are weeks.
        let auto = Bins::auto(0, year, UtcOffset(0)).unwrap();
        assert_eq!(auto.width, BinWidth::Day);
        let auto = Bins::auto(0, 2 * year, UtcOffset(0)).unwrap();
        assert_eq!(auto.width, BinWidth::Week);
        let auto = Bins::auto(0, 3 * 86_400, UtcOffset(0)).unwrap();
        assert_eq!(auto.width, BinWidth::Hour);
    }
}
