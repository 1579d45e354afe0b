//! What a step's rules and conditions need from the lead's timeline (the single record of what
//! happened): the latest call's outcome, whether the person replied, and the automated messages
//! sent to them (for the 24-hour cap).

use crate::app::Services;
use crate::domain::cadence::{StepChannel, StepOutcome};
use crate::domain::contact_attempt::ContactOutcome;
use crate::domain::{ContactChannel, LeadId, TimelineKind};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

/// Timeline entries read at most (a lead's whole follow-up fits many times over).
const MAX_ENTRIES: usize = 2000;

/// Facts from the timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The latest call's outcome (team members' contact attempts and the phone system's calls).
    pub last_call: Option<(ContactOutcome, DateTime<Utc>)>,
    /// When the person last wrote.
    pub replied_at: Option<DateTime<Utc>>,
    /// When a team member last recorded a call attempt (whatever its outcome).
    pub call_attempted_at: Option<DateTime<Utc>>,
    /// Automated messages sent to the person: the acknowledgement and cadence texts and emails.
    pub sent: Vec<DateTime<Utc>>,
}

/// Reads the facts for `lead_id` (from the timeline's outline: no free text is needed).
pub async fn history(services: &Services, lead_id: LeadId) -> Result<History, StoreError> {
    let mut h = History::default();
    let mut after = None;
    let mut read = 0;
    loop {
        let page = services.timeline.list_outline(lead_id, after, 500).await?;
        read += page.items.len();
        for e in page.items {
            match e.kind {
                TimelineKind::ContactAttempted { channel: ContactChannel::Call, outcome, .. } => {
                    h.last_call = Some((outcome, e.at));
                    h.call_attempted_at = Some(e.at);
                }
                TimelineKind::CallLogged { answered, .. } => {
                    h.last_call = Some((if answered { ContactOutcome::Answered } else { ContactOutcome::NoAnswer }, e.at))
                }
                TimelineKind::MessageReceived { .. } => h.replied_at = Some(e.at),
                TimelineKind::AcknowledgementSent { .. } => h.sent.push(e.at),
                TimelineKind::CadenceStep { channel: StepChannel::Sms | StepChannel::Email, outcome: StepOutcome::Sent { .. }, .. } => {
                    h.sent.push(e.at)
                }
                _ => {}
            }
        }
        match page.next {
            Some(n) if read < MAX_ENTRIES => after = Some(n),
            _ => return Ok(h),
        }
    }
}
