//! Domain values for tests.

use chrono::{DateTime, TimeZone, Utc};
use leadflow::domain::consent::{ChannelConsent, ConsentEvidence};
use leadflow::domain::text::PersonName;
use leadflow::domain::touchpoint::TouchpointKind;
use leadflow::domain::{
    Actor, Consents, Contact, Email, EventId, Lead, LeadContext, LeadId, Phone, Region, Source, SourceChannel, TimelineEntry, TimelineKind,
    Touchpoint,
};

/// A fixed, ordinary moment (a weekday morning in New York) that tests start from.
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap()
}

/// Parses a phone number (US rules for numbers without `+1`).
pub fn phone(input: &str) -> Phone {
    Phone::parse(input, Region::US).expect("a valid test phone number")
}

pub fn email(input: &str) -> Email {
    Email::parse(input).expect("a valid test email")
}

/// A valid US or Canadian number in the `555` exchange that no other test using the same moto server gets
/// (even in another test process: see [`crate::moto::reserve_numbers`]), so a test can count
/// the texts moto records for "its" number. Never ends in 99 (moto reports such numbers as opted
/// out). Only numbers whose area code can take texts: some 5xx codes are personal-communication
/// or non-geographic numbers the consent gate refuses, and only in the regions the shipped
/// configuration texts.
pub fn unique_phone() -> Phone {
    /// Numbers reserved at a time (one request to a shared moto server per block).
    const BLOCK: u64 = 64;
    /// Area codes 200-999 times lines 0000-9999.
    const SPACE: u64 = 800 * 10_000;
    static RESERVED: std::sync::Mutex<(u64, u64)> = std::sync::Mutex::new((0, 0));
    loop {
        let n = {
            let mut block = RESERVED.lock().unwrap_or_else(|p| p.into_inner());
            if block.0 == block.1 {
                let first = crate::moto::reserve_numbers(BLOCK);
                *block = (first, first + BLOCK);
            }
            block.0 += 1;
            block.0 - 1
        };
        // Spread consecutive numbers over area codes and lines (a bijection of the space, as the
        // factor is coprime to it), so they do not look alike to the matching rules.
        let m = (n % SPACE) * 1_234_567 % SPACE;
        let (area, line) = (200 + m % 800, m / 800);
        if line % 100 == 99 {
            continue;
        }
        if let Ok(p) = Phone::parse(&format!("+1{area}555{line:04}"), Region::US) {
            // A US or Canadian mobile: the shipped configuration texts no other region (+1-876
            // is Jamaica, +1-671 Guam).
            if p.line_type().can_receive_sms() && matches!(p.region_code().as_deref(), Some("US" | "CA")) {
                return p;
            }
        }
    }
}

/// A new lead with this phone and/or email, captured at [`base_time`].
pub fn sample_lead(phone_number: Option<&str>, email_address: Option<&str>) -> Lead {
    sample_lead_at(phone_number, email_address, base_time())
}

/// A new lead with this phone and/or email, captured at `at`.
pub fn sample_lead_at(phone_number: Option<&str>, email_address: Option<&str>, at: DateTime<Utc>) -> Lead {
    let submission = leadflow::domain::intake_form::NewLead {
        contact: Contact { first_name: None, last_name: None, phone: phone_number.map(phone), email: email_address.map(email) },
        context: context(serde_json::json!({ "service_line": "med_spa" })),
        source: Source { channel: SourceChannel::WebForm, detail: Default::default(), journey: None },
        consent: Consents::default(),
    };
    Lead::capture(LeadId::random(), submission, at)
}

/// A lead with every optional part filled in (names, consent, nested context, money, dates,
/// sub-second times), to prove a store keeps all of it.
pub fn rich_lead() -> Lead {
    let at = base_time() + chrono::Duration::nanoseconds(123_456_789);
    let consent = ChannelConsent {
        granted: true,
        text_version: "2026-01".into(),
        text_sha256: "ab".repeat(32),
        at,
        evidence: ConsentEvidence { captured_via: "web_form".into(), ip: Some("203.0.113.7".into()), ..Default::default() },
        revoked_at: None,
        revoked_via: None,
    };
    let mut lead = sample_lead_at(Some("(201) 555-0123"), Some("Ann.Lee@Example.com"), at);
    lead.contact.first_name = Some(PersonName::parse("Zoë").unwrap());
    lead.contact.last_name = Some(PersonName::parse("O'Brien").unwrap());
    lead.consent = Consents { sms: Some(consent.clone()), call: None, email: Some(consent) };
    lead.context = context(serde_json::json!({
        "service_line": "franchise_inquiry",
        "service_interest": "Territory in Austin",
        "concern": "line one\nline two",
        "insurance": "self_pay",
        "location": { "postal_code": "78701", "city": "Austin", "state": "TX" },
        "preferences": { "preferred_channel": "sms", "language": "es" },
        "stated_urgency": "soon",
        "date_of_birth": "1980-02-29",
        "franchise": {
            "liquid_capital": { "minor": 25_000_000, "currency": "USD" },
            "industry_experience": ["veterinary", "retail"],
            "investment_timeline": "three_to_six_months"
        }
    }));
    lead.source.detail.utm_source = "google".to_string().try_into().ok();
    lead.acknowledged_at = Some(at + chrono::Duration::seconds(4));
    lead.version = 1;
    lead
}

fn context(value: serde_json::Value) -> LeadContext {
    serde_json::from_value(value).expect("a valid test lead context")
}

/// `lead` as the next stored version, changed by `change`.
pub fn next_version(lead: &Lead, change: impl FnOnce(&mut Lead)) -> Lead {
    let mut next = lead.clone();
    change(&mut next);
    next.version = lead.version + 1;
    next.updated_at = lead.updated_at + chrono::Duration::seconds(1);
    next
}

/// A timeline entry at `at` (an inquiry touchpoint, recorded by the system).
pub fn timeline_entry(lead_id: LeadId, at: DateTime<Utc>) -> TimelineEntry {
    let touchpoint =
        Touchpoint { at, kind: TouchpointKind::FormSubmission, channel: SourceChannel::WebForm, detail: Default::default(), page: None };
    TimelineEntry {
        id: EventId::new_at(at),
        lead_id,
        at,
        actor: Actor::System("intake".into()),
        kind: TimelineKind::RepeatInquiry { touchpoint, inquiry: None },
    }
}

/// An assignment to `member` (as routing would make), for tests of listing and access.
pub fn assignment(member: &str) -> leadflow::domain::routing::Assignment {
    leadflow::domain::routing::Assignment {
        member: leadflow::domain::routing::MemberId::parse(member).expect("a member id"),
        rule: "test".into(),
        reason: "assigned by the test".into(),
        skipped: Vec::new(),
        on_call: false,
        at: base_time(),
    }
}

/// The lead a `POST /leads` answer's receipt landed on, looked up in the embedded store: the
/// public answer names the submission, never the lead.
pub fn lead_of(store: &leadflow::adapters::memory::MemoryStore, answer: &serde_json::Value) -> LeadId {
    let receipt: EventId =
        answer["receipt_id"].as_str().unwrap_or_else(|| panic!("no receipt_id in {answer}")).parse().expect("a receipt id");
    store.lead_of_receipt(receipt).unwrap_or_else(|| panic!("no lead holds receipt {receipt}"))
}

/// The lead holding `phone`'s newest inquiry (through the phone index: for stores whose
/// receipts cannot be looked up, such as DynamoDB on moto).
pub async fn lead_of_phone(services: &leadflow::app::Services, phone: &str) -> LeadId {
    let phone = leadflow::domain::Phone::parse(phone, leadflow::domain::Region::US).expect("a phone number");
    services.leads.find_by_phone(&phone).await.unwrap().into_iter().next().expect("a lead with that phone")
}

/// A configuration file for a local runner that sends many texts in one second of a manual clock
/// and takes many posts from one address: the shipped file with a high sending rate and without
/// the per-address and per-network rate limits (tests that are about either set their own).
pub fn busy_runner_config() -> std::path::PathBuf {
    let text = leadflow::config::DEFAULT_CONFIG
        .replace("parts_per_second = 3", "parts_per_second = 1000")
        .replace("per_ip = { limit = 20, window_seconds = 3600 }\n", "")
        .replace("per_network = { limit = 60, window_seconds = 3600 }\n", "");
    assert!(
        text.contains("parts_per_second = 1000") && !text.contains("per_ip = { limit = 20,") && !text.contains("per_network ="),
        "the shipped rate limits moved"
    );
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("leadflow-busy-{}-{n}.toml", std::process::id()));
    std::fs::write(&path, text).expect("write the test configuration");
    path
}
