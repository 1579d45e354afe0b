//! A touchpoint: one interaction of the person with the practice's marketing or front door,
//! kept with enough detail for attribution.

use super::source::{SourceChannel, SourceDetail};
use super::text::Label;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of interaction it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchpointKind {
    FormSubmission,
    PageView,
    Download,
    AdClick,
    Call,
    Chat,
    SocialMessage,
    EmailOpen,
    EmailClick,
    Referral,
    EventRegistration,
    WalkIn,
    AppointmentRequest,
    Other,
}

/// One interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touchpoint {
    pub at: DateTime<Utc>,
    pub kind: TouchpointKind,
    pub channel: SourceChannel,
    #[serde(default)]
    pub detail: SourceDetail,
    /// The page it happened on, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Label>,
}

impl TouchpointKind {
    /// The touchpoint an inquiry through `channel` amounts to.
    pub fn for_inquiry(channel: SourceChannel) -> Self {
        match channel {
            SourceChannel::WebForm | SourceChannel::PaidAd => TouchpointKind::FormSubmission,
            SourceChannel::PhoneCall => TouchpointKind::Call,
            SourceChannel::Chat => TouchpointKind::Chat,
            SourceChannel::SocialDm => TouchpointKind::SocialMessage,
            SourceChannel::PhysicianReferral | SourceChannel::PatientReferral => TouchpointKind::Referral,
            SourceChannel::Event => TouchpointKind::EventRegistration,
            SourceChannel::WalkIn => TouchpointKind::WalkIn,
            SourceChannel::Other => TouchpointKind::Other,
        }
    }
}
