//! The index saved to a file, so that a restart loads it in one sequential read instead of
//! reading every report's columns from the store (a million reports: about 0.1 s against 2-3 s).
//!
//! A snapshot is stamped with the identity of the store it was taken from and the store
//! version it reflects in full; whoever loads it replays the store's changes since that
//! version (see [`crate::engine::store::Store::changes_since`]). It is a cache: a snapshot that is
//! missing, damaged, from another store or from another format is ignored and the index is
//! rebuilt from the store.
//!
//! Layout, little-endian: the magic `SMINDEX` and a format byte; the stamp; the interned names
//! (kind and text), tags and tag lists; the entries, [`ENTRY_BYTES`] each; the version of the
//! grouping rules and the event settings, then what the events keep of each report beyond
//! its entry, in the entries' order (see [`SavedEvents`]); a CRC-32 of all that precedes it.

use super::names::{NameKind, Names, TagInterner};
use super::{Entry, ReportIndex};
use crate::domain::model::{
    EventId, EventReview, Kind, Precision, ReportId, SourceKey, Stance, Status, Testimony, WordSet,
};
use crate::engine::events::saved::GROUPING_RULES;
use crate::engine::events::{EventIndex, EventSettings, Member, Placement, is_core};
use crate::geospatial::geodesy::AuxPoint;
use std::io::{self, Read, Write};

/// The first eight bytes of a snapshot: a name and the format's number.
const MAGIC: &[u8; 8] = b"SMINDEX\x05";

/// Bits of an entry's flags byte.
const IN_SEA: u8 = 1;
const PRIVATE: u8 = 2;

/// The size of one entry in the file.
const ENTRY_BYTES: usize = 126;

/// Longest string or list a snapshot may hold, against a damaged length prefix.
const MAX_ITEM: u32 = 1 << 20;

/// What a snapshot reflects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStamp {
    /// The identity of the store it was taken from ([`crate::engine::store::Store::identity`]).
    pub store: String,
    /// Every change up to this store version is in the snapshot (later ones may be too).
    pub version: i64,
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading failed, or the file ended early.
    #[error("cannot read the index snapshot: {0}")]
    Io(#[from] io::Error),
    /// The file is not a snapshot in this format, or its checksum does not match.
    #[error("the index snapshot is damaged or in another format: {0}")]
    Invalid(&'static str),
}

/// What the events keep of a report beyond its entry.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    /// Its sources as keys, with its outlets' names.
    pub testimony: Testimony,
    /// A reviewer's correction.
    pub review: EventReview,
    /// Its event when saved (none if excluded).
    pub event: Option<EventId>,
}

/// The events as saved: enough to put every report back into its event without grouping.
#[derive(Debug, Clone, Default)]
pub struct SavedEvents {
    /// The version of the grouping rules they were grouped by.
    pub rules: u32,
    /// The settings they were grouped by.
    pub settings: EventSettings,
    /// What they keep of each report, in the snapshot's order.
    pub facts: Vec<(ReportId, ReportFacts)>,
}

impl SavedEvents {
    /// The events of `members` (the public members taken from these facts and the private
    /// ones read from the store) grouped by `settings`: as saved if they were grouped by
    /// these rules and settings and fit the members, else grouped anew.
    pub fn into_events(self, settings: EventSettings, members: Vec<Member>) -> EventIndex {
        if self.rules != GROUPING_RULES || self.settings != settings {
            tracing::info!(
                "the saved events were grouped by other rules or settings; grouping them anew"
            );
            return EventIndex::from_members(settings, members);
        }
        let event_of = self
            .facts
            .iter()
            .filter_map(|(id, facts)| Some((*id, facts.event?)));
        EventIndex::restore(settings, members, event_of).unwrap_or_else(|members| {
            tracing::warn!("the saved events do not fit their reports; grouping them anew");
            EventIndex::from_members(settings, members)
        })
    }
}

impl ReportIndex {
    /// Writes every live entry, with the interned names and tags and what `events` keeps of
    /// each, stamped with `stamp`.
    pub fn write_snapshot(
        &self,
        stamp: &SnapshotStamp,
        events: &EventIndex,
        out: impl Write,
    ) -> io::Result<()> {
        let mut out = Checksummed::new(out);
        out.write_all(MAGIC)?;
        write_bytes(&mut out, stamp.store.as_bytes())?;
        out.write_all(&stamp.version.to_le_bytes())?;
        self.names.write_to(&mut out)?;
        self.tags.write_to(&mut out)?;
        out.write_all(&(self.by_id.len() as u64).to_le_bytes())?;
        for entry in self.records.iter().flatten() {
            out.write_all(&entry.to_bytes())?;
        }
        out.write_all(&GROUPING_RULES.to_le_bytes())?;
        write_settings(&mut out, events.settings())?;
        for entry in self.records.iter().flatten() {
            let empty = Testimony::default();
            let (testimony, review) = events
                .member(&entry.id)
                .map_or((&empty, EventReview::Auto), |m| (&m.testimony, m.review));
            write_facts(&mut out, testimony, review, events.event_of(&entry.id))?;
        }
        let crc = out.crc.clone().finalize();
        out.inner.write_all(&crc.to_le_bytes())?;
        out.inner.flush()
    }

    /// Reads a snapshot written by [`ReportIndex::write_snapshot`] and builds the index from
    /// it, with what the events keep of each report.
    pub fn read_snapshot(
        input: impl Read,
    ) -> Result<(SnapshotStamp, Self, SavedEvents), SnapshotError> {
        let mut snapshot = Snapshot::read(input)?;
        let saved = snapshot.take_saved();
        let stamp = snapshot.stamp.clone();
        Ok((stamp, snapshot.build_index()?, saved))
    }
}

/// A snapshot as read, before its index is built: a restart builds the index and restores
/// the events from it side by side.
#[derive(Debug)]
pub struct Snapshot {
    /// What it reflects.
    pub stamp: SnapshotStamp,
    entries: Vec<Entry>,
    names: Names,
    tags: TagInterner,
    saved: SavedEvents,
}

impl Snapshot {
    /// Reads a snapshot written by [`ReportIndex::write_snapshot`], checking its checksum.
    pub fn read(input: impl Read) -> Result<Self, SnapshotError> {
        let mut input = Checksummed::new(input);
        let mut magic = [0; 8];
        input.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(SnapshotError::Invalid("unknown magic or format"));
        }
        let store = String::from_utf8(read_bytes(&mut input)?)
            .map_err(|_| SnapshotError::Invalid("store identity is not UTF-8"))?;
        let version = i64::from_le_bytes(read_array(&mut input)?);
        let names = Names::read_from(&mut input)?;
        let tags = TagInterner::read_from(&mut input)?;
        let count = u64::from_le_bytes(read_array(&mut input)?);
        let mut entries = Vec::with_capacity(count.min(1 << 24) as usize);
        let mut buf = [0; ENTRY_BYTES];
        for _ in 0..count {
            input.read_exact(&mut buf)?;
            let entry = Entry::from_bytes(&buf)?;
            if entry.tags as usize >= tags.lists.len()
                || [entry.province, entry.country, entry.border_country]
                    .iter()
                    .any(|&n| n as usize >= names.names.len())
            {
                return Err(SnapshotError::Invalid(
                    "an entry names an unknown tag list or name",
                ));
            }
            entries.push(entry);
        }
        let rules = u32::from_le_bytes(read_array(&mut input)?);
        let settings = read_settings(&mut input)?;
        let mut facts = Vec::with_capacity(entries.len());
        for entry in &entries {
            facts.push((entry.id, read_facts(&mut input)?));
        }
        let expected = input.crc.clone().finalize();
        let stored = u32::from_le_bytes(read_array(&mut input.inner)?);
        if stored != expected {
            return Err(SnapshotError::Invalid("checksum mismatch"));
        }
        Ok(Self {
            stamp: SnapshotStamp { store, version },
            entries,
            names,
            tags,
            saved: SavedEvents {
                rules,
                settings,
                facts,
            },
        })
    }

    /// The id and version of every report whose location is private.
    pub fn private_entries(&self) -> Vec<(ReportId, i64)> {
        self.entries
            .iter()
            .filter(|e| e.private)
            .map(|e| (e.id, e.version))
            .collect()
    }

    /// The events' members of the reports whose location is public (a private report's
    /// member needs its exact placement, which the snapshot does not hold), with their
    /// sources taken from the saved events; with room for the private ones, which the caller
    /// adds (growing a vector of a million members would copy it).
    pub fn public_members(&mut self) -> Vec<Member> {
        let mut members = Vec::with_capacity(self.entries.len());
        let public = self
            .entries
            .iter()
            .zip(&mut self.saved.facts)
            .filter(|(e, _)| !e.private)
            .map(|(e, (_, facts))| {
                let testimony = std::mem::take(&mut facts.testimony);
                let review = facts.review;
                Member {
                    id: e.id,
                    exact: Placement {
                        point: e.point,
                        radius_m: e.uncertainty_m,
                    },
                    public: None,
                    core: is_core(e.precision, e.from, e.to),
                    kind: e.kind,
                    from: e.from,
                    to: e.to,
                    status: e.status,
                    testimony,
                    review,
                }
            });
        members.extend(public);
        members
    }

    /// The saved events, taken out (call [`Snapshot::public_members`] first).
    pub fn take_saved(&mut self) -> SavedEvents {
        std::mem::take(&mut self.saved)
    }

    /// The index of its entries.
    pub fn build_index(self) -> Result<ReportIndex, SnapshotError> {
        let count = self.entries.len();
        let mut index = ReportIndex::build_from_entries(self.entries, ());
        index.names = self.names;
        index.tags = self.tags;
        if index.len() != count {
            return Err(SnapshotError::Invalid("an id appears twice"));
        }
        Ok(index)
    }
}

/// Review tags in the file.
const AUTO: u8 = 0;
const EXCLUDE: u8 = 1;
const PIN: u8 = 2;

fn write_settings(out: &mut impl Write, settings: &EventSettings) -> io::Result<()> {
    for value in [
        settings.gap_km,
        settings.gap_h,
        settings.max_km,
        settings.max_h,
    ] {
        out.write_all(&value.to_le_bytes())?;
    }
    Ok(())
}

fn read_settings(input: &mut impl Read) -> Result<EventSettings, SnapshotError> {
    let mut value = || -> io::Result<f64> { Ok(f64::from_le_bytes(read_array(input)?)) };
    Ok(EventSettings {
        gap_km: value()?,
        gap_h: value()?,
        max_km: value()?,
        max_h: value()?,
    })
}

fn write_facts(
    out: &mut impl Write,
    testimony: &Testimony,
    review: EventReview,
    event: Option<EventId>,
) -> io::Result<()> {
    match event {
        Some(EventId(id)) => {
            out.write_all(&[1])?;
            out.write_all(id.0.as_bytes())?;
        }
        None => out.write_all(&[0; 17])?,
    }
    let (tag, target) = match review {
        EventReview::Auto => (AUTO, [0; 16]),
        EventReview::Exclude => (EXCLUDE, [0; 16]),
        EventReview::Pin(EventId(id)) => (PIN, *id.0.as_bytes()),
    };
    out.write_all(&[tag])?;
    out.write_all(&target)?;
    let keys = testimony.keys();
    out.write_all(&(keys.len() as u32).to_le_bytes())?;
    for key in keys {
        out.write_all(&key.name.to_le_bytes())?;
        out.write_all(&key.via.to_le_bytes())?;
        out.write_all(&[key.stance as u8, u8::from(key.media)])?;
    }
    let outlets: Vec<&str> = testimony.outlet_names().collect();
    out.write_all(&(outlets.len() as u32).to_le_bytes())?;
    for name in outlets {
        write_bytes(out, name.as_bytes())?;
    }
    Ok(())
}

fn read_facts(input: &mut impl Read) -> Result<ReportFacts, SnapshotError> {
    let [in_event] = read_array(input)?;
    let founder: [u8; 16] = read_array(input)?;
    let event = match in_event {
        0 => None,
        1 => Some(EventId(ReportId(uuid::Uuid::from_bytes(founder)))),
        _ => return Err(SnapshotError::Invalid("unknown event tag")),
    };
    let [tag] = read_array(input)?;
    let target: [u8; 16] = read_array(input)?;
    let review = match tag {
        AUTO => EventReview::Auto,
        EXCLUDE => EventReview::Exclude,
        PIN => EventReview::Pin(EventId(ReportId(uuid::Uuid::from_bytes(target)))),
        _ => return Err(SnapshotError::Invalid("unknown event review")),
    };
    let count = read_len(input)?;
    let keys = (0..count)
        .map(|_| {
            let name = u64::from_le_bytes(read_array(input)?);
            let via = u64::from_le_bytes(read_array(input)?);
            let [stance, media] = read_array(input)?;
            Ok(SourceKey {
                name,
                via,
                stance: word(Stance::ALL, stance)?,
                media: media != 0,
            })
        })
        .collect::<Result<Vec<SourceKey>, SnapshotError>>()?;
    let outlets = (0..read_len(input)?)
        .map(|_| {
            String::from_utf8(read_bytes(input)?)
                .map_err(|_| SnapshotError::Invalid("an outlet's name is not UTF-8"))
        })
        .collect::<Result<Vec<String>, SnapshotError>>()?;
    Ok(ReportFacts {
        testimony: Testimony::new(keys, outlets.iter().map(String::as_str)),
        review,
        event,
    })
}

impl Entry {
    fn to_bytes(&self) -> [u8; ENTRY_BYTES] {
        let mut b = [0; ENTRY_BYTES];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            b[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(self.id.0.as_bytes());
        put(&self.version.to_le_bytes());
        for v in self.point.xyz {
            put(&v.to_le_bytes());
        }
        put(&self.point.lon.to_le_bytes());
        put(&self.point.lat.to_le_bytes());
        put(&self.uncertainty_m.to_le_bytes());
        put(&[
            self.precision as u8,
            self.kind as u8,
            self.status as u8,
            (self.in_sea as u8 * IN_SEA) | (self.private as u8 * PRIVATE),
        ]);
        put(&self.source_types.0.to_le_bytes());
        put(&self.from.to_le_bytes());
        put(&self.to.to_le_bytes());
        put(&self.border_m.to_le_bytes());
        put(&self.coast_m.to_le_bytes());
        for v in [self.tags, self.province, self.country, self.border_country] {
            put(&v.to_le_bytes());
        }
        debug_assert_eq!(at, ENTRY_BYTES, "entry layout");
        b
    }

    fn from_bytes(b: &[u8; ENTRY_BYTES]) -> Result<Self, SnapshotError> {
        let mut at = 0;
        let mut take = |n: usize| {
            let s = &b[at..at + n];
            at += n;
            s
        };
        let id = ReportId(uuid::Uuid::from_bytes(
            take(16).try_into().expect("16 bytes"),
        ));
        let version = i64::from_le_bytes(take(8).try_into().expect("8 bytes"));
        let mut f = [0.0; 6];
        for v in &mut f {
            *v = f64::from_le_bytes(take(8).try_into().expect("8 bytes"));
        }
        let words = take(4);
        let (precision, kind, status, in_sea, private) = (
            word(Precision::ALL, words[0])?,
            word(Kind::ALL, words[1])?,
            word(Status::ALL, words[2])?,
            words[3] & IN_SEA != 0,
            words[3] & PRIVATE != 0,
        );
        let source_types = WordSet(u16::from_le_bytes(take(2).try_into().expect("2 bytes")));
        let mut i = [0i64; 2];
        for v in &mut i {
            *v = i64::from_le_bytes(take(8).try_into().expect("8 bytes"));
        }
        let mut d = [0.0; 2];
        for v in &mut d {
            *v = f64::from_le_bytes(take(8).try_into().expect("8 bytes"));
        }
        let mut n = [0u32; 4];
        for v in &mut n {
            *v = u32::from_le_bytes(take(4).try_into().expect("4 bytes"));
        }
        Ok(Self {
            id,
            version,
            point: AuxPoint {
                xyz: [f[0], f[1], f[2]],
                lon: f[3],
                lat: f[4],
            },
            uncertainty_m: f[5],
            precision,
            kind,
            status,
            source_types,
            from: i[0],
            to: i[1],
            tags: n[0],
            border_m: d[0],
            coast_m: d[1],
            in_sea,
            private,
            province: n[1],
            country: n[2],
            border_country: n[3],
        })
    }
}

/// The vocabulary word stored as its position in `all`.
fn word<T: Copy>(all: &[T], at: u8) -> Result<T, SnapshotError> {
    all.get(at as usize)
        .copied()
        .ok_or(SnapshotError::Invalid("unknown vocabulary word"))
}

impl Names {
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut kinds = vec![NameKind::Province; self.names.len()];
        for (key, &id) in &self.ids {
            if key.starts_with("c:") {
                kinds[id as usize] = NameKind::Country;
            }
        }
        out.write_all(&(self.names.len() as u32 - 1).to_le_bytes())?;
        for (name, kind) in self.names.iter().zip(kinds).skip(1) {
            out.write_all(&[kind as u8])?;
            write_bytes(out, name.as_bytes())?;
        }
        Ok(())
    }

    fn read_from(input: &mut impl Read) -> Result<Self, SnapshotError> {
        let mut names = Names::default();
        let count = read_len(input)?;
        for _ in 0..count {
            let [kind] = read_array(input)?;
            let kind = match kind {
                0 => NameKind::Province,
                1 => NameKind::Country,
                _ => return Err(SnapshotError::Invalid("unknown name kind")),
            };
            let name = String::from_utf8(read_bytes(input)?)
                .map_err(|_| SnapshotError::Invalid("a name is not UTF-8"))?;
            let before = names.names.len();
            if names.intern(kind, Some(&name)) as usize != before {
                return Err(SnapshotError::Invalid("a name appears twice"));
            }
        }
        Ok(names)
    }
}

impl TagInterner {
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut tags = vec![""; self.tag_ids.len()];
        for (tag, &id) in &self.tag_ids {
            tags[id as usize] = tag;
        }
        out.write_all(&(tags.len() as u32).to_le_bytes())?;
        for tag in tags {
            write_bytes(out, tag.as_bytes())?;
        }
        out.write_all(&(self.lists.len() as u32 - 1).to_le_bytes())?;
        for list in &self.lists[1..] {
            out.write_all(&(list.len() as u32).to_le_bytes())?;
            for id in list.iter() {
                out.write_all(&id.to_le_bytes())?;
            }
        }
        Ok(())
    }

    fn read_from(input: &mut impl Read) -> Result<Self, SnapshotError> {
        let mut interner = TagInterner::default();
        let tag_count = read_len(input)?;
        for id in 0..tag_count {
            let tag = String::from_utf8(read_bytes(input)?)
                .map_err(|_| SnapshotError::Invalid("a tag is not UTF-8"))?;
            if interner.tag_ids.insert(tag, id).is_some() {
                return Err(SnapshotError::Invalid("a tag appears twice"));
            }
        }
        let list_count = read_len(input)?;
        for id in 1..=list_count {
            let len = read_len(input)?;
            let list = (0..len)
                .map(|_| {
                    let tag = u32::from_le_bytes(read_array(input)?);
                    match tag < tag_count {
                        true => Ok(tag),
                        false => Err(SnapshotError::Invalid("a tag list names an unknown tag")),
                    }
                })
                .collect::<Result<Box<[u32]>, _>>()?;
            if interner.list_ids.insert(list.clone(), id).is_some() {
                return Err(SnapshotError::Invalid("a tag list appears twice"));
            }
            interner.lists.push(list);
        }
        Ok(interner)
    }
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(bytes)
}

fn read_array<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut buf = [0; N];
    input.read_exact(&mut buf)?;
    Ok(buf)
}

/// A count or length, refused when implausibly large.
fn read_len(input: &mut impl Read) -> Result<u32, SnapshotError> {
    let len = u32::from_le_bytes(read_array(input)?);
    match len <= MAX_ITEM {
        true => Ok(len),
        false => Err(SnapshotError::Invalid("a length is out of range")),
    }
}

fn read_bytes(input: &mut impl Read) -> Result<Vec<u8>, SnapshotError> {
    let len = read_len(input)?;
    let mut buf = vec![0; len as usize];
    input.read_exact(&mut buf)?;
    Ok(buf)
}

/// A reader or writer that keeps a CRC-32 of the bytes passing through.
struct Checksummed<T> {
    inner: T,
    crc: crc32fast::Hasher,
}

impl<T> Checksummed<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            crc: crc32fast::Hasher::new(),
        }
    }
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Source, SourceType};

    #[test]
    fn a_report_s_facts_come_back_with_its_outlets_names() {
        let source = |name: &str, via: Option<&str>| {
            Source::new(name, SourceType::Civilian, Stance::Asserts).via(via)
        };
        let testimony = Testimony::of(&[
            source("Residents of Gilan province", Some("Tehran Times")),
            source("Tehran Times", None),
            source("A spokesman", Some("Argumentum")),
        ]);
        let event = Some(EventId(ReportId(uuid::Uuid::from_u128(7))));
        let mut saved = Vec::new();
        write_facts(&mut saved, &testimony, EventReview::Auto, event).unwrap();
        let facts = read_facts(&mut saved.as_slice()).unwrap();
        assert_eq!(facts.testimony, testimony);
        assert_eq!(
            facts.testimony.outlet_names().collect::<Vec<_>>(),
            ["Tehran Times", "Argumentum"]
        );
        assert_eq!((facts.review, facts.event), (EventReview::Auto, event));
    }
}
