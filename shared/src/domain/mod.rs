//! The pure domain: leads, their parts, and the rules about them. No AWS types, no I/O; time
//! comes in as arguments from an injected clock.

pub mod redact;

pub mod apportion;
pub mod attribution;
pub mod audit;
pub mod business_hours;
pub mod channel;
pub mod consent;
pub mod context;
pub mod email;
pub mod erasure;
pub mod events;
pub mod franchise;
pub mod ids;
pub mod inbound;
pub mod inquiry;
pub mod intake_form;
pub mod keywords;
pub mod lead;
pub mod lifecycle;
pub mod matching;
pub mod merge;
pub mod money;
pub mod pacing;
pub mod phone;
pub mod screen;
pub mod sms_segments;
pub mod source;
pub mod status;
pub mod string_enum;
pub mod template;
pub mod text;
pub mod timeline;
pub mod touchpoint;
pub mod webform;

// Scoring, routing, response-time SLAs and escalation.
pub mod contact_attempt;
pub mod routing;
pub mod scoring;
pub mod shift;
pub mod sla;
pub mod team_notice;
pub mod urgency;

// Data hygiene.
pub mod contact_check;
pub mod scoring_review;

// The staff console: finding a lead by name, phone or e-mail.
pub mod search;

pub use audit::{AuditAction, AuditActor, AuditEntry, AuditOutcome};
// Attribution and KPIs.
pub mod analytics;
// Follow-up cadences.
pub mod cadence;
pub mod geo;
pub mod task;

pub use channel::ContactChannel;
pub use consent::{ChannelConsent, Consents};
pub use context::{LeadContext, ServiceLineId};
pub use email::Email;
pub use events::{LeadEvent, LeadEventKind};
pub use ids::{EventId, LeadId};
pub use lead::{Contact, Lead};
pub use phone::{Phone, Region};
pub use source::{Source, SourceChannel, SourceDetail};
pub use status::LeadStatus;
pub use timeline::{Actor, TimelineEntry, TimelineKind};
pub use touchpoint::{Touchpoint, TouchpointKind};
