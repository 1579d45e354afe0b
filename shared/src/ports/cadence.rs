//! Follow-up cadence state: each lead's enrollment (at most one, versioned) and the tasks the
//! cadence creates for team members. Due steps themselves live in the scheduler (`DueStore`,
//! kind `cadence`); this is what the steps read and change.

use super::error::StoreError;
use crate::domain::cadence::Enrollment;
use crate::domain::task::Task;
use crate::domain::LeadId;
use async_trait::async_trait;

/// Enrollments, one per lead.
#[async_trait]
pub trait EnrollmentStore: Send + Sync {
    /// The lead's enrollment, if it was ever enrolled.
    async fn enrollment(&self, lead_id: LeadId) -> Result<Option<Enrollment>, StoreError>;

    /// Stores `enrollment` if the stored one is at `version - 1` (none stored for version 1);
    /// `StoreError::Conflict` when another writer got there first.
    async fn save_enrollment(&self, enrollment: &Enrollment) -> Result<(), StoreError>;
}

/// Team members' tasks.
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Stores a new task; `false` (and nothing changed) when a task with its id exists.
    async fn create_task(&self, task: &Task) -> Result<bool, StoreError>;

    /// Replaces a stored task (closing it removes it from its member's open list).
    async fn save_task(&self, task: &Task) -> Result<(), StoreError>;

    async fn task(&self, lead_id: LeadId, task_id: &str) -> Result<Option<Task>, StoreError>;

    /// Every task of a lead, oldest first.
    async fn tasks_of_lead(&self, lead_id: LeadId) -> Result<Vec<Task>, StoreError>;

    /// A member's open tasks, soonest due first, at most `limit` (one key-range query).
    async fn open_tasks_of(&self, member: &str, limit: usize) -> Result<Vec<Task>, StoreError>;
}

/// Both, as one port on `Services`.
pub trait CadenceStore: EnrollmentStore + TaskStore {}

impl<T: EnrollmentStore + TaskStore> CadenceStore for T {}
