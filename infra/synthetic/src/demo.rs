//! Realistic demo data: a few thousand leads over the last months across sources, campaigns,
//! service lines and facilities, each with its touchpoints, acknowledgement, first contact,
//! status history and payments, plus the marketing spend of the paid sources. Deterministic per
//! seed, so a chart made from it can be made again.
//!
//! The shape follows what practices report: referrals from physicians convert far better than
//! social ads, recent leads have not had time to convert, after-hours leads wait for the
//! morning, franchise prospects take months. Names and numbers are made up (555 numbers,
//! example.com addresses); no lead carries a health concern.
//!
//! [`DemoLead::as_of`] gives a lead as it stood at any moment, so tests can replay its history
//! as a stream of events.

use crate::rng::Rng;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use leadflow::config::Config;
use leadflow::domain::analytics::spend::SpendEntry;
use leadflow::domain::contact_attempt::ContactOutcome;
use leadflow::domain::lead::PaymentRecord;
use leadflow::domain::money::Money;
use leadflow::domain::source::{Source, SourceChannel, SourceDetail};
use leadflow::domain::text::{Label, PersonName};
use leadflow::domain::urgency::UrgencyTier;
use leadflow::domain::{
    Actor, Contact, ContactChannel, Email, EventId, Lead, LeadContext, LeadEvent, LeadEventKind, LeadId, LeadStatus, Phone, Region,
    ServiceLineId, TimelineEntry, TimelineKind, Touchpoint, TouchpointKind,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub leads: usize,
    pub seed: u64,
    /// The last moment of the data (leads are captured before it, nothing happens after it).
    pub end: DateTime<Utc>,
    pub months: u32,
    /// Average touchpoints per lead besides the inquiry itself.
    pub extra_touchpoints: f64,
}

impl DemoOptions {
    pub fn new(leads: usize, end: DateTime<Utc>) -> Self {
        DemoOptions { leads, seed: 42, end, months: 6, extra_touchpoints: 3.0 }
    }
}

/// One generated lead: its final state and its whole timeline.
#[derive(Debug, Clone)]
pub struct DemoLead {
    pub lead: Lead,
    pub timeline: Vec<TimelineEntry>,
}

/// The generated data set.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub leads: Vec<DemoLead>,
    pub spend: Vec<SpendEntry>,
}

impl DemoData {
    pub fn touchpoints(&self) -> usize {
        self.leads
            .iter()
            .flat_map(|l| &l.timeline)
            .filter(|e| {
                matches!(
                    e.kind,
                    TimelineKind::LeadCaptured { .. } | TimelineKind::TouchpointRecorded { .. } | TimelineKind::RepeatInquiry { .. }
                )
            })
            .count()
    }
}

/// Where leads come from, and how well they convert.
struct Profile {
    weight: u32,
    channel: SourceChannel,
    /// `utm_source` spellings as real pages send them (one is picked per lead).
    utm: &'static [&'static str],
    medium: Option<&'static str>,
    campaigns: &'static [&'static str],
    referrer: Option<&'static str>,
    click: Option<&'static str>,
    /// Conversion multiplier.
    quality: f64,
}

const PROFILES: &[Profile] = &[
    Profile {
        weight: 24,
        channel: SourceChannel::WebForm,
        utm: &["google", "google", "google", "Google", "googleads"],
        medium: Some("cpc"),
        campaigns: &["brand-search", "med-spa-offers", "wound-care-search", "mens-health-search"],
        referrer: None,
        click: Some("gclid"),
        quality: 1.0,
    },
    Profile {
        weight: 15,
        channel: SourceChannel::WebForm,
        utm: &["facebook", "facebook", "fb", "Facebook", "facebook.com"],
        medium: Some("paid_social"),
        campaigns: &["spring-promo", "retargeting", "lookalike"],
        referrer: None,
        click: Some("fbclid"),
        quality: 0.55,
    },
    Profile {
        weight: 5,
        channel: SourceChannel::WebForm,
        utm: &["instagram", "ig"],
        medium: Some("paid_social"),
        campaigns: &["reels"],
        referrer: None,
        click: Some("fbclid"),
        quality: 0.6,
    },
    Profile {
        weight: 3,
        channel: SourceChannel::WebForm,
        utm: &["bing"],
        medium: Some("cpc"),
        campaigns: &["search"],
        referrer: None,
        click: Some("msclkid"),
        quality: 1.05,
    },
    Profile {
        weight: 8,
        channel: SourceChannel::WebForm,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: Some("https://www.google.com/"),
        click: None,
        quality: 1.1,
    },
    Profile {
        weight: 6,
        channel: SourceChannel::WebForm,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: None,
        click: None,
        quality: 0.9,
    },
    Profile {
        weight: 3,
        channel: SourceChannel::WebForm,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: Some("https://www.yelp.com/biz/harbor-health-hoboken"),
        click: None,
        quality: 1.2,
    },
    Profile {
        weight: 9,
        channel: SourceChannel::PhysicianReferral,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: None,
        click: None,
        quality: 2.6,
    },
    Profile {
        weight: 5,
        channel: SourceChannel::PatientReferral,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: None,
        click: None,
        quality: 1.8,
    },
    Profile {
        weight: 7,
        channel: SourceChannel::PhoneCall,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: None,
        click: None,
        quality: 1.3,
    },
    Profile { weight: 4, channel: SourceChannel::Chat, utm: &[], medium: None, campaigns: &[], referrer: None, click: None, quality: 0.9 },
    Profile {
        weight: 3,
        channel: SourceChannel::SocialDm,
        utm: &[],
        medium: None,
        campaigns: &[],
        referrer: None,
        click: None,
        quality: 0.5,
    },
    Profile { weight: 1, channel: SourceChannel::Event, utm: &[], medium: None, campaigns: &[], referrer: None, click: None, quality: 1.0 },
    Profile {
        weight: 2,
        channel: SourceChannel::WebForm,
        utm: &["tiktok", "TikTok"],
        medium: Some("paid_social"),
        campaigns: &["awareness"],
        referrer: None,
        click: None,
        quality: 0.35,
    },
    // Tags nobody normalized yet: what GET /reports/sources/unrecognized lists.
    Profile {
        weight: 1,
        channel: SourceChannel::WebForm,
        utm: &["faceboook", "newsletter_march", "partner-site"],
        medium: Some("referral"),
        campaigns: &["(none)"],
        referrer: None,
        click: None,
        quality: 0.7,
    },
];

/// Monthly spend per paid source and campaign, major units (grows a little each month).
const SPEND: &[(&str, &str, i64)] = &[
    ("google", "brand-search", 900),
    ("google", "med-spa-offers", 2200),
    ("google", "wound-care-search", 1600),
    ("google", "mens-health-search", 1100),
    ("facebook", "spring-promo", 1400),
    ("facebook", "retargeting", 600),
    ("facebook", "lookalike", 900),
    ("instagram", "reels", 700),
    ("bing", "search", 400),
    ("tiktok", "awareness", 500),
    ("yelp", "(none)", 300),
];

/// Service lines with their weights, base conversion rate and payment size (major units).
const LINES: &[(&str, u32, f64, (i64, i64))] = &[
    ("med_spa", 32, 0.20, (300, 2500)),
    ("wound_care", 20, 0.28, (1500, 6000)),
    ("mens_health", 15, 0.22, (200, 900)),
    ("franchise", 8, 0.06, (45_000, 45_000)),
    ("addiction_treatment", 25, 0.25, (2000, 9000)),
];

const FIRST: &[&str] =
    &["Ana", "Ben", "Chloe", "Dev", "Elena", "Frank", "Grace", "Hiro", "Iris", "Jamal", "Kara", "Luis", "Mei", "Nora", "Omar", "Priya"];
const LAST: &[&str] = &["Lee", "Garcia", "Smith", "Okafor", "Patel", "Nguyen", "Kowalski", "Brown", "Rossi", "Cohen", "Silva", "Kim"];
const AREAS: &[u32] = &[201, 551, 973, 862, 908, 732, 212, 646, 718, 917, 347, 929, 215, 267, 203, 475];
const PLACES: &[(&str, &str)] = &[("NJ", "07030"), ("NJ", "07102"), ("NY", "10001"), ("NY", "10128"), ("PA", "19103"), ("CT", "06901")];

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A skewed delay: median `median` seconds, a long tail.
fn delay(rng: &mut Rng, median: f64) -> Duration {
    let u = uniform(rng).clamp(1e-9, 1.0 - 1e-9);
    // Log-logistic: median * (u / (1 - u))^(1/shape), shape 1.6.
    let secs = median * (u / (1.0 - u)).powf(1.0 / 1.6);
    Duration::milliseconds((secs.min(30.0 * 86_400.0) * 1000.0) as i64)
}

fn label(s: &str) -> Option<Label> {
    Label::parse(s, 1000).ok()
}

/// One of `items`, as a label.
fn choose(rng: &mut Rng, items: &[&str]) -> Option<Label> {
    let v: &&str = rng.pick(items);
    label(v)
}

fn weighted<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.below(u64::from(total)) as u32;
    for item in items {
        let w = weight(item);
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

/// A capture moment: weekdays and business hours more often, and a little more each month.
fn capture_time(rng: &mut Rng, start: DateTime<Utc>, end: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let span = (end - start).num_seconds().max(1);
    loop {
        let t = start + Duration::seconds(rng.below(span as u64) as i64);
        let local = t.with_timezone(&tz);
        let frac = (t - start).num_seconds() as f64 / span as f64;
        let mut accept = 0.65 + 0.35 * frac;
        if local.weekday().number_from_monday() >= 6 {
            accept *= 0.45;
        }
        if !(8..20).contains(&local.hour()) {
            accept *= 0.35;
        }
        if uniform(rng) <= accept {
            return t;
        }
    }
}

struct Builder {
    lead_id: LeadId,
    entries: Vec<TimelineEntry>,
    n: u32,
}

impl Builder {
    fn push(&mut self, at: DateTime<Utc>, actor: Actor, kind: TimelineKind) {
        self.n += 1;
        let seed = format!("demo:{}:{}", self.lead_id, self.n);
        self.entries.push(TimelineEntry::derived(self.lead_id, at, &seed, actor, kind));
    }

    fn status(&mut self, at: DateTime<Utc>, from: LeadStatus, to: LeadStatus, trigger: &str, reason: Option<&str>) {
        let kind = TimelineKind::StatusChanged { from, to, trigger: trigger.into(), reason: reason.map(str::to_string), note: None };
        self.push(at, Actor::User("demo".into()), kind);
    }
}

/// Generates the data set.
pub fn generate(config: &Config, options: &DemoOptions) -> DemoData {
    let mut rng = Rng::new(options.seed);
    let tz = config.organization.time_zone;
    let end = options.end;
    let start = end - Duration::days(i64::from(options.months) * 30);
    let currency = config.organization.currency.clone();
    let lines: Vec<&(&str, u32, f64, (i64, i64))> =
        LINES.iter().filter(|l| ServiceLineId::parse(l.0).is_some_and(|id| config.service_lines.contains_key(&id))).collect();
    let mut leads = Vec::with_capacity(options.leads);
    for i in 0..options.leads {
        let p = weighted(&mut rng, PROFILES, |p| p.weight);
        let line = if p.channel == SourceChannel::PhysicianReferral && rng.chance(0.6) {
            lines.iter().copied().find(|l| l.0 == "wound_care").unwrap_or(lines[0])
        } else {
            *weighted(&mut rng, &lines, |l| l.1)
        };
        leads.push(one_lead(config, options, &mut rng, i, p, line, start, tz, &currency));
    }
    leads.sort_by_key(|l| l.lead.created_at);
    DemoData { leads, spend: spend(config, &mut rng, start, end) }
}

#[allow(clippy::too_many_arguments)]
fn one_lead(
    config: &Config,
    options: &DemoOptions,
    rng: &mut Rng,
    i: usize,
    p: &Profile,
    line: &(&str, u32, f64, (i64, i64)),
    start: DateTime<Utc>,
    tz: chrono_tz::Tz,
    currency: &leadflow::domain::money::Currency,
) -> DemoLead {
    let end = options.end;
    let id = LeadId::derived(format!("demo:{}:{i}", options.seed).as_bytes());
    let created = capture_time(rng, start, end - Duration::hours(1), tz);
    let line_id = ServiceLineId::parse(line.0).expect("demo service lines are slugs");
    let (state, zip) = *rng.pick(PLACES);
    let mut context_json = serde_json::json!({ "service_line": line.0, "location": { "state": state, "postal_code": zip } });
    if rng.chance(0.2) {
        context_json["preferred_facility"] = serde_json::json!(if state == "NY" { "Manhattan" } else { "Hoboken" });
    }
    let context: LeadContext = serde_json::from_value(context_json).expect("a demo context deserializes");
    let campaign = if p.campaigns.is_empty() { None } else { Some(*rng.pick(p.campaigns)).filter(|c| *c != "(none)") };
    let mut detail = SourceDetail {
        utm_source: if p.utm.is_empty() { None } else { choose(rng, p.utm) },
        utm_medium: p.medium.and_then(label),
        utm_campaign: campaign.and_then(label),
        referrer: p.referrer.and_then(label),
        landing_page: label(&format!("https://www.harborhealth.example/{}", line.0.replace('_', "-"))),
        ..Default::default()
    };
    if p.medium == Some("cpc") {
        detail.utm_term = choose(rng, &["botox near me", "wound clinic", "hair loss treatment", "laser hair removal", "harbor health"]);
        detail.ad_group = choose(rng, &["offers", "brand", "services"]);
        detail.creative = choose(rng, &["ad-a", "ad-b"]);
    }
    match p.click {
        Some("gclid") => detail.gclid = label(&format!("Cj0KCQ{:x}", rng.next_u64())),
        Some("fbclid") => detail.fbclid = label(&format!("IwAR{:x}", rng.next_u64())),
        Some("msclkid") => detail.msclkid = label(&format!("{:x}", rng.next_u64())),
        _ => {}
    }
    let phone = Phone::parse(&format!("+1{}555{:04}", AREAS[i % AREAS.len()], (i / AREAS.len()) % 10_000), Region::US).ok();
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let contact = Contact {
        first_name: PersonName::parse(first).ok(),
        last_name: PersonName::parse(last).ok(),
        phone,
        email: Email::parse(&format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase())).ok(),
    };
    let source = Source { channel: p.channel, detail: detail.clone(), journey: None };
    let mut lead =
        Lead::capture(id, leadflow::domain::intake_form::NewLead { contact, context, source, consent: Default::default() }, created);
    lead.id = id;
    let mut b = Builder { lead_id: id, entries: Vec::new(), n: 0 };
    let capture_kind = TouchpointKind::for_inquiry(p.channel);
    let capture =
        Touchpoint { at: created, kind: capture_kind, channel: p.channel, detail: detail.clone(), page: detail.landing_page.clone() };
    b.push(created, Actor::Lead, TimelineKind::LeadCaptured { channel: p.channel, touchpoint: capture, inquiry: None });

    // The instant acknowledgement (most forms tick the SMS box; callers give no consent).
    if p.channel != SourceChannel::PhoneCall && rng.chance(0.86) {
        let at = created + Duration::seconds(2) + delay(rng, 9.0).min(Duration::minutes(20));
        if at <= end {
            lead.acknowledged_at = Some(at);
            let kind = TimelineKind::AcknowledgementSent {
                channel: ContactChannel::Sms,
                provider_message_id: format!("demo-{i}"),
                text: "Thanks for reaching out; a care coordinator will call you shortly.".into(),
            };
            b.push(at, Actor::System("acknowledge".into()), kind);
        }
    }
    // The response-time deadline, as scoring sets it.
    let policy = &config.sla.policy;
    let due = policy.deadline(&line_id, p.channel, UrgencyTier::Routine, &config.business_hours, created);
    lead.first_contact_due_at = Some(due);
    let clock_start = policy.clock_start(&line_id, UrgencyTier::Routine, &config.business_hours, created);

    // What happens to it, decided up front and cut off at `end`.
    let pc = (line.2 * p.quality).min(0.9);
    let u = uniform(rng);
    let outcome = {
        // Converted with probability pc; of the rest, a quarter showed without converting (yet),
        // then a fifth booked and did not come, then a third was qualified and went no further.
        let c0 = pc;
        let c1 = c0 + (1.0 - c0) * 0.25;
        let c2 = c1 + (1.0 - c1) * 0.2;
        let c3 = c2 + (1.0 - c2) * 0.35;
        match u {
            u if u < c0 => 4, // converted
            u if u < c1 => 3, // showed, not (yet) converted
            u if u < c2 => 2, // booked: no-show or canceled
            u if u < c3 => 1, // qualified only
            _ => 0,           // never qualified
        }
    };
    let mut status = LeadStatus::New;
    let mut now = created;
    let set = |b: &mut Builder,
               lead: &mut Lead,
               status: &mut LeadStatus,
               at: DateTime<Utc>,
               to: LeadStatus,
               trigger: &str,
               reason: Option<&str>|
     -> bool {
        if at > end {
            return false;
        }
        b.status(at, *status, to, trigger, reason);
        lead.previous_status = Some(*status);
        lead.status_changed_at = Some(at);
        if to == LeadStatus::Converted {
            lead.converted_at = Some(at);
        }
        lead.disqualification_reason = reason.map(str::to_string);
        *status = to;
        true
    };

    // First human contact attempt (phone calls are answered live).
    let reached = rng.chance(0.78) || outcome >= 1;
    if rng.chance(0.9) || outcome >= 1 {
        let at = if p.channel == SourceChannel::PhoneCall {
            created + delay(rng, 20.0).min(Duration::minutes(5))
        } else {
            clock_start + delay(rng, if config.business_hours.is_open(created) { 150.0 } else { 480.0 })
        };
        if at <= end {
            lead.first_contact_at = Some(at);
            let first_outcome = if reached && rng.chance(0.7) {
                ContactOutcome::Answered
            } else {
                *rng.pick(&[ContactOutcome::NoAnswer, ContactOutcome::Voicemail])
            };
            b.push(
                at,
                Actor::User("demo".into()),
                TimelineKind::ContactAttempted { channel: ContactChannel::Sms, outcome: first_outcome, note: None, first: true },
            );
            if set(&mut b, &mut lead, &mut status, at, LeadStatus::Contacted, "contact", None) {
                now = at;
            }
            if reached && first_outcome != ContactOutcome::Answered {
                let again = at + Duration::hours(2) + delay(rng, 7200.0);
                if again <= end {
                    b.push(
                        again,
                        Actor::User("demo".into()),
                        TimelineKind::ContactAttempted {
                            channel: ContactChannel::Call,
                            outcome: ContactOutcome::Answered,
                            note: None,
                            first: false,
                        },
                    );
                    now = now.max(again);
                }
            }
        }
    }
    let franchise = line.0 == "franchise";
    let mut milestone_at = now;
    if outcome >= 1 && status == LeadStatus::Contacted {
        let at = now + Duration::hours(1) + delay(rng, if franchise { 5.0 * 86_400.0 } else { 20.0 * 3600.0 });
        if set(&mut b, &mut lead, &mut status, at, LeadStatus::Qualified, "user", None) {
            now = at;
        }
    }
    if outcome >= 2 && status == LeadStatus::Qualified {
        let at = now + Duration::hours(2) + delay(rng, if franchise { 20.0 * 86_400.0 } else { 2.0 * 86_400.0 });
        if set(&mut b, &mut lead, &mut status, at, LeadStatus::Booked, "appointment.booked", None) {
            now = at;
        }
    }
    if status == LeadStatus::Booked {
        let visit = now + Duration::days(2) + delay(rng, 5.0 * 86_400.0);
        if outcome == 2 {
            let (to, trigger) =
                if rng.chance(0.75) { (LeadStatus::NoShow, "appointment.no_show") } else { (LeadStatus::Canceled, "appointment.canceled") };
            set(&mut b, &mut lead, &mut status, visit, to, trigger, None);
        } else if set(&mut b, &mut lead, &mut status, visit, LeadStatus::Showed, "appointment.showed", None) {
            now = visit;
        }
    }
    if outcome == 4 && status == LeadStatus::Showed {
        let at = now + Duration::hours(1) + delay(rng, if franchise { 60.0 * 86_400.0 } else { 8.0 * 3600.0 });
        if set(&mut b, &mut lead, &mut status, at, LeadStatus::Converted, "payment.succeeded", None) {
            milestone_at = at;
            let (lo, hi) = line.3;
            let first_payment = (lo + rng.below((hi - lo + 1) as u64) as i64) * 100;
            let pay = |lead: &mut Lead, b: &mut Builder, n: usize, at: DateTime<Utc>, minor: i64| {
                let amount = Money { minor, currency: currency.clone() };
                lead.payments.push(PaymentRecord {
                    provider: "stripe".into(),
                    payment_id: format!("pi_demo_{i}_{n}"),
                    amount: amount.clone(),
                    at,
                });
                b.push(
                    at,
                    Actor::Integration("stripe".into()),
                    TimelineKind::PaymentReceived { provider: "stripe".into(), payment_id: format!("pi_demo_{i}_{n}"), amount },
                );
            };
            pay(&mut lead, &mut b, 0, at, first_payment);
            // Men's health plans bill monthly.
            if line.0 == "mens_health" {
                for n in 1..=4 {
                    let next = at + Duration::days(30 * n);
                    if next <= end && rng.chance(0.8) {
                        pay(&mut lead, &mut b, n as usize, next, first_payment / 2);
                    }
                }
            }
        }
    } else if outcome <= 1 && status != LeadStatus::New {
        // Not a fit, or gone quiet.
        let at = now + Duration::days(3) + delay(rng, 10.0 * 86_400.0);
        if rng.chance(0.4) {
            let reason = *rng.pick(&["price", "not_a_candidate", "out_of_service_area", "chose_competitor"]);
            set(&mut b, &mut lead, &mut status, at, LeadStatus::Disqualified, "user", Some(reason));
        } else {
            set(&mut b, &mut lead, &mut status, at, LeadStatus::Unresponsive, "hygiene.unresponsive", None);
        }
    }
    if milestone_at == created {
        milestone_at = now;
    }

    // Other touchpoints: visits and ad clicks before the inquiry, retargeting, email clicks and
    // visits after it (some after the conversion, which earn nothing).
    let extra = (options.extra_touchpoints * 2.0 * uniform(rng)).round() as usize;
    for _ in 0..extra {
        let before = rng.chance(0.35);
        let at = if before {
            created - Duration::seconds(rng.below(14 * 86_400) as i64 + 60)
        } else {
            let span = (milestone_at.max(created + Duration::hours(6)).min(end) - created).num_seconds().max(60);
            created + Duration::seconds(rng.below(span as u64) as i64)
        };
        let (kind, channel, d) = match rng.below(10) {
            0..=2 => (
                TouchpointKind::PageView,
                SourceChannel::WebForm,
                SourceDetail { referrer: label("https://www.google.com/"), ..Default::default() },
            ),
            3 | 4 => (TouchpointKind::PageView, SourceChannel::WebForm, SourceDetail::default()),
            5 | 6 => (
                TouchpointKind::AdClick,
                SourceChannel::PaidAd,
                SourceDetail {
                    utm_source: label("facebook"),
                    utm_campaign: label("retargeting"),
                    fbclid: label("IwAR"),
                    ..Default::default()
                },
            ),
            7 => (
                TouchpointKind::AdClick,
                SourceChannel::PaidAd,
                SourceDetail {
                    utm_source: label("google"),
                    utm_campaign: label("brand-search"),
                    gclid: label("Cj0"),
                    ..Default::default()
                },
            ),
            8 => (TouchpointKind::EmailClick, SourceChannel::Other, SourceDetail { utm_source: label("newsletter"), ..Default::default() }),
            _ => (TouchpointKind::EmailOpen, SourceChannel::Other, SourceDetail::default()),
        };
        if at > end {
            continue;
        }
        let page = choose(rng, &["/pricing", "/services", "/about", "/financing", "/reviews"]);
        b.push(
            at,
            Actor::Integration("site".into()),
            TimelineKind::TouchpointRecorded { touchpoint: Touchpoint { at, kind, channel, detail: d, page } },
        );
    }
    lead.status = status;
    lead.updated_at = b.entries.iter().map(|e| e.at).max().unwrap_or(created).max(created);
    b.entries.sort_by_key(|e| e.id);
    DemoLead { lead, timeline: b.entries }
}

fn spend(config: &Config, rng: &mut Rng, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SpendEntry> {
    let tz = config.organization.time_zone;
    let first = start.with_timezone(&tz).date_naive().with_day(1).expect("day 1");
    let last = end.with_timezone(&tz).date_naive();
    let months = leadflow::domain::analytics::period::months(first, last);
    let mut out = Vec::new();
    for (m, month) in months.iter().enumerate() {
        for (source, campaign, base) in SPEND {
            let noise = 0.85 + 0.3 * uniform(rng);
            let major = (*base as f64 * (1.0 + 0.06 * m as f64) * noise).round() as i64;
            out.push(SpendEntry {
                month: *month,
                source: source.to_string(),
                campaign: campaign.to_string(),
                amount: Money { minor: major * 100, currency: config.organization.currency.clone() },
                updated_at: end,
                updated_by: "demo".into(),
            });
        }
    }
    out
}

impl DemoLead {
    /// The lead and its timeline as they stood at `at`: fields set later are unset, later
    /// entries and payments absent, the status the last one reached by then. `None` before
    /// the lead was captured.
    pub fn as_of(&self, at: DateTime<Utc>) -> Option<(Lead, Vec<TimelineEntry>)> {
        let l = &self.lead;
        if at < l.created_at {
            return None;
        }
        let timeline: Vec<TimelineEntry> = self.timeline.iter().filter(|e| e.at <= at).cloned().collect();
        let mut lead = l.clone();
        let keep = |t: Option<DateTime<Utc>>| t.filter(|t| *t <= at);
        lead.acknowledged_at = keep(l.acknowledged_at);
        lead.first_contact_at = keep(l.first_contact_at);
        lead.converted_at = keep(l.converted_at);
        lead.payments.retain(|p| p.at <= at);
        let last_status = timeline.iter().rev().find_map(|e| match &e.kind {
            TimelineKind::StatusChanged { from, to, reason, .. } => Some((e.at, *from, *to, reason.clone())),
            _ => None,
        });
        match last_status {
            Some((when, from, to, reason)) => {
                lead.status = to;
                lead.previous_status = Some(from);
                lead.status_changed_at = Some(when);
                lead.disqualification_reason = reason;
            }
            None => {
                lead.status = LeadStatus::New;
                lead.previous_status = None;
                lead.status_changed_at = None;
                lead.disqualification_reason = None;
            }
        }
        lead.updated_at = timeline.iter().map(|e| e.at).max().unwrap_or(l.created_at);
        Some((lead, timeline))
    }

    /// The moments something happened to the lead, in order, with the event kind the system
    /// publishes for each (what the analytics consumer is woken by).
    pub fn events(&self) -> Vec<LeadEvent> {
        let mut out = vec![(self.lead.created_at, LeadEventKind::Captured)];
        if let Some(at) = self.lead.acknowledged_at {
            out.push((at, LeadEventKind::Acknowledged));
        }
        out.push((self.lead.created_at + Duration::seconds(1), LeadEventKind::Scored));
        for e in &self.timeline {
            let kind = match &e.kind {
                TimelineKind::StatusChanged { .. } => LeadEventKind::StatusChanged,
                TimelineKind::ContactAttempted { .. } => LeadEventKind::ContactRecorded,
                TimelineKind::TouchpointRecorded { .. } => LeadEventKind::TouchpointAdded,
                TimelineKind::PaymentReceived { .. } => LeadEventKind::PaymentReceived,
                _ => continue,
            };
            out.push((e.at, kind));
        }
        out.sort_by_key(|(at, _)| *at);
        out.into_iter()
            .enumerate()
            .map(|(n, (at, kind))| LeadEvent {
                id: EventId::derived(at, format!("{}:{n}", self.lead.id).as_bytes()),
                kind,
                lead_id: self.lead.id,
                occurred_at: at,
            })
            .collect()
    }
}

/// The last day of the data, in the organization's time zone.
pub fn last_day(config: &Config, options: &DemoOptions) -> NaiveDate {
    options.end.with_timezone(&config.organization.time_zone).date_naive()
}

/// 23:00 UTC of a date: a fixed end for reproducible demo data (evening in the Americas).
pub fn end_of(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(23, 0, 0).expect("valid time"))
}

/// What loading stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loaded {
    pub leads: usize,
    pub timeline_entries: usize,
    pub spend_entries: usize,
}

/// Stores the data set (leads, timelines, spend) and, with `reconcile`, brings the report
/// aggregates up to date for every lead, as the analytics consumer would.
pub async fn load(
    services: &leadflow::app::Services,
    data: &DemoData,
    reconcile: bool,
) -> Result<Loaded, leadflow::app::analytics::AnalyticsError> {
    let mut loaded = Loaded::default();
    for d in &data.leads {
        if services.leads.create_or_match(&d.lead, &Default::default()).await? != leadflow::ports::CaptureOutcome::Created {
            continue;
        }
        for e in &d.timeline {
            services.timeline.append(e).await?;
        }
        loaded.leads += 1;
        loaded.timeline_entries += d.timeline.len();
    }
    for e in &data.spend {
        services.aggregates.put_spend(e).await?;
        loaded.spend_entries += 1;
    }
    if reconcile {
        for d in &data.leads {
            leadflow::app::analytics::reconcile(services, d.lead.id).await?;
        }
    }
    Ok(loaded)
}
