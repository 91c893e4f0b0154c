//! Reading and writing reports: create, insert in batches, get, update, delete, history.

use super::*;
use crate::domain::model::EventReview;
use crate::domain::model::fields;

impl ReportService {
    /// Validates and stores a new report from a client. A pin (`event_review`) must name an
    /// event that exists (see [`ReportService::check_pin`]).
    pub async fn create(&self, input: ReportInput, by: &str) -> Result<Report, ServiceError> {
        let report = input
            .into_report(Origin::Client, None, self.now(), self.gazetteer.as_deref())
            .map_err(ServiceError::Invalid)?;
        self.check_pin(&report, EventReview::Auto)?;
        let _writing = self.writes.read().await;
        let _in_flight = self.feed.in_flight();
        match self
            .store
            .live()?
            .insert(vec![report.clone()], by)
            .await?
            .as_slice()
        {
            [Inserted::New(version)] => {
                let record = IndexRecord::of(&report, *version);
                self.apply_own(apply::Batch::Inserted(vec![record])).await;
                Ok(report)
            }
            _ => Err(StoreError::internal(format!("new id {} already stored", report.id)).into()),
        }
    }

    /// Stores reports that were validated already (by import), in one transaction. Reports
    /// whose id is stored already are skipped.
    ///
    /// Pins are kept whether or not their events exist here: an export pins its reports to
    /// events named after their founding reports, which the same import usually brings (and
    /// a bulk load groups none until it ends). A pin to an event that never forms leaves its
    /// report standing alone, as when a pinned event goes.
    pub async fn insert_batch(
        &self,
        reports: Vec<Report>,
        by: &str,
    ) -> Result<Vec<Inserted>, StoreError> {
        let _writing = self.writes.read().await;
        let _in_flight = self.feed.in_flight();
        // The index records are made before the reports go to the store, so the reports are
        // not copied; their versions are set once the store has given them.
        let records: Vec<IndexRecord> = reports.iter().map(|r| IndexRecord::of(r, 0)).collect();
        let outcomes = self
            .store
            .live()?
            .insert(reports, by)
            .await
            .map_err(|e| e.during("inserting reports"))?;
        let mut new_records = Vec::with_capacity(outcomes.len());
        for (mut record, outcome) in records.into_iter().zip(&outcomes) {
            if let Inserted::New(version) = outcome {
                record.set_version(*version);
                new_records.push(record);
            }
        }
        // In version order: the one apply step wants them so (a batch's versions are given
        // in order, so this is seldom more than a check).
        if !new_records.is_sorted_by_key(|r| r.version) {
            new_records.sort_unstable_by_key(|r| r.version);
        }
        self.apply_own(apply::Batch::Inserted(new_records)).await;
        Ok(outcomes)
    }

    /// One live report, as `viewer` may see it.
    pub async fn get(&self, id: ReportId, viewer: Viewer) -> Result<Report, ServiceError> {
        match self
            .store
            .reader()
            .get(id)
            .await
            .map_err(|e| e.during("reading a report"))?
        {
            Some((report, _)) => Ok(report.into_seen_by(viewer)),
            None => Err(ServiceError::NotFound(id)),
        }
    }

    /// Live reports by id, in the order asked, as `viewer` may see them; ids not found are
    /// left out.
    pub async fn get_many(
        &self,
        ids: Vec<ReportId>,
        viewer: Viewer,
    ) -> Result<Vec<Report>, ServiceError> {
        Ok(seen_by(
            self.store
                .reader()
                .get_many(ids)
                .await
                .map_err(|e| e.during("reading reports"))?,
            viewer,
        ))
    }

    /// Applies a JSON merge patch (RFC 7396) to a report's editable fields. A pin
    /// (`event_review`) it changes must name an event that exists (see
    /// [`ReportService::check_pin`]).
    pub async fn update(
        &self,
        id: ReportId,
        patch: &Map<String, Value>,
        by: &str,
    ) -> Result<Report, ServiceError> {
        let mut server_fields: Vec<FieldError> = fields::refused_by_patch()
            .filter(|f| patch.contains_key(*f))
            .map(FieldError::server_set)
            .collect();
        if !server_fields.is_empty() {
            server_fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ServiceError::Invalid(server_fields));
        }
        for _ in 0..UPDATE_ATTEMPTS {
            let Some((current, version)) = self
                .store
                .reader()
                .get(id)
                .await
                .map_err(|e| e.during("reading a report"))?
            else {
                return Err(ServiceError::NotFound(id));
            };
            let input = merge_patch(&current, patch).map_err(ServiceError::Invalid)?;
            let updated = input
                .into_report(
                    Origin::Client,
                    Some(&current),
                    self.now(),
                    self.gazetteer.as_deref(),
                )
                .map_err(ServiceError::Invalid)?;
            self.check_pin(&updated, current.event_review)?;
            let _writing = self.writes.read().await;
            let _in_flight = self.feed.in_flight();
            match self
                .store
                .live()?
                .update(updated.clone(), version, by)
                .await
            {
                Ok(Some(new_version)) => {
                    let record = IndexRecord::of(&updated, new_version);
                    self.apply_own(apply::Batch::Changed(vec![Change::Upserted(record)]))
                        .await;
                    return Ok(updated);
                }
                Ok(None) => return Err(ServiceError::NotFound(id)),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => {
                    // The edit may have been made durable: its old feature must go.
                    self.features.forget(&id);
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Conflict(id).into())
    }

    /// Refuses a report pinned to an event that does not exist, unless the pin is `before`,
    /// the report's review before this write: a mistyped or stale event id would otherwise
    /// be stored and silently ignored (a pinned report stands alone while its event does not
    /// exist). So is a pin to the event of a report that stands alone by a pin of its own,
    /// which the grouping ignores too (pins do not chain). A pin kept from before is not
    /// checked again, so that an edit of another field of a report whose pinned event has
    /// gone is not refused for it.
    pub fn check_pin(&self, report: &Report, before: EventReview) -> Result<(), ServiceError> {
        let EventReview::Pin(event) = report.event_review else {
            return Ok(());
        };
        if report.event_review == before {
            return Ok(());
        }
        {
            let index = self.index.read();
            let events = index.events();
            let founder = events.member(&event.0).map(|m| m.review);
            // An event a pin founded holds only that report: pins do not chain.
            if let (Some(_), Some(EventReview::Auto)) = (events.event(&event), founder) {
                return Ok(());
            }
        }
        Err(ServiceError::Invalid(vec![FieldError::pin_refused(
            "event_review",
            event,
        )]))
    }

    /// Hides a report from every query; the store keeps it.
    pub async fn delete(&self, id: ReportId, by: &str) -> Result<(), ServiceError> {
        let _writing = self.writes.read().await;
        let _in_flight = self.feed.in_flight();
        let outcome = self.store.live()?.delete(id, self.now(), by).await;
        match outcome {
            Ok(Some(version)) => {
                self.apply_own(apply::Batch::Changed(vec![Change::Removed { id, version }]))
                    .await;
                Ok(())
            }
            Ok(None) => Err(ServiceError::NotFound(id)),
            Err(e) => {
                // The deletion may have been made durable: the feature must go.
                self.features.forget(&id);
                Err(e.into())
            }
        }
    }

    /// Every revision of a report, oldest first, and whether the report is live (not
    /// deleted). `NotFound` when the store never held it.
    pub async fn history(&self, id: ReportId) -> Result<(Vec<Revision>, bool), ServiceError> {
        let revisions = self
            .store
            .live()?
            .history(id)
            .await
            .map_err(|e| e.during("reading the history"))?;
        let live = self
            .store
            .reader()
            .get(id)
            .await
            .map_err(|e| e.during("reading a report"))?
            .is_some();
        if revisions.is_empty() && !live {
            return Err(ServiceError::NotFound(id));
        }
        Ok((revisions, live))
    }
}
