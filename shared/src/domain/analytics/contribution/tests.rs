//! Hand-computed contributions.

use super::*;
use crate::domain::lead::PaymentRecord;
use crate::domain::money::Money;
use crate::domain::source::{Source, SourceChannel, SourceDetail};
use crate::domain::text::Label;
use crate::domain::{Actor, Consents, Contact, LeadId, LeadStatus};
use chrono::{Duration, TimeZone};

fn t0() -> DateTime<Utc> {
    // Tuesday 2026-03-03, 10:30 in New York.
    Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap()
}

fn settings() -> AnalyticsSettings {
    AnalyticsSettings::new(chrono_tz::America::New_York, Currency::usd(), 7 * 24, 40, 40)
}

fn label(s: &str) -> Option<Label> {
    Some(Label::parse(s, 500).unwrap())
}

fn tagged(source: &str, campaign: &str) -> SourceDetail {
    SourceDetail { utm_source: label(source), utm_campaign: label(campaign), ..Default::default() }
}

pub(crate) fn lead(detail: SourceDetail) -> Lead {
    let context = serde_json::from_value(serde_json::json!({"service_line": "med_spa"})).unwrap();
    let mut lead = Lead::capture(
        LeadId::derived(b"contribution-test"),
        crate::domain::intake_form::NewLead {
            contact: Contact::default(),
            context,
            source: Source { channel: SourceChannel::WebForm, detail, journey: None },
            consent: Consents::default(),
        },
        t0(),
    );
    lead.id = LeadId::derived(b"contribution-test");
    lead
}

fn entry(lead: &Lead, at: DateTime<Utc>, kind: TimelineKind) -> TimelineEntry {
    TimelineEntry::derived(lead.id, at, &format!("{at}:{kind:?}"), Actor::System("test".into()), kind)
}

fn touch(at: DateTime<Utc>, kind: TouchpointKind, detail: SourceDetail) -> Touchpoint {
    Touchpoint { at, kind, channel: SourceChannel::WebForm, detail, page: None }
}

fn status(lead: &Lead, at: DateTime<Utc>, from: LeadStatus, to: LeadStatus) -> TimelineEntry {
    entry(lead, at, TimelineKind::StatusChanged { from, to, trigger: "test".into(), reason: None, note: None })
}

fn pay(lead: &mut Lead, id: &str, minor: i64, at: DateTime<Utc>) {
    lead.payments.push(PaymentRecord {
        provider: "stripe".into(),
        payment_id: id.into(),
        amount: Money { minor, currency: Currency::usd() },
        at,
    });
}

/// A lead's whole journey: Facebook ad, a Google search, an email open and a Facebook
/// retargeting click, then qualified, booked, showed, converted with two payments.
fn journey() -> (Lead, Vec<TimelineEntry>) {
    let mut l = lead(tagged("Facebook", "Spring"));
    let d = |days: i64, hours: i64| t0() + Duration::days(days) + Duration::hours(hours);
    let mut tl = vec![entry(
        &l,
        t0(),
        TimelineKind::LeadCaptured {
            channel: SourceChannel::WebForm,
            touchpoint: touch(t0(), TouchpointKind::FormSubmission, tagged("Facebook", "Spring")),
            inquiry: None,
        },
    )];
    tl.push(entry(
        &l,
        d(1, 0),
        TimelineKind::TouchpointRecorded { touchpoint: touch(d(1, 0), TouchpointKind::PageView, tagged("google", "brand")) },
    ));
    tl.push(entry(
        &l,
        d(2, 0),
        TimelineKind::TouchpointRecorded { touchpoint: touch(d(2, 0), TouchpointKind::EmailOpen, tagged("newsletter", "march")) },
    ));
    tl.push(entry(
        &l,
        d(2, 1),
        TimelineKind::TouchpointRecorded { touchpoint: touch(d(2, 1), TouchpointKind::AppointmentRequest, SourceDetail::default()) },
    ));
    tl.push(entry(
        &l,
        d(5, 0),
        TimelineKind::TouchpointRecorded { touchpoint: touch(d(5, 0), TouchpointKind::AdClick, tagged("fb", "retarget")) },
    ));
    tl.push(entry(
        &l,
        t0() + Duration::minutes(4),
        TimelineKind::ContactAttempted {
            channel: crate::domain::ContactChannel::Sms,
            outcome: ContactOutcome::Answered,
            note: None,
            first: true,
        },
    ));
    tl.push(status(&l, d(1, 2), LeadStatus::Contacted, LeadStatus::Qualified));
    tl.push(status(&l, d(2, 1), LeadStatus::Qualified, LeadStatus::Booked));
    tl.push(status(&l, d(7, 0), LeadStatus::Booked, LeadStatus::Showed));
    // Converted on 2026-04-02 (a month later), two payments.
    tl.push(status(&l, d(30, 0), LeadStatus::Showed, LeadStatus::Converted));
    tl.sort_by_key(|e| e.id);
    l.status = LeadStatus::Converted;
    l.acknowledged_at = Some(t0() + Duration::seconds(20));
    l.first_contact_at = Some(t0() + Duration::minutes(4));
    l.first_contact_due_at = Some(t0() + Duration::minutes(2));
    l.converted_at = Some(d(30, 0));
    pay(&mut l, "pi_1", 100_000, d(30, 0));
    pay(&mut l, "pi_2", 50_001, d(31, 0));
    (l, tl)
}

fn counters(pairs: &[(&str, i64)]) -> Counters {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn the_funnel_counts_every_step_once_on_the_capture_day() {
    let (l, tl) = journey();
    let c = contribution(&l, &tl, &settings(), Some("Hoboken"));
    let f = c.funnel.as_ref().unwrap();
    assert_eq!(f.day, NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
    assert_eq!(
        f.dims,
        LeadDims {
            source: "facebook".into(),
            campaign: "spring".into(),
            service_line: "med_spa".into(),
            facility: "hoboken".into(),
            channel: "web_form".into()
        }
    );
    assert_eq!(
        f.counters,
        counters(&[
            ("leads", 1),
            ("ack", 1),
            ("ack_ms", 20_000),
            ("ack_h01", 1), // 10-30 s
            ("fc", 1),
            ("fc_ms", 240_000),
            ("fc_h05", 1), // 3-5 min
            ("sla_due", 1),
            ("sla_missed", 1), // due at 2 min, first attempt at 4 min
            ("reached", 1),
            ("qualified", 1),
            ("booked", 1),
            ("showed", 1),
            ("converted", 1),
            ("conv_m01", 1), // captured in March, converted in April
            ("revenue", 150_001),
            ("customers", 1),
        ])
    );
    // One row per dimension.
    let rows = c.rows();
    let funnel: Vec<_> = rows.keys().filter(|k| k.family == Family::Funnel).map(|k| (k.dimension, k.value.as_str())).collect();
    assert_eq!(
        funnel,
        [
            (Dimension::All, "all"),
            (Dimension::Source, "facebook"),
            (Dimension::Campaign, "spring"),
            (Dimension::ServiceLine, "med_spa"),
            (Dimension::Facility, "hoboken"),
            (Dimension::Channel, "web_form"),
        ]
    );
}

#[test]
fn conversion_credit_is_hand_computed_for_every_model() {
    let (l, tl) = journey();
    let c = contribution(&l, &tl, &settings(), None);
    let conv = c.attribution.iter().find(|p| p.milestone == Milestone::Converted).unwrap();
    assert_eq!(conv.day, NaiveDate::from_ymd_opt(2026, 4, 2).unwrap());
    let get = |dim: Dimension, value: &str| {
        conv.credits.iter().find(|c| c.dimension == dim && c.value == value).map(|c| c.counters.clone()).unwrap_or_default()
    };
    // Eligible: the Facebook form (day 0), the Google page view (day 1), the "fb" retargeting
    // click (day 5). The email open and the appointment request earn nothing.
    let fb = get(Dimension::Source, "facebook");
    let fb_alias = get(Dimension::Source, "fb");
    let google = get(Dimension::Source, "google");
    assert!(get(Dimension::Source, "newsletter").is_empty());
    assert!(get(Dimension::Source, "direct").is_empty());
    // First touch: everything to the form.
    assert_eq!((fb["first_touch_n"], fb["first_touch_v"]), (1000, 150_001));
    // Last touch: everything to the retargeting click ("fb": aliases apply at report time).
    assert_eq!((fb_alias["last_touch_n"], fb_alias["last_touch_v"]), (1000, 150_001));
    // Linear: 1000 -> 334/333/333; 100000 -> 33334/33333/33333; 50001 -> 16667 each.
    assert_eq!((fb["linear_n"], fb["linear_v"]), (334, 33_334 + 16_667));
    assert_eq!((google["linear_n"], google["linear_v"]), (333, 33_333 + 16_667));
    assert_eq!((fb_alias["linear_n"], fb_alias["linear_v"]), (333, 33_333 + 16_667));
    // Position-based 40/20/40: 400/200/400; 100000 -> 40000/20000/40000; 50001 -> 20000.4,
    // 10000.2, 20000.4: the spare unit to the earlier of the two equal remainders.
    assert_eq!((fb["position_based_n"], fb["position_based_v"]), (400, 40_000 + 20_001));
    assert_eq!((google["position_based_n"], google["position_based_v"]), (200, 20_000 + 10_000));
    assert_eq!((fb_alias["position_based_n"], fb_alias["position_based_v"]), (400, 40_000 + 20_000));
    // Every model's credit sums to exactly one conversion and the whole revenue, per dimension.
    for dim in [Dimension::Source, Dimension::Campaign] {
        for model in settings().models {
            let (n, v): (i64, i64) = conv
                .credits
                .iter()
                .filter(|c| c.dimension == dim)
                .map(|c| {
                    (
                        c.counters.get(&c::credit(model)).copied().unwrap_or(0),
                        c.counters.get(&c::credited_value(model)).copied().unwrap_or(0),
                    )
                })
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            assert_eq!((n, v), (1000, 150_001), "{} {}", dim.as_str(), model.name());
        }
    }
    // Qualified on day 1 (two hours after the page view): the form and the page view only.
    let q = c.attribution.iter().find(|p| p.milestone == Milestone::Qualified).unwrap();
    assert_eq!(q.day, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
    let q_sources: Vec<&str> = q.credits.iter().filter(|c| c.dimension == Dimension::Source).map(|c| c.value.as_str()).collect();
    assert_eq!(q_sources, ["facebook", "google"]);
}

#[test]
fn a_repeated_delivery_changes_nothing_and_a_payment_changes_only_money() {
    let (mut l, tl) = journey();
    let s = settings();
    let before = contribution(&l, &tl, &s, None);
    assert!(Contribution::delta(&before, &contribution(&l, &tl, &s, None)).is_empty());
    pay(&mut l, "pi_3", 999, t0() + Duration::days(40));
    let after = contribution(&l, &tl, &s, None);
    let delta = Contribution::delta(&before, &after);
    for (key, row) in &delta {
        for name in row.keys() {
            assert!(name == "revenue" || name.ends_with("_v"), "{key:?} {name}");
        }
    }
    let all = &delta[&RowKey {
        family: Family::Funnel,
        dimension: Dimension::All,
        day: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
        value: "all".into(),
    }];
    assert_eq!(all, &counters(&[("revenue", 999)]));
    // Going back to nothing retracts exactly what was added.
    let gone = Contribution::delta(&after, &Contribution::default());
    assert_eq!(gone.len(), after.rows().len());
    assert!(gone.values().flat_map(|r| r.values()).all(|v| *v <= 0));
}

#[test]
fn ties_in_time_keep_timeline_order() {
    let mut l = lead(tagged("google", "a"));
    let tl = vec![
        entry(
            &l,
            t0(),
            TimelineKind::LeadCaptured {
                channel: SourceChannel::WebForm,
                touchpoint: touch(t0(), TouchpointKind::FormSubmission, tagged("google", "a")),
                inquiry: None,
            },
        ),
        entry(
            &l,
            t0() + Duration::seconds(1),
            TimelineKind::TouchpointRecorded { touchpoint: touch(t0(), TouchpointKind::PageView, tagged("bing", "b")) },
        ),
        status(&l, t0() + Duration::hours(1), LeadStatus::New, LeadStatus::Converted),
    ];
    l.status = LeadStatus::Converted;
    let c = contribution(&l, &tl, &settings(), None);
    let conv = c.attribution.iter().find(|p| p.milestone == Milestone::Converted).unwrap();
    let src = |v: &str| conv.credits.iter().find(|c| c.dimension == Dimension::Source && c.value == v).unwrap().counters.clone();
    assert_eq!(src("google").get("first_touch_n"), Some(&1000));
    assert_eq!(src("bing").get("last_touch_n"), Some(&1000));
    // Linear 500/500; time decay with equal ages also 500/500.
    assert_eq!((src("google")["linear_n"], src("bing")["linear_n"]), (500, 500));
    assert_eq!((src("google")["time_decay_n"], src("bing")["time_decay_n"]), (500, 500));
    // Converted straight from new: counted as qualified too, not as booked or showed.
    let f = &c.funnel.unwrap().counters;
    assert_eq!((f.get("qualified"), f.get("booked"), f.get("showed"), f.get("conv_m00")), (Some(&1), None, None, Some(&1)));
}

#[test]
fn many_sources_are_bounded_into_other() {
    let mut l = lead(tagged("s0", "c0"));
    let mut tl = Vec::new();
    for i in 0..12 {
        let at = t0() + Duration::hours(i);
        tl.push(entry(
            &l,
            at,
            TimelineKind::TouchpointRecorded { touchpoint: touch(at, TouchpointKind::AdClick, tagged(&format!("s{i}"), &format!("c{i}"))) },
        ));
    }
    tl.push(status(&l, t0() + Duration::days(1), LeadStatus::New, LeadStatus::Qualified));
    l.status = LeadStatus::Qualified;
    let c = contribution(&l, &tl, &settings(), None);
    let q = &c.attribution[0];
    let sources: Vec<&str> = q.credits.iter().filter(|c| c.dimension == Dimension::Source).map(|c| c.value.as_str()).collect();
    assert_eq!(sources.len(), MAX_VALUES_PER_DIMENSION + 1);
    assert!(sources.contains(&OTHER));
    let other = q.credits.iter().find(|c| c.dimension == Dimension::Source && c.value == OTHER).unwrap();
    // Linear: 12 touches, 1000 -> 84 x 4 then 83 x 8; the last four (s8..s11) are "(other)".
    assert_eq!(other.counters["linear_n"], 83 * 4);
    assert_eq!(other.counters["last_touch_n"], 1000);
}

#[test]
fn a_fresh_lead_counts_only_as_a_lead() {
    let l = lead(SourceDetail::default());
    let c = contribution(&l, &[], &settings(), None);
    assert_eq!(c.funnel.as_ref().unwrap().counters, counters(&[("leads", 1)]));
    assert_eq!(c.funnel.unwrap().dims.source, "direct");
    assert!(c.attribution.is_empty());
}

#[test]
fn the_ledger_form_is_compact_json() {
    let (l, tl) = journey();
    let c = contribution(&l, &tl, &settings(), None);
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.len() < 4000, "{}", json.len());
    assert_eq!(serde_json::from_str::<Contribution>(&json).unwrap(), c);
}
