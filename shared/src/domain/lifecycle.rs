//! The lead lifecycle as an explicit state machine. Every status change in the system goes
//! through [`plan`]: the main path new -> contacted -> qualified -> booked -> showed -> converted
//! (skipping ahead is allowed: a lead may book online before anyone called), the side exits
//! (disqualified with a configured reason, no-show, canceled, unresponsive, opted out), and the
//! rules for re-opening a closed lead. Anything else is refused with an error naming both ends.

use super::status::LeadStatus;
use super::text::FreeText;
use super::timeline::Actor;
use serde::{Deserialize, Serialize};

/// Why a status changes: who or what caused it, and the reason a disqualification needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    pub actor: Actor,
    /// What happened, as a short code (`user`, `appointment.no_show`, `payment.succeeded`,
    /// `sms.stop`, `sms.reply`, `call.answered`, ...). Shown on the timeline.
    pub trigger: String,
    /// The disqualification reason: one of the configured codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A team member's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<FreeText>,
    /// A stable identity of the cause (a provider's event id): the same cause applied twice (a
    /// redelivered webhook) is one transition with one timeline entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// When the cause happened (a provider's event time); now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Cause {
    /// A cause without reason, note or seed.
    pub fn new(actor: Actor, trigger: impl Into<String>) -> Self {
        Cause { actor, trigger: trigger.into(), reason: None, note: None, seed: None, at: None }
    }

    pub fn with_seed(mut self, seed: impl Into<String>) -> Self {
        self.seed = Some(seed.into());
        self
    }

    pub fn at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.at = Some(at);
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// The kind of move a transition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// Ahead on the main path (possibly skipping steps).
    Forward,
    /// A side exit: disqualified, no-show, canceled, unresponsive, opted out.
    SideExit,
    /// Back to booked or contacted after a no-show, a cancellation or a visit.
    Resume,
    /// A closed lead (disqualified, unresponsive, opted out) opens again.
    Reopen,
    /// A payment converts a lead whatever its state: money received is proof.
    Conversion,
}

/// Who may re-open a closed lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReopenBy {
    /// A team member only (a disqualification is a judgement only a person revises).
    User,
    /// A team member, or the person themself by replying or inquiring.
    UserOrLead,
    /// The person only (after an opt-out, only their own START or inquiry re-opens).
    Lead,
}

impl ReopenBy {
    fn allows(self, actor: &Actor) -> bool {
        match self {
            ReopenBy::User => matches!(actor, Actor::User(_)),
            ReopenBy::UserOrLead => matches!(actor, Actor::User(_) | Actor::Lead),
            ReopenBy::Lead => matches!(actor, Actor::Lead),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ReopenBy::User => "a team member",
            ReopenBy::UserOrLead => "a team member or the person",
            ReopenBy::Lead => "the person",
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a lead cannot move from {} to {}", from.as_str(), to.as_str())]
    NotAllowed { from: LeadStatus, to: LeadStatus },
    #[error("disqualifying a lead needs a reason")]
    ReasonRequired,
    #[error("the reason is not one of the configured disqualification reasons")]
    UnknownReason,
    #[error("only {by} may re-open a {} lead", from.as_str())]
    ReopenNotAllowed { from: LeadStatus, by: &'static str },
}

const MAIN_PATH: [LeadStatus; 6] =
    [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Qualified, LeadStatus::Booked, LeadStatus::Showed, LeadStatus::Converted];

fn main_index(s: LeadStatus) -> Option<usize> {
    MAIN_PATH.iter().position(|m| *m == s)
}

/// The rule for `from -> to`, if the transition exists at all (regardless of who asks).
pub fn rule(from: LeadStatus, to: LeadStatus) -> Option<(Move, Option<ReopenBy>)> {
    use LeadStatus::*;
    if from == to || from == Converted {
        return None;
    }
    if to == Converted {
        return Some(match main_index(from) {
            Some(_) => (Move::Forward, None),
            None => (Move::Conversion, None),
        });
    }
    if (from, to) == (Showed, Booked) {
        // A follow-up appointment after a visit.
        return Some((Move::Resume, None));
    }
    if let (Some(a), Some(b)) = (main_index(from), main_index(to)) {
        return (b > a).then_some((Move::Forward, None));
    }
    match (from, to) {
        (Booked, NoShow | Canceled) => Some((Move::SideExit, None)),
        (New | Contacted | Qualified | Booked | Showed | NoShow | Canceled, Disqualified) => Some((Move::SideExit, None)),
        (New | Contacted | Qualified | Showed | NoShow | Canceled, Unresponsive) => Some((Move::SideExit, None)),
        (New | Contacted | Qualified | Booked | Showed | NoShow | Canceled | Unresponsive, OptedOut) => Some((Move::SideExit, None)),
        (NoShow | Canceled, Booked | Contacted) => Some((Move::Resume, None)),
        (Disqualified, Contacted | Qualified) => Some((Move::Reopen, Some(ReopenBy::User))),
        (Unresponsive, Contacted | Qualified | Booked) => Some((Move::Reopen, Some(ReopenBy::UserOrLead))),
        (OptedOut, Contacted | Booked) => Some((Move::Reopen, Some(ReopenBy::Lead))),
        _ => None,
    }
}

/// What asking for `to` amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The lead already has that status: nothing to do.
    Unchanged,
    /// A valid move.
    Move(Move),
}

/// Validates a transition of a lead in `from` to `to` for `cause`. `reasons` are the configured
/// disqualification reasons.
pub fn plan(from: LeadStatus, to: LeadStatus, cause: &Cause, reasons: &[String]) -> Result<Plan, LifecycleError> {
    if from == to {
        return Ok(Plan::Unchanged);
    }
    let (kind, reopen) = rule(from, to).ok_or(LifecycleError::NotAllowed { from, to })?;
    if let Some(by) = reopen {
        if !by.allows(&cause.actor) {
            return Err(LifecycleError::ReopenNotAllowed { from, by: by.describe() });
        }
    }
    if to == LeadStatus::Disqualified {
        let reason = cause.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).ok_or(LifecycleError::ReasonRequired)?;
        if !reasons.iter().any(|r| r == reason) {
            return Err(LifecycleError::UnknownReason);
        }
    }
    Ok(Plan::Move(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeadStatus::*;

    fn user() -> Cause {
        Cause::new(Actor::User("u1".into()), "user").with_reason("out_of_area")
    }

    fn reasons() -> Vec<String> {
        vec!["out_of_area".into(), "spam".into()]
    }

    /// Every allowed (from, to) pair, written out: the test checks the table against it both ways.
    const ALLOWED: &[(LeadStatus, LeadStatus)] = &[
        (New, Contacted),
        (New, Qualified),
        (New, Booked),
        (New, Showed),
        (New, Converted),
        (New, Disqualified),
        (New, Unresponsive),
        (New, OptedOut),
        (Contacted, Qualified),
        (Contacted, Booked),
        (Contacted, Showed),
        (Contacted, Converted),
        (Contacted, Disqualified),
        (Contacted, Unresponsive),
        (Contacted, OptedOut),
        (Qualified, Booked),
        (Qualified, Showed),
        (Qualified, Converted),
        (Qualified, Disqualified),
        (Qualified, Unresponsive),
        (Qualified, OptedOut),
        (Booked, Showed),
        (Booked, Converted),
        (Booked, NoShow),
        (Booked, Canceled),
        (Booked, Disqualified),
        (Booked, OptedOut),
        (Showed, Converted),
        (Showed, Booked),
        (Showed, Disqualified),
        (Showed, Unresponsive),
        (Showed, OptedOut),
        (NoShow, Booked),
        (NoShow, Contacted),
        (NoShow, Converted),
        (NoShow, Disqualified),
        (NoShow, Unresponsive),
        (NoShow, OptedOut),
        (Canceled, Booked),
        (Canceled, Contacted),
        (Canceled, Converted),
        (Canceled, Disqualified),
        (Canceled, Unresponsive),
        (Canceled, OptedOut),
        (Disqualified, Contacted),
        (Disqualified, Qualified),
        (Disqualified, Converted),
        (Unresponsive, Contacted),
        (Unresponsive, Qualified),
        (Unresponsive, Booked),
        (Unresponsive, Converted),
        (Unresponsive, OptedOut),
        (OptedOut, Contacted),
        (OptedOut, Booked),
        (OptedOut, Converted),
    ];

    #[test]
    fn every_allowed_transition_is_accepted_and_every_other_refused() {
        for from in LeadStatus::ALL {
            for to in LeadStatus::ALL {
                let allowed = ALLOWED.contains(&(from, to));
                let exists = rule(from, to).is_some();
                assert_eq!(exists, allowed, "{} -> {}", from.as_str(), to.as_str());
                if from == to {
                    assert_eq!(plan(from, to, &user(), &reasons()), Ok(Plan::Unchanged));
                } else if !allowed {
                    assert_eq!(plan(from, to, &user(), &reasons()), Err(LifecycleError::NotAllowed { from, to }));
                }
            }
        }
        // With the right actor each allowed transition plans as a move.
        for &(from, to) in ALLOWED {
            let cause = match rule(from, to).unwrap().1 {
                Some(ReopenBy::Lead) => Cause::new(Actor::Lead, "sms.start"),
                _ => user(),
            };
            assert!(matches!(plan(from, to, &cause, &reasons()), Ok(Plan::Move(_))), "{} -> {}", from.as_str(), to.as_str());
        }
    }

    #[test]
    fn converted_is_final() {
        for to in LeadStatus::ALL {
            assert!(rule(Converted, to).is_none());
        }
    }

    #[test]
    fn disqualification_needs_a_configured_reason() {
        let no_reason = Cause::new(Actor::User("u1".into()), "user");
        assert_eq!(plan(New, Disqualified, &no_reason, &reasons()), Err(LifecycleError::ReasonRequired));
        assert_eq!(plan(New, Disqualified, &no_reason.clone().with_reason("  "), &reasons()), Err(LifecycleError::ReasonRequired));
        assert_eq!(plan(New, Disqualified, &no_reason.clone().with_reason("bad_vibes"), &reasons()), Err(LifecycleError::UnknownReason));
        assert_eq!(plan(New, Disqualified, &no_reason.with_reason("spam"), &reasons()), Ok(Plan::Move(Move::SideExit)));
    }

    #[test]
    fn reopening_depends_on_who_asks() {
        let lead = Cause::new(Actor::Lead, "sms.reply");
        let system = Cause::new(Actor::System("cadence".into()), "cadence");
        let integration = Cause::new(Actor::Integration("calendly".into()), "appointment.booked");
        // A disqualification is only revised by a person on the team.
        assert!(matches!(plan(Disqualified, Contacted, &lead, &reasons()), Err(LifecycleError::ReopenNotAllowed { .. })));
        assert!(plan(Disqualified, Contacted, &user(), &reasons()).is_ok());
        // An unresponsive lead that replies is back in play; a timer cannot re-open it.
        assert_eq!(plan(Unresponsive, Contacted, &lead, &reasons()), Ok(Plan::Move(Move::Reopen)));
        assert!(plan(Unresponsive, Contacted, &system, &reasons()).is_err());
        // After an opt-out only the person's own action re-opens the lead.
        assert!(plan(OptedOut, Contacted, &user(), &reasons()).is_err());
        assert!(plan(OptedOut, Booked, &integration, &reasons()).is_err());
        assert_eq!(plan(OptedOut, Contacted, &lead, &reasons()), Ok(Plan::Move(Move::Reopen)));
        // A payment converts from anywhere but converted.
        assert_eq!(plan(Disqualified, Converted, &integration, &reasons()), Ok(Plan::Move(Move::Conversion)));
    }

    #[test]
    fn errors_name_both_ends() {
        assert_eq!(plan(Converted, New, &user(), &reasons()).unwrap_err().to_string(), "a lead cannot move from converted to new");
        assert_eq!(
            plan(Disqualified, Qualified, &Cause::new(Actor::Lead, "x"), &reasons()).unwrap_err().to_string(),
            "only a team member may re-open a disqualified lead"
        );
    }
}
