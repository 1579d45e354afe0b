//! Routing and assignment: which team member gets a lead. Rules are tried in order, the first
//! whose conditions match and whose pool has someone eligible wins, then the default. A member
//! is eligible when on shift (their weekly hours) and not marked away; the on-call member of a
//! schedule is eligible around the clock. Among several eligible members the choice is a
//! weighted round-robin whose counter lives in the store, so it survives cold starts and is
//! shared by concurrent invocations (see `ports::team`). Every assignment records the rule that
//! matched and why, and who was skipped.

use super::context::ServiceLineId;
use super::scoring::ScoreBand;
use super::shift::WeeklySchedule;
use super::source::SourceChannel;
use super::urgency::UrgencyTier;
use super::Lead;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A team member's id from configuration: a lower-case slug, never a name or a number, so it
/// may appear in logs and notifications.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberId(String);

impl MemberId {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let ok =
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        ok.then(|| MemberId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({})", self.0)
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MemberId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MemberId::parse(&value).ok_or_else(|| "member ids are lower-case slugs".to_string())
    }
}

impl From<MemberId> for String {
    fn from(v: MemberId) -> String {
        v.0
    }
}

/// Where a member wants team notifications (an SNS topic per member delivers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyChannels {
    pub sms: bool,
    pub email: bool,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub id: MemberId,
    /// Shown to staff; never in notifications or logs.
    pub name: String,
    /// Service lines they handle; empty means every line.
    pub specialties: BTreeSet<ServiceLineId>,
    /// Facilities they work at; empty means every facility.
    pub facilities: BTreeSet<String>,
    /// Primary language subtags (`en`, `es`).
    pub languages: BTreeSet<String>,
    /// Working hours.
    pub schedule: WeeklySchedule,
    /// Round-robin weight (1 to 10): a weight of 2 gets twice the leads.
    pub weight: u32,
    pub backup: Option<MemberId>,
    pub manager: Option<MemberId>,
    pub notify: NotifyChannels,
    /// In the specialists pools (`false` for a manager who only takes escalations and the
    /// leads a rule names them for).
    pub takes_new_leads: bool,
    /// The team (a pod, a shift group) they work in: an agent sees the leads assigned to any
    /// member of their team (`auth::policy`).
    pub team: Option<String>,
    /// The signed-in identity (the JWT `sub`) that is this member, when it is not the member id
    /// itself. A member with a `user_id` is matched by it only.
    pub user_id: Option<String>,
}

/// A location, with the area it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facility {
    pub id: String,
    pub name: String,
    pub states: BTreeSet<String>,
    pub postal_prefixes: Vec<String>,
}

/// Who is on call when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallSchedule {
    pub id: String,
    pub schedule: WeeklySchedule,
    /// The member of each shift in `schedule.shifts`, same order.
    pub members: Vec<MemberId>,
    pub backup: Option<MemberId>,
    pub manager: Option<MemberId>,
}

impl OnCallSchedule {
    /// The member on call at `at`.
    pub fn on_call(&self, at: DateTime<Utc>) -> Option<&MemberId> {
        self.schedule.shift_at(at).and_then(|i| self.members.get(i))
    }
}

/// What a rule looks at; an empty set matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub service_lines: BTreeSet<ServiceLineId>,
    pub tiers: BTreeSet<UrgencyTier>,
    pub bands: BTreeSet<ScoreBand>,
    pub languages: BTreeSet<String>,
    pub states: BTreeSet<String>,
    pub postal_prefixes: Vec<String>,
    pub facilities: BTreeSet<String>,
    pub sources: BTreeSet<SourceChannel>,
}

/// Who a rule assigns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Round-robin among these members.
    Members(Vec<MemberId>),
    /// The on-call member of this schedule (its backup when they are away).
    OnCall(String),
    /// Round-robin among members whose specialties cover the lead's service line (and, with
    /// `same_facility`, who work at the lead's facility).
    Specialists { same_facility: bool },
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub name: String,
    pub when: Conditions,
    pub target: Target,
}

/// The team and how leads reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Team {
    pub members: BTreeMap<MemberId, TeamMember>,
    pub facilities: Vec<Facility>,
    pub on_call: BTreeMap<String, OnCallSchedule>,
    pub rules: Vec<RoutingRule>,
    /// Used when no rule matches (or none has anyone eligible); `None`: leave unassigned.
    pub default: Option<Target>,
}

impl Team {
    /// The member a signed-in user is: the member whose configured `user_id` is `user_id`, else
    /// the member whose id is `user_id` and who has no `user_id` of their own. `None` for staff
    /// who are not team members (an administrator, an analyst).
    pub fn member_for_user(&self, user_id: &str) -> Option<&TeamMember> {
        self.members.values().find(|m| m.user_id.as_deref() == Some(user_id)).or_else(|| {
            MemberId::parse(user_id).and_then(|id| self.members.get(&id)).filter(|m| m.user_id.is_none() && m.id.as_str() == user_id)
        })
    }

    /// Whether `member` can be reached for a lead now: on shift, or on call in a schedule.
    /// Nobody is paged off shift just because a ladder names them.
    pub fn reachable(&self, member: &MemberId, now: DateTime<Utc>) -> bool {
        self.members.get(member).is_some_and(|m| m.schedule.covers(now)) || self.on_call.values().any(|s| s.on_call(now) == Some(member))
    }

    /// Who is on call now, schedule by schedule (configuration order).
    pub fn on_call_now(&self, now: DateTime<Utc>) -> Vec<MemberId> {
        let mut out: Vec<MemberId> = self.on_call.values().filter_map(|s| s.on_call(now).cloned()).collect();
        out.dedup();
        out
    }

    /// The team of the member `member` (a member id, as `Lead::assignee` gives it).
    pub fn team_of(&self, member: &str) -> Option<&str> {
        MemberId::parse(member).and_then(|id| self.members.get(&id)).and_then(|m| m.team.as_deref())
    }
}

/// The name the default rule is recorded under.
pub const DEFAULT_RULE: &str = "default";

/// What routing reads about a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFacts {
    pub service_line: ServiceLineId,
    pub tier: UrgencyTier,
    pub band: Option<ScoreBand>,
    pub language: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub facility: Option<String>,
    pub source: SourceChannel,
}

/// A member's availability as set at runtime (`PUT /team/{member}/availability`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub away: bool,
    /// Away until then (back automatically); `None` until changed again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// The user who changed it.
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Availability {
    pub fn is_away(&self, at: DateTime<Utc>) -> bool {
        self.away && self.until.is_none_or(|u| at < u)
    }
}

/// Why a member was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipWhy {
    OffShift,
    Away,
}

/// A member passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub member: MemberId,
    pub why: SkipWhy,
}

/// A rule's pool with the eligible members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    pub rule: String,
    /// Why the rule matched (its conditions, in words).
    pub reason: String,
    /// The round-robin counter's name: one per rule.
    pub pool: String,
    /// Eligible members in configuration order, with their weights.
    pub eligible: Vec<(MemberId, u32)>,
    pub skipped: Vec<Skipped>,
    pub on_call: bool,
}

/// The lead's assignment, as stored on the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub member: MemberId,
    /// The rule that matched (`default` for the default).
    pub rule: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Assigned as the on-call member (crisis or after-hours coverage).
    #[serde(default)]
    pub on_call: bool,
    pub at: DateTime<Utc>,
}

/// Primary language subtag: `es-MX` -> `es`, `Spanish` -> `spanish`.
pub fn language_key(s: &str) -> String {
    s.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase()
}

impl Team {
    /// The facility a lead belongs to: the one it asked for, else the longest matching postal
    /// prefix, else the first serving its state.
    pub fn facility_of(&self, preferred: Option<&str>, state: Option<&str>, postal_code: Option<&str>) -> Option<String> {
        if let Some(p) = preferred {
            let want = super::scoring::words(p);
            if let Some(f) = self.facilities.iter().find(|f| f.id == p.trim() || super::scoring::words(&f.name) == want) {
                return Some(f.id.clone());
            }
        }
        if let Some(zip) = postal_code.map(str::trim) {
            let best = self
                .facilities
                .iter()
                .flat_map(|f| f.postal_prefixes.iter().map(move |p| (f, p)))
                .filter(|(_, p)| zip.starts_with(p.as_str()))
                .max_by_key(|(_, p)| p.len());
            if let Some((f, _)) = best {
                return Some(f.id.clone());
            }
        }
        let state = state?.trim().to_ascii_uppercase();
        self.facilities.iter().find(|f| f.states.contains(&state)).map(|f| f.id.clone())
    }

    /// The facts routing needs from a lead.
    pub fn facts(&self, lead: &Lead, tier: UrgencyTier, band: Option<ScoreBand>) -> RouteFacts {
        let ctx = &lead.context;
        let state = ctx.location.state.as_ref().map(|s| s.as_str().to_ascii_uppercase());
        let zip = ctx.location.postal_code.as_ref().map(|s| s.as_str().to_string());
        RouteFacts {
            service_line: ctx.service_line.clone(),
            tier,
            band,
            language: ctx.preferences.language.as_ref().map(|l| language_key(l.as_str())),
            facility: self.facility_of(ctx.preferred_facility.as_ref().map(|f| f.as_str()), state.as_deref(), zip.as_deref()),
            state,
            postal_code: zip,
            source: lead.source.channel,
        }
    }

    /// Whether `rule`'s conditions hold, with the reason in words.
    fn matches(when: &Conditions, f: &RouteFacts) -> Option<String> {
        let mut why = Vec::new();
        macro_rules! need {
            ($set:expr, $value:expr, $label:expr, $show:expr) => {
                if !$set.is_empty() {
                    match $value {
                        Some(v) if $set.contains(&v) => why.push(format!("{}={}", $label, $show(&v))),
                        _ => return None,
                    }
                }
            };
        }
        need!(when.service_lines, Some(f.service_line.clone()), "service_line", |v: &ServiceLineId| v.to_string());
        need!(when.tiers, Some(f.tier), "tier", |v: &UrgencyTier| v.as_str());
        need!(when.bands, f.band, "band", |v: &ScoreBand| v.as_str());
        need!(when.languages, f.language.clone(), "language", |v: &String| v.clone());
        need!(when.states, f.state.clone(), "state", |v: &String| v.clone());
        need!(when.facilities, f.facility.clone(), "facility", |v: &String| v.clone());
        need!(when.sources, Some(f.source), "source", |v: &SourceChannel| v.as_str());
        if !when.postal_prefixes.is_empty() {
            match &f.postal_code {
                Some(z) if when.postal_prefixes.iter().any(|p| z.starts_with(p.as_str())) => why.push("postal_code in area".to_string()),
                _ => return None,
            }
        }
        Some(if why.is_empty() { "matches every lead".into() } else { why.join(", ") })
    }

    fn pool(
        &self,
        target: &Target,
        f: &RouteFacts,
        now: DateTime<Utc>,
        away: &dyn Fn(&MemberId) -> bool,
    ) -> (Vec<(MemberId, u32)>, Vec<Skipped>, bool) {
        let mut eligible = Vec::new();
        let mut skipped = Vec::new();
        let consider = |id: &MemberId, check_shift: bool, eligible: &mut Vec<(MemberId, u32)>, skipped: &mut Vec<Skipped>| {
            let Some(m) = self.members.get(id) else { return };
            if away(id) {
                skipped.push(Skipped { member: id.clone(), why: SkipWhy::Away });
            } else if check_shift && !m.schedule.covers(now) {
                skipped.push(Skipped { member: id.clone(), why: SkipWhy::OffShift });
            } else {
                eligible.push((id.clone(), m.weight));
            }
        };
        let on_call = match target {
            Target::Members(ids) => {
                for id in ids {
                    consider(id, true, &mut eligible, &mut skipped);
                }
                false
            }
            Target::Specialists { same_facility } => {
                for m in self.members.values() {
                    let covers_line = m.specialties.is_empty() || m.specialties.contains(&f.service_line);
                    let at_facility =
                        !same_facility || m.facilities.is_empty() || f.facility.as_ref().is_none_or(|fac| m.facilities.contains(fac));
                    if covers_line && at_facility && m.takes_new_leads {
                        consider(&m.id, true, &mut eligible, &mut skipped);
                    }
                }
                false
            }
            Target::OnCall(schedule) => {
                if let Some(s) = self.on_call.get(schedule) {
                    // On call means reachable whatever the member's usual hours.
                    if let Some(id) = s.on_call(now) {
                        consider(id, false, &mut eligible, &mut skipped);
                    }
                    if eligible.is_empty() {
                        if let Some(b) = &s.backup {
                            consider(b, false, &mut eligible, &mut skipped);
                        }
                    }
                }
                true
            }
        };
        (eligible, skipped, on_call)
    }

    /// The first rule (then the default) with someone eligible, or the reasons nobody was.
    pub fn candidates(&self, f: &RouteFacts, now: DateTime<Utc>, away: &dyn Fn(&MemberId) -> bool) -> Result<Candidates, String> {
        let mut passed = Vec::new();
        let default = self.default.as_ref().map(|t| (DEFAULT_RULE, Some("no rule matched".to_string()), t));
        let rules = self.rules.iter().map(|r| (r.name.as_str(), Self::matches(&r.when, f), &r.target)).chain(default);
        for (name, matched, target) in rules {
            let Some(reason) = matched else { continue };
            let (eligible, skipped, on_call) = self.pool(target, f, now, away);
            if eligible.is_empty() {
                let who = if skipped.is_empty() {
                    "nobody in the pool".to_string()
                } else {
                    skipped
                        .iter()
                        .map(|s| format!("{} {}", s.member, if s.why == SkipWhy::Away { "away" } else { "off shift" }))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                passed.push(format!("rule {name} matched ({reason}) but nobody is eligible: {who}"));
                continue;
            }
            let reason = if passed.is_empty() { reason } else { format!("{reason}; {}", passed.join("; ")) };
            return Ok(Candidates { rule: name.to_string(), reason, pool: format!("rule:{name}"), eligible, skipped, on_call });
        }
        Err(if passed.is_empty() { "no rule matched and no default is configured".into() } else { passed.join("; ") })
    }
}

/// The member a round-robin `ticket` (0, 1, 2, ...) picks: a smooth weighted round-robin over
/// the eligible members, so consecutive tickets interleave (weights 2:1 give a, b, a, ...) and
/// any run of `sum of weights` tickets gives each member exactly their weight.
pub fn pick(eligible: &[(MemberId, u32)], ticket: u64) -> Option<&MemberId> {
    let total: u64 = eligible.iter().map(|(_, w)| u64::from((*w).max(1))).sum();
    if total == 0 {
        return None;
    }
    let slot = ticket % total;
    let mut current: Vec<i64> = vec![0; eligible.len()];
    let mut chosen = 0;
    for _ in 0..=slot {
        for (c, (_, w)) in current.iter_mut().zip(eligible) {
            *c += i64::from((*w).max(1));
        }
        chosen = (0..current.len()).max_by_key(|&i| (current[i], std::cmp::Reverse(i))).unwrap_or(0);
        current[chosen] -= total as i64;
    }
    eligible.get(chosen).map(|(id, _)| id)
}

#[cfg(test)]
mod tests;
