//! The lead's timeline: an append-only, time-ordered record of everything that happened to it.

use super::channel::ContactChannel;
use super::franchise::{Milestone, Stakeholder};
use super::ids::{EventId, LeadId};
use super::inbound::{AppointmentEventKind, EmailEventKind};
use super::money::Money;
use super::source::SourceChannel;
use super::status::LeadStatus;
use super::text::FreeText;
use super::touchpoint::Touchpoint;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who or what caused an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A leadflow component (`intake`, `acknowledge`, ...).
    System(String),
    /// The person the lead is about (a form post, a reply).
    Lead,
    /// A team member, by user id.
    User(String),
    /// An outside system (`twilio`, `stripe`, ...).
    Integration(String),
}

string_enum! {
    /// Why an automated message was not sent.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum SkipReason {
        NoConsent => "no_consent",
        ConsentRevoked => "consent_revoked",
        OptedOut => "opted_out",
        NoPhone => "no_phone",
        NotMobile => "not_mobile",
        NoEmail => "no_email",
        LeadClosed => "lead_closed",
        /// A test submission (`[test_records]`): never messaged.
        TestRecord => "test_record",
        /// The number's region is not in `[messaging] sms_countries` (no SMS pumping).
        CountryNotAllowed => "country_not_allowed",
        /// The text names a host nobody configured (a person-supplied link would go out).
        UnscreenedContent => "unscreened_content",
        /// The text is over `[messaging] max_sms_segments`.
        OverSegmentBudget => "over_segment_budget",
        /// The person opted out before and was told so once already.
        AlreadyOptedOut => "already_opted_out",
        /// Quiet hours would delay it past its use (a reminder after the appointment).
        QuietHours => "quiet_hours",
        /// An email carrying SMS keyword instructions ("Reply STOP").
        SmsWordingInEmail => "sms_wording_in_email",
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineKind {
    /// The lead was created by an inquiry (`inquiry`: its record on the lead, by receipt id).
    LeadCaptured {
        channel: SourceChannel,
        touchpoint: Touchpoint,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inquiry: Option<EventId>,
    },
    /// The same person inquired again while the lead was open: a new inquiry, recorded on the
    /// lead, triaged and answered on its own.
    RepeatInquiry {
        touchpoint: Touchpoint,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inquiry: Option<EventId>,
    },
    /// The instant acknowledgement went out.
    AcknowledgementSent {
        channel: ContactChannel,
        provider_message_id: String,
        /// The text sent (templates carry no health details).
        text: String,
    },
    /// The acknowledgement was not sent, and why.
    AcknowledgementSkipped { reason: SkipReason },
    /// The provider refused the acknowledgement for good (an unreachable number).
    AcknowledgementFailed { channel: ContactChannel, error: String },
    /// The lead was scored (again) and the result changed; the explanation is on the lead.
    ScoreChanged {
        model: String,
        model_version: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u32>,
        to: u32,
        band: super::scoring::ScoreBand,
        tier: super::urgency::UrgencyTier,
    },
    /// The lead was assigned (or reassigned) by a routing rule.
    Assigned {
        member: super::routing::MemberId,
        rule: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<super::routing::MemberId>,
        on_call: bool,
    },
    /// Nobody could be assigned now; routing is tried again at `retry_at`.
    AssignmentPending { reason: String, retry_at: DateTime<Utc> },
    /// A team member was notified about the lead.
    TeamNotified { member: super::routing::MemberId, notice: super::team_notice::NoticeKind },
    /// The first contact was overdue and the escalation ladder reached step `level`.
    Escalated { level: u32, target: String, members: Vec<super::routing::MemberId> },
    /// A team member recorded a contact attempt.
    ContactAttempted {
        channel: ContactChannel,
        outcome: super::contact_attempt::ContactOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<super::text::FreeText>,
        /// The lead's first human contact attempt.
        first: bool,
    },
    /// A touchpoint recorded after capture (a page view, a download, an email open).
    TouchpointRecorded { touchpoint: Touchpoint },
    /// The lifecycle status changed (`app::lifecycle::transition`, the only writer).
    StatusChanged {
        from: LeadStatus,
        to: LeadStatus,
        /// What caused it (`user`, `appointment.no_show`, `payment.succeeded`, `sms.stop`, ...).
        trigger: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<FreeText>,
    },
    /// The person sent a message.
    MessageReceived {
        channel: ContactChannel,
        provider: String,
        provider_message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<FreeText>,
    },
    /// leadflow sent a message other than the acknowledgement (a keyword reply).
    MessageSent { channel: ContactChannel, purpose: String, provider_message_id: String, text: String },
    /// A message was not sent, and why.
    MessageNotSent { channel: ContactChannel, purpose: String, reason: SkipReason },
    /// The person revoked consent for a channel (`via`: `sms_keyword`, `hard_bounce`,
    /// `complaint`), or a staff member changed the address it was given for (`contact_changed`:
    /// it allows nothing until the person confirms the new one).
    ConsentRevoked { channel: ContactChannel, via: String },
    /// The person gave consent again (a START reply).
    ConsentGranted { channel: ContactChannel, via: String },
    /// A contact point a later inquiry gave was confirmed and is now the lead's (`by`: `staff`,
    /// `link` or `reply`); ids and kinds only.
    ContactPointConfirmed { inquiry: EventId, point: super::inquiry::PointKind, by: String },
    /// The person asked for help (HELP); the answer is a `MessageSent`.
    HelpRequested { channel: ContactChannel },
    /// A call from the phone system. The recording stays with the phone system: only its link.
    CallLogged {
        provider: String,
        call_id: String,
        answered: bool,
        duration_seconds: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recording_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracking_source: Option<String>,
        /// The search keywords behind the call (a campaign label, like the source).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keywords: Option<String>,
    },
    /// What happened to an email.
    EmailEngagement {
        provider_message_id: String,
        event: EmailEventKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
    },
    /// An appointment event from the scheduler.
    AppointmentChanged {
        provider: String,
        appointment_id: String,
        event: AppointmentEventKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        starts_at: Option<DateTime<Utc>>,
    },
    /// A payment, in integer minor units.
    PaymentReceived { provider: String, payment_id: String, amount: Money },
    /// The configured re-engagement after a no-show (or another trigger) started.
    ReengagementTriggered { action: String, trigger: String },
    /// The team (the assignee, when there is one) was alerted.
    TeamAlerted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
        reason: String,
    },
    /// A franchise stakeholder joined the lead.
    StakeholderAdded { stakeholder: Stakeholder },
    /// A franchise milestone was reached.
    MilestoneReached {
        milestone: Milestone,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<FreeText>,
    },
    /// Staff corrected the lead's source tags (the source-tag audit): the new
    /// `utm_source` / `utm_campaign` (absent: left as it was) and what they replaced. Campaign
    /// tags only, no personal data. Attribution reads the capture touchpoint with these tags.
    SourceRetagged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<super::text::Label>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        campaign: Option<super::text::Label>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_source: Option<super::text::Label>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_campaign: Option<super::text::Label>,
    },
    /// Two records of one person were merged: on both timelines. The before-image of
    /// both records is kept with the merge (`ports::dedupe`), not here; `unmerge` removes this.
    Merged {
        merge_id: EventId,
        survivor: LeadId,
        absorbed: LeadId,
        /// `automatic` (above the high threshold), `review` (accepted) or `manual`.
        how: String,
        /// Which record each surviving field and consent came from (field names and ids only).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<super::merge::FieldChoice>,
    },
    // Follow-up cadences.
    /// The lead was enrolled in a follow-up cadence (`previous`: the one it was switched from).
    CadenceEnrolled {
        cadence: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<super::cadence::StepRef>,
    },
    /// One attempt of a cadence step: step, channel, outcome and the next step (the entry's
    /// time is the attempt's).
    CadenceStep {
        cadence: String,
        step: u32,
        name: String,
        channel: super::cadence::StepChannel,
        outcome: super::cadence::StepOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<super::cadence::StepRef>,
    },
    /// The cadence stopped (a stop event: booked, replied, ...); pending steps were cancelled.
    CadenceStopped {
        cadence: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cancelled_step: Option<u32>,
    },
    /// A team member paused the cadence.
    CadencePaused { cadence: String, by: String },
    /// A team member resumed it.
    CadenceResumed {
        cadence: String,
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<super::cadence::StepRef>,
    },
    /// Every step of the cadence ran.
    CadenceCompleted { cadence: String },
    /// A call task was closed (done with the call's outcome, expired, or cancelled).
    TaskClosed {
        task_id: String,
        status: super::task::TaskStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<super::contact_attempt::ContactOutcome>,
    },
    // The staff console.
    /// A staff member gave the lead to `member` (a configured reason code, and an optional note).
    Reassigned {
        member: super::routing::MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<super::routing::MemberId>,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<FreeText>,
    },
    /// A staff member corrected the person's contact details or the inquiry's context (each
    /// field with its value before and after; the values are sealed at rest). Consents given
    /// for a changed address follow as `ConsentRevoked` entries (`contact_changed`).
    ContactEdited { changes: Vec<FieldChange> },
    /// A staff member's note on the lead.
    NoteAdded { note: FreeText },
    /// A staff member wrote to the person from the lead (through the consent gate; outside the
    /// person's allowed hours only with an override and its reason in `note`).
    StaffMessageSent {
        channel: ContactChannel,
        provider_message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        quiet_hours_override: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<FreeText>,
    },
}

/// One field a staff edit changed: its form name and the values before and after (absent:
/// empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// One entry on a lead's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: EventId,
    pub lead_id: LeadId,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(flatten)]
    pub kind: TimelineKind,
}

impl TimelineEntry {
    /// A new entry at `at` with a fresh id.
    pub fn new(lead_id: LeadId, at: DateTime<Utc>, actor: Actor, kind: TimelineKind) -> Self {
        TimelineEntry { id: EventId::new_at(at), lead_id, at, actor, kind }
    }

    /// A new entry whose id derives from `seed`, so recording the same fact twice (a
    /// redelivered message, a retried request) yields one entry.
    pub fn derived(lead_id: LeadId, at: DateTime<Utc>, seed: &str, actor: Actor, kind: TimelineKind) -> Self {
        TimelineEntry { id: EventId::derived(at, seed.as_bytes()), lead_id, at, actor, kind }
    }
}
