//! Cadence state on the single table:
//!
//! | record          | PK                       | SK                                   |
//! |-----------------|--------------------------|--------------------------------------|
//! | enrollment      | `LEAD#{lead_id}`         | `CADENCE`                            |
//! | task            | `LEAD#{lead_id}`         | `TASK#{task_id}`                     |
//! | open-task entry | `OPENTASKS#{member}`     | `{due_at, ms}#{lead_id}#{task_id}`   |
//!
//! The enrollment is written with a version condition (optimistic concurrency). A task's open
//! entry copies the task so a member's list is one strongly consistent Query, no GSI; closing the
//! task deletes the entry. Entries are written before the task and removed after it, so a crash
//! leaves at worst a stale entry: saving the closed task again (every close is retried until it
//! completes) removes it.

use super::item::{from_map, n, store_error, to_map, Expr, Item};
use super::keys::{key, lead_pk};
use super::DynamoStore;
use crate::domain::cadence::Enrollment;
use crate::domain::task::Task;
use crate::domain::LeadId;
use crate::ports::{EnrollmentStore, StoreError, TaskStore};
use async_trait::async_trait;
use chrono::SecondsFormat;

const ENROLLMENT_SK: &str = "CADENCE";
const TASK_PREFIX: &str = "TASK#";
const DATA: &str = "data";
const VERSION: &str = "version";

fn task_sk(task_id: &str) -> String {
    format!("{TASK_PREFIX}{task_id}")
}

fn open_pk(member: &str) -> String {
    format!("OPENTASKS#{member}")
}

fn open_sk(task: &Task) -> String {
    format!("{}#{}#{}", task.due_at.to_rfc3339_opts(SecondsFormat::Millis, true), task.lead_id, task.id)
}

fn task_record(task: &Task) -> Result<Item, StoreError> {
    let mut item = key(lead_pk(task.lead_id), task_sk(&task.id));
    item.insert(DATA.into(), to_map(task)?);
    Ok(item)
}

fn open_entry(task: &Task, member: &str) -> Result<Item, StoreError> {
    let mut item = key(open_pk(member), open_sk(task));
    item.insert(DATA.into(), to_map(task)?);
    Ok(item)
}

#[async_trait]
impl EnrollmentStore for DynamoStore {
    async fn enrollment(&self, lead_id: LeadId) -> Result<Option<Enrollment>, StoreError> {
        match self.read(key(lead_pk(lead_id), ENROLLMENT_SK), None).await? {
            Some(mut item) => from_map(&mut item, DATA).map(Some),
            None => Ok(None),
        }
    }

    async fn save_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let mut item = key(lead_pk(enrollment.lead_id), ENROLLMENT_SK);
        item.insert(DATA.into(), to_map(enrollment)?);
        item.insert(VERSION.into(), n(enrollment.version));
        let condition = if enrollment.version <= 1 {
            ("attribute_not_exists(PK)", Expr::new())
        } else {
            ("#v = :prev", Expr::new().name("#v", VERSION).value(":prev", n(enrollment.version - 1)))
        };
        if self.put_if(item, Some(condition)).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}

impl DynamoStore {
    async fn delete_key(&self, k: Item) -> Result<(), StoreError> {
        self.client.delete_item().table_name(&self.table).set_key(Some(k)).send().await.map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }
}

#[async_trait]
impl TaskStore for DynamoStore {
    async fn create_task(&self, task: &Task) -> Result<bool, StoreError> {
        if let (Some(m), true) = (&task.member, task.is_open()) {
            self.put_if(open_entry(task, m.as_str())?, None).await?;
        }
        let created = self.put_if(task_record(task)?, Some(("attribute_not_exists(PK)", Expr::new()))).await?;
        Ok(created)
    }

    async fn save_task(&self, task: &Task) -> Result<(), StoreError> {
        let before = self.task(task.lead_id, &task.id).await?;
        if let (Some(m), true) = (&task.member, task.is_open()) {
            self.put_if(open_entry(task, m.as_str())?, None).await?;
        }
        self.put_if(task_record(task)?, None).await?;
        // A closed task leaves its member's list (also after a crash left the entry behind: the
        // delete is repeated on every save of a closed task); a moved one leaves its old place.
        if let (Some(m), false) = (&task.member, task.is_open()) {
            self.delete_key(key(open_pk(m.as_str()), open_sk(task))).await?;
        }
        if let Some(old) = before {
            if let Some(m) = &old.member {
                if task.member.as_ref() != Some(m) || open_sk(&old) != open_sk(task) {
                    self.delete_key(key(open_pk(m.as_str()), open_sk(&old))).await?;
                }
            }
        }
        Ok(())
    }

    async fn task(&self, lead_id: LeadId, task_id: &str) -> Result<Option<Task>, StoreError> {
        match self.read(key(lead_pk(lead_id), task_sk(task_id)), None).await? {
            Some(mut item) => from_map(&mut item, DATA).map(Some),
            None => Ok(None),
        }
    }

    async fn tasks_of_lead(&self, lead_id: LeadId) -> Result<Vec<Task>, StoreError> {
        let mut out = Vec::new();
        for mut item in self.query_prefix(lead_pk(lead_id), TASK_PREFIX).await? {
            out.push(from_map::<Task>(&mut item, DATA)?);
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    async fn open_tasks_of(&self, member: &str, limit: usize) -> Result<Vec<Task>, StoreError> {
        let resp = self
            .partition_query(open_pk(member), None)
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(|e| store_error("Query", e))?;
        let mut out = Vec::new();
        for mut item in resp.items.unwrap_or_default() {
            let t: Task = from_map(&mut item, DATA)?;
            if t.is_open() {
                out.push(t);
            }
        }
        Ok(out)
    }
}
