//! Closed sets of values that travel as strings: statuses, channels, reasons, roles. Each
//! variant's wire name (stored records, configuration, HTTP bodies, metric dimensions) is
//! written once, next to the variant, by [`string_enum!`], instead of once in a list of every
//! variant, once in `as_str` and once in `parse`, where a variant added to one and forgotten in
//! another compiles and then fails at run time.
//!
//! The macro declares the enum as written (doc comments, derives and `serde` attributes pass
//! through unchanged, so serde's wire form stays what the derive makes of it) and adds:
//!
//! * `ALL`, every variant in declaration order;
//! * `as_str`, the variant's wire name;
//! * `parse`, the variant whose wire name is the input, after an optional normalization
//!   written as `parse(s) => <expression of s>;` after the variants (`s.trim()`,
//!   `s.trim().to_ascii_lowercase()`); without it the input must be the wire name exactly.
//!
//! Types whose parsing accepts aliases or carries data keep their hand-written code.

/// Declares a string enum; see the [module documentation](self).
///
/// ```text
/// string_enum! {
///     /// How soon a person needs a human.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
///     #[serde(rename_all = "snake_case")]
///     pub enum UrgencyTier {
///         Routine => "routine",
///         /// A person possibly in danger.
///         Crisis => "crisis",
///     }
///     parse(s) => s.trim();
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $wire:literal, )+
        }
        parse($s:ident) => $key:expr;
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// The variant with this wire name, if any.
            pub fn parse($s: &str) -> Option<Self> {
                match &*$key {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $crate::domain::string_enum::string_enum! {
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$variant_meta])* $variant => $wire, )+
            }
            parse(s) => s;
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    string_enum! {
        /// A test set.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Exact {
            One => "one",
            /// A documented variant.
            TwoWords => "two_words",
        }
    }

    string_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Lenient {
            Sms => "sms",
            Email => "email",
        }
        parse(s) => s.trim().to_ascii_lowercase();
    }

    #[test]
    fn every_variant_round_trips_through_its_wire_name() {
        assert_eq!(Exact::ALL, [Exact::One, Exact::TwoWords]);
        for v in Exact::ALL {
            assert_eq!(Exact::parse(v.as_str()), Some(v));
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(v.as_str()));
        }
        for v in Lenient::ALL {
            assert_eq!(Lenient::parse(v.as_str()), Some(v));
        }
        assert_eq!(Exact::TwoWords.as_str(), "two_words");
    }

    #[test]
    fn unknown_names_are_refused() {
        for s in ["", "three", "One", " one", "two-words", "twowords"] {
            assert_eq!(Exact::parse(s), None, "{s:?}");
        }
        assert_eq!(Lenient::parse(" SMS "), Some(Lenient::Sms));
        assert_eq!(Lenient::parse("e-mail"), None);
    }

    /// The variants serde writes (and, where derived, reads) under another name than their wire name.
    macro_rules! serde_mismatches {
        (write: $($w:ty),+; read_write: $($rw:ty),+;) => {{
            let mut wrong: Vec<String> = Vec::new();
            $( for v in <$w>::ALL {
                if serde_json::to_value(v).unwrap() != serde_json::json!(v.as_str()) {
                    wrong.push(format!("{v:?}"));
                }
            } )+
            $( for v in <$rw>::ALL {
                if serde_json::to_value(v).unwrap() != serde_json::json!(v.as_str())
                    || serde_json::from_value::<$rw>(serde_json::json!(v.as_str())).ok() != Some(v)
                {
                    wrong.push(format!("{v:?}"));
                }
            } )+
            wrong
        }};
    }

    /// The library's string enums and their serde derives agree, so stored records, config and
    /// HTTP bodies carry the same names as `as_str`.
    #[test]
    fn serde_names_are_the_wire_names() {
        use crate::domain::analytics::{dimension, milestone, period, source_audit};
        use crate::domain::*;
        let wrong = serde_mismatches! {
            write: crate::app::analytics::reports::Engine, crate::auth::Role, geo::ZoneSource, webform::catalog::Language;
            read_write: dimension::Dimension, milestone::Milestone, period::Period, source_audit::SourceIssue, AuditAction,
                cadence::EnrollmentState, cadence::StepChannel, cadence::Anchor, cadence::Condition, cadence::DeferReason,
                ContactChannel, contact_attempt::ContactOutcome, contact_check::FlagCode, context::InsuranceStatus,
                context::StatedUrgency, LeadEventKind, franchise::StakeholderRole, franchise::Milestone, inbound::Provider,
                inbound::EmailEventKind, inbound::AppointmentEventKind, inquiry::PointKind, merge::Rule, merge::MergeField,
                pacing::Lane, pacing::WaitReason, scoring::ScoreBand, screen::Refusal, SourceChannel, LeadStatus, task::TaskStatus,
                team_notice::NoticeKind, timeline::SkipReason, urgency::UrgencyTier;
        };
        assert_eq!(wrong, Vec::<String>::new());
    }
}
