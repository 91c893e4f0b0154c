//! Events against a brute-force reference: every pair of reports tested for a link with
//! Karney's geodesic distances, then the documented grouping (README, "Events") written out
//! plainly: core reports (precise in place and time) in id order join the linked event with
//! the nearest linked member that stays within the bounds, vague reports that assert
//! something support the event of the linked core report before them nearest in time, then
//! in place, pins and exclusions as the reviewer said. The engine must give the same events
//! whether it builds them at once or follows writes one by one, and every event must keep
//! the bounds.

use proptest::prelude::*;
use sightmap_core::domain::model::{
    EventId, EventReview, IndexRecord, Kind, Precision, Relation, ReportId, SourceKey, Stance,
    Status, Testimony, Timestamp, WordSet,
};
use sightmap_core::engine::events::{EventIndex, EventSettings, Member, compatible, is_core};
use sightmap_core::geospatial::geodesy::{AuxPoint, chord_squared, geodesic_distance_m};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const HOUR: i64 = 3_600;

/// Events as sets: id → (core, support).
type Grouping = BTreeMap<EventId, (BTreeSet<ReportId>, BTreeSet<ReportId>)>;

fn id(n: u32) -> ReportId {
    ReportId(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(n),
    ))
}

fn record(
    n: u32,
    (lon, lat): (f64, f64),
    precision: Precision,
    kind: Kind,
    (from_h, length_h): (i64, i64),
    review: EventReview,
) -> IndexRecord {
    let uncertainty_m = match precision {
        Precision::Exact => 50.0 + f64::from(n % 7) * 400.0,
        Precision::Place => 5_000.0,
        Precision::Near => 10_000.0,
        Precision::Region => 30_000.0,
        Precision::Province => 100_000.0,
        Precision::Country => 300_000.0,
    };
    IndexRecord {
        id: id(n),
        version: 1,
        lon,
        lat,
        uncertainty_m,
        precision,
        kind,
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(from_h * HOUR),
        observed_to: Timestamp((from_h + length_h) * HOUR),
        tags: Vec::new(),
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Testimony::from_keys(vec![SourceKey {
            name: u64::from(n % 5) + 1,
            via: 0,
            stance: if n % 11 == 3 {
                Stance::Denies
            } else {
                Stance::Asserts
            },
            media: false,
        }]),
        event_review: review,
        exact: None,
    }
}

fn distance(a: &IndexRecord, b: &IndexRecord) -> f64 {
    geodesic_distance_m(a.lon, a.lat, b.lon, b.lat)
}

/// The rank of a linked report by place: the chord between the points on the auxiliary
/// sphere (the order of the distance along it).
fn chord(a: &IndexRecord, b: &IndexRecord) -> f64 {
    let (p, q) = (AuxPoint::new(a.lon, a.lat), AuxPoint::new(b.lon, b.lat));
    chord_squared(&p.xyz, &q.xyz)
}

fn is_core_record(r: &IndexRecord) -> bool {
    is_core(r.precision, r.observed_from.0, r.observed_to.0)
}

fn time_gap(a: &IndexRecord, b: &IndexRecord) -> i64 {
    (a.observed_from.0.max(b.observed_from.0) - a.observed_to.0.min(b.observed_to.0)).max(0)
}

fn asserts(r: &IndexRecord) -> bool {
    r.status != Status::Retracted
        && r.testimony
            .keys()
            .iter()
            .any(|k| k.stance == Stance::Asserts)
}

fn linked(a: &IndexRecord, b: &IndexRecord, s: &EventSettings) -> bool {
    let gap =
        (a.observed_from.0.max(b.observed_from.0) - a.observed_to.0.min(b.observed_to.0)).max(0);
    compatible(a.kind, b.kind)
        && gap as f64 <= s.gap_h * HOUR as f64
        && distance(a, b) <= a.uncertainty_m + b.uncertainty_m + s.gap_km * 1_000.0
}

/// The documented grouping, by brute force.
fn reference(records: &[IndexRecord], s: &EventSettings) -> Grouping {
    let mut sorted: Vec<&IndexRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.id);
    let auto = |r: &&IndexRecord| r.event_review == EventReview::Auto;
    let core: Vec<&IndexRecord> = sorted
        .iter()
        .copied()
        .filter(auto)
        .filter(|r| is_core_record(r))
        .collect();
    // Core reports in id order; events numbered in founding order.
    let mut events: Vec<Vec<usize>> = Vec::new();
    let mut event_of: Vec<usize> = Vec::new();
    for (i, x) in core.iter().enumerate() {
        let mut candidates: Vec<(f64, usize)> = Vec::new();
        for (j, y) in core[..i].iter().enumerate() {
            if linked(x, y, s) {
                let d = chord(x, y);
                match candidates.iter_mut().find(|c| c.1 == event_of[j]) {
                    Some(c) => c.0 = c.0.min(d),
                    None => candidates.push((d, event_of[j])),
                }
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let admits = |e: usize| {
            events[e].iter().all(|&m| {
                let y = core[m];
                (x.observed_from.0 - y.observed_from.0).abs() as f64 <= s.max_h * HOUR as f64
                    && distance(x, y) <= s.max_km * 1_000.0
            }) && {
                let starts = events[e].iter().map(|&m| core[m].observed_from.0);
                let lo = starts.clone().min().unwrap().min(x.observed_from.0);
                let hi = starts.max().unwrap().max(x.observed_from.0);
                (hi - lo) as f64 <= s.max_h * HOUR as f64
            }
        };
        match candidates.into_iter().map(|c| c.1).find(|&e| admits(e)) {
            Some(e) => {
                events[e].push(i);
                event_of.push(e);
            }
            None => {
                event_of.push(events.len());
                events.push(vec![i]);
            }
        }
    }
    let mut out: Grouping = BTreeMap::new();
    let mut of: BTreeMap<ReportId, EventId> = BTreeMap::new();
    for members in &events {
        let eid = EventId(core[members[0]].id);
        for &m in members {
            out.entry(eid).or_default().0.insert(core[m].id);
            of.insert(core[m].id, eid);
        }
    }
    // Vague reports that assert something: the event of the linked core report before them
    // nearest in time, then in place, else alone.
    for v in sorted
        .iter()
        .copied()
        .filter(auto)
        .filter(|r| !is_core_record(r))
    {
        let nearest = core
            .iter()
            .filter(|c| c.id < v.id && asserts(v) && linked(v, c, s))
            .min_by(|a, b| {
                time_gap(v, a)
                    .cmp(&time_gap(v, b))
                    .then(chord(v, a).total_cmp(&chord(v, b)))
                    .then(a.id.cmp(&b.id))
            });
        let eid = nearest.map_or(EventId(v.id), |c| of[&c.id]);
        out.entry(eid).or_default().1.insert(v.id);
    }
    // Pins: to an event the machine formed, else alone.
    let formed: BTreeSet<EventId> = out.keys().copied().collect();
    for p in sorted.iter() {
        if let EventReview::Pin(target) = p.event_review {
            let eid = if formed.contains(&target) {
                target
            } else {
                EventId(p.id)
            };
            let entry = out.entry(eid).or_default();
            if is_core_record(p) {
                entry.0.insert(p.id);
            } else {
                entry.1.insert(p.id);
            }
        }
    }
    out
}

fn grouping(index: &EventIndex) -> Grouping {
    index
        .events()
        .map(|e| {
            (
                e.id,
                (
                    e.core.iter().copied().collect(),
                    e.support.iter().copied().collect(),
                ),
            )
        })
        .collect()
}

fn arb_record(n: u32) -> impl Strategy<Value = IndexRecord> {
    let precision = prop::sample::select(vec![
        Precision::Exact,
        Precision::Exact,
        Precision::Place,
        Precision::Place,
        Precision::Near,
        Precision::Region,
        Precision::Province,
    ]);
    let kind = prop::sample::select(vec![
        Kind::Drone,
        Kind::Sound,
        Kind::Strike,
        Kind::Explosion,
        Kind::Light,
        Kind::Other,
    ]);
    let review = prop_oneof![
        8 => Just(None),
        1 => Just(Some(EventReview::Exclude)),
        1 => (0..40u32).prop_map(|t| Some(EventReview::Pin(EventId(id(t))))),
    ];
    (
        (49.0..49.6f64, 37.0..37.5f64),
        precision,
        kind,
        (
            0..60i64,
            prop_oneof![6 => 0..4i64, 1 => 5..8i64, 1 => Just(72i64)],
        ),
        review,
    )
        .prop_map(move |(at, p, k, time, review)| {
            record(n, at, p, k, time, review.unwrap_or(EventReview::Auto))
        })
}

fn arb_records() -> impl Strategy<Value = Vec<IndexRecord>> {
    (5..40u32).prop_flat_map(|n| (0..n).map(arb_record).collect::<Vec<_>>())
}

/// Every machine-formed event keeps the bounds among its grouped core members.
fn assert_bounds(index: &EventIndex, records: &[IndexRecord], s: &EventSettings) {
    let by_id: BTreeMap<ReportId, &IndexRecord> = records.iter().map(|r| (r.id, r)).collect();
    for e in index.events() {
        let core: Vec<&IndexRecord> = e
            .core
            .iter()
            .map(|m| by_id[m])
            .filter(|r| r.event_review == EventReview::Auto)
            .collect();
        for a in &core {
            for b in &core {
                assert!(
                    distance(a, b) <= s.max_km * 1_000.0 + 1e-6,
                    "{} km",
                    distance(a, b) / 1e3
                );
                assert!(
                    (a.observed_from.0 - b.observed_from.0).abs() as f64 <= s.max_h * HOUR as f64
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn built_events_equal_the_brute_force_reference(records in arb_records()) {
        let s = EventSettings::default();
        let index = EventIndex::build(s, &records);
        prop_assert_eq!(grouping(&index), reference(&records, &s));
        assert_bounds(&index, &records, &s);
    }

    #[test]
    fn events_under_other_settings_equal_the_reference(
        records in arb_records(),
        gap_km in 0.0..20.0f64,
        gap_h in 0.0..6.0f64,
        max_km in 1.0..80.0f64,
        max_h in 1.0..48.0f64,
    ) {
        let s = EventSettings { gap_km, gap_h, max_km, max_h };
        let index = EventIndex::build(EventSettings::default(), &records).with_settings(s);
        prop_assert_eq!(grouping(&index), reference(&records, &s));
        assert_bounds(&index, &records, &s);
    }

    /// Events restored from each report's saved event (as a restart from the snapshot does)
    /// equal the grouping, and follow later writes as a freshly grouped index does; a saved
    /// assignment that does not fit is refused.
    #[test]
    fn restored_events_equal_the_grouping_and_follow_writes(
        records in arb_records(),
        later in arb_records(),
        damage in any::<prop::sample::Index>(),
    ) {
        let s = EventSettings::default();
        let grouped = EventIndex::build(s, &records);
        let members: Vec<Member> = records.iter().map(Member::of).collect();
        let saved: HashMap<ReportId, EventId> = grouped.assignments().collect();
        let mut restored = EventIndex::restore(s, members.clone(), saved.clone())
            .unwrap_or_else(|_| panic!("a faithful assignment is restored"));
        prop_assert_eq!(grouping(&restored), grouping(&grouped));
        // Later reports, with ids after the saved ones.
        let mut live: BTreeMap<ReportId, IndexRecord> =
            records.iter().map(|r| (r.id, r.clone())).collect();
        for mut r in later {
            r.id = id(1_000 + live.len() as u32);
            restored.upsert(&r);
            live.insert(r.id, r);
        }
        let now: Vec<IndexRecord> = live.into_values().collect();
        prop_assert_eq!(grouping(&restored), reference(&now, &s));
        // A report moved out of its saved event (or given one when excluded) is refused.
        let victim = members[damage.index(members.len())].id;
        let mut damaged = saved;
        match damaged.remove(&victim) {
            Some(_) => {}
            None => {
                damaged.insert(victim, EventId(victim));
            }
        }
        prop_assert!(EventIndex::restore(s, members, damaged).is_err());
    }

    #[test]
    fn events_followed_write_by_write_equal_the_reference(
        short_suffix in prop_oneof![Just(0usize), Just(3), Just(256)],
        records in arb_records(),
        order in prop::collection::vec(any::<prop::sample::Index>(), 40),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 49.0..49.6f64, 0..60i64), 0..8),
        deletes in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let s = EventSettings::default();
        // Insert in a shuffled order (ids out of order take the re-grouping path).
        let mut pending: Vec<IndexRecord> = records.clone();
        // Short suffixes make the component re-grouping run too; both must agree.
        let mut index = EventIndex::build(s, &[]).with_short_suffix(short_suffix);
        let mut live: BTreeMap<ReportId, IndexRecord> = BTreeMap::new();
        let mut picks = order.iter();
        while !pending.is_empty() {
            let at = picks.next().map_or(0, |i| i.index(pending.len()));
            let r = pending.remove(at);
            index.upsert(&r);
            live.insert(r.id, r.clone());
            let now: Vec<IndexRecord> = live.values().cloned().collect();
            prop_assert_eq!(grouping(&index), reference(&now, &s), "after inserting {}", r.id);
        }
        for (pick, lon, hour) in edits {
            let ids: Vec<ReportId> = live.keys().copied().collect();
            let target = ids[pick.index(ids.len())];
            let mut r = live[&target].clone();
            r.lon = lon;
            r.observed_from = Timestamp(hour * HOUR);
            r.observed_to = Timestamp(hour * HOUR + HOUR);
            r.version += 1;
            index.upsert(&r);
            live.insert(r.id, r.clone());
            let now: Vec<IndexRecord> = live.values().cloned().collect();
            prop_assert_eq!(grouping(&index), reference(&now, &s), "after editing {}", r.id);
        }
        for pick in deletes {
            if live.is_empty() {
                break;
            }
            let ids: Vec<ReportId> = live.keys().copied().collect();
            let target = ids[pick.index(ids.len())];
            index.remove(&target);
            live.remove(&target);
            let now: Vec<IndexRecord> = live.values().cloned().collect();
            prop_assert_eq!(grouping(&index), reference(&now, &s), "after deleting {}", target);
        }
        let now: Vec<IndexRecord> = live.into_values().collect();
        prop_assert_eq!(grouping(&index), reference(&now, &s));
        assert_bounds(&index, &now, &s);
    }
}

/// A province-wide report links to everything in a province but never joins two events:
/// two clusters 80 km apart stay two events, and the province report supports one of them.
#[test]
fn a_province_wide_report_never_glues_two_events() {
    let s = EventSettings::default();
    let review = EventReview::Auto;
    let records = vec![
        record(
            1,
            (49.0, 37.3),
            Precision::Exact,
            Kind::Strike,
            (10, 1),
            review,
        ),
        record(
            2,
            (49.01, 37.3),
            Precision::Exact,
            Kind::Sound,
            (10, 1),
            review,
        ),
        record(
            3,
            (49.9, 37.3),
            Precision::Exact,
            Kind::Strike,
            (10, 1),
            review,
        ),
        record(
            4,
            (49.91, 37.3),
            Precision::Exact,
            Kind::Sound,
            (10, 1),
            review,
        ),
        record(
            5,
            (49.45, 37.3),
            Precision::Province,
            Kind::Sound,
            (10, 1),
            review,
        ),
    ];
    let index = EventIndex::build(s, &records);
    let g = grouping(&index);
    assert_eq!(g.len(), 2, "{g:?}");
    let supports: usize = g.values().map(|(_, support)| support.len()).sum();
    assert_eq!(supports, 1);
    assert_eq!(g, reference(&records, &s));
}

/// A chain of reports each 20 km from the next is linked end to end (single linkage would
/// make one event 100 km long); the leader rule cuts it within 50 km.
#[test]
fn a_chain_of_linked_reports_is_cut_within_the_bound() {
    let s = EventSettings::default();
    let records: Vec<IndexRecord> = (0..6)
        .map(|i| {
            record(
                i,
                (49.0 + 0.225 * f64::from(i), 37.3),
                Precision::Near,
                Kind::Drone,
                (10, 1),
                EventReview::Auto,
            )
        })
        .collect();
    let index = EventIndex::build(s, &records);
    assert!(index.len() >= 2);
    assert_bounds(&index, &records, &s);
    assert_eq!(grouping(&index), reference(&records, &s));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Reports stored in id order (the order a server stores them in) never move one
    /// another: each write places only the new report, and every event id returned before
    /// stays.
    #[test]
    fn a_new_report_never_moves_an_older_one(records in arb_records()) {
        let mut sorted = records.clone();
        sorted.sort_by_key(|r| r.id);
        let mut index = EventIndex::build(EventSettings::default(), &[]);
        // A report pinned to an event that does not exist yet moves when it forms: a
        // reviewer's word (the API refuses such a pin), not the machine's.
        let pinned: BTreeSet<ReportId> = sorted
            .iter()
            .filter(|r| matches!(r.event_review, EventReview::Pin(_)))
            .map(|r| r.id)
            .collect();
        let mut placed: BTreeMap<ReportId, Option<EventId>> = BTreeMap::new();
        for r in &sorted {
            let changes = index.upsert(r);
            let moved: Vec<&ReportId> =
                changes.moved.iter().filter(|m| !pinned.contains(m)).collect();
            prop_assert!(moved.iter().all(|m| **m == r.id), "{:?}", moved);
            for (id, event) in placed.iter().filter(|(id, _)| !pinned.contains(id)) {
                prop_assert_eq!(index.event_of(id), *event);
            }
            placed.insert(r.id, index.event_of(&r.id));
        }
    }
}

/// A report dated only "during the war" and a vague denial never shape an event: the first
/// supports the event of the precise reports of that evening (never its core), the second
/// stands alone rather than making the nearest event contested.
#[test]
fn reports_vague_in_time_support_and_vague_denials_stand_alone() {
    let s = EventSettings::default();
    let review = EventReview::Auto;
    let at = (49.58, 37.28);
    let mut records: Vec<IndexRecord> = (1..=4)
        .map(|n| record(n, at, Precision::Exact, Kind::Explosion, (100, 1), review))
        .collect();
    // Twelve days, 13 to 24 June.
    records.push(record(
        5,
        at,
        Precision::Place,
        Kind::Strike,
        (0, 12 * 24),
        review,
    ));
    let mut denial = record(6, at, Precision::Province, Kind::Drone, (99, 3), review);
    denial.testimony = Testimony::from_keys(vec![SourceKey {
        name: 99,
        via: 0,
        stance: Stance::Denies,
        media: true,
    }]);
    records.push(denial);
    let index = EventIndex::build(s, &records);
    let g = grouping(&index);
    assert_eq!(g, reference(&records, &s));
    let evening = &g[&EventId(id(1))];
    assert_eq!(evening.0.len(), 4, "{g:?}");
    assert_eq!(evening.1, BTreeSet::from([id(5)]), "{g:?}");
    assert_eq!(index.event_of(&id(6)), Some(EventId(id(6))), "alone");
    let summary = index.summary(index.event(&EventId(id(1))).unwrap());
    assert_eq!(summary.core_reports, 4);
    assert_eq!(summary.supporting_reports, 1);
}

// Suggested grades against their definitions (README, "The suggested grade"): every event's
// origins counted again plainly from its members' sources, report by report, and its grade
// checked against those counts.

mod grades {
    use super::*;
    use serde_json::json;
    use sightmap_core::domain::model::{Source, SourceType};
    use sightmap_core::engine::events::summary::{EventSummary, Grade};

    /// People who speak for themselves, and outlets that relay them or speak on their own.
    const PEOPLE: [&str; 4] = ["Resident A", "Resident B", "A shepherd", "Army"];
    /// Each outlet as two reports may spell it.
    const OUTLETS: [[&str; 2]; 2] = [["Outlet One", "OUTLET ONE."], ["Outlet Two", "outlet two"]];

    /// A name as the test compares names: enough folding for the spellings above.
    fn folded(name: &str) -> String {
        name.to_lowercase().replace('.', "")
    }

    fn source(name: &str, via: Option<&str>, stance: Stance, media: bool) -> Source {
        Source {
            name: name.into(),
            url: None,
            source_type: if media {
                SourceType::Media
            } else {
                SourceType::Civilian
            },
            stance,
            statement: None,
            via: via.map(Into::into),
        }
    }

    fn arb_stance() -> impl Strategy<Value = Stance> {
        prop_oneof![
            6 => Just(Stance::Asserts),
            1 => Just(Stance::Denies),
            1 => Just(Stance::Investigating),
        ]
    }

    fn arb_outlet() -> impl Strategy<Value = &'static str> {
        (0..OUTLETS.len(), 0..2usize).prop_map(|(o, spelling)| OUTLETS[o][spelling])
    }

    /// One source: a person directly, a person through an outlet, or an outlet itself.
    fn arb_source() -> impl Strategy<Value = Source> {
        (0..3u8, 0..PEOPLE.len(), arb_outlet(), arb_stance()).prop_map(
            |(form, person, outlet, stance)| match form {
                0 => source(PEOPLE[person], None, stance, false),
                1 => source(PEOPLE[person], Some(outlet), stance, false),
                _ => source(outlet, None, stance, true),
            },
        )
    }

    /// A report's sources: often someone through an outlet with the outlet itself (as the
    /// sample data has them), else a few sources at random; and whether it is retracted.
    fn arb_sourcing() -> impl Strategy<Value = (Vec<Source>, bool)> {
        let relayed = (0..PEOPLE.len(), arb_outlet(), arb_stance(), arb_stance()).prop_map(
            |(person, outlet, said, outlet_says)| {
                vec![
                    source(PEOPLE[person], Some(outlet), said, false),
                    source(outlet, None, outlet_says, true),
                ]
            },
        );
        (
            prop_oneof![
                1 => relayed,
                1 => prop::collection::vec(arb_source(), 0..4),
            ],
            prop::bool::weighted(0.15),
        )
    }

    /// Records near one another (so that events gather several members), each with its
    /// sources.
    fn arb_sourced_records() -> impl Strategy<Value = Vec<(IndexRecord, Vec<Source>)>> {
        arb_records().prop_flat_map(|records| {
            let n = records.len();
            (
                Just(records),
                prop::collection::vec(arb_sourcing(), n),
                prop::collection::vec((49.0..49.15f64, 37.0..37.1f64), n),
            )
                .prop_map(|(records, sourcing, places)| {
                    records
                        .into_iter()
                        .zip(sourcing)
                        .zip(places)
                        .map(|((mut r, (sources, retracted)), (lon, lat))| {
                            (r.lon, r.lat) = (lon, lat);
                            r.testimony = Testimony::of(&sources);
                            if retracted {
                                r.status = Status::Retracted;
                            }
                            (r, sources)
                        })
                        .collect()
                })
        })
    }

    /// One member as the reference reads it: its sources, whether it is core, whether it
    /// is retracted.
    type Sourced<'a> = (&'a [Source], bool, bool);

    /// An event's origins counted plainly from its members' sources (folded names).
    #[derive(Debug, Default)]
    struct Expected {
        asserting: BTreeSet<String>,
        denying: BTreeSet<String>,
        investigating: BTreeSet<String>,
        core_asserting: BTreeSet<String>,
        outlets: BTreeSet<String>,
        /// The `via` of each asserting origin's source in each report ("" for none).
        asserting_vias: BTreeSet<String>,
    }

    /// Counts by the README's rule: in each report, an outlet with the stance of someone
    /// that report relays through it is no origin there; origins are distinct names over
    /// the event; a retracted report's assertions do not count.
    fn expected(members: &[Sourced]) -> Expected {
        let mut e = Expected::default();
        for &(sources, core, retracted) in members {
            let counted: Vec<&Source> = sources
                .iter()
                .filter(|s| !(retracted && s.stance == Stance::Asserts))
                .collect();
            for s in &counted {
                let name = folded(&s.name);
                let via = s.via.as_deref().map(folded);
                match &via {
                    Some(via) => {
                        e.outlets.insert(via.clone());
                    }
                    None if s.source_type == SourceType::Media => {
                        e.outlets.insert(name.clone());
                    }
                    None => {}
                }
                let relays = via.is_none()
                    && counted.iter().any(|o| {
                        o.via.as_deref().map(folded) == Some(name.clone()) && o.stance == s.stance
                    });
                if relays {
                    continue;
                }
                match s.stance {
                    Stance::Asserts => {
                        e.asserting.insert(name.clone());
                        e.asserting_vias.insert(via.unwrap_or_default());
                        if core {
                            e.core_asserting.insert(name);
                        }
                    }
                    Stance::Denies => {
                        e.denying.insert(name);
                    }
                    Stance::Investigating => {
                        e.investigating.insert(name);
                    }
                }
            }
        }
        e
    }

    /// The grade the definitions give these counts.
    fn defined_grade(asserting: usize, core_asserting: usize, denying: usize) -> Grade {
        if asserting > 0 && denying > 0 {
            Grade::AssertedAndDenied
        } else if core_asserting >= 2 {
            Grade::SeveralOrigins
        } else if asserting >= 2 {
            Grade::SeveralOriginsPlacedVaguely
        } else if asserting == 1 {
            Grade::OneOrigin
        } else {
            Grade::NoAssertion
        }
    }

    /// Checks one event's summary against its members' sources and the definitions.
    fn check(summary: &EventSummary, members: &[Sourced]) {
        let e = expected(members);
        let o = &summary.origins;
        assert_eq!(o.asserting, e.asserting.len(), "asserting: {e:?}");
        assert_eq!(o.denying, e.denying.len(), "denying: {e:?}");
        assert_eq!(
            o.investigating,
            e.investigating.len(),
            "investigating: {e:?}"
        );
        assert_eq!(o.outlets, e.outlets.len(), "outlets: {e:?}");
        assert_eq!(
            summary.core_asserting,
            e.core_asserting.len(),
            "core: {e:?}"
        );
        // The grade is what its definition says of the event's own counts.
        assert_eq!(
            summary.grade,
            defined_grade(o.asserting, summary.core_asserting, o.denying),
            "{summary:?}"
        );
        assert!(summary.core_asserting <= o.asserting, "{summary:?}");
        if summary.grade == Grade::SeveralOrigins {
            // Two or more independent asserting origins among the precisely placed
            // members, none denying: `grade=several_origins&min_origins=2` finds it.
            assert!(summary.core_asserting >= 2 && o.asserting >= 2 && o.denying == 0);
        }
        assert_eq!(
            summary.reasons[0].code.code(),
            format!("grade.reason.{}", summary.grade.as_str())
        );
        // Every asserting origin (two or more) through one outlet: said, with the outlet's
        // name as the first member naming it spelt it.
        let sole = match (e.asserting.len() >= 2, e.asserting_vias.len()) {
            (true, 1) => e.asserting_vias.first().filter(|v| !v.is_empty()),
            _ => None,
        };
        let said = summary
            .reasons
            .iter()
            .find(|m| m.code.code() == "grade.reason.one_outlet");
        match (sole, said) {
            (None, None) => {}
            (Some(outlet), Some(m)) => {
                let spelt = members
                    .iter()
                    .flat_map(|(sources, _, _)| sources.iter())
                    .filter_map(|s| s.via.as_deref())
                    .find(|via| folded(via) == *outlet)
                    .unwrap();
                assert_eq!(m.params, vec![("outlet", json!(spelt))]);
            }
            (sole, said) => panic!("one outlet {sole:?}, said {said:?}: {summary:?}"),
        }
    }

    /// The event's members as the reference reads them, core first (as the summary names
    /// the outlet).
    fn sourced<'a>(
        index: &EventIndex,
        event: &sightmap_core::engine::events::Event,
        by_id: &'a HashMap<ReportId, (IndexRecord, Vec<Source>)>,
    ) -> Vec<Sourced<'a>> {
        event
            .members()
            .map(|id| {
                let (record, sources) = &by_id[id];
                let core = index.member(id).unwrap().core;
                (&sources[..], core, record.status == Status::Retracted)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Issue 16, item 3: origins are counted report by report, and every event's grade
        /// is what its definition says of its own counts.
        #[test]
        fn every_event_s_grade_follows_from_its_own_counts(sourced_records in arb_sourced_records()) {
            let records: Vec<IndexRecord> = sourced_records.iter().map(|(r, _)| r.clone()).collect();
            let by_id: HashMap<ReportId, (IndexRecord, Vec<Source>)> =
                sourced_records.into_iter().map(|(r, s)| (r.id, (r, s))).collect();
            let index = EventIndex::build(EventSettings::default(), &records);
            for event in index.events() {
                check(index.summary(event), &sourced(&index, event, &by_id));
            }
        }
    }

    /// Issue 16, item 3: two outlets each report an explosion themselves, and two
    /// province-wide reports carry one shepherd through them. The outlets are origins in
    /// their own reports and relays only in the shepherd's: three origins, two of them
    /// placed precisely.
    #[test]
    fn outlets_speaking_for_themselves_count_though_they_relay_elsewhere() {
        let reports = [
            (
                Precision::Exact,
                vec![source("Outlet One", None, Stance::Asserts, true)],
            ),
            (
                Precision::Exact,
                vec![source("Outlet Two", None, Stance::Asserts, true)],
            ),
            (
                Precision::Province,
                vec![
                    source("A shepherd", Some("Outlet One"), Stance::Asserts, false),
                    source("Outlet One", None, Stance::Asserts, true),
                ],
            ),
            (
                Precision::Province,
                vec![
                    source("A shepherd", Some("Outlet Two"), Stance::Asserts, false),
                    source("Outlet Two", None, Stance::Asserts, true),
                ],
            ),
        ];
        let records: Vec<IndexRecord> = reports
            .iter()
            .enumerate()
            .map(|(n, (precision, sources))| {
                let at = (49.58 + 0.002 * n as f64, 37.28);
                let mut r = record(
                    n as u32,
                    at,
                    *precision,
                    Kind::Explosion,
                    (10, 1),
                    EventReview::Auto,
                );
                r.testimony = Testimony::of(sources);
                r
            })
            .collect();
        let index = EventIndex::build(EventSettings::default(), &records);
        assert_eq!(index.len(), 1);
        let event = index.events().next().unwrap();
        let summary = index.summary(event);
        assert_eq!(summary.origins.asserting, 3, "{summary:?}");
        assert_eq!(summary.core_asserting, 2, "{summary:?}");
        assert_eq!(summary.origins.outlets, 2, "{summary:?}");
        assert_eq!(summary.grade, Grade::SeveralOrigins);
        // Some asserting origins spoke for themselves: no one outlet carried them all.
        assert!(
            summary
                .reasons
                .iter()
                .all(|m| m.code.code() != "grade.reason.one_outlet")
        );
    }
}

/// A private report shown to the public only at its province supports in the public view:
/// the public footprint of a Rasht event is drawn from what the public sees precisely, not
/// widened to the province (289 km before), while reviewers see its exact circle shape it.
#[test]
fn a_report_shown_only_at_its_province_does_not_widen_the_public_footprint() {
    use geo::BoundingRect;
    let s = EventSettings::default();
    let review = EventReview::Auto;
    let rasht = (49.58, 37.28);
    let mut records: Vec<IndexRecord> = (1..=2)
        .map(|n| {
            record(
                n,
                rasht,
                Precision::Exact,
                Kind::Explosion,
                (100, 1),
                review,
            )
        })
        .collect();
    let exact = record(
        3,
        (49.60, 37.27),
        Precision::Exact,
        Kind::Explosion,
        (100, 1),
        review,
    );
    let mut shown = record(
        3,
        (49.52, 37.50),
        Precision::Province,
        Kind::Explosion,
        (100, 1),
        review,
    );
    shown.exact = Some(Box::new(exact));
    records.push(shown);
    let index = EventIndex::build(s, &records);
    let event = index.event(&EventId(id(1))).unwrap();
    assert_eq!(event.core.len(), 3, "the private report is in the event");
    let width_km = |public: bool| {
        let b = index.footprint(event, public).bounding_rect().unwrap();
        (b.max().x - b.min().x) * 88.0
    };
    assert!(
        width_km(true) < 5.0,
        "public footprint {} km wide",
        width_km(true)
    );
    assert!(
        width_km(false) < 5.0,
        "reviewers' footprint {} km wide",
        width_km(false)
    );
    assert_ne!(
        index.footprint(event, true),
        index.footprint(event, false),
        "reviewers see the exact circle shape it"
    );
}
