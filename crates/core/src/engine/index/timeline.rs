//! What a timeline needs of the index: the observation time and category of every report
//! (by status) or event (by suggested grade) that a query matches, read from the index alone.

use super::filter::CompiledFilter;
use super::{ReportIndex, ViewIndex};
use crate::domain::model::ReportId;
use crate::domain::model::privacy::Viewer;
use crate::engine::query::{BBox, ReportQuery, Spatial};
use crate::engine::timeline::Observed;
use std::collections::HashSet;

impl ReportIndex {
    /// Adds the observation time and status of every report matching the query's place and
    /// filters (its page is ignored) to `out`.
    ///
    /// A box is walked in the tree; a query without a place (or a box that holds most of the
    /// reports) is a pass over the records in memory order, which at a million reports beats
    /// reading each tree point's record out of order.
    pub(super) fn observed(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        out: &mut Vec<Observed>,
    ) {
        let filter = CompiledFilter::new(&query.filter, &self.tags, &self.names, text_matches);
        let of = |e: &super::Entry| Observed {
            from: e.from,
            to: e.to,
            category: e.status as u8,
        };
        // A pass over the records, within the parts of a box if one is given.
        let scan = |parts: &[BBox], out: &mut Vec<Observed>| {
            out.extend(
                self.records
                    .iter()
                    .flatten()
                    .filter(|e| {
                        (parts.is_empty()
                            || parts.iter().any(|p| p.contains(e.point.lon, e.point.lat)))
                            && filter.matches(e)
                    })
                    .map(of),
            )
        };
        match &query.spatial {
            Spatial::None => scan(&[], out),
            Spatial::BBox(bbox) if self.box_holds_most(bbox) => {
                scan(&bbox.split_at_antimeridian(), out)
            }
            Spatial::BBox(bbox) => {
                let mut slots = self.bbox_slots(bbox, &filter);
                slots.sort_unstable();
                out.extend(slots.into_iter().map(|slot| of(self.entry(slot))));
            }
            Spatial::Radius { .. } | Spatial::Nearest { .. } => {
                for hit in self.every_hit(query, text_matches) {
                    if let Some(&slot) = self.by_id.get(&hit.id) {
                        out.push(of(self.entry(slot)));
                    }
                }
            }
        }
    }

    /// The observation time and status of one report.
    pub(super) fn observed_one(&self, id: &ReportId) -> Option<Observed> {
        let e = self.entry(*self.by_id.get(id)?);
        Some(Observed {
            from: e.from,
            to: e.to,
            category: e.status as u8,
        })
    }

    /// Whether a box holds at least a quarter of the area of the live reports' extent, so
    /// that a pass over every record costs less than a walk of the tree.
    fn box_holds_most(&self, bbox: &BBox) -> bool {
        let Some([w, s, e, n]) = self.extent else {
            return true;
        };
        let area = |w: f64, s: f64, e: f64, n: f64| (e - w).max(0.0) * (n - s).max(0.0);
        let whole = area(w, s, e, n);
        let inside: f64 = bbox
            .split_at_antimeridian()
            .iter()
            .map(|p| {
                area(
                    p.min_lon.max(w),
                    p.min_lat.max(s),
                    p.max_lon.min(e),
                    p.max_lat.min(n),
                )
            })
            .sum();
        whole == 0.0 || inside >= whole / 4.0
    }
}

impl ViewIndex {
    /// The observation time and status of every report matching the query's place and
    /// filters, as `viewer` sees the reports.
    pub fn observed_reports(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<Observed> {
        let mut out = Vec::new();
        if self.public_only(viewer) {
            self.public.observed(query, text_matches, &mut out);
        } else {
            let (others, private) = super::views::split(query);
            self.public.observed(&others, text_matches, &mut out);
            self.exact.observed(&private, text_matches, &mut out);
        }
        out
    }
}
