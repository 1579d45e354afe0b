//! The embedded cadence store: enrollments and tasks behind one lock, with the DynamoDB
//! adapter's rules (versioned enrollments, create-once tasks, open lists per member).

use crate::domain::cadence::Enrollment;
use crate::domain::task::Task;
use crate::domain::LeadId;
use crate::ports::{EnrollmentStore, StoreError, TaskStore};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    enrollments: HashMap<LeadId, Enrollment>,
    /// lead -> task id -> task (ids sort by creation for one lead: they carry the step).
    tasks: HashMap<LeadId, BTreeMap<String, Task>>,
}

/// The embedded cadence store. Cloning shares it.
#[derive(Clone, Default)]
pub struct MemoryCadenceStore {
    state: Arc<Mutex<State>>,
}

impl MemoryCadenceStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl EnrollmentStore for MemoryCadenceStore {
    async fn enrollment(&self, lead_id: LeadId) -> Result<Option<Enrollment>, StoreError> {
        Ok(self.lock().enrollments.get(&lead_id).cloned())
    }

    async fn save_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let mut s = self.lock();
        let stored = s.enrollments.get(&enrollment.lead_id).map(|e| e.version);
        let expected = enrollment.version.checked_sub(1).filter(|v| *v > 0);
        if stored != expected {
            return Err(StoreError::Conflict);
        }
        s.enrollments.insert(enrollment.lead_id, enrollment.clone());
        Ok(())
    }
}

#[async_trait]
impl TaskStore for MemoryCadenceStore {
    async fn create_task(&self, task: &Task) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let tasks = s.tasks.entry(task.lead_id).or_default();
        if tasks.contains_key(&task.id) {
            return Ok(false);
        }
        tasks.insert(task.id.clone(), task.clone());
        Ok(true)
    }

    async fn save_task(&self, task: &Task) -> Result<(), StoreError> {
        self.lock().tasks.entry(task.lead_id).or_default().insert(task.id.clone(), task.clone());
        Ok(())
    }

    async fn task(&self, lead_id: LeadId, task_id: &str) -> Result<Option<Task>, StoreError> {
        Ok(self.lock().tasks.get(&lead_id).and_then(|t| t.get(task_id)).cloned())
    }

    async fn tasks_of_lead(&self, lead_id: LeadId) -> Result<Vec<Task>, StoreError> {
        let mut out: Vec<Task> = self.lock().tasks.get(&lead_id).map(|t| t.values().cloned().collect()).unwrap_or_default();
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    async fn open_tasks_of(&self, member: &str, limit: usize) -> Result<Vec<Task>, StoreError> {
        let s = self.lock();
        let mut out: Vec<Task> = s
            .tasks
            .values()
            .flat_map(|t| t.values())
            .filter(|t| t.is_open() && t.member.as_ref().is_some_and(|m| m.as_str() == member))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.due_at, a.lead_id, &a.id).cmp(&(b.due_at, b.lead_id, &b.id)));
        out.truncate(limit);
        Ok(out)
    }
}
