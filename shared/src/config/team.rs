//! `[[team]]`, `[[facilities]]`, `[[on_call]]` and `[routing]`: who works leads, where, when,
//! and which rule sends a lead to whom. Availability ("away") is not here: it changes at runtime
//! through `PUT /team/{member}/availability` and lives in the store.

use super::lists::parse_each;
use super::locate::KeyPath;
use super::validate::Problems;
use super::ServiceLine;
use crate::domain::business_hours::BusinessHours;
use crate::domain::routing::{
    language_key, Conditions, Facility, MemberId, NotifyChannels, OnCallSchedule, RoutingRule, Target, Team, TeamMember,
};
use crate::domain::scoring::ScoreBand;
use crate::domain::shift::{Shift, WeeklySchedule};
use crate::domain::urgency::UrgencyTier;
use crate::domain::{ServiceLineId, SourceChannel};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMember {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub specialties: Vec<String>,
    #[serde(default)]
    pub facilities: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// IANA zone of the hours below; the organization's when absent.
    pub time_zone: Option<String>,
    /// `days` + `hours`, or `shifts`; the business hours when neither is given.
    #[serde(default)]
    pub days: Vec<String>,
    pub hours: Option<String>,
    #[serde(default)]
    pub shifts: Vec<RawShift>,
    #[serde(default = "one")]
    pub weight: u32,
    pub backup: Option<String>,
    pub manager: Option<String>,
    /// `sms`, `email`: the subscriptions of the member's notification topic.
    #[serde(default = "sms_only")]
    pub notify: Vec<String>,
    /// `false` keeps the member out of specialists pools (a manager who takes escalations).
    #[serde(default = "yes")]
    pub takes_new_leads: bool,
    /// The team they work in: agents see the leads of their whole team.
    pub team: Option<String>,
    /// Their sign-in identity (the Cognito `sub`) when it is not the member id.
    pub user_id: Option<String>,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

fn sms_only() -> Vec<String> {
    vec!["sms".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShift {
    pub days: Vec<String>,
    pub hours: String,
    /// Only in `[[on_call]]` shifts: who is on call.
    pub member: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFacility {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub postal_prefixes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnCall {
    pub id: String,
    pub time_zone: Option<String>,
    pub shifts: Vec<RawShift>,
    pub backup: Option<String>,
    pub manager: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    #[serde(default)]
    pub rules: Vec<RawRule>,
    pub default: Option<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: String,
    #[serde(default)]
    pub service_lines: Vec<String>,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub bands: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub postal_prefixes: Vec<String>,
    #[serde(default)]
    pub facilities: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
    pub on_call: Option<String>,
    #[serde(default)]
    pub specialists: bool,
    #[serde(default)]
    pub same_facility: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    #[serde(default)]
    pub members: Vec<String>,
    pub on_call: Option<String>,
    #[serde(default)]
    pub specialists: bool,
    #[serde(default)]
    pub same_facility: bool,
}

/// The business hours as a weekly schedule (a member without hours works them).
fn business_schedule(hours: &BusinessHours) -> WeeklySchedule {
    let shifts = hours
        .week
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let d = (*d)?;
            let (start, end) = d.minutes();
            let mut days = [false; 7];
            days[i] = true;
            Some(Shift { days, start_minute: start, minutes: end.saturating_sub(start).max(1) })
        })
        .collect();
    WeeklySchedule { time_zone: hours.time_zone, shifts }
}

/// US state codes as configured (a facility's, a rule's), trimmed and upper-case.
fn states<C: FromIterator<String>>(raw: &[String]) -> C {
    raw.iter().map(|s| s.trim().to_ascii_uppercase()).collect()
}

/// Postal code prefixes as configured, trimmed.
fn postal_prefixes<C: FromIterator<String>>(raw: &[String]) -> C {
    raw.iter().map(|s| s.trim().to_string()).collect()
}

fn zone(raw: Option<&str>, default: Tz, at: &KeyPath, p: &mut Problems<'_>) -> Tz {
    match raw {
        None => default,
        Some(z) => z.parse().unwrap_or_else(|_| {
            p.add(at, "is not an IANA time zone name (for example America/New_York)");
            default
        }),
    }
}

fn shifts(raw: &[RawShift], at: &KeyPath, p: &mut Problems<'_>) -> Vec<Shift> {
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match Shift::parse(&s.days, &s.hours) {
            Ok(shift) => out.push(shift),
            Err(e) => p.add(&at.index(i).key("hours"), e.to_string()),
        }
    }
    out
}

/// Validates the team sections. References between them (a backup, a rule's members, an
/// on-call schedule) must name something configured.
pub(super) fn validate(
    members: &[RawMember],
    facilities: &[RawFacility],
    on_call: &[RawOnCall],
    routing: &RawRouting,
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    hours: &BusinessHours,
    p: &mut Problems<'_>,
) -> Team {
    let root = KeyPath::root();
    let mut team = Team::default();
    let facility_ids: BTreeSet<String> = facilities.iter().map(|f| f.id.clone()).collect();
    // Every facility a member or a rule names (`facilities` under `at`) is configured.
    let check_facilities = |named: &[String], at: &KeyPath, p: &mut Problems<'_>| {
        for (j, f) in named.iter().enumerate() {
            if !facility_ids.contains(f) {
                p.add(&at.key("facilities").index(j), "names no configured facility");
            }
        }
    };
    let line_id = |s: &str| ServiceLineId::parse(s).filter(|id| lines.contains_key(id));

    for (i, f) in facilities.iter().enumerate() {
        let here = root.key("facilities").index(i);
        if f.id.trim().is_empty() || team.facilities.iter().any(|x| x.id == f.id) {
            p.add(&here.key("id"), "must be a non-empty id no other facility uses");
        }
        team.facilities.push(Facility {
            id: f.id.clone(),
            name: f.name.clone(),
            states: states(&f.states),
            postal_prefixes: postal_prefixes(&f.postal_prefixes),
        });
    }

    // Members first (others refer to them), then their references.
    let ids: BTreeSet<String> = members.iter().map(|m| m.id.clone()).collect();
    let member_ref = |s: &str, at: &KeyPath, p: &mut Problems<'_>| -> Option<MemberId> {
        match MemberId::parse(s).filter(|_| ids.contains(s)) {
            Some(id) => Some(id),
            None => {
                p.add(at, "names no configured team member");
                None
            }
        }
    };
    // Whom a member or an on-call rota (at `at`) escalates to: its backup and its manager.
    let escalation = |backup: Option<&str>, manager: Option<&str>, at: &KeyPath, p: &mut Problems<'_>| {
        let backup = backup.and_then(|b| member_ref(b, &at.key("backup"), p));
        let manager = manager.and_then(|m| member_ref(m, &at.key("manager"), p));
        (backup, manager)
    };
    for (i, m) in members.iter().enumerate() {
        let here = root.key("team").index(i);
        let Some(id) = MemberId::parse(&m.id) else {
            p.add(&here.key("id"), "must be a lower-case slug (letters, digits, _ and -)");
            continue;
        };
        if team.members.contains_key(&id) {
            p.add(&here.key("id"), "repeats a team member listed earlier");
        }
        let mut specialties = BTreeSet::new();
        for (j, s) in m.specialties.iter().enumerate() {
            match line_id(s) {
                Some(l) => {
                    specialties.insert(l);
                }
                None => p.add(&here.key("specialties").index(j), "names no configured service line"),
            }
        }
        check_facilities(&m.facilities, &here, p);
        let tz = zone(m.time_zone.as_deref(), hours.time_zone, &here.key("time_zone"), p);
        let daily = ["daily".to_string()];
        let days: &[String] = if m.days.is_empty() { &daily } else { &m.days };
        let schedule = match (&m.hours, m.shifts.is_empty()) {
            (Some(h), true) => match Shift::parse(days, h) {
                Ok(s) => WeeklySchedule { time_zone: tz, shifts: vec![s] },
                Err(e) => {
                    p.add(&here.key("hours"), e.to_string());
                    WeeklySchedule { time_zone: tz, shifts: vec![] }
                }
            },
            (None, false) => WeeklySchedule { time_zone: tz, shifts: shifts(&m.shifts, &here.key("shifts"), p) },
            (None, true) => business_schedule(hours),
            (Some(_), false) => {
                p.add(&here.key("shifts"), "give either days + hours or shifts, not both");
                business_schedule(hours)
            }
        };
        if !(1..=10).contains(&m.weight) {
            p.add(&here.key("weight"), "must be between 1 and 10");
        }
        let mut notify = NotifyChannels { sms: false, email: false };
        for (j, c) in m.notify.iter().enumerate() {
            match c.trim() {
                "sms" => notify.sms = true,
                "email" => notify.email = true,
                _ => p.add(&here.key("notify").index(j), "must be sms or email"),
            }
        }
        let (backup, manager) = escalation(m.backup.as_deref(), m.manager.as_deref(), &here, p);
        let team_name = m.team.as_deref().map(str::trim);
        if team_name.is_some_and(|t| MemberId::parse(t).is_none()) {
            p.add(&here.key("team"), "must be a lower-case slug (letters, digits, _ and -)");
        }
        let user_id = m.user_id.as_deref().map(str::trim);
        if user_id.is_some_and(|u| u.is_empty() || u.len() > 128 || !u.bytes().all(|b| b.is_ascii_graphic())) {
            p.add(&here.key("user_id"), "must be the sign-in subject (1-128 visible characters)");
        } else if user_id.is_some_and(|u| members.iter().take(i).any(|o| o.user_id.as_deref().map(str::trim) == Some(u))) {
            p.add(&here.key("user_id"), "is already the user_id of a member listed earlier");
        } else if user_id.is_some_and(|u| u != m.id && ids.contains(u)) {
            p.add(&here.key("user_id"), "is another member's id (they sign in with it)");
        }
        team.members.insert(
            id.clone(),
            TeamMember {
                id,
                name: m.name.clone(),
                specialties,
                facilities: m.facilities.iter().cloned().collect(),
                languages: m.languages.iter().map(|l| language_key(l)).collect(),
                schedule,
                weight: m.weight.clamp(1, 10),
                backup,
                manager,
                notify,
                takes_new_leads: m.takes_new_leads,
                team: team_name.map(str::to_string),
                user_id: user_id.map(str::to_string),
            },
        );
    }

    for (i, o) in on_call.iter().enumerate() {
        let here = root.key("on_call").index(i);
        if o.id.trim().is_empty() || team.on_call.contains_key(&o.id) {
            p.add(&here.key("id"), "must be a non-empty id no other schedule uses");
        }
        let tz = zone(o.time_zone.as_deref(), hours.time_zone, &here.key("time_zone"), p);
        let parsed = shifts(&o.shifts, &here.key("shifts"), p);
        let mut who = Vec::new();
        for (j, s) in o.shifts.iter().enumerate() {
            match s.member.as_deref() {
                Some(m) => {
                    if let Some(id) = member_ref(m, &here.key("shifts").index(j).key("member"), p) {
                        who.push(id);
                    }
                }
                None => p.add(&here.key("shifts").index(j), "an on-call shift names its `member`"),
            }
        }
        if o.shifts.is_empty() {
            p.add(&here.key("shifts"), "needs at least one shift");
        }
        let (backup, manager) = escalation(o.backup.as_deref(), o.manager.as_deref(), &here, p);
        team.on_call.insert(
            o.id.clone(),
            OnCallSchedule { id: o.id.clone(), schedule: WeeklySchedule { time_zone: tz, shifts: parsed }, members: who, backup, manager },
        );
    }

    let target = |members: &[String], on_call: Option<&str>, specialists: bool, same_facility: bool, at: &KeyPath, p: &mut Problems<'_>| {
        let given = usize::from(!members.is_empty()) + usize::from(on_call.is_some()) + usize::from(specialists);
        if given != 1 {
            p.add(at, "give exactly one of members, on_call or specialists = true");
            return None;
        }
        if let Some(s) = on_call {
            if !team.on_call.contains_key(s) {
                p.add(&at.key("on_call"), "names no configured [[on_call]] schedule");
                return None;
            }
            return Some(Target::OnCall(s.to_string()));
        }
        if specialists {
            return Some(Target::Specialists { same_facility });
        }
        let ids: Vec<MemberId> = members.iter().enumerate().filter_map(|(j, m)| member_ref(m, &at.key("members").index(j), p)).collect();
        Some(Target::Members(ids))
    };

    let mut names = BTreeSet::new();
    let mut rules = Vec::new();
    for (i, r) in routing.rules.iter().enumerate() {
        let here = root.key("routing").key("rules").index(i);
        if r.name.trim().is_empty() || r.name == crate::domain::routing::DEFAULT_RULE || !names.insert(r.name.clone()) {
            p.add(&here.key("name"), "must be a non-empty name, not `default`, used by no other rule");
        }
        let mut when = Conditions::default();
        when.service_lines.extend(parse_each(&r.service_lines, &here.key("service_lines"), "names no configured service line", line_id, p));
        when.tiers.extend(parse_each(&r.tiers, &here.key("tiers"), "must be crisis, urgent or routine", UrgencyTier::parse, p));
        when.bands.extend(parse_each(&r.bands, &here.key("bands"), "must be hot, warm or cold", ScoreBand::parse, p));
        when.sources.extend(parse_each(
            &r.sources,
            &here.key("sources"),
            "is not a source channel (web_form, phone_call, chat, ...)",
            SourceChannel::parse,
            p,
        ));
        check_facilities(&r.facilities, &here, p);
        when.languages = r.languages.iter().map(|l| language_key(l)).collect();
        when.states = states(&r.states);
        when.postal_prefixes = postal_prefixes(&r.postal_prefixes);
        when.facilities = r.facilities.iter().cloned().collect();
        if let Some(t) = target(&r.members, r.on_call.as_deref(), r.specialists, r.same_facility, &here, p) {
            rules.push(RoutingRule { name: r.name.clone(), when, target: t });
        }
    }
    let default = match &routing.default {
        Some(d) => target(&d.members, d.on_call.as_deref(), d.specialists, d.same_facility, &root.key("routing").key("default"), p),
        None => {
            if !routing.rules.is_empty() {
                p.add(&root.key("routing"), "rules need a [routing.default] for leads no rule takes");
            }
            None
        }
    };
    team.rules = rules;
    team.default = default;
    check_openings_are_staffed(&team, hours, p);
    team
}

/// Business hours that open while nobody who takes new leads is on shift and no on-call rota
/// covers them would leave every lead of that morning waiting unassigned: a configuration
/// error, named by day.
fn check_openings_are_staffed(team: &Team, hours: &BusinessHours, p: &mut Problems<'_>) {
    use chrono::TimeZone;
    if team.members.is_empty() {
        return;
    }
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    // A week without a DST change (2026-01-05 is a Monday).
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a valid date");
    for (i, day) in hours.week.iter().enumerate() {
        let Some(d) = day else { continue };
        let local = (monday + chrono::Duration::days(i as i64)).and_time(d.open);
        let Some(at) = hours.time_zone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&chrono::Utc)) else { continue };
        let staffed = team.members.values().any(|m| m.takes_new_leads && m.schedule.covers(at));
        let on_call = team.on_call.values().any(|s| s.on_call(at).is_some());
        if !staffed && !on_call {
            p.add(
                &KeyPath::root().key("business_hours").key(DAYS[i]),
                format!(
                    "opens at {} but nobody who takes new leads is on shift then and no [[on_call]] rota covers it: start a shift by then or add an on-call rota",
                    d.open.format("%H:%M")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::business_hours::{Closing, DayHours};
    use chrono::{NaiveTime, TimeZone, Utc};

    #[test]
    fn business_hours_closing_at_24_00_staff_the_day_to_midnight() {
        let t = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let late = Some(DayHours { open: t(9, 0), close: Closing::EndOfDay });
        let all_day = Some(DayHours { open: t(0, 0), close: Closing::EndOfDay });
        let short = Some(DayHours { open: t(0, 0), close: Closing::At(t(6, 0)) });
        let hours = BusinessHours {
            time_zone: chrono_tz::America::New_York,
            week: [late, all_day, short, None, None, None, None],
            holidays: Default::default(),
            response_minutes: 5,
        };
        let schedule = business_schedule(&hours);
        // 2026-03-02 is a Monday.
        let ny = |d: u32, h: u32, m: u32, s: u32| {
            chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, s).unwrap().with_timezone(&Utc)
        };
        for at in [ny(2, 9, 0, 0), ny(2, 23, 59, 59), ny(3, 0, 0, 0), ny(3, 12, 0, 0), ny(3, 23, 59, 59), ny(4, 0, 0, 0), ny(4, 5, 59, 0)] {
            assert!(schedule.covers(at), "{at}");
            assert_eq!(schedule.covers(at), hours.is_open(at), "{at}");
        }
        for at in [ny(2, 8, 59, 0), ny(4, 6, 0, 0), ny(5, 0, 0, 0)] {
            assert!(!schedule.covers(at), "{at}");
            assert!(!hours.is_open(at), "{at}");
        }
    }
}
