use super::*;
use crate::domain::shift::Shift;
use chrono::TimeZone;

fn id(s: &str) -> MemberId {
    MemberId::parse(s).unwrap()
}

fn line(s: &str) -> ServiceLineId {
    ServiceLineId::parse(s).unwrap()
}

fn member(name: &str, lines: &[&str], hours: &str, weight: u32) -> TeamMember {
    TeamMember {
        id: id(name),
        name: name.to_uppercase(),
        specialties: lines.iter().map(|l| line(l)).collect(),
        facilities: BTreeSet::new(),
        languages: ["en".to_string()].into(),
        schedule: WeeklySchedule { time_zone: chrono_tz::America::New_York, shifts: vec![Shift::parse(&["daily"], hours).unwrap()] },
        weight,
        backup: None,
        manager: None,
        notify: NotifyChannels { sms: true, email: false },
        takes_new_leads: true,
        team: None,
        user_id: None,
    }
}

fn team() -> Team {
    let members = [
        member("ana", &["med_spa"], "08:00-17:00", 1),
        member("ben", &["med_spa"], "08:00-17:00", 1),
        member("cara", &["med_spa"], "12:00-20:00", 1),
        member("dev", &["franchise"], "09:00-17:00", 1),
        member("sam", &["addiction_treatment"], "09:00-17:00", 1),
        member("ria", &["addiction_treatment"], "09:00-17:00", 1),
        member("front", &["general"], "07:00-19:00", 1),
    ];
    let on_call = OnCallSchedule {
        id: "counselors".into(),
        schedule: WeeklySchedule {
            time_zone: chrono_tz::America::New_York,
            shifts: vec![
                Shift::parse(&["mon", "tue", "wed"], "00:00-24:00").unwrap(),
                Shift::parse(&["thu", "fri", "sat", "sun"], "00:00-24:00").unwrap(),
            ],
        },
        members: vec![id("sam"), id("ria")],
        backup: Some(id("ria")),
        manager: None,
    };
    Team {
        members: members.into_iter().map(|m| (m.id.clone(), m)).collect(),
        facilities: vec![Facility {
            id: "hoboken".into(),
            name: "Hoboken".into(),
            states: ["NJ".into()].into(),
            postal_prefixes: vec!["070".into()],
        }],
        on_call: [("counselors".to_string(), on_call)].into(),
        rules: vec![
            RoutingRule {
                name: "crisis".into(),
                when: Conditions { tiers: [UrgencyTier::Crisis].into(), ..Default::default() },
                target: Target::OnCall("counselors".into()),
            },
            RoutingRule {
                name: "hot-franchise".into(),
                when: Conditions { service_lines: [line("franchise")].into(), bands: [ScoreBand::Hot].into(), ..Default::default() },
                target: Target::Members(vec![id("dev")]),
            },
            RoutingRule {
                name: "spa".into(),
                when: Conditions { service_lines: [line("med_spa")].into(), ..Default::default() },
                target: Target::Specialists { same_facility: false },
            },
        ],
        default: Some(Target::Members(vec![id("front")])),
    }
}

fn facts(service_line: &str, tier: UrgencyTier, band: Option<ScoreBand>) -> RouteFacts {
    RouteFacts {
        service_line: line(service_line),
        tier,
        band,
        language: None,
        state: None,
        postal_code: None,
        facility: None,
        source: SourceChannel::WebForm,
    }
}

/// A New York wall-clock time on Tuesday 2026-03-03.
fn ny(h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, h, m, 0).unwrap().with_timezone(&Utc)
}

fn nobody_away(_: &MemberId) -> bool {
    false
}

fn ids(c: &Candidates) -> Vec<&str> {
    c.eligible.iter().map(|(m, _)| m.as_str()).collect()
}

#[test]
fn rules_are_tried_in_order_and_the_first_match_wins() {
    let t = team();
    // A crisis in any line goes to the on-call schedule, before the line's own rule.
    let c = t.candidates(&facts("med_spa", UrgencyTier::Crisis, None), ny(10, 0), &nobody_away).unwrap();
    assert_eq!((c.rule.as_str(), ids(&c), c.on_call), ("crisis", vec!["sam"], true));
    assert_eq!(c.reason, "tier=crisis");
    // A hot franchise lead goes to the director; a warm one falls to the default.
    let c = t.candidates(&facts("franchise", UrgencyTier::Routine, Some(ScoreBand::Hot)), ny(10, 0), &nobody_away).unwrap();
    assert_eq!((c.rule.as_str(), ids(&c)), ("hot-franchise", vec!["dev"]));
    assert_eq!(c.reason, "service_line=franchise, band=hot");
    let c = t.candidates(&facts("franchise", UrgencyTier::Routine, Some(ScoreBand::Warm)), ny(10, 0), &nobody_away).unwrap();
    assert_eq!((c.rule.as_str(), ids(&c)), (DEFAULT_RULE, vec!["front"]));
    assert_eq!(c.reason, "no rule matched");
}

#[test]
fn off_shift_and_away_members_are_skipped() {
    let t = team();
    // 10:00: ana and ben on shift, cara starts at noon.
    let c = t.candidates(&facts("med_spa", UrgencyTier::Routine, None), ny(10, 0), &nobody_away).unwrap();
    assert_eq!(ids(&c), ["ana", "ben"]);
    assert_eq!(c.skipped, vec![Skipped { member: id("cara"), why: SkipWhy::OffShift }]);
    // ana marked away.
    let away = |m: &MemberId| m.as_str() == "ana";
    let c = t.candidates(&facts("med_spa", UrgencyTier::Routine, None), ny(10, 0), &away).unwrap();
    assert_eq!(ids(&c), ["ben"]);
    assert!(c.skipped.contains(&Skipped { member: id("ana"), why: SkipWhy::Away }));
    // 18:00: only cara; 19:30: nobody in the spa pool and the default's front desk is gone too.
    assert_eq!(ids(&t.candidates(&facts("med_spa", UrgencyTier::Routine, None), ny(18, 0), &nobody_away).unwrap()), ["cara"]);
    let err = t.candidates(&facts("med_spa", UrgencyTier::Routine, None), ny(20, 30), &nobody_away).unwrap_err();
    assert_eq!(err, "rule spa matched (service_line=med_spa) but nobody is eligible: ana off shift, ben off shift, cara off shift; rule default matched (no rule matched) but nobody is eligible: front off shift");
}

#[test]
fn a_matched_rule_with_nobody_eligible_falls_through_and_says_so() {
    let t = team();
    let away = |m: &MemberId| m.as_str() == "dev";
    let c = t.candidates(&facts("franchise", UrgencyTier::Routine, Some(ScoreBand::Hot)), ny(10, 0), &away).unwrap();
    assert_eq!(c.rule, DEFAULT_RULE);
    assert_eq!(c.reason, "no rule matched; rule hot-franchise matched (service_line=franchise, band=hot) but nobody is eligible: dev away");
}

#[test]
fn on_call_works_at_2_am_and_falls_back_to_the_backup() {
    let t = team();
    let at = ny(2, 0);
    let c = t.candidates(&facts("addiction_treatment", UrgencyTier::Crisis, None), at, &nobody_away).unwrap();
    assert_eq!(ids(&c), ["sam"], "on call whatever their usual hours");
    let away = |m: &MemberId| m.as_str() == "sam";
    let c = t.candidates(&facts("addiction_treatment", UrgencyTier::Crisis, None), at, &away).unwrap();
    assert_eq!(ids(&c), ["ria"]);
    // Friday: ria's shift.
    let friday = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 6, 2, 0, 0).unwrap().with_timezone(&Utc);
    assert_eq!(t.on_call["counselors"].on_call(friday), Some(&id("ria")));
}

#[test]
fn round_robin_is_fair_over_1000_tickets() {
    let eligible: Vec<(MemberId, u32)> = ["a", "b", "c"].iter().map(|m| (id(m), 1)).collect();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for ticket in 0..1000 {
        *counts.entry(pick(&eligible, ticket).unwrap().as_str()).or_default() += 1;
    }
    let (min, max) = (counts.values().min().unwrap(), counts.values().max().unwrap());
    assert!(max - min <= 1, "{counts:?}");
}

#[test]
fn weights_share_leads_in_proportion_and_interleave() {
    let eligible = vec![(id("a"), 2), (id("b"), 1)];
    let seq: Vec<&str> = (0..6).map(|t| pick(&eligible, t).unwrap().as_str()).collect();
    assert_eq!(seq, ["a", "b", "a", "a", "b", "a"]);
    assert_eq!(pick(&[], 3), None);
}

#[test]
fn facilities_resolve_by_request_then_zip_then_state() {
    let t = team();
    assert_eq!(t.facility_of(Some("Hoboken"), None, None).as_deref(), Some("hoboken"));
    assert_eq!(t.facility_of(None, None, Some("07030")).as_deref(), Some("hoboken"));
    assert_eq!(t.facility_of(None, Some("nj"), None).as_deref(), Some("hoboken"));
    assert_eq!(t.facility_of(Some("Elsewhere"), Some("CA"), Some("94110")), None);
    assert_eq!(language_key("es-MX"), "es");
}
