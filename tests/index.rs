//! The index against a brute-force scan: every query kind, with and without filters, on seeded
//! random data, and after random inserts, moves and deletions. Distances are checked against
//! GeographicLib (Karney), the reference for "geodesic on WGS84".

use proptest::prelude::*;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{
    Kind, Precision, Relation, ReportId, SourceType, Status, Timestamp, WordSet,
};
use sightmap_core::engine::events::EventIndex;
use sightmap_core::engine::index::{
    EventFilter, IdPage, IndexRead, IndexRecord, ReportIndex, SnapshotStamp, ViewIndex,
};
use sightmap_core::engine::query::{BBox, Filter, Page, ReportQuery, Spatial};
use sightmap_core::engine::timeline::{BinWidth, Bins, Histogram, UtcOffset, span};
use sightmap_core::geospatial::geodesy::geodesic_distance_m;
use std::collections::HashSet;

const DAY: i64 = 86_400;
const T0: i64 = 1_749_772_800; // 2025-06-13T00:00:00Z

fn record_strategy(i: u128) -> impl Strategy<Value = IndexRecord> {
    (
        44.0..55.0f64,
        35.0..42.0f64,
        0..Kind::ALL.len(),
        0..Status::ALL.len(),
        0u16..32,
        0..30 * DAY,
        0..5 * DAY,
        prop::sample::subsequence(vec!["a", "b", "c"], 0..=2),
        prop_oneof![Just(0.0), 10.0..30_000.0f64],
        place_strategy(),
    )
        .prop_map(
            move |(lon, lat, kind, status, sources, start, span, tags, uncertainty_m, place)| {
                let (province, country, relation) = place;
                IndexRecord {
                    // Ids increase with i, as UUIDv7s do with time.
                    id: ReportId(uuid::Uuid::from_u128((1u128 << 100) + i)),
                    version: 1,
                    lon,
                    lat,
                    uncertainty_m,
                    precision: Precision::Exact,
                    kind: Kind::ALL[kind],
                    status: Status::ALL[status],
                    source_types: WordSet(sources),
                    observed_from: Timestamp(T0 + start),
                    observed_to: Timestamp(T0 + start + span),
                    tags: tags.into_iter().map(str::to_string).collect(),
                    province,
                    country,
                    relation,
                    testimony: Default::default(),
                    event_review: Default::default(),
                    exact: None,
                }
            },
        )
}

/// Province, country and relation to borders and coast, from small sets so that filters hit.
fn place_strategy() -> impl Strategy<Value = (Option<String>, Option<String>, Relation)> {
    (
        prop::option::of(prop::sample::select(vec!["Gilan", "Ardabil", "gilan"])),
        prop::option::of(prop::sample::select(vec!["IR", "AZ"])),
        prop::option::of(0.0..400_000.0f64),
        prop::option::of(prop::sample::select(vec!["AZ", "AM", "TM"])),
        prop::option::of(0.0..300_000.0f64),
        any::<bool>(),
    )
        .prop_map(
            |(province, country, border, border_country, coast, in_sea)| {
                (
                    province.map(str::to_string),
                    country.map(str::to_string),
                    Relation {
                        border_distance_m: border,
                        border_country: border_country.map(str::to_string),
                        coast_distance_m: coast,
                        in_sea,
                    },
                )
            },
        )
}

fn records_strategy(max: usize) -> impl Strategy<Value = Vec<IndexRecord>> {
    (0..max).prop_flat_map(|n| (0..n as u128).map(record_strategy).collect::<Vec<_>>())
}

fn filter_strategy() -> impl Strategy<Value = Filter> {
    (
        prop::option::of(0..30 * DAY),
        prop::option::of(0..30 * DAY),
        prop::option::of(prop::sample::subsequence(Kind::ALL.to_vec(), 1..=3)),
        prop::option::of(prop::sample::subsequence(Status::ALL.to_vec(), 1..=2)),
        prop::option::of(prop::sample::subsequence(SourceType::ALL.to_vec(), 1..=2)),
        prop::option::of(prop::sample::subsequence(vec!["a", "b", "zzz"], 1..=2)),
        place_filter_strategy(),
    )
        .prop_map(
            |(since, until, kinds, statuses, source_types, tags, place)| Filter {
                since: since.map(|s| Timestamp(T0 + s)),
                until: until.map(|u| Timestamp(T0 + u)),
                kinds,
                statuses,
                source_types,
                tags: tags.map(|t| t.into_iter().map(str::to_string).collect()),
                text: None,
                ..place
            },
        )
}

/// Filters by border, coast, province and country, each often absent.
fn place_filter_strategy() -> impl Strategy<Value = Filter> {
    let names = |v: Vec<&'static str>| {
        prop::option::weighted(
            0.3,
            prop::sample::subsequence(v, 1..=2)
                .prop_map(|l| l.into_iter().map(str::to_string).collect::<Vec<_>>()),
        )
    };
    (
        prop::option::weighted(0.3, 0.0..300_000.0f64),
        prop::option::weighted(0.3, 0.0..200_000.0f64),
        names(vec!["AZ", "AM", "TR"]),
        names(vec!["GILAN", "Ardabil", "Tehran"]),
        names(vec!["IR", "TM"]),
        prop::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(
            |(border_within_m, coast_within_m, border_countries, provinces, countries, in_sea)| {
                Filter {
                    border_within_m,
                    coast_within_m,
                    border_countries,
                    provinces,
                    countries,
                    in_sea,
                    ..Filter::default()
                }
            },
        )
}

/// The same list test the API promises: names match whatever their case.
fn listed(wanted: &Option<Vec<String>>, value: &Option<String>) -> bool {
    wanted.as_ref().is_none_or(|list| {
        value
            .as_ref()
            .is_some_and(|v| list.iter().any(|w| w.eq_ignore_ascii_case(v)))
    })
}

fn passes(r: &IndexRecord, f: &Filter) -> bool {
    f.since.is_none_or(|s| r.observed_to >= s)
        && f.until.is_none_or(|u| r.observed_from <= u)
        && f.kinds.as_ref().is_none_or(|k| k.contains(&r.kind))
        && f.statuses.as_ref().is_none_or(|s| s.contains(&r.status))
        && f.source_types
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| r.source_types.contains(t.bit())))
        && f.tags
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| r.tags.contains(t)))
        && f.border_within_m
            .is_none_or(|m| r.relation.border_distance_m.is_some_and(|d| d <= m))
        && f.coast_within_m
            .is_none_or(|m| r.relation.coast_distance_m.is_some_and(|d| d <= m))
        && f.in_sea.is_none_or(|s| r.relation.in_sea == s)
        && listed(&f.provinces, &r.province)
        && listed(&f.countries, &r.country)
        && listed(&f.border_countries, &r.relation.border_country)
}

/// Every match of a query by scanning all records, in the order the API promises, with exact
/// distances where the query has a centre.
fn brute_force(records: &[IndexRecord], q: &ReportQuery) -> Vec<(ReportId, Option<f64>)> {
    let live = records.iter().filter(|r| passes(r, &q.filter));
    match &q.spatial {
        Spatial::Radius {
            lon,
            lat,
            radius_m,
            include_uncertain,
        } => {
            let mut v: Vec<_> = live
                .filter_map(|r| {
                    let d = geodesic_distance_m(*lon, *lat, r.lon, r.lat);
                    let reach = radius_m
                        + if *include_uncertain {
                            r.uncertainty_m
                        } else {
                            0.0
                        };
                    (d <= reach).then_some((r.id, d))
                })
                .collect();
            v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            v.into_iter().map(|(id, d)| (id, Some(d))).collect()
        }
        Spatial::Nearest { lon, lat, k } => {
            let mut v: Vec<_> = live
                .map(|r| (r.id, geodesic_distance_m(*lon, *lat, r.lon, r.lat)))
                .collect();
            v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            v.truncate(*k);
            v.into_iter().map(|(id, d)| (id, Some(d))).collect()
        }
        Spatial::BBox(b) => {
            let mut v: Vec<_> = live
                .filter(|r| {
                    b.split_at_antimeridian()
                        .iter()
                        .any(|p| p.contains(r.lon, r.lat))
                })
                .map(|r| r.id)
                .collect();
            v.sort_by(|a, b| b.cmp(a));
            v.into_iter().map(|id| (id, None)).collect()
        }
        Spatial::None => {
            let mut v: Vec<_> = live.map(|r| r.id).collect();
            v.sort_by(|a, b| b.cmp(a));
            v.into_iter().map(|id| (id, None)).collect()
        }
    }
}

/// Compares an index answer (all pages at once) with the brute-force one.
fn assert_same(
    index: &ReportIndex,
    records: &[IndexRecord],
    q: ReportQuery,
) -> Result<(), TestCaseError> {
    assert_answers(|q| index.query(q, None), records, q)
}

/// Compares the answers of `answer` (all pages at once) with the brute-force ones.
fn assert_answers(
    answer: impl Fn(&ReportQuery) -> IdPage,
    records: &[IndexRecord],
    mut q: ReportQuery,
) -> Result<(), TestCaseError> {
    q.page = Page {
        limit: usize::MAX / 2,
        offset: 0,
    };
    let expected = brute_force(records, &q);
    let answer = answer(&q);
    prop_assert_eq!(
        answer.matched,
        expected.len(),
        "numberMatched for {:?}",
        q.spatial
    );
    let got_ids: Vec<_> = answer.hits.iter().map(|h| h.id).collect();
    let want_ids: Vec<_> = expected.iter().map(|e| e.0).collect();
    match q.spatial {
        Spatial::Radius { .. } | Spatial::Nearest { .. } => {
            // Same members; ordered by distance; each distance within 0.1 % of Karney's.
            let got: HashSet<_> = got_ids.iter().collect();
            let want: HashSet<_> = want_ids.iter().collect();
            if matches!(q.spatial, Spatial::Radius { .. }) {
                prop_assert_eq!(got, want);
            } else {
                // The k-th place may be a tie within rounding; compare distances instead.
                prop_assert_eq!(got_ids.len(), want_ids.len());
            }
            for pair in answer.hits.windows(2) {
                prop_assert!(
                    pair[0].distance_m.unwrap()
                        <= pair[1].distance_m.unwrap() * (1.0 + 1e-4) + 1e-3
                );
            }
            for (hit, (_, want)) in answer.hits.iter().zip(&expected) {
                let (got, want) = (hit.distance_m.unwrap(), want.unwrap());
                prop_assert!(
                    (got - want).abs() <= want * 1e-3 + 1e-3,
                    "distance {} vs {}",
                    got,
                    want
                );
            }
        }
        _ => prop_assert_eq!(got_ids, want_ids),
    }
    Ok(())
}

fn spatial_strategy() -> impl Strategy<Value = Spatial> {
    prop_oneof![
        Just(Spatial::None),
        (
            44.0..55.0f64,
            35.0..42.0f64,
            prop_oneof![1.0..50_000.0f64, 50_000.0..900_000.0f64],
            any::<bool>()
        )
            .prop_map(|(lon, lat, radius_m, include_uncertain)| Spatial::Radius {
                lon,
                lat,
                radius_m,
                include_uncertain
            }),
        (44.0..55.0f64, 35.0..42.0f64, 1usize..40).prop_map(|(lon, lat, k)| Spatial::Nearest {
            lon,
            lat,
            k
        }),
        (44.0..55.0f64, 35.0..42.0f64, 0.01..6.0f64, 0.01..4.0f64).prop_map(|(lon, lat, w, h)| {
            Spatial::BBox(BBox {
                min_lon: lon,
                min_lat: lat,
                max_lon: (lon + w).min(180.0),
                max_lat: (lat + h).min(90.0),
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_query_matches_a_brute_force_scan(
        records in records_strategy(400),
        spatial in spatial_strategy(),
        filter in prop_oneof![Just(Filter::default()), filter_strategy()],
    ) {
        let index = ReportIndex::build(records.clone());
        assert_same(&index, &records, ReportQuery { spatial, filter, page: Page::default() })?;
    }

    #[test]
    fn pages_concatenate_to_the_whole_answer(
        records in records_strategy(300),
        spatial in spatial_strategy(),
        limit in 1usize..50,
    ) {
        let index = ReportIndex::build(records.clone());
        let all = index.query(&ReportQuery { spatial: spatial.clone(), page: Page { limit: 100_000, offset: 0 }, ..Default::default() }, None);
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = index.query(&ReportQuery { spatial: spatial.clone(), page: Page { limit, offset }, ..Default::default() }, None);
            prop_assert_eq!(page.matched, all.matched);
            if page.hits.is_empty() { break; }
            paged.extend(page.hits.iter().map(|h| h.id));
            offset += limit;
        }
        prop_assert_eq!(paged, all.hits.iter().map(|h| h.id).collect::<Vec<_>>());
    }

    #[test]
    fn inserts_moves_and_deletes_keep_the_index_exact(
        initial in records_strategy(200),
        changes in prop::collection::vec((0usize..400, 44.0..55.0f64, 35.0..42.0f64, any::<bool>()), 0..150),
        spatial in spatial_strategy(),
        filter in prop_oneof![Just(Filter::default()), filter_strategy()],
    ) {
        let mut index = ReportIndex::build(initial.clone());
        let mut live: Vec<IndexRecord> = initial.clone();
        let mut version = 2;
        // The extent, kept as reports come and go, is always that of a pass over the live ones.
        let extent_of = |live: &[IndexRecord]| live.iter().fold(None, |acc: Option<([f64; 4], (Timestamp, Timestamp))>, r| {
            let (b, (from, to)) = acc.unwrap_or(([r.lon, r.lat, r.lon, r.lat], (r.observed_from, r.observed_to)));
            Some(([b[0].min(r.lon), b[1].min(r.lat), b[2].max(r.lon), b[3].max(r.lat)],
                (from.min(r.observed_from), to.max(r.observed_to))))
        });
        prop_assert_eq!(index.extent(), extent_of(&live));
        for (pick, lon, lat, delete) in changes {
            version += 1;
            if delete && !live.is_empty() {
                let gone = live.swap_remove(pick % live.len());
                index.remove(&gone.id, version);
            } else if !live.is_empty() && pick % 2 == 0 {
                let i = pick % live.len();
                live[i].lon = lon;
                live[i].lat = lat;
                live[i].version = version;
                index.upsert(live[i].clone());
            } else {
                let mut fresh = live.first().cloned().unwrap_or_else(|| initial.first().cloned().unwrap_or(IndexRecord {
                    id: ReportId(uuid::Uuid::nil()), version, lon, lat, kind: Kind::Drone, status: Status::Unverified,
                    source_types: WordSet::default(), observed_from: Timestamp(T0), observed_to: Timestamp(T0), tags: vec![],
                    province: None, country: None, relation: Relation::default(), testimony: Default::default(), event_review: Default::default(), exact: None,
                    uncertainty_m: 0.0,
                    precision: Precision::Exact,
                }));
                fresh.id = ReportId(uuid::Uuid::from_u128((2u128 << 100) + version as u128));
                fresh.lon = lon;
                fresh.lat = lat;
                fresh.version = version;
                index.upsert(fresh.clone());
                live.push(fresh);
            }
            prop_assert_eq!(index.extent(), extent_of(&live));
        }
        prop_assert_eq!(index.len(), live.len());
        assert_same(&index, &live, ReportQuery { spatial: spatial.clone(), ..Default::default() })?;
        // The index saved and loaded again (dead slots and all) answers the same.
        let stamp = SnapshotStamp { store: "store-a".into(), version };
        let mut saved = Vec::new();
        index.write_snapshot(&stamp, &EventIndex::default(), &mut saved).unwrap();
        let (read_stamp, loaded, _) = ReportIndex::read_snapshot(saved.as_slice()).unwrap();
        prop_assert_eq!(read_stamp, stamp);
        prop_assert_eq!(loaded.len(), live.len());
        prop_assert_eq!(loaded.extent(), index.extent());
        assert_same(&loaded, &live, ReportQuery { spatial, filter, ..Default::default() })?;
    }

    #[test]
    fn private_reports_are_answered_where_each_viewer_may_see_them(
        records in records_strategy(300),
        hidden in prop::collection::vec((any::<prop::sample::Index>(), 44.0..55.0f64, 35.0..42.0f64), 0..40),
        later in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, 44.0..55.0f64, 35.0..42.0f64), 0..40),
        spatial in spatial_strategy(),
        filter in prop_oneof![Just(Filter::default()), filter_strategy()],
        limit in 1usize..30,
    ) {
        // `exact` holds each live report where reviewers see it, `public` where the public
        // does: a private report elsewhere, carrying its exact record.
        let hide = |exact: &IndexRecord, lon: f64, lat: f64, version: i64| IndexRecord {
            lon,
            lat,
            precision: Precision::Province,
            version,
            exact: Some(Box::new(IndexRecord { version, ..exact.clone() })),
            ..exact.clone()
        };
        let mut exact = records.clone();
        let mut public = records.clone();
        for (pick, lon, lat) in &hidden {
            let i = pick.index(records.len().max(1)).min(records.len().saturating_sub(1));
            if let Some(r) = exact.get(i) {
                public[i] = hide(r, *lon, *lat, 1);
            }
        }
        let mut index = ViewIndex::build(public.clone());
        // Then reports become private, public again, or are deleted.
        let mut version = 2;
        for (pick, action, lon, lat) in later {
            if exact.is_empty() {
                break;
            }
            version += 1;
            let i = pick.index(exact.len());
            match action {
                0 => {
                    public[i] = hide(&exact[i], lon, lat, version);
                    exact[i].version = version;
                    index.upsert(public[i].clone());
                }
                1 => {
                    exact[i].version = version;
                    public[i] = exact[i].clone();
                    index.upsert(public[i].clone());
                }
                _ => {
                    index.remove(&exact[i].id, version);
                    exact.swap_remove(i);
                    public.swap_remove(i);
                }
            }
        }
        let q = ReportQuery { spatial, filter, page: Page::default() };
        assert_answers(|q| index.query(q, None, Viewer::Public), &public, q.clone())?;
        assert_answers(|q| index.query(q, None, Viewer::Exact), &exact, q.clone())?;
        // Event pages of a box, or a box and a time range, find the same events by the
        // events' own boxes as through the reports in the box.
        let timed = ReportQuery {
            filter: Filter { since: q.filter.since, until: q.filter.until, ..Filter::default() },
            page: Page { limit: 100_000, offset: 0 },
            ..q.clone()
        };
        for query in [&timed, &q] {
            for viewer in [Viewer::Public, Viewer::Exact] {
                let page = |index: &mut ViewIndex, by_box: bool| {
                    index.set_events_by_box(by_box);
                    let page = index.event_page(query, None, &EventFilter::default(), viewer);
                    (page.matched, page.events.iter().map(|e| e.id).collect::<Vec<_>>())
                };
                let by_box = page(&mut index, true);
                let through_reports = page(&mut index, false);
                prop_assert_eq!(by_box, through_reports, "{:?} as {:?}", query, viewer);
            }
        }
        // A reviewer's pages, merged from both indexes, concatenate to the whole answer.
        let whole = |page| ReportQuery { page, ..q.clone() };
        let all = index.query(&whole(Page { limit: 100_000, offset: 0 }), None, Viewer::Exact);
        let mut paged = Vec::new();
        for offset in (0..all.matched + limit).step_by(limit) {
            let page = index.query(&whole(Page { limit, offset }), None, Viewer::Exact);
            prop_assert_eq!(page.matched, all.matched);
            paged.extend(page.hits.iter().map(|h| h.id));
        }
        prop_assert_eq!(paged, all.hits.iter().map(|h| h.id).collect::<Vec<_>>());
        // Layers and exports see the same reports.
        let ids = |records: &[IndexRecord]| {
            let mut ids: Vec<_> = brute_force(records, &q).into_iter().map(|(id, _)| id).collect();
            ids.sort();
            ids
        };
        if !matches!(q.spatial, Spatial::Nearest { .. }) {
            for (viewer, records) in [(Viewer::Public, &public), (Viewer::Exact, &exact)] {
                let mut matched: Vec<_> = index.matches(&q, None, viewer).iter().map(|m| m.id).collect();
                matched.sort();
                prop_assert_eq!(&matched, &ids(records));
                let listed = index.matching_ids(&q, None, viewer).unwrap_or_else(|| index.all_ids());
                prop_assert_eq!(&listed, &ids(records));
            }
        }
        // A snapshot keeps which entries are private.
        let mut saved = Vec::new();
        index.public().write_snapshot(&SnapshotStamp { store: "s".into(), version }, index.events(), &mut saved).unwrap();
        let (_, loaded, _) = ReportIndex::read_snapshot(saved.as_slice()).unwrap();
        let mut flagged: Vec<_> = loaded.private_entries().into_iter().map(|(id, _)| id).collect();
        flagged.sort();
        let mut private: Vec<_> = public.iter().filter(|r| r.exact.is_some()).map(|r| r.id).collect();
        private.sort();
        prop_assert_eq!(flagged, private);
    }

    #[test]
    fn a_damaged_snapshot_is_refused(
        records in records_strategy(50),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
    ) {
        let index = ReportIndex::build(records);
        let mut saved = Vec::new();
        index.write_snapshot(&SnapshotStamp { store: "s".into(), version: 7 }, &EventIndex::default(), &mut saved).unwrap();
        let mut flipped = saved.clone();
        flipped[at.index(saved.len())] ^= flip;
        prop_assert!(ReportIndex::read_snapshot(flipped.as_slice()).is_err());
        let truncated = &saved[..cut.index(saved.len())];
        prop_assert!(ReportIndex::read_snapshot(truncated).is_err());
    }
}

#[test]
fn an_older_version_never_replaces_a_newer_one() {
    let base = IndexRecord {
        id: ReportId(uuid::Uuid::from_u128(7)),
        version: 5,
        lon: 49.58,
        lat: 37.28,
        uncertainty_m: 1_000.0,
        precision: Precision::Exact,
        kind: Kind::Strike,
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(T0),
        observed_to: Timestamp(T0),
        tags: vec![],
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Default::default(),
        event_review: Default::default(),
        exact: None,
    };
    let mut index = ReportIndex::build([base.clone()]);
    index.upsert(IndexRecord {
        version: 4,
        lon: 52.0,
        ..base.clone()
    });
    let near_rasht = ReportQuery {
        spatial: Spatial::Radius {
            lon: 49.58,
            lat: 37.28,
            radius_m: 1_000.0,
            include_uncertain: false,
        },
        ..Default::default()
    };
    assert_eq!(
        index.query(&near_rasht, None).matched,
        1,
        "stale upsert moved the report"
    );
    index.remove(&base.id, 6);
    index.upsert(IndexRecord { version: 5, ..base });
    assert!(
        index.is_empty(),
        "a late upsert brought a deleted report back"
    );
}

#[test]
fn a_box_across_the_antimeridian_finds_both_sides() {
    let at = |i: u128, lon: f64| IndexRecord {
        id: ReportId(uuid::Uuid::from_u128(i)),
        version: 1,
        lon,
        lat: 0.0,
        uncertainty_m: 0.0,
        precision: Precision::Exact,
        kind: Kind::Other,
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(T0),
        observed_to: Timestamp(T0),
        tags: vec![],
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Default::default(),
        event_review: Default::default(),
        exact: None,
    };
    let index = ReportIndex::build([at(1, 179.5), at(2, -179.5), at(3, 0.0)]);
    let q = ReportQuery {
        spatial: Spatial::BBox(BBox {
            min_lon: 179.0,
            min_lat: -1.0,
            max_lon: -179.0,
            max_lat: 1.0,
        }),
        ..Default::default()
    };
    assert_eq!(index.query(&q, None).matched, 2);
}

#[test]
fn compaction_after_many_deletions_keeps_every_live_report() {
    let record = |i: u128| IndexRecord {
        id: ReportId(uuid::Uuid::from_u128(i)),
        version: 1,
        lon: 44.0 + (i % 110) as f64 * 0.1,
        lat: 35.0 + (i / 110 % 70) as f64 * 0.1,
        uncertainty_m: (i % 7) as f64 * 3_000.0,
        precision: Precision::Exact,
        kind: Kind::Drone,
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(T0),
        observed_to: Timestamp(T0),
        tags: vec![],
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Default::default(),
        event_review: Default::default(),
        exact: None,
    };
    let mut index = ReportIndex::build(std::iter::empty());
    let mut live = Vec::new();
    for i in 0..12_000u128 {
        index.upsert(record(i));
        live.push(record(i));
    }
    // Deleting two in three retires 8,000 slots: compaction runs at least once.
    for i in (0..12_000u128).filter(|i| i % 3 != 0) {
        index.remove(&ReportId(uuid::Uuid::from_u128(i)), 2);
    }
    live.retain(|r| r.id.0.as_u128() % 3 == 0);
    assert_eq!(index.len(), 4_000);
    // What the layer catalogue reads stays in step through deletions and compactions.
    let figures = index.figures();
    assert_eq!(figures.reports, 4_000);
    let circles = live.iter().filter(|r| r.uncertainty_m > 0.0).count();
    assert_eq!(figures.circles, circles);
    assert!(circles > 3_000 && circles < 4_000, "{circles}");
    let [w, s, e, n] = figures.bounds.unwrap();
    assert!(
        live.iter()
            .all(|r| (w..=e).contains(&r.lon) && (s..=n).contains(&r.lat))
    );
    assert!(figures.max_uncertainty_m >= 18_000.0);
    let everywhere = ReportQuery {
        spatial: Spatial::BBox(BBox {
            min_lon: 43.0,
            min_lat: 34.0,
            max_lon: 56.0,
            max_lat: 43.0,
        }),
        ..Default::default()
    };
    assert_eq!(index.query(&everywhere, None).matched, 4_000);
    let near = ReportQuery {
        spatial: Spatial::Radius {
            lon: 49.0,
            lat: 38.0,
            radius_m: 60_000.0,
            include_uncertain: false,
        },
        ..Default::default()
    };
    assert_eq!(
        index.query(&near, None).matched,
        brute_force(&live, &near).len()
    );
}

/// Reports at one spot tie on distance: every page orders them by id, so pages neither
/// repeat nor skip a report.
#[test]
fn equal_distances_page_by_id() {
    let records: Vec<IndexRecord> = (0..40u128)
        .map(|i| {
            let at_centre = i % 4 != 0;
            IndexRecord {
                // Ids in reverse of insertion order, so traversal order is not id order.
                id: ReportId(uuid::Uuid::from_u128((1u128 << 100) + 1000 - i)),
                version: 1,
                lon: if at_centre { 49.5832 } else { 49.6 },
                lat: if at_centre { 37.2808 } else { 37.3 },
                uncertainty_m: 0.0,
                precision: Precision::Exact,
                kind: Kind::Drone,
                status: Status::Unverified,
                source_types: WordSet::default(),
                observed_from: Timestamp(T0),
                observed_to: Timestamp(T0),
                tags: Vec::new(),
                province: None,
                country: None,
                relation: Relation::default(),
                testimony: Default::default(),
                event_review: Default::default(),
                exact: None,
            }
        })
        .collect();
    let index = ReportIndex::build(records.clone());
    let query = |limit, offset| ReportQuery {
        spatial: Spatial::Radius {
            lon: 49.5832,
            lat: 37.2808,
            radius_m: 50_000.0,
            include_uncertain: false,
        },
        page: Page { limit, offset },
        ..Default::default()
    };
    let mut at_centre: Vec<ReportId> = records
        .iter()
        .filter(|r| r.lon == 49.5832)
        .map(|r| r.id)
        .collect();
    at_centre.sort();
    let mut paged = Vec::new();
    for offset in (0..40).step_by(7) {
        paged.extend(
            index
                .query(&query(7, offset), None)
                .hits
                .iter()
                .map(|h| h.id),
        );
    }
    assert_eq!(paged.len(), 40);
    assert_eq!(
        paged[..30],
        at_centre[..],
        "the 30 reports at the centre, by id"
    );
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 40, "no repeats");
}

/// The counts per bin and status of the matches of `q`, by testing each match against each
/// bin: an instant counts one in the bin that holds it, an interval the share of it in each
/// that lies within `span` (the timeline's since to until, both included).
fn brute_force_timeline(
    records: &[IndexRecord],
    q: &ReportQuery,
    bins: &Bins,
    (since, until): (i64, i64),
) -> Vec<[f64; Status::ALL.len()]> {
    let matched: HashSet<ReportId> = brute_force(records, q)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut counts = vec![[0.0; Status::ALL.len()]; bins.count];
    for r in records.iter().filter(|r| matched.contains(&r.id)) {
        let (from, to) = (r.observed_from.0, r.observed_to.0);
        for (i, row) in counts.iter_mut().enumerate() {
            let (start, end) = (bins.start(i), bins.start(i + 1));
            let share = if from == to {
                f64::from(u8::from(
                    start <= from && from < end && (since..=until).contains(&from),
                ))
            } else {
                (to.min(end).min(until) - from.max(start).max(since)).max(0) as f64
                    / (to - from) as f64
            };
            row[r.status as usize] += share;
        }
    }
    counts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `/api/timeline`'s counts: the index's matches binned against a brute-force count, for
    /// random filters, places, bin widths and time zones; each bin starts at the zone's
    /// midnight (or hour) and the bins cover the span.
    #[test]
    fn timeline_counts_match_a_brute_force_count(
        records in records_strategy(300),
        spatial in prop_oneof![
            spatial_strategy(),
            Just(Spatial::BBox(BBox { min_lon: 40.0, min_lat: 30.0, max_lon: 60.0, max_lat: 45.0 })),
        ],
        filter in prop_oneof![Just(Filter::default()), filter_strategy()],
        width in prop::sample::select(BinWidth::ALL.to_vec()),
        offset_minutes in prop::sample::select(vec![0, 210, -300, 330, 840, -720]),
    ) {
        let index = ViewIndex::build(records.clone());
        let q = ReportQuery { spatial, filter, page: Page::default() };
        let items = index.observed_reports(&q, None, Viewer::Public);
        let matched = brute_force(&records, &q).len();
        prop_assert_eq!(items.len(), matched);
        let offset = UtcOffset(offset_minutes * 60);
        let Some((from, to)) = span(&items, q.filter.since.map(|t| t.0), q.filter.until.map(|t| t.0)) else {
            prop_assert_eq!(matched, 0);
            return Ok(());
        };
        let bins = Bins::covering(from, to, width, offset).unwrap();
        prop_assert!(bins.first <= from && bins.end() > to);
        let local_start = bins.first + i64::from(offset.0);
        if width != BinWidth::Week {
            prop_assert_eq!(local_start.rem_euclid(width.seconds()), 0);
        } else {
            // 1970-01-05 was a Monday.
            prop_assert_eq!((local_start - 4 * DAY).rem_euclid(7 * DAY), 0);
        }
        let histogram = Histogram::of(&items, bins, (from, to), Status::ALL.len());
        let expected = brute_force_timeline(&records, &q, &bins, (from, to));
        for (i, row) in expected.iter().enumerate() {
            for (status, want) in row.iter().enumerate() {
                let got = histogram.bin(i)[status];
                prop_assert!((got - want).abs() < 1e-9, "bin {} status {}: {} vs {}", i, status, got, want);
            }
        }
        // Within since/until each report adds at most one; with neither, exactly one.
        let total: f64 = histogram.counts.iter().sum();
        prop_assert!(total <= matched as f64 + 1e-6);
        if q.filter.since.is_none() && q.filter.until.is_none() {
            prop_assert!((total - matched as f64).abs() < 1e-6);
        }
    }
}
