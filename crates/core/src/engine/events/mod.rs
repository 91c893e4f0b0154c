//! Events: groups of reports that may describe one occurrence, kept beside the index and
//! updated with every write.
//!
//! - [`member`]: what is kept of a report and when two reports are *linked*.
//! - [`grouping`]: the leader rule that turns linked core reports into events within bounds.
//! - [`summary`]: an event's counts of origins and its suggested grade, in words.
//! - [`footprint`]: an event's footprint as a geodesic polygon.
//!
//! Reports placed at `exact`, `place` or `near` precision and observed over at most six hours
//! ([`member::VAGUE_INTERVAL_S`]) are the *core*: they are grouped. Reports vaguer in space
//! (region, province, country) or in time ("that day", "during the war") *support* the event
//! of the nearest earlier core report they are linked to (nearest in time, then in place),
//! and never join two events; one linked to none, or one that asserts nothing (a vague
//! denial), stands alone. A later report never moves a supporting report. A reviewer's
//! [`EventReview`] pins a report to an event or keeps it out of all, whatever the machine
//! says. Every report but an excluded one belongs to exactly one event.
//!
//! Each change returns [`EventChanges`]: the events that appeared, changed or went, and the
//! reports whose event changed, for caches now and for live messages later.

pub mod extents;
pub mod footprint;
pub mod grouping;
pub mod links;
pub mod member;
pub mod past;
mod placing;
pub mod saved;
pub mod summary;
pub mod table;

pub use member::{EventSettings, Member, Placement, compatible, is_core, linked};

use crate::domain::model::{EventId, EventReview, IndexRecord, ReportId};
use crate::engine::parallel::Background;
use extents::EventExtents;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use grouping::Bounds;
use links::{LinkTree, LinkTrees};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::OnceLock;
use summary::EventSummary;
use table::MemberTable;

/// Most grouped core members at or after a changed one for which a change re-groups them
/// ([`EventIndex::regroup_after`]) rather than the changed one's component.
const SHORT_SUFFIX: usize = 256;

/// One event: its members by role, each list sorted by id.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event's id.
    pub id: EventId,
    /// Members placed at exact, place or near precision.
    pub core: Vec<ReportId>,
    /// Vaguer members.
    pub support: Vec<ReportId>,
    /// Its summary and footprints once asked for, until a member changes (boxed: most
    /// events of a million reports are never looked at).
    cache: OnceLock<Box<Derived>>,
    /// What bounds its grouped core (none if it has no grouped core member): kept up to
    /// date as members join, forgotten when one leaves and computed again when asked for.
    /// Boxed: a start restores the events without them.
    bounds: OnceLock<Option<Box<Bounds>>>,
    /// The box `[west, south, east, north]` around its members' points, exact and public:
    /// kept up to date as members join, forgotten when one leaves.
    extent: OnceLock<[f64; 4]>,
}

/// What is computed of an event when first asked for: a page of events reads these instead
/// of summing up and clipping circles again.
#[derive(Debug, Clone, Default)]
struct Derived {
    summary: OnceLock<Box<EventSummary>>,
    /// The footprint from public placements, then from exact ones.
    footprints: [OnceLock<Box<geo::MultiPolygon<f64>>>; 2],
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.id, &self.core, &self.support) == (other.id, &other.core, &other.support)
    }
}

impl Eq for Event {}

impl Event {
    fn new(id: EventId) -> Self {
        Self {
            id,
            core: Vec::new(),
            support: Vec::new(),
            cache: OnceLock::new(),
            bounds: OnceLock::new(),
            extent: OnceLock::new(),
        }
    }

    /// Forgets what was computed of it, when a member comes, goes or changes.
    fn touch(&mut self) {
        self.cache = OnceLock::new();
    }

    fn derived(&self) -> &Derived {
        self.cache.get_or_init(Box::default)
    }

    /// Whether it has no members (never so for a live event).
    pub fn is_empty(&self) -> bool {
        self.core.is_empty() && self.support.is_empty()
    }

    /// Every member, core first.
    pub fn members(&self) -> impl Iterator<Item = &ReportId> {
        self.core.iter().chain(&self.support)
    }

    /// How many members it has.
    pub fn len(&self) -> usize {
        self.core.len() + self.support.len()
    }
}

/// What one change did to the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventChanges {
    /// Events that exist after the change and are new or have other members than before.
    pub changed: BTreeSet<EventId>,
    /// Events that existed before and do not now.
    pub removed: BTreeSet<EventId>,
    /// Reports whose event differs from before (including reports added or removed).
    pub moved: BTreeSet<ReportId>,
    /// Whether nothing is recorded (a build, whose changes nobody reads).
    quiet: bool,
}

impl EventChanges {
    /// Changes that record nothing, for a build.
    fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    fn report_moved(&mut self, id: ReportId) {
        if !self.quiet {
            self.moved.insert(id);
        }
    }

    fn event_changed(&mut self, event: EventId) {
        if !self.quiet {
            self.changed.insert(event);
            self.removed.remove(&event);
        }
    }

    fn event_removed(&mut self, event: EventId) {
        if !self.quiet {
            self.removed.insert(event);
            self.changed.remove(&event);
        }
    }
}

/// Every live report's event.
#[derive(Debug)]
pub struct EventIndex {
    settings: EventSettings,
    members: MemberTable,
    /// Core members the machine groups, and vaguer ones it attaches, by place and time.
    trees: LinkTrees,
    /// The grouped core members in id order, the order the leader rule takes them in: a
    /// change to one re-groups it and those after it ([`EventIndex::regroup_after`]).
    /// (Put in order in the background after a restart; a write that comes first waits.)
    core_order: Background<BTreeSet<ReportId>>,
    events: BTreeMap<EventId, Event>,
    /// Reports pinned by a reviewer, by the event they are pinned to.
    pinned_to: HashMap<EventId, BTreeSet<ReportId>>,
    /// Where each event lies (boxed in the background after a restart; a query of a box or a
    /// write that comes first waits).
    extents: Background<EventExtents>,
    /// Most grouped core members at or after a changed one for which a change re-groups
    /// them rather than the component ([`SHORT_SUFFIX`] unless a test says otherwise).
    short_suffix: usize,
    /// The largest id ever put into the vague tree (never lowered): a report after it has
    /// no vague report to re-place.
    newest_vague: Option<ReportId>,
}

impl Default for EventIndex {
    fn default() -> Self {
        Self::from_members(EventSettings::default(), Vec::new())
    }
}

impl EventIndex {
    /// The events of every report given.
    pub fn build<'a>(
        settings: EventSettings,
        records: impl IntoIterator<Item = &'a IndexRecord>,
    ) -> Self {
        Self::from_members(settings, records.into_iter().map(Member::of))
    }

    /// The same members grouped by other settings (the same index if they are these).
    pub fn with_settings(self, settings: EventSettings) -> Self {
        if settings == self.settings {
            self
        } else {
            Self::from_members(settings, self.members.into_values())
        }
    }

    /// The events of these members.
    pub fn from_members(
        settings: EventSettings,
        members: impl IntoIterator<Item = Member>,
    ) -> Self {
        let mut index = Self::empty(settings);
        let members = members.into_iter();
        index.members.reserve(members.size_hint().0);
        let mut core = Vec::new();
        let mut vague = Vec::new();
        for member in members {
            match member.review {
                EventReview::Auto if member.core => core.push(member.id),
                EventReview::Auto => vague.push(member.id),
                EventReview::Pin(target) => {
                    index.pinned_to.entry(target).or_default().insert(member.id);
                }
                EventReview::Exclude => {}
            }
            index.members.insert(member);
        }
        let mut core_ids = core;
        core_ids.sort_unstable();
        index.core_order = Background::ready(core_ids.iter().copied().collect());
        let mut vague_ids = vague;
        vague_ids.sort_unstable();
        index.newest_vague = vague_ids.last().copied();
        index.trees = LinkTrees::of(index.members.values());
        let mut changes = EventChanges::quiet();
        index.group_core(&core_ids, &mut changes);
        for id in vague_ids {
            index.attach_vague(id, &mut changes);
        }
        let mut pinned: Vec<ReportId> = index.pinned_to.values().flatten().copied().collect();
        pinned.sort_unstable();
        for id in pinned {
            index.place_pinned(id, &mut changes);
        }
        index.locate_events();
        index
    }

    /// Boxes every event, at once.
    fn locate_events(&mut self) {
        self.extents = Background::ready(EventExtents::of(self.events.values(), &self.members));
    }

    /// Re-boxes the events a change touched.
    fn relocate(&mut self, changes: &EventChanges) {
        let extents = self.extents.get_mut();
        for id in changes.changed.iter().chain(&changes.removed) {
            extents.update(*id, self.events.get(id), &self.members);
        }
    }

    /// The events whose members' points (exact or public) may lie in the box from
    /// `[min_lon, min_lat]` to `[max_lon, max_lat]`: every one that has one there, and some
    /// that do not.
    pub fn events_near(&self, low: [f64; 2], high: [f64; 2]) -> impl Iterator<Item = EventId> + '_ {
        self.extents.get().meeting(low, high)
    }

    /// As [`EventIndex::events_near`], each with whether every member's point (exact and
    /// public) lies in the box.
    pub fn events_near_or_inside(
        &self,
        low: [f64; 2],
        high: [f64; 2],
    ) -> impl Iterator<Item = (EventId, bool)> + '_ {
        self.extents.get().meeting_or_inside(low, high)
    }

    fn empty(settings: EventSettings) -> Self {
        Self {
            settings,
            members: MemberTable::default(),
            trees: LinkTrees::default(),
            core_order: Background::ready(BTreeSet::new()),
            events: BTreeMap::new(),
            pinned_to: HashMap::new(),
            extents: Background::ready(EventExtents::default()),
            short_suffix: SHORT_SUFFIX,
            newest_vague: None,
        }
    }

    /// The settings events are grouped by.
    pub fn settings(&self) -> &EventSettings {
        &self.settings
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Every event, in id order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.values()
    }

    /// One event.
    pub fn event(&self, id: &EventId) -> Option<&Event> {
        self.events.get(id)
    }

    /// The event of a report (none for an excluded or unknown report).
    pub fn event_of(&self, report: &ReportId) -> Option<EventId> {
        self.members.event_of(report)
    }

    /// The event of a report as the public (if `public`) or a reviewer may know it (see
    /// [`MemberTable::event_shown`]).
    pub fn event_shown(&self, report: &ReportId, public: bool) -> Option<EventId> {
        self.members.event_shown(report, public)
    }

    /// Lets what a restart leaves to the background (the link trees, the core order and the
    /// events' boxes) be made now: once the restart's own work is done.
    pub fn begin_background(&self) {
        self.trees.begin();
        self.core_order.begin();
        self.extents.begin();
    }

    /// Waits for what a restart makes in the background: for measurements.
    pub fn wait_for_background(&self) {
        self.trees.wait();
        self.core_order.get();
        self.extents.get();
    }

    /// What is kept of a report.
    pub fn member(&self, report: &ReportId) -> Option<&Member> {
        self.members.get(report)
    }

    /// An event's counts, time span and suggested grade (computed once until it changes).
    pub fn summary<'e>(&self, event: &'e Event) -> &'e EventSummary {
        event
            .derived()
            .summary
            .get_or_init(|| Box::new(summary::summarize(event, |id| &self.members[id])))
    }

    /// An event's footprint as the public (or, if `public` is false, a reviewer) sees it:
    /// from the placements of its core members that the viewer sees precisely (a private
    /// report shown to the public at province or country only supports in the public view),
    /// or every member's if none is (computed once until it changes).
    pub fn footprint<'e>(&self, event: &'e Event, public: bool) -> &'e geo::MultiPolygon<f64> {
        // Without a private member, both see the same footprint.
        let public = public && event.members().any(|id| self.members[id].public.is_some());
        event.derived().footprints[usize::from(!public)].get_or_init(|| {
            let shaping = |m: &&Member| m.shapes(public);
            let core: Vec<&Member> = event.core.iter().map(|id| &self.members[id]).collect();
            let places: Vec<Placement> = if core.iter().any(shaping) {
                core.into_iter()
                    .filter(shaping)
                    .map(|m| m.placement(public))
                    .collect()
            } else {
                event
                    .members()
                    .map(|id| self.members[id].placement(public))
                    .collect()
            };
            Box::new(footprint::footprint(&places))
        })
    }

    /// Adds a report or replaces its record, re-grouping what it changes.
    pub fn upsert(&mut self, record: &IndexRecord) -> EventChanges {
        let changes = self.regroup_for(Member::of(record));
        self.relocate(&changes);
        changes
    }

    fn regroup_for(&mut self, member: Member) -> EventChanges {
        let mut changes = EventChanges::default();
        if let Some(old) = self.members.get(&member.id)
            && !old.groups_differently(&member)
        {
            // Sources, status or the public placement only: the same events, other counts
            // or footprints.
            let event = self.members.event_of(&member.id);
            self.members.insert(member);
            if let Some(e) = event.and_then(|e| self.events.get_mut(&e)) {
                // Its public point may have moved.
                e.extent = OnceLock::new();
                e.touch();
            }
            changes.changed.extend(event);
            return changes;
        }
        let grouped_core = |m: &Member| m.core && m.review.is_auto();
        let was = self.members.get(&member.id).is_some_and(grouped_core);
        if (was || grouped_core(&member)) && self.suffix_is_short(member.id) {
            self.regroup_after(member.id, Some(member), &mut changes);
            return changes;
        }
        let (mut seeds, mut extra) = self.take_out(member.id, &mut changes);
        let id = member.id;
        self.put_in(member);
        if self.members[&id].core || !self.members[&id].review.is_auto() {
            seeds.extend(self.grouping_seeds(id));
            extra.push(id);
            self.regroup(seeds, extra, &mut changes);
        } else {
            // A vague report: it attaches, and nothing else moves.
            self.regroup(seeds, extra, &mut changes);
            self.attach_vague(id, &mut changes);
        }
        changes
    }

    /// Removes a report, re-grouping what it leaves.
    pub fn remove(&mut self, report: &ReportId) -> EventChanges {
        let changes = self.regroup_without(report);
        self.relocate(&changes);
        changes
    }

    fn regroup_without(&mut self, report: &ReportId) -> EventChanges {
        let mut changes = EventChanges::default();
        let Some(member) = self.members.get(report) else {
            return changes;
        };
        if member.core && member.review.is_auto() && self.suffix_is_short(*report) {
            self.regroup_after(*report, None, &mut changes);
            return changes;
        }
        let (seeds, orphans) = self.take_out(*report, &mut changes);
        self.regroup(seeds, orphans, &mut changes);
        changes
    }

    /// Whether few grouped core members come at or after `id` in the leader rule's order
    /// (as for a new report, or one written on another instance a moment before).
    fn suffix_is_short(&self, id: ReportId) -> bool {
        self.core_order
            .get()
            .range(id..)
            .nth(self.short_suffix)
            .is_none()
    }

    /// Sets how many grouped core members after a changed one are re-grouped one by one
    /// before the whole component is instead: for tests of both ways, which must agree.
    #[doc(hidden)]
    pub fn with_short_suffix(mut self, n: usize) -> Self {
        self.short_suffix = n;
        self
    }

    /// Replaces member `id` by `new` (or removes it), where it or its replacement is a
    /// grouped core member: every grouped core member from `id` on leaves its event, then
    /// each joins or founds one again in id order; those before `id` keep theirs, since the
    /// leader rule placed them without looking at later reports. Exact, and cheap while
    /// those after `id` are few.
    fn regroup_after(&mut self, id: ReportId, new: Option<Member>, changes: &mut EventChanges) {
        let suffix: Vec<ReportId> = self.core_order.get().range(id..).copied().collect();
        let mut touched: BTreeSet<EventId> = BTreeSet::new();
        for m in &suffix {
            touched.extend(self.members.event_of(m));
        }
        let mut vague: BTreeSet<ReportId> = BTreeSet::new();
        for event in touched {
            let Some(e) = self.events.get(&event) else {
                continue;
            };
            vague.extend(
                e.support
                    .iter()
                    .filter(|m| self.members[m].review.is_auto()),
            );
            if suffix.contains(&event.0) {
                // Founded from `id` on: every member comes from `id` on too.
                self.dissolve(event, changes);
            }
        }
        for m in &suffix {
            self.detach(*m, changes);
        }
        if let Some(old) = self.members.get(&id).cloned() {
            vague.extend(self.linked_vague(&old));
            self.withdraw(&old, changes);
        }
        let mut order: BTreeSet<ReportId> = suffix.into_iter().filter(|m| *m != id).collect();
        if let Some(member) = new {
            let core = member.core && member.review.is_auto();
            self.put_in(member);
            if core {
                order.insert(id);
                // It may have supported one of the touched events while it was vague: it
                // joins or founds one now, and is not attached as a support as well.
                vague.remove(&id);
            } else {
                // No longer grouped core: placed as any other member.
                vague.insert(id);
            }
            vague.extend(self.linked_vague(&self.members[&id]));
        }
        for m in order {
            self.join_or_found(m, changes);
        }
        for v in vague {
            match self.members.get(&v).map(|m| m.review) {
                Some(EventReview::Auto) => self.attach_vague(v, changes),
                Some(EventReview::Pin(_)) => self.place_pinned(v, changes),
                _ => {}
            }
        }
    }

    /// Takes a member out of the trees, the order and the pins, and out of its event, which
    /// stays as it is otherwise.
    fn withdraw(&mut self, member: &Member, changes: &mut EventChanges) {
        let id = member.id;
        match member.review {
            EventReview::Auto => {
                let (core, vague) = self.trees.both_mut();
                let tree = if member.core { core } else { vague };
                tree.remove(member);
                self.core_order.get_mut().remove(&id);
            }
            EventReview::Pin(target) => {
                if let Some(set) = self.pinned_to.get_mut(&target) {
                    set.remove(&id);
                }
            }
            EventReview::Exclude => {}
        }
        self.detach(id, changes);
        self.members.remove(&id);
        changes.report_moved(id);
    }

    /// Takes a member out of the trees, the pins and its event. Returns the core members
    /// whose grouping may change (those it was linked to and its event's), and the members
    /// to place anew (its event's vague supports, if it was core).
    fn take_out(
        &mut self,
        id: ReportId,
        changes: &mut EventChanges,
    ) -> (Vec<ReportId>, Vec<ReportId>) {
        let Some(member) = self.members.get(&id).cloned() else {
            return (Vec::new(), Vec::new());
        };
        let (mut seeds, mut orphans) = (Vec::new(), Vec::new());
        if member.core && member.review.is_auto() {
            seeds = self.linked_core(&member);
            if let Some(event) = self.members.event_of(&id) {
                // Its event falls apart: the other core members regroup, the vague
                // supports re-attach.
                if let Some(e) = self.events.get(&event) {
                    seeds.extend(e.core.iter().filter(|&&m| m != id));
                    orphans.extend(
                        e.support
                            .iter()
                            .filter(|m| self.members[m].review.is_auto()),
                    );
                }
                self.dissolve(event, changes);
            }
        }
        self.withdraw(&member, changes);
        (seeds, orphans)
    }

    /// Puts a member into the trees or the pins.
    fn put_in(&mut self, member: Member) {
        match member.review {
            EventReview::Auto if member.core => {
                self.core_order.get_mut().insert(member.id);
                self.trees.both_mut().0.insert(&member);
            }
            EventReview::Auto => {
                self.trees.both_mut().1.insert(&member);
                self.newest_vague = self.newest_vague.max(Some(member.id));
            }
            EventReview::Pin(target) => {
                self.pinned_to.entry(target).or_default().insert(member.id);
            }
            EventReview::Exclude => {}
        }
        self.members.insert(member);
    }

    /// The core members whose grouping a member's arrival may change: itself and those it
    /// is linked to, if it is grouped core.
    fn grouping_seeds(&self, id: ReportId) -> Vec<ReportId> {
        let member = &self.members[&id];
        if member.core && member.review.is_auto() {
            let mut seeds = self.linked_core(member);
            seeds.push(id);
            seeds
        } else {
            Vec::new()
        }
    }

    /// Places a grouped core member by the leader rule, every grouped core member before it
    /// being placed and none after it: it joins the event of a linked member whose nearest
    /// linked member is nearest (the older event on a tie) that admits it, or founds one.
    fn join_or_found(&mut self, id: ReportId, changes: &mut EventChanges) {
        let event = self
            .event_to_join(&self.members[&id])
            .unwrap_or(EventId(id));
        self.attach(id, event, changes);
        self.settle_pins(event, changes);
    }

    /// Re-groups the components of the core link graph that hold `seeds`, then re-attaches
    /// the vague reports of the events that changed and `extra` (any member to place anew).
    fn regroup(&mut self, seeds: Vec<ReportId>, extra: Vec<ReportId>, changes: &mut EventChanges) {
        let component = self.component(seeds);
        let mut vague: BTreeSet<ReportId> = BTreeSet::new();
        let mut touched: BTreeSet<EventId> = BTreeSet::new();
        for id in &component {
            if let Some(event) = self.members.event_of(id) {
                touched.insert(event);
            }
        }
        for event in touched {
            if let Some(e) = self.events.get(&event) {
                vague.extend(
                    e.support
                        .iter()
                        .filter(|m| self.members[m].review.is_auto()),
                );
            }
            self.dissolve(event, changes);
        }
        for id in &component {
            self.detach(*id, changes);
        }
        self.group_core(&component, changes);
        for id in &component {
            if let Some(member) = self.members.get(id) {
                vague.extend(self.linked_vague(member));
            }
        }
        for id in extra {
            let Some(member) = self.members.get(&id) else {
                continue;
            };
            match member.review {
                EventReview::Auto if !member.core => {
                    vague.insert(id);
                }
                EventReview::Pin(_) => self.place_pinned(id, changes),
                _ => {}
            }
        }
        for id in vague {
            self.attach_vague(id, changes);
        }
    }

    /// Every grouped core member connected by links to one of `seeds`, sorted by id.
    fn component(&self, seeds: Vec<ReportId>) -> Vec<ReportId> {
        let mut seen: HashSet<ReportId> = HashSet::new();
        let mut queue: VecDeque<ReportId> = VecDeque::new();
        for seed in seeds {
            let grouped = self
                .members
                .get(&seed)
                .is_some_and(|m| m.core && m.review.is_auto());
            if grouped && seen.insert(seed) {
                queue.push_back(seed);
            }
        }
        while let Some(id) = queue.pop_front() {
            for other in self.linked_core(&self.members[&id]) {
                if seen.insert(other) {
                    queue.push_back(other);
                }
            }
        }
        let mut out: Vec<ReportId> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Groups grouped core members (sorted by id, making up whole components, out of any
    /// event) by the leader rule, one by one in id order, and attaches each to its event.
    fn group_core(&mut self, ids: &[ReportId], changes: &mut EventChanges) {
        for id in ids {
            self.join_or_found(*id, changes);
        }
    }

    /// Attaches a vague grouped member to the event it supports
    /// ([`EventIndex::supported_event`]), or to an event of its own.
    fn attach_vague(&mut self, id: ReportId, changes: &mut EventChanges) {
        let Some(member) = self.members.get(&id) else {
            return;
        };
        let event = self.supported_event(member).unwrap_or(EventId(id));
        if self.members.event_of(&id) != Some(event) {
            self.detach(id, changes);
            self.attach(id, event, changes);
            self.settle_pins(event, changes);
        }
    }

    /// Places a pinned member: in the event it is pinned to if that exists, else alone.
    fn place_pinned(&mut self, id: ReportId, changes: &mut EventChanges) {
        let Some(EventReview::Pin(target)) = self.members.get(&id).map(|m| m.review) else {
            return;
        };
        // A pin holds to an event the machine formed (founded by a report it groups), never
        // to another pinned report standing alone, so that pins cannot chain.
        let formed = self.events.contains_key(&target)
            && self
                .members
                .get(&target.0)
                .is_some_and(|m| m.review.is_auto());
        let event = if formed { target } else { EventId(id) };
        if self.members.event_of(&id) != Some(event) {
            self.detach(id, changes);
            self.attach(id, event, changes);
        }
    }

    /// Re-places the members pinned to `event`, which has just appeared or gone.
    fn settle_pins(&mut self, event: EventId, changes: &mut EventChanges) {
        let pinned: Vec<ReportId> = self
            .pinned_to
            .get(&event)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for id in pinned {
            self.place_pinned(id, changes);
        }
    }

    /// Removes an event whole: its members are left without one until placed again.
    fn dissolve(&mut self, event: EventId, changes: &mut EventChanges) {
        let Some(e) = self.events.remove(&event) else {
            return;
        };
        for id in e.members() {
            self.members.set_event(id, None);
            changes.report_moved(*id);
        }
        changes.event_removed(event);
        let pinned: Vec<ReportId> = e
            .members()
            .filter(|m| self.members.get(m).is_some_and(|m| !m.review.is_auto()))
            .copied()
            .collect();
        for id in pinned {
            self.place_pinned(id, changes);
        }
    }

    /// Takes a report out of its event, removing the event if it is left empty.
    fn detach(&mut self, id: ReportId, changes: &mut EventChanges) {
        let Some(event) = self.members.set_event(&id, None) else {
            return;
        };
        changes.report_moved(id);
        let Some(e) = self.events.get_mut(&event) else {
            return;
        };
        for list in [&mut e.core, &mut e.support] {
            if let Ok(at) = list.binary_search(&id) {
                list.remove(at);
            }
        }
        if self
            .members
            .get(&id)
            .is_some_and(|m| m.core && m.review.is_auto())
        {
            // Its bounds may have shrunk: worked out again when next asked for.
            e.bounds = OnceLock::new();
        }
        e.extent = OnceLock::new();
        e.touch();
        if event == EventId(id) && !e.is_empty() {
            // The founder left: the event is no longer the one it founded (its pinned
            // members stand alone until it forms again).
            self.dissolve(event, changes);
        } else if e.is_empty() {
            self.events.remove(&event);
            changes.event_removed(event);
            self.settle_pins(event, changes);
        } else {
            changes.event_changed(event);
        }
    }

    /// Puts a report (out of any event) into one, creating it if need be.
    fn attach(&mut self, id: ReportId, event: EventId, changes: &mut EventChanges) {
        let member = self.members.get(&id);
        let core = member.is_some_and(|m| m.core);
        let e = self
            .events
            .entry(event)
            .or_insert_with(|| Event::new(event));
        let list = if core { &mut e.core } else { &mut e.support };
        if let Err(at) = list.binary_search(&id) {
            list.insert(at, id);
        }
        if let (Some(extent), Some(m)) = (e.extent.get_mut(), member) {
            extents::widen(extent, m);
        }
        if let Some(m) = member.filter(|m| m.core && m.review.is_auto()) {
            match e.bounds.get_mut() {
                Some(Some(bounds)) => bounds.add(m),
                _ => e.bounds = OnceLock::new(),
            }
        }
        e.touch();
        self.members.set_event(&id, Some(event));
        changes.report_moved(id);
        changes.event_changed(event);
    }

    /// The grouped core members linked to `member` (not itself), in id order.
    fn linked_core(&self, member: &Member) -> Vec<ReportId> {
        self.linked_in(self.trees.core(), member)
    }

    /// The grouped vague members linked to `member` that come after it in id order (the
    /// only ones whose event it can decide), in id order.
    fn linked_vague(&self, member: &Member) -> Vec<ReportId> {
        if self.newest_vague <= Some(member.id) {
            return Vec::new();
        }
        let mut out = self.linked_in(self.trees.vague(), member);
        out.retain(|v| *v > member.id);
        out
    }

    fn linked_in(&self, tree: &LinkTree, member: &Member) -> Vec<ReportId> {
        let mut out: Vec<ReportId> = tree
            .candidates(member, self.settings.gap_m(), self.settings.gap_s())
            .into_iter()
            .filter(|other| *other != member.id)
            .filter(|other| linked(member, &self.members[other], &self.settings))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Numbers uniform in [0, 1) from a seed (a linear congruential generator): for the tests'
/// random points.
#[cfg(test)]
fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
    move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    }
}
