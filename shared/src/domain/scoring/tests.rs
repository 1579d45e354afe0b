//! Table-driven tests of both models, explanation included.

use super::franchise::{Capital, Experience, TerritoryPoints, TimelinePoints};
use super::patient::{AgeBand, Demographics, Engagement, InsuranceFit, Interest, ReferralPoints, ServiceArea, UrgencyPoints};
use super::*;
use crate::domain::context::InsuranceStatus;
use crate::domain::money::{Currency, Money};
use crate::domain::source::SourceChannel;
use crate::domain::text::Label;
use crate::domain::touchpoint::{Touchpoint, TouchpointKind};
use crate::domain::urgency::{PhraseList, UrgencyTier};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap()
}

fn lead(context: serde_json::Value, channel: &str) -> Lead {
    serde_json::from_value(serde_json::json!({
        "id": "01JNZ0000000000000000000AA",
        "status": "new",
        "contact": {},
        "context": context,
        "source": { "channel": channel },
        "created_at": now(),
        "updated_at": now(),
        "version": 1
    }))
    .unwrap()
}

fn tp(kind: TouchpointKind, page: Option<&str>) -> Touchpoint {
    Touchpoint {
        at: now(),
        kind,
        channel: SourceChannel::WebForm,
        detail: Default::default(),
        page: page.map(|p| Label::parse(p, 200).unwrap()),
    }
}

fn patient_model() -> ScoringModel {
    ScoringModel {
        decay: None,
        name: "patient".into(),
        version: 3,
        bands: Bands { hot: 70, warm: 40 },
        rules: ModelRules::Patient(PatientModel {
            demographics: Demographics {
                age: Some(AgeBand { min: 18, max: 80, inside_points: 5, outside_points: -10 }),
                area: Some(ServiceArea {
                    states: ["NJ".to_string()].into(),
                    postal_prefixes: vec!["100".into()],
                    inside_points: 10,
                    outside_points: -5,
                }),
                insurance: Some(InsuranceFit {
                    accepted: vec![InsuranceStatus::Insured, InsuranceStatus::Medicare],
                    accepted_points: 10,
                    not_accepted_points: -5,
                }),
            },
            engagement: Engagement {
                page_view_points: 2,
                pricing_page_points: 5,
                pricing_pages: vec!["/pricing".into()],
                download_points: 5,
                email_open_points: 1,
                email_click_points: 2,
                max_points: 20,
            },
            interest: Interest { form_points: 10, call_points: 15, chat_points: 10, appointment_request_points: 25, max_points: 35 },
            urgency: UrgencyPoints { urgent_points: 15, crisis_points: 30 },
            referral: ReferralPoints { physician_points: 20, patient_points: 10 },
        }),
    }
}

fn franchise_model() -> ScoringModel {
    let usd = |major: i64| major * 100;
    ScoringModel {
        decay: None,
        name: "franchise".into(),
        version: 1,
        bands: Bands { hot: 70, warm: 40 },
        rules: ModelRules::Franchise(FranchiseModel {
            capital: Capital {
                liquid_required_minor: usd(150_000),
                net_worth_required_minor: usd(500_000),
                liquid_points: 25,
                net_worth_points: 15,
                half_share_percent: 40,
                below_points: -10,
            },
            experience: Experience { industries: ["healthcare".to_string(), "veterinary".to_string()].into(), points: 15 },
            territory: TerritoryPoints { available_points: 20, unavailable_points: -5, unknown_points: 0 },
            timeline: TimelinePoints {
                zero_to_three_months: 20,
                three_to_six_months: 15,
                six_to_twelve_months: 8,
                over_twelve_months: 2,
                unsure: 0,
            },
            engagement: Engagement { download_points: 5, max_points: 10, ..Default::default() },
        }),
    }
}

fn territories() -> Territories {
    Territories(vec![
        Territory { id: "austin".into(), name: "Austin".into(), aliases: vec!["ATX".into()], available: true },
        Territory { id: "north_austin".into(), name: "North Austin".into(), aliases: vec![], available: false },
        Territory { id: "tampa".into(), name: "Tampa Bay".into(), aliases: vec!["Tampa".into()], available: true },
    ])
}

fn run(model: &ScoringModel, lead: &Lead, touchpoints: &[Touchpoint], text: &str) -> LeadScore {
    let phrases = PhraseList::new([("bleeding", UrgencyTier::Urgent), ("relapse", UrgencyTier::Crisis)], &[]).unwrap();
    let urgency = phrases.assess([text], false);
    model.score(ScoreInput { lead, touchpoints, urgency: &urgency, territories: &territories(), now: now() })
}

fn signals(s: &LeadScore) -> Vec<(String, i32)> {
    s.contributions.iter().map(|c| (c.signal.clone(), c.points)).collect()
}

#[test]
fn patient_model_table() {
    use TouchpointKind::*;
    struct Case {
        name: &'static str,
        context: serde_json::Value,
        channel: &'static str,
        touchpoints: Vec<Touchpoint>,
        text: &'static str,
        score: u32,
        band: ScoreBand,
        signals: Vec<(&'static str, i32)>,
    }
    let cases = vec![
        Case {
            name: "ideal patient: in area, insured, engaged, asked for an appointment, physician referral",
            context: serde_json::json!({"service_line":"wound_care","insurance":"medicare","date_of_birth":"1950-06-01","location":{"state":"NJ"}}),
            channel: "physician_referral",
            touchpoints: vec![
                tp(FormSubmission, None),
                tp(AppointmentRequest, None),
                tp(PageView, Some("/pricing")),
                tp(PageView, Some("/about")),
            ],
            text: "",
            score: 87,
            band: ScoreBand::Hot,
            signals: vec![
                ("age_in_band", 5),
                ("inside_service_area", 10),
                ("insurance_accepted", 10),
                ("site_visits", 2),
                ("pricing_page_views", 5),
                ("form", 10),
                ("appointment_request", 25),
                ("physician_referral", 20),
            ],
        },
        Case {
            name: "out of area, not accepted insurance, single form",
            context: serde_json::json!({"service_line":"wound_care","insurance":"medicaid","location":{"postal_code":"94110","state":"CA"}}),
            channel: "web_form",
            touchpoints: vec![tp(FormSubmission, None)],
            text: "slow healing",
            score: 0,
            band: ScoreBand::Cold,
            signals: vec![("outside_service_area", -5), ("insurance_not_accepted", -5), ("form", 10)],
        },
        Case {
            name: "urgent words and a patient referral, zip in area",
            context: serde_json::json!({"service_line":"wound_care","location":{"postal_code":"10001"}}),
            channel: "patient_referral",
            touchpoints: vec![tp(FormSubmission, None), tp(Call, None)],
            text: "it's bleeding again",
            score: 60,
            band: ScoreBand::Warm,
            signals: vec![("inside_service_area", 10), ("form", 10), ("call", 15), ("urgent", 15), ("patient_referral", 10)],
        },
        Case {
            name: "engagement is capped",
            context: serde_json::json!({"service_line":"med_spa"}),
            channel: "web_form",
            touchpoints: (0..30).map(|_| tp(PageView, Some("/blog"))).chain([tp(Download, None), tp(EmailOpen, None)]).collect(),
            text: "",
            score: 20,
            band: ScoreBand::Cold,
            signals: vec![("site_visits", 60), ("downloads", 5), ("email_opens", 1), ("cap", -46)],
        },
    ];
    for case in cases {
        let lead = lead(case.context, case.channel);
        let s = run(&patient_model(), &lead, &case.touchpoints, case.text);
        let want: Vec<(String, i32)> = case.signals.iter().map(|(s, p)| (s.to_string(), *p)).collect();
        assert_eq!(signals(&s), want, "{}", case.name);
        assert_eq!((s.score, s.band), (case.score, case.band), "{}", case.name);
        assert_eq!((s.model.as_str(), s.model_version), ("patient", 3));
        let sum: i32 = s.contributions.iter().map(|c| c.points).sum();
        assert_eq!(sum.clamp(0, 100) as u32, s.score, "{}: contributions add up to the score", case.name);
    }
}

#[test]
fn the_explanation_reads_for_people() {
    let lead = lead(serde_json::json!({"service_line":"wound_care","insurance":"insured","location":{"state":"NJ"}}), "web_form");
    let s = run(&patient_model(), &lead, &[tp(TouchpointKind::FormSubmission, None)], "bleeding since Monday");
    let explained: Vec<String> = s.contributions.iter().map(|c| format!("{} {:+} {}", c.factor, c.points, c.detail)).collect();
    assert_eq!(
        explained,
        [
            "demographic_fit +10 location inside the service area",
            "demographic_fit +10 insured is accepted",
            "explicit_interest +10 submitted a form",
            "urgency +15 urgent: matched bleeding",
        ]
    );
    // The stored form is stable JSON.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["model"], "patient");
    assert_eq!(json["model_version"], 3);
    assert_eq!(json["band"], "warm");
    assert_eq!(json["urgency"]["tier"], "urgent");
    assert_eq!(json["contributions"][0]["signal"], "inside_service_area");
}

/// Name, lead context, score, band, expected contributions.
type FranchiseCase = (&'static str, serde_json::Value, u32, ScoreBand, Vec<(&'static str, i32)>);

#[test]
fn franchise_model_table() {
    let usd = Currency::usd();
    let m = |major: &str| serde_json::to_value(Money::parse_major(major, &usd).unwrap()).unwrap();
    let cases: Vec<FranchiseCase> = vec![
        (
            "healthcare background, capital above requirement, open territory, investing soon",
            serde_json::json!({"service_line":"franchise","franchise":{"liquid_capital":m("250000"),"net_worth":m("900000"),
                "industry_experience":["Healthcare","retail"],"desired_territory":"Austin, TX","investment_timeline":"zero_to_three_months"}}),
            95,
            ScoreBand::Hot,
            vec![
                ("liquid_capital", 25),
                ("net_worth", 15),
                ("relevant_industry", 15),
                ("territory_available", 20),
                ("investment_timeline", 20),
            ],
        ),
        (
            "half the capital, a taken territory, long timeline",
            serde_json::json!({"service_line":"franchise","franchise":{"liquid_capital":m("80000"),"net_worth":m("100000"),
                "desired_territory":"north austin","investment_timeline":"over_twelve_months"}}),
            0,
            ScoreBand::Cold,
            vec![("liquid_capital", 10), ("net_worth", -10), ("territory_taken", -5), ("investment_timeline", 2)],
        ),
        (
            "alias territory, veterinary experience, 3-6 months",
            serde_json::json!({"service_line":"franchise","franchise":{"liquid_capital":m("150000"),
                "industry_experience":["veterinary"],"desired_territory":"ATX","investment_timeline":"three_to_six_months"}}),
            75,
            ScoreBand::Hot,
            vec![("liquid_capital", 25), ("relevant_industry", 15), ("territory_available", 20), ("investment_timeline", 15)],
        ),
        ("nothing known", serde_json::json!({"service_line":"franchise"}), 0, ScoreBand::Cold, vec![]),
    ];
    for (name, context, score, band, want) in cases {
        let lead = lead(context, "web_form");
        let s = run(&franchise_model(), &lead, &[], "");
        let want: Vec<(String, i32)> = want.iter().map(|(s, p)| (s.to_string(), *p)).collect();
        assert_eq!(signals(&s), want, "{name}");
        assert_eq!((s.score, s.band), (score, band), "{name}");
    }
}

#[test]
fn territories_match_whole_words_and_prefer_the_longest_name() {
    let t = territories();
    assert_eq!(t.find("North Austin please").unwrap().id, "north_austin");
    assert_eq!(t.find("austin").unwrap().id, "austin");
    assert_eq!(t.find("Tampa, FL").unwrap().id, "tampa");
    assert!(t.find("Austinville").is_none());
    assert!(t.find("").is_none());
}
