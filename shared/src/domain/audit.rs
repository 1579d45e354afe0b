//! The audit trail's record: who touched which lead, how, when, from where, and which fields —
//! never the values. Entries are append-only; the store refuses to change one once written.
//!
//! Field lists are `&'static str` paths (`contact.phone`, `context.concern`), so a caller
//! cannot put a submitted value into the trail by mistake.

use super::ids::{EventId, LeadId};
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditActor {
    /// A signed-in staff member (JWT `sub`) and the role they acted with.
    User { user_id: String, role: String },
    /// Someone posting the public web form. Their IP address is kept with the lead's consent
    /// evidence (and erased with it), never here: the trail cannot be erased.
    PublicForm,
    /// A leadflow component acting on its own (`acknowledge`, ...).
    System { component: String },
}

impl AuditActor {
    /// The actor as one string: `user:{id}`, `public_form` or `system:{name}`.
    pub fn key(&self) -> String {
        match self {
            AuditActor::User { user_id, .. } => format!("user:{user_id}"),
            AuditActor::PublicForm => "public_form".into(),
            AuditActor::System { component } => format!("system:{component}"),
        }
    }

    /// The key of the actor's own trail ([`AuditLog::by_actor`](crate::ports::AuditLog::by_actor)):
    /// staff users have one, `user:{id}`. The public form and system components do not: their
    /// entries are many (most of a lead's) and are found in each lead's trail.
    pub fn trail_key(&self) -> Option<String> {
        matches!(self, AuditActor::User { .. }).then(|| self.key())
    }

    pub fn system(component: &str) -> Self {
        AuditActor::System { component: component.to_string() }
    }
}

string_enum! {
    /// What was done.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AuditAction {
        /// Lead data was shown to the actor.
        Read => "read",
        /// A lead was created.
        Create => "create",
        /// A lead was changed.
        Update => "update",
        /// A system step read the lead and acted on it (the acknowledgement text).
        Process => "process",
        /// Everything held about a person was exported.
        Export => "export",
        /// A person's data was erased.
        Erase => "erase",
        /// The audit trail itself was read.
        ReadAudit => "read_audit",
    }
}

/// Whether the action was allowed. Refusals of a signed-in caller are kept too: a run of them
/// is what probing looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Allowed,
    Denied,
}

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Time-ordered; derived from a seed where a retried step must not write a second entry.
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub outcome: AuditOutcome,
    /// The lead concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    /// The staff member concerned (reading the trail of a user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_user: Option<String>,
    /// Field paths read or written (`contact.phone`); never their values.
    #[serde(default)]
    pub fields: Vec<String>,
    /// The caller's address (staff only; see [`AuditActor::PublicForm`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// API Gateway's request id, to find the matching log lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The route (`GET /people/{id}/export`) or component step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

impl AuditEntry {
    /// A new allowed entry at `at` with a fresh id.
    pub fn new(at: DateTime<Utc>, actor: AuditActor, action: AuditAction) -> Self {
        AuditEntry {
            id: EventId::new_at(at),
            at,
            actor,
            action,
            outcome: AuditOutcome::Allowed,
            lead_id: None,
            subject_user: None,
            fields: Vec::new(),
            source_ip: None,
            request_id: None,
            route: None,
        }
    }

    /// Gives the entry an id derived from `seed`, so recording the same step twice (a
    /// redelivered message, a retried request) keeps one entry.
    pub fn derived(mut self, seed: &str) -> Self {
        self.id = EventId::derived(self.at, format!("audit:{seed}").as_bytes());
        self
    }

    pub fn lead(mut self, id: LeadId) -> Self {
        self.lead_id = Some(id);
        self
    }

    pub fn fields(mut self, fields: &[&'static str]) -> Self {
        self.fields = fields.iter().map(|f| f.to_string()).collect();
        self
    }

    pub fn denied(mut self) -> Self {
        self.outcome = AuditOutcome::Denied;
        self
    }
}

/// Field paths of a lead, as audit entries name them.
pub mod fields {
    use crate::domain::{Lead, TimelineKind};

    pub const FIRST_NAME: &str = "contact.first_name";
    pub const LAST_NAME: &str = "contact.last_name";
    pub const PHONE: &str = "contact.phone";
    pub const EMAIL: &str = "contact.email";
    pub const CONCERN: &str = "context.concern";
    pub const CONTEXT: &str = "context";
    pub const SOURCE: &str = "source";
    pub const CONSENT: &str = "consent";
    pub const CONSENT_SMS: &str = "consent.sms";
    pub const STATUS: &str = "status";
    pub const ACKNOWLEDGED_AT: &str = "acknowledged_at";
    pub const ASSIGNMENT: &str = "assignment";
    pub const SCORE: &str = "score";
    pub const FIRST_CONTACT_AT: &str = "first_contact_at";
    pub const PAYMENTS: &str = "payments";
    pub const STAKEHOLDERS: &str = "stakeholders";
    pub const MILESTONES: &str = "milestones";
    pub const TIMELINE: &str = "timeline";
    /// The lead's follow-up cadence enrollment: which cadence, its state, next step.
    pub const CADENCE: &str = "cadence";
    /// The call tasks a cadence created for team members (titles name ids only).
    pub const TASKS: &str = "tasks";
    pub const CONSENT_EMAIL: &str = "consent.email";
    /// The inquiry records on the lead (each submission, with its contact details as given).
    pub const INQUIRIES: &str = "inquiries";

    /// Every part of a lead record, for reads and erasures of the whole record (the timeline last).
    pub const WHOLE_LEAD: &[&str] = &[
        FIRST_NAME,
        LAST_NAME,
        PHONE,
        EMAIL,
        CONCERN,
        CONTEXT,
        SOURCE,
        CONSENT,
        STATUS,
        ASSIGNMENT,
        SCORE,
        PAYMENTS,
        STAKEHOLDERS,
        MILESTONES,
        TIMELINE,
    ];

    /// A lead record as listed (`GET /leads`) or answered by a change: everything but the timeline.
    pub const LEAD_RECORD: &[&str] = match WHOLE_LEAD.split_last() {
        Some((_, record)) => record,
        None => &[],
    };

    /// The parts of `lead` that hold a value (what an intake capture wrote).
    pub fn present(lead: &Lead) -> Vec<&'static str> {
        let c = &lead.contact;
        let mut out = Vec::new();
        for (set, name) in [
            (c.first_name.is_some(), FIRST_NAME),
            (c.last_name.is_some(), LAST_NAME),
            (c.phone.is_some(), PHONE),
            (c.email.is_some(), EMAIL),
            (lead.context.concern.is_some(), CONCERN),
        ] {
            if set {
                out.push(name);
            }
        }
        out.extend([CONTEXT, SOURCE]);
        if lead.consent != Default::default() {
            out.push(CONSENT);
        }
        out
    }

    /// What a step that appended an entry of `kind` wrote, besides the timeline itself. The
    /// match is exhaustive on purpose: a new kind does not compile until it says what it touches.
    pub fn written(kind: &TimelineKind) -> &'static [&'static str] {
        match kind {
            TimelineKind::LeadCaptured { .. } => &[FIRST_NAME, LAST_NAME, PHONE, EMAIL, CONCERN, CONTEXT, SOURCE, CONSENT, TIMELINE],
            TimelineKind::RepeatInquiry { .. } => &[INQUIRIES, CONSENT, TIMELINE],
            TimelineKind::AcknowledgementSent { .. } => &[FIRST_NAME, PHONE, CONSENT_SMS, ACKNOWLEDGED_AT, TIMELINE],
            TimelineKind::AcknowledgementSkipped { .. } | TimelineKind::AcknowledgementFailed { .. } => &[PHONE, CONSENT_SMS, TIMELINE],
            TimelineKind::ScoreChanged { .. } => &[SCORE, CONCERN, TIMELINE],
            TimelineKind::Assigned { .. } | TimelineKind::AssignmentPending { .. } => &[ASSIGNMENT, TIMELINE],
            TimelineKind::TeamNotified { .. } | TimelineKind::Escalated { .. } | TimelineKind::TeamAlerted { .. } => {
                &[ASSIGNMENT, TIMELINE]
            }
            TimelineKind::ContactAttempted { .. } => &[FIRST_CONTACT_AT, STATUS, TIMELINE],
            TimelineKind::TouchpointRecorded { .. } => &[TIMELINE],
            TimelineKind::StatusChanged { .. } => &[STATUS, TIMELINE],
            TimelineKind::MessageReceived { .. } => &[PHONE, TIMELINE],
            TimelineKind::MessageSent { .. } | TimelineKind::MessageNotSent { .. } | TimelineKind::HelpRequested { .. } => {
                &[PHONE, CONSENT_SMS, TIMELINE]
            }
            TimelineKind::ConsentRevoked { .. } | TimelineKind::ConsentGranted { .. } => &[CONSENT, TIMELINE],
            TimelineKind::ContactPointConfirmed { point, .. } => match point {
                crate::domain::inquiry::PointKind::Phone => &[PHONE, CONSENT, INQUIRIES, TIMELINE],
                crate::domain::inquiry::PointKind::Email => &[EMAIL, CONSENT, INQUIRIES, TIMELINE],
            },
            TimelineKind::CallLogged { .. } => &[PHONE, TIMELINE],
            TimelineKind::EmailEngagement { .. } => &[EMAIL, TIMELINE],
            TimelineKind::AppointmentChanged { .. } | TimelineKind::ReengagementTriggered { .. } => &[STATUS, TIMELINE],
            TimelineKind::PaymentReceived { .. } => &[PAYMENTS, STATUS, TIMELINE],
            TimelineKind::StakeholderAdded { .. } => &[STAKEHOLDERS, TIMELINE],
            TimelineKind::MilestoneReached { .. } => &[MILESTONES, STATUS, TIMELINE],
            TimelineKind::SourceRetagged { .. } => &[SOURCE, TIMELINE],
            // A merge rewrites the whole record (survivor) or closes it (tombstone).
            TimelineKind::Merged { .. } => WHOLE_LEAD,
            // Follow-up cadences: the enrollment, and per step what it used to reach the person.
            TimelineKind::CadenceEnrolled { .. }
            | TimelineKind::CadenceStopped { .. }
            | TimelineKind::CadencePaused { .. }
            | TimelineKind::CadenceResumed { .. }
            | TimelineKind::CadenceCompleted { .. } => &[CADENCE, TIMELINE],
            TimelineKind::CadenceStep { channel, .. } => match channel {
                crate::domain::cadence::StepChannel::Sms => &[FIRST_NAME, PHONE, CONSENT_SMS, CADENCE, TIMELINE],
                crate::domain::cadence::StepChannel::Email => &[FIRST_NAME, EMAIL, CONSENT_EMAIL, CADENCE, TIMELINE],
                crate::domain::cadence::StepChannel::CallTask => &[ASSIGNMENT, TASKS, CADENCE, TIMELINE],
                crate::domain::cadence::StepChannel::Notification => &[ASSIGNMENT, CADENCE, TIMELINE],
            },
            TimelineKind::TaskClosed { .. } => &[TASKS, CADENCE, TIMELINE],
            TimelineKind::Reassigned { .. } => &[ASSIGNMENT, TIMELINE],
            TimelineKind::ContactEdited { .. } => &[FIRST_NAME, LAST_NAME, PHONE, EMAIL, CONCERN, CONTEXT, TIMELINE],
            TimelineKind::NoteAdded { .. } => &[TIMELINE],
            TimelineKind::StaffMessageSent { channel, .. } => match channel {
                crate::domain::ContactChannel::Email => &[EMAIL, CONSENT_EMAIL, TIMELINE],
                _ => &[PHONE, CONSENT_SMS, TIMELINE],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fields::*;

    #[test]
    fn a_lead_record_is_the_whole_lead_but_its_timeline() {
        assert_eq!(WHOLE_LEAD.last(), Some(&TIMELINE));
        assert_eq!(LEAD_RECORD, &WHOLE_LEAD[..WHOLE_LEAD.len() - 1]);
        assert!(!LEAD_RECORD.contains(&TIMELINE));
    }
}
