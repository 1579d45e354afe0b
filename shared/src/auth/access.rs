//! Who may see and change which lead: the one place the role matrix lives, so the audit and
//! security work can refine it without touching handlers.
//!
//! | role | leads |
//! |---|---|
//! | admin | all |
//! | manager | leads of their facilities |
//! | agent | leads assigned to them (their user id is their member id) |
//! | analyst | none (reports only: no personal data) |

use super::principal::{Principal, Role};
use crate::domain::lead::normalize_key;
use crate::domain::Lead;

/// Whether `p` may read `lead` (its contact details, context and timeline).
pub fn can_read_lead(p: &Principal, lead: &Lead) -> bool {
    match p.role {
        Role::Admin => true,
        Role::Manager => lead.facility().is_some_and(|f| p.facilities.iter().any(|mine| normalize_key(mine) == f)),
        // The agent's user id is their team member id (routing assigns members). Team-wide
        // access waits for a team attribute on members; until then an agent sees their own leads.
        Role::Agent => lead.assignee() == Some(p.user_id.as_str()),
        Role::Analyst => false,
    }
}

/// Whether `p` may change `lead` (status, stakeholders, milestones): whoever may read it.
pub fn can_change_lead(p: &Principal, lead: &Lead) -> bool {
    can_read_lead(p, lead)
}

/// Whether `p` may use the lead routes at all (analysts see reports only).
pub fn may_see_personal_data(p: &Principal) -> bool {
    p.role != Role::Analyst
}
