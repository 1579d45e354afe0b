//! Business metrics: speed to lead, acknowledgement outcomes, SLA breaches, crisis pages, texts
//! sent. On AWS each record is one CloudWatch embedded metric format (EMF) line on stdout, which
//! CloudWatch Logs turns into metrics in the stack's namespace (`leadflow/<stack>`), so a
//! function needs no permission beyond writing its logs; embedded, the records are kept in
//! memory for tests and the local runner.
//!
//! Dimensions are few and low-cardinality, and never carry personal data: a record is built
//! only through the constructors below, which take the service line (a configured slug), a
//! channel, a skip reason or a message purpose. The lead id travels as a property of the log
//! line, never as a dimension.

use crate::domain::string_enum::string_enum;
use crate::domain::timeline::SkipReason;
use crate::domain::{ContactChannel, LeadId};
use crate::ports::MessagePurpose;
use chrono::{DateTime, Utc};

/// Declares [`Metric`] with [`Metric::ALL`] and [`Metric::name`] from one list of variants: a
/// metric's CloudWatch name is its variant's name, written once.
macro_rules! metrics {
    ($( $(#[$doc:meta])* $variant:ident, )+) => {
        /// A metric the functions emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric {
            $( $(#[$doc])* $variant, )+
        }

        impl Metric {
            /// Every metric the functions emit, in declaration order.
            pub const ALL: [Metric; [$(stringify!($variant)),+].len()] = [$(Metric::$variant),+];

            /// The CloudWatch metric name.
            pub fn name(self) -> &'static str {
                match self {
                    $( Metric::$variant => stringify!($variant), )+
                }
            }
        }
    };
}

metrics! {
    /// Seconds from capture to the first human contact attempt, once per lead.
    SpeedToLead,
    /// An acknowledgement went out (by text, or by email when no text could go).
    AcknowledgementsSent,
    /// The provider refused the acknowledgement for good.
    AcknowledgementsFailed,
    /// No acknowledgement could go (no consent, a landline, a test record...).
    AcknowledgementsSkipped,
    /// A lead's first-contact deadline passed unanswered: the escalation ladder's first step ran.
    SlaBreaches,
    /// The member on call was paged for a lead in crisis.
    CrisisPages,
    /// The SMS provider accepted a text (any purpose).
    TextsSent,
}

impl Metric {
    /// The names of every metric the functions emit, in [`Metric::ALL`]'s order (the dashboard
    /// in `template.yaml` is checked against them).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Metric::ALL.into_iter().map(Metric::name)
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::SpeedToLead => Unit::Seconds,
            _ => Unit::Count,
        }
    }

    /// The dimension the metric is also broken down by (besides the stack-wide series).
    pub fn dimension(self) -> Dimension {
        match self {
            Metric::SpeedToLead | Metric::SlaBreaches | Metric::CrisisPages => Dimension::ServiceLine,
            Metric::AcknowledgementsSent | Metric::AcknowledgementsFailed => Dimension::Channel,
            Metric::AcknowledgementsSkipped => Dimension::Reason,
            Metric::TextsSent => Dimension::Purpose,
        }
    }
}

string_enum! {
    /// A CloudWatch unit.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Unit {
        Seconds => "Seconds",
        Count => "Count",
    }
}

/// A dimension key. Its values come from small closed sets (configured service lines, enums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// A configured service line's id (`other` for a line no longer configured).
    ServiceLine,
    /// `sms`, `email`.
    Channel,
    /// A skip reason (`no_consent`, `not_mobile`, ...).
    Reason,
    /// A message purpose (`acknowledgement`, `follow_up`, ...).
    Purpose,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::ServiceLine => "ServiceLine",
            Dimension::Channel => "Channel",
            Dimension::Reason => "Reason",
            Dimension::Purpose => "Purpose",
        }
    }
}

/// One value of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRecord {
    pub metric: Metric,
    pub value: f64,
    /// When it happened (the services' clock).
    pub at: DateTime<Utc>,
    /// The value of the metric's [`Metric::dimension`].
    pub dimension: String,
    /// The lead it is about: a property of the record, never a dimension.
    pub lead_id: Option<LeadId>,
}

impl MetricRecord {
    fn new(metric: Metric, value: f64, at: DateTime<Utc>, dimension: &str, lead_id: Option<LeadId>) -> Self {
        MetricRecord { metric, value, at, dimension: dimension.to_string(), lead_id }
    }

    /// Capture to first human contact attempt, in seconds.
    pub fn speed_to_lead(at: DateTime<Utc>, lead_id: LeadId, service_line: &str, seconds: f64) -> Self {
        Self::new(Metric::SpeedToLead, seconds, at, service_line, Some(lead_id))
    }

    pub fn acknowledgement_sent(at: DateTime<Utc>, lead_id: LeadId, channel: ContactChannel) -> Self {
        Self::new(Metric::AcknowledgementsSent, 1.0, at, channel.as_str(), Some(lead_id))
    }

    pub fn acknowledgement_failed(at: DateTime<Utc>, lead_id: LeadId, channel: ContactChannel) -> Self {
        Self::new(Metric::AcknowledgementsFailed, 1.0, at, channel.as_str(), Some(lead_id))
    }

    pub fn acknowledgement_skipped(at: DateTime<Utc>, lead_id: LeadId, reason: SkipReason) -> Self {
        Self::new(Metric::AcknowledgementsSkipped, 1.0, at, reason.as_str(), Some(lead_id))
    }

    pub fn sla_breach(at: DateTime<Utc>, lead_id: LeadId, service_line: &str) -> Self {
        Self::new(Metric::SlaBreaches, 1.0, at, service_line, Some(lead_id))
    }

    pub fn crisis_page(at: DateTime<Utc>, lead_id: LeadId, service_line: &str) -> Self {
        Self::new(Metric::CrisisPages, 1.0, at, service_line, Some(lead_id))
    }

    pub fn text_sent(at: DateTime<Utc>, lead_id: Option<LeadId>, purpose: MessagePurpose) -> Self {
        Self::new(Metric::TextsSent, 1.0, at, purpose.as_str(), lead_id)
    }
}

/// Where metrics go. Recording never fails the work it measures: a record that cannot be
/// written is lost (and logged by the adapter), the step goes on.
pub trait Metrics: Send + Sync {
    fn record(&self, record: &MetricRecord);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_its_own_plain_name() {
        let names: Vec<&str> = Metric::names().collect();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(names.iter().collect::<std::collections::BTreeSet<_>>().len(), names.len(), "{names:?}");
        // What the dashboard's SEARCH expressions match (`MetricName="[A-Za-z]+"`).
        assert!(names.iter().all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphabetic())), "{names:?}");
        assert_eq!(Metric::SpeedToLead.name(), "SpeedToLead");
    }
}
