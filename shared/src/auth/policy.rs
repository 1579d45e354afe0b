//! The role matrix, in one place. Every handler asks these functions before it reads or changes
//! anything, and a refusal returns nothing and changes nothing (see `handlers::guard`).
//!
//! | role    | leads                                                        | team    | reports | audit, person rights |
//! |---------|--------------------------------------------------------------|---------|---------|----------------------|
//! | admin   | all                                                          | all     | yes     | yes                  |
//! | manager | leads of their facilities (`custom:facilities`) and their own | their members | yes | no              |
//! | agent   | leads assigned to them or to a member of their team          | view    | no      | no                   |
//! | analyst | none: reports only, never personal data                      | no      | yes     | no                   |
//!
//! Who owns a lead is its routing assignment ([`Lead::assignee`], a team member id). Callers
//! are mapped to team members through the configured roster ([`Team::member_for_user`]): a
//! member's sign-in subject is their member id, or their configured `user_id`. A team is the
//! members' configured `team`; an agent sees a lead when its assignee is in the agent's team.
//! A lead's facility is its `context.preferred_facility` ([`Lead::facility`]).

use super::principal::{Principal, Role};
use crate::domain::lead::normalize_key;
use crate::domain::routing::{Team, TeamMember};
use crate::domain::Lead;

/// The team member `p` is, if any (administrators and analysts usually are none).
pub fn member<'a>(p: &Principal, team: &'a Team) -> Option<&'a TeamMember> {
    team.member_for_user(&p.user_id)
}

/// Whether `p` may see `lead`'s record (personal data included). `team` is the configured roster.
pub fn can_read_lead(p: &Principal, team: &Team, lead: &Lead) -> bool {
    match p.role {
        Role::Admin => true,
        Role::Manager => in_facilities(p, lead) || assigned_to_caller(p, team, lead),
        Role::Agent => assigned_to_caller(p, team, lead) || in_callers_team(p, team, lead),
        Role::Analyst => false,
    }
}

/// Whether `p` may change `lead` (status, notes, contact attempts, touchpoints, stakeholders,
/// milestones): the same scope as reading, since whoever works a lead records what they did.
pub fn can_change_lead(p: &Principal, team: &Team, lead: &Lead) -> bool {
    can_read_lead(p, team, lead)
}

/// Whether `p` may use the lead routes at all (each lead must still pass [`can_read_lead`]).
pub fn can_list_leads(p: &Principal) -> bool {
    p.role != Role::Analyst
}

/// Whether `p` may assign `lead` to people and teams.
pub fn can_assign(p: &Principal, lead: &Lead) -> bool {
    match p.role {
        Role::Admin => true,
        Role::Manager => in_facilities(p, lead),
        Role::Agent | Role::Analyst => false,
    }
}

/// Whether `p` may see the team roster with shifts and availability (staff data, no leads).
pub fn can_view_team(p: &Principal) -> bool {
    p.role != Role::Analyst
}

/// Whether `p` may change anyone's availability at all (each member must still pass
/// [`can_manage_member`]).
pub fn can_manage_members(p: &Principal) -> bool {
    matches!(p.role, Role::Admin | Role::Manager)
}

/// Whether `p` may mark `target` away or back: administrators anyone; a manager the members
/// they manage (`manager = ...`) and the members working at one of their facilities (a member
/// with no facilities listed works at all of them).
pub fn can_manage_member(p: &Principal, team: &Team, target: &TeamMember) -> bool {
    match p.role {
        Role::Admin => true,
        Role::Manager => {
            let manages = member(p, team).is_some_and(|me| target.manager.as_ref() == Some(&me.id));
            let mine = |f: &String| p.facilities.iter().any(|m| normalize_key(m) == normalize_key(f));
            manages || (!p.facilities.is_empty() && (target.facilities.is_empty() || target.facilities.iter().any(mine)))
        }
        Role::Agent | Role::Analyst => false,
    }
}

/// Whether `p` may see the duplicate review queue (ids, points, reasons) and decide on pairs:
/// administrators and managers, who own data quality; agents work leads.
pub fn can_review_duplicates(p: &Principal) -> bool {
    matches!(p.role, Role::Admin | Role::Manager)
}

/// Whether `p` may merge or unmerge `lead` (both records of a pair must pass): a reviewer who
/// may change the lead.
pub fn can_merge_lead(p: &Principal, team: &Team, lead: &Lead) -> bool {
    can_review_duplicates(p) && can_change_lead(p, team, lead)
}

/// Whether `p` may read aggregate reports (no personal data in them).
pub fn can_read_reports(p: &Principal) -> bool {
    p.role != Role::Agent
}

/// Whether `p` may enter marketing spend (it changes cost per lead and acquisition for everyone).
pub fn can_enter_spend(p: &Principal) -> bool {
    matches!(p.role, Role::Admin | Role::Manager)
}

/// Whether `p` may recompute reports from the leads themselves (an audit of the aggregates: it
/// reads every lead of the range, even if it returns only counts).
pub fn can_recompute_reports(p: &Principal) -> bool {
    p.role == Role::Admin
}

/// Whether `p` may list leads whose source tags need correcting (lead ids, raw tag values) and
/// re-tag them: lead data, so not analysts; agents work leads, not campaign bookkeeping.
pub fn can_retag_sources(p: &Principal) -> bool {
    matches!(p.role, Role::Admin | Role::Manager)
}

/// Whether `p` may read the audit trail.
pub fn can_read_audit(p: &Principal) -> bool {
    p.role == Role::Admin
}

/// Whether `p` may export everything held about a person.
pub fn can_export_person(p: &Principal) -> bool {
    p.role == Role::Admin
}

/// Whether `p` may erase a person.
pub fn can_erase_person(p: &Principal) -> bool {
    p.role == Role::Admin
}

fn in_facilities(p: &Principal, lead: &Lead) -> bool {
    lead.facility().is_some_and(|f| p.facilities.iter().any(|mine| normalize_key(mine) == f))
}

fn assigned_to_caller(p: &Principal, team: &Team, lead: &Lead) -> bool {
    match (lead.assignee(), member(p, team)) {
        (Some(assignee), Some(me)) => assignee == me.id.as_str(),
        _ => false,
    }
}

fn in_callers_team(p: &Principal, team: &Team, lead: &Lead) -> bool {
    let mine = member(p, team).and_then(|m| m.team.as_deref());
    let theirs = lead.assignee().and_then(|a| team.team_of(a));
    matches!((mine, theirs), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::routing::{Assignment, MemberId};

    /// The embedded configuration's roster, with a Cognito subject for `jon`.
    fn roster() -> Team {
        let mut team = Config::embedded_default().unwrap().team;
        team.members.get_mut(&MemberId::parse("jon").unwrap()).unwrap().user_id = Some("sub-0f3a".into());
        team
    }

    fn lead(facility: Option<&str>, assignee: Option<&str>) -> Lead {
        let mut l: Lead = serde_json::from_value(serde_json::json!({
            "id": "01JQ0000000000000000000001", "status": "new", "contact": {"email": "a@example.com"},
            "context": {"service_line": "med_spa"}, "source": {"channel": "web_form"},
            "created_at": "2026-03-03T15:30:00Z", "updated_at": "2026-03-03T15:30:00Z", "version": 1
        }))
        .unwrap();
        l.context.preferred_facility = facility.map(|f| crate::domain::text::Label::parse(f, 100).unwrap());
        l.assignment = assignee.map(|m| Assignment {
            member: MemberId::parse(m).unwrap(),
            rule: "test".into(),
            reason: "test".into(),
            skipped: vec![],
            on_call: false,
            at: l.created_at,
        });
        l
    }

    fn who(user: &str, role: Role, facilities: &[&str]) -> Principal {
        Principal { user_id: user.into(), role, facilities: facilities.iter().map(|f| f.to_string()).collect() }
    }

    #[test]
    fn the_matrix_holds_for_own_team_and_foreign_leads() {
        let team = roster();
        // maria and li are on the patient-care team with jon; sam is on recovery.
        let hoboken = lead(Some("Hoboken"), None);
        let newark = lead(Some("newark"), None);
        let marias = lead(None, Some("maria"));
        let lis = lead(None, Some("li"));
        let sams = lead(None, Some("sam"));

        let admin = who("root", Role::Admin, &[]);
        assert!([&hoboken, &newark, &marias, &sams].iter().all(|l| can_read_lead(&admin, &team, l) && can_change_lead(&admin, &team, l)));

        let manager = who("dana", Role::Manager, &["hoboken"]);
        assert!(can_read_lead(&manager, &team, &hoboken) && can_change_lead(&manager, &team, &hoboken));
        assert!(!can_read_lead(&manager, &team, &newark) && !can_change_lead(&manager, &team, &newark));
        assert!(!can_read_lead(&manager, &team, &marias), "no facility on the lead, not assigned to dana");
        assert!(can_assign(&manager, &hoboken) && !can_assign(&manager, &newark));

        let maria = who("maria", Role::Agent, &[]);
        assert!(can_read_lead(&maria, &team, &marias), "her own");
        assert!(can_read_lead(&maria, &team, &lis), "her team's");
        assert!(!can_read_lead(&maria, &team, &sams) && !can_read_lead(&maria, &team, &hoboken), "another team's, and unassigned");
        assert!(!can_assign(&maria, &marias));

        // jon signs in with a Cognito subject: that subject is jon; the bare id "jon" is nobody.
        let jon = who("sub-0f3a", Role::Agent, &[]);
        assert!(can_read_lead(&jon, &team, &lead(None, Some("jon"))) && can_read_lead(&jon, &team, &marias));
        let impostor = who("jon", Role::Agent, &[]);
        assert!(!can_read_lead(&impostor, &team, &lead(None, Some("jon"))));

        let analyst = who("maria", Role::Analyst, &["hoboken"]);
        for l in [&hoboken, &newark, &marias, &lis, &sams] {
            assert!(!can_read_lead(&analyst, &team, l) && !can_change_lead(&analyst, &team, l));
        }
        assert!(!can_list_leads(&analyst) && can_read_reports(&analyst) && !can_view_team(&analyst));

        for p in [&manager, &maria, &analyst] {
            assert!(!can_read_audit(p) && !can_export_person(p) && !can_erase_person(p));
        }
        assert!(can_read_audit(&admin) && can_export_person(&admin) && can_erase_person(&admin));
        assert!(!can_read_reports(&maria));
    }

    #[test]
    fn callers_outside_the_roster_or_teams_see_only_what_their_role_gives() {
        let team = roster();
        let stranger = who("u-unknown", Role::Agent, &[]);
        assert!(!can_read_lead(&stranger, &team, &lead(None, None)));
        assert!(!can_read_lead(&stranger, &team, &lead(None, Some("maria"))));
        // dana has no team: an agent token for her sees only her own leads.
        let dana = who("dana", Role::Agent, &[]);
        assert!(can_read_lead(&dana, &team, &lead(None, Some("dana"))) && !can_read_lead(&dana, &team, &lead(None, Some("maria"))));
        let manager = who("dana", Role::Manager, &[]);
        assert!(!can_read_lead(&manager, &team, &lead(None, None)));
    }

    #[test]
    fn managers_manage_their_reports_and_their_facilities_members() {
        let team = roster();
        let m = |id: &str| team.members.get(&MemberId::parse(id).unwrap()).unwrap();
        let dana = who("dana", Role::Manager, &[]);
        assert!(can_manage_member(&dana, &team, m("maria")), "maria's manager is dana");
        let hoboken = who("u-9", Role::Manager, &["Hoboken"]);
        assert!(can_manage_member(&hoboken, &team, m("maria")) && !can_manage_member(&hoboken, &team, m("jon")));
        assert!(can_manage_member(&hoboken, &team, m("sam")), "sam lists no facility: he works at all of them");
        assert!(!can_manage_member(&who("maria", Role::Agent, &[]), &team, m("maria")));
        assert!(can_manage_member(&who("root", Role::Admin, &[]), &team, m("jon")));
    }
}
