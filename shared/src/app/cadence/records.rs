//! A person's follow-up records for person rights: their leads' cadence enrollments and call
//! tasks. Both hold ids, step names and outcomes only (task titles name the short code and the
//! service line), so the export lists them and erasure has no value to remove; it stops what is
//! still running instead, so nothing more is sent about an erased person and no member keeps a
//! call task for them. Written once against the port, for both adapters.

use crate::domain::cadence::EnrollmentState;
use crate::domain::task::TaskStatus;
use crate::ports::{CadenceStore, HeldRecord, PersonDataStore, PersonKeys, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Rounds of read-change-save of one enrollment before giving up (a step saving it meanwhile).
const ATTEMPTS: usize = 5;

/// The cadence store as a [`PersonDataStore`] (listed in `Services::person_data`).
#[derive(Clone)]
pub struct CadenceRecords(pub Arc<dyn CadenceStore>);

#[async_trait]
impl PersonDataStore for CadenceRecords {
    fn name(&self) -> &'static str {
        "cadence"
    }

    async fn export(&self, person: &PersonKeys) -> Result<Vec<HeldRecord>, StoreError> {
        let mut out = Vec::new();
        for id in &person.lead_ids {
            if let Some(e) = self.0.enrollment(*id).await? {
                out.push(HeldRecord { kind: "cadence_enrollment".into(), lead_id: Some(*id), data: json(&e)? });
            }
            for t in self.0.tasks_of_lead(*id).await? {
                out.push(HeldRecord { kind: "call_task".into(), lead_id: Some(*id), data: json(&t)? });
            }
        }
        Ok(out)
    }

    async fn erase(&self, person: &PersonKeys, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut changed = 0;
        for id in &person.lead_ids {
            if stop(self.0.as_ref(), *id, at).await? {
                changed += 1;
            }
            for mut t in self.0.tasks_of_lead(*id).await? {
                if t.is_open() {
                    t.close(TaskStatus::Cancelled, None, "erasure", at);
                    self.0.save_task(&t).await?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

/// Stops a running (or paused) enrollment with the reason `erased`; `false` if none ran.
async fn stop(store: &dyn CadenceStore, id: crate::domain::LeadId, at: DateTime<Utc>) -> Result<bool, StoreError> {
    for _ in 0..ATTEMPTS {
        let Some(mut e) = store.enrollment(id).await? else { return Ok(false) };
        if !matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused) {
            return Ok(false);
        }
        e.state = EnrollmentState::Stopped;
        e.reason = Some("erased".into());
        e.next_due = None;
        e.awaiting_task = None;
        e.version += 1;
        e.updated_at = at;
        match store.save_enrollment(&e).await {
            Ok(()) => return Ok(true),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Conflict)
}

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Invalid(format!("cannot export: {e}")))
}
