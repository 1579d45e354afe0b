//! The boundary between a submitted form and the domain: flat text fields in, a validated
//! `NewLead` (or every field error at once) out. JSON bodies and HTML form posts both arrive
//! here as the same flat map, so one set of rules serves both.

use super::channel::ContactChannel;
use super::consent::{ChannelConsent, ConsentEvidence, Consents};
use super::context::{
    ContactPreferences, FranchiseProfile, InsuranceStatus, InvestmentTimeline, LeadContext, Location, ServiceLineId, StatedUrgency,
};
use super::email::Email;
use super::lead::Contact;
use super::money::{Currency, Money};
use super::phone::{Phone, Region};
use super::source::{Source, SourceChannel, SourceDetail};
use super::text::{FreeText, Label, PersonName, TextError};
use super::touchpoint::{Touchpoint, TouchpointKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One refused field. `message` never repeats the submitted value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_string(), code, message: message.into() }
    }
}

/// A submission as flat text fields, plus what the transport knew about the sender.
#[derive(Debug, Clone, Default)]
pub struct RawSubmission {
    pub fields: BTreeMap<String, String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What intake asks of the configuration.
pub trait IntakeRules {
    /// Region for numbers typed without a country code.
    fn region(&self) -> Region;
    /// Currency of money fields.
    fn currency(&self) -> &Currency;
    /// Whether a service line is configured.
    fn knows_service_line(&self, id: &ServiceLineId) -> bool;
    /// The service line used when a form does not name one.
    fn default_service_line(&self) -> Option<&ServiceLineId>;
    /// The consent text shown for `channel`: the named version, or the current one.
    fn consent_text(&self, version: Option<&str>, channel: ContactChannel) -> ConsentTextLookup;
    /// Extra fields that forms may send and intake ignores (submit buttons, CSRF tokens).
    fn is_ignored_field(&self, name: &str) -> bool;
}

/// The answer to a consent text lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentTextLookup {
    Found { version: String, sha256: String },
    UnknownVersion,
    NotForChannel,
    NoneConfigured,
}

/// A validated submission, ready to become a lead (or to join an existing one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    pub contact: Contact,
    pub context: LeadContext,
    pub source: Source,
    pub consent: Consents,
}

impl NewLead {
    /// The inquiry record of this submission, with receipt `id`, received at `at`.
    pub fn inquiry(&self, id: super::ids::EventId, at: DateTime<Utc>) -> super::inquiry::Inquiry {
        super::inquiry::Inquiry {
            id,
            at,
            source: self.source.clone(),
            context: self.context.clone(),
            contact: self.contact.clone(),
            consent: self.consent.clone(),
            held: Vec::new(),
            triage: None,
        }
    }

    /// The touchpoint this submission amounts to.
    pub fn touchpoint(&self, at: DateTime<Utc>) -> Touchpoint {
        Touchpoint {
            at,
            kind: TouchpointKind::for_inquiry(self.source.channel),
            channel: self.source.channel,
            detail: self.source.detail.clone(),
            page: self.source.detail.landing_page.clone(),
        }
    }
}

/// Every field intake understands; anything else is refused unless configured as ignored.
pub const KNOWN_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "name",
    "phone",
    "email",
    "service_line",
    "service_interest",
    "concern",
    "insurance_status",
    "insurance_carrier",
    "postal_code",
    "city",
    "state",
    "preferred_facility",
    "preferred_channel",
    "preferred_times",
    "language",
    "urgency",
    "date_of_birth",
    "liquid_capital",
    "net_worth",
    "industry_experience",
    "desired_territory",
    "investment_timeline",
    "source_channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "referrer",
    "landing_page",
    "ad_group",
    "creative",
    "msclkid",
    "consent_sms",
    "consent_call",
    "consent_email",
    "consent_version",
];

/// Longest health-concern text accepted.
pub const MAX_CONCERN_CHARS: usize = 2000;

/// A field counts as given when it has visible content, or control characters (which must be
/// reported rather than trimmed away).
fn given(v: &str) -> bool {
    !v.trim().is_empty() || v.chars().any(char::is_control)
}

struct Reader<'a> {
    fields: &'a BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    /// The trimmed value, `None` when absent or blank.
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    fn text_error(&mut self, field: &str, e: TextError) {
        let code = match e {
            TextError::Empty => "required",
            TextError::TooLong(_) => "too_long",
            TextError::ControlCharacters => "control_characters",
            TextError::InvalidCharacters => "invalid_characters",
        };
        self.fail(field, code, format!("{field} {e}"));
    }

    fn name(&mut self, field: &str) -> Option<PersonName> {
        let raw = self.fields.get(field)?.clone();
        if !given(&raw) {
            return None;
        }
        PersonName::parse(&raw).map_err(|e| self.text_error(field, e)).ok()
    }

    fn label(&mut self, field: &str, max: usize) -> Option<Label> {
        let raw = self.fields.get(field)?.clone();
        if !given(&raw) {
            return None;
        }
        Label::parse(&raw, max).map_err(|e| self.text_error(field, e)).ok()
    }

    fn choice<T>(&mut self, field: &str, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let raw = self.get(field)?.to_ascii_lowercase();
        let v = parse(&raw);
        if v.is_none() {
            self.fail(field, "invalid_choice", format!("{field} must be one of: {allowed}"));
        }
        v
    }

    fn flag(&mut self, field: &str) -> Option<bool> {
        let raw = self.get(field)?.to_ascii_lowercase();
        match raw.as_str() {
            "true" | "on" | "yes" | "1" | "checked" => Some(true),
            "false" | "off" | "no" | "0" => Some(false),
            _ => {
                self.fail(field, "invalid_boolean", format!("{field} must be true or false"));
                None
            }
        }
    }

    fn money(&mut self, field: &str, currency: &Currency) -> Option<Money> {
        let raw = self.get(field)?.to_string();
        Money::parse_major(&raw, currency).map_err(|e| self.fail(field, "invalid_amount", format!("{field} {e}"))).ok()
    }
}

/// An unknown field's name as an error may repeat it: only when it looks like a form field
/// (lower-case snake_case, at most 64 characters), so a value typed where a name goes is never
/// reflected back.
pub fn shown_field_name(name: &str) -> String {
    let identifier = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if identifier {
        name.to_string()
    } else {
        "(unknown)".to_string()
    }
}

/// Validates a submission. All problems are reported together.
pub fn parse_submission(raw: &RawSubmission, rules: &dyn IntakeRules, now: DateTime<Utc>) -> Result<NewLead, Vec<FieldError>> {
    let mut r = Reader { fields: &raw.fields, errors: Vec::new() };

    for name in raw.fields.keys() {
        if !KNOWN_FIELDS.contains(&name.as_str()) && !rules.is_ignored_field(name) {
            r.errors.push(FieldError {
                field: shown_field_name(name),
                code: "unknown_field",
                message: "this field is not accepted".into(),
            });
        }
    }

    // Contact.
    let mut first_name = r.name("first_name");
    let mut last_name = r.name("last_name");
    if first_name.is_none() && last_name.is_none() {
        if let Some(full) = r.name("name") {
            let s = full.as_str();
            match s.rsplit_once(' ') {
                Some((first, last)) => {
                    first_name = PersonName::parse(first).ok();
                    last_name = PersonName::parse(last).ok();
                }
                None => first_name = Some(full.clone()),
            }
        }
    }
    let phone = r
        .fields
        .get("phone")
        .filter(|v| !v.trim().is_empty())
        .cloned()
        .and_then(|v| Phone::parse(&v, rules.region()).map_err(|e| r.fail("phone", "invalid_phone", format!("phone {e}"))).ok());
    let email = r
        .fields
        .get("email")
        .filter(|v| !v.trim().is_empty())
        .cloned()
        .and_then(|v| Email::parse(&v).map_err(|e| r.fail("email", "invalid_email", format!("email {e}"))).ok());
    let phone_given = r.get("phone").is_some();
    let email_given = r.get("email").is_some();
    if !phone_given && !email_given {
        r.fail("phone", "required", "give a phone number or an email address");
    }

    // Context.
    let service_line = match r.get("service_line") {
        Some(s) => match ServiceLineId::parse(&s.to_ascii_lowercase()) {
            Some(id) if rules.knows_service_line(&id) => Some(id),
            _ => {
                r.fail("service_line", "unknown_service_line", "service_line is not one of the configured service lines");
                None
            }
        },
        None => match rules.default_service_line() {
            Some(d) => Some(d.clone()),
            None => {
                r.fail("service_line", "required", "service_line is required");
                None
            }
        },
    };
    let service_interest = r.label("service_interest", 200);
    let concern = match raw.fields.get("concern") {
        Some(v) if given(v) => FreeText::parse(v, MAX_CONCERN_CHARS).map_err(|e| r.text_error("concern", e)).ok(),
        _ => None,
    };
    let insurance = r.choice("insurance_status", InsuranceStatus::parse, "insured, medicare, medicaid, self_pay, unsure");
    let insurance_carrier = r.label("insurance_carrier", 100);
    let postal_code = r.label("postal_code", 12);
    if let Some(pc) = &postal_code {
        if !pc.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
            r.fail("postal_code", "invalid_characters", "postal_code may hold letters, digits, spaces and hyphens");
        }
    }
    let city = r.label("city", 100);
    let state = r.label("state", 3).and_then(|s| {
        if s.as_str().chars().all(|c| c.is_ascii_alphabetic()) && s.as_str().len() >= 2 {
            Label::parse(&s.as_str().to_ascii_uppercase(), 3).ok()
        } else {
            r.fail("state", "invalid_state", "state must be a 2-3 letter code");
            None
        }
    });
    let preferred_facility = r.label("preferred_facility", 100);
    let preferred_channel = r.choice("preferred_channel", ContactChannel::parse, "sms, call, email");
    let preferred_times = r.label("preferred_times", 200);
    let language = r.label("language", 35);
    let stated_urgency = r.choice("urgency", StatedUrgency::parse, "routine, soon, urgent");
    let date_of_birth = r.get("date_of_birth").map(str::to_string).and_then(|v| match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        Ok(d) if d < now.date_naive() && d > NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date") => Some(d),
        Ok(_) => {
            r.fail("date_of_birth", "out_of_range", "date_of_birth must be a past date after 1900");
            None
        }
        Err(_) => {
            r.fail("date_of_birth", "invalid_date", "date_of_birth must be YYYY-MM-DD");
            None
        }
    });
    let currency = rules.currency().clone();
    let industry_experience = match r.get("industry_experience").map(str::to_string) {
        None => Vec::new(),
        Some(v) => {
            let mut out = Vec::new();
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()).take(20) {
                match Label::parse(&part.to_lowercase(), 60) {
                    Ok(l) => out.push(l),
                    Err(e) => {
                        r.text_error("industry_experience", e);
                        break;
                    }
                }
            }
            out
        }
    };
    let franchise = FranchiseProfile {
        liquid_capital: r.money("liquid_capital", &currency),
        net_worth: r.money("net_worth", &currency),
        industry_experience,
        desired_territory: r.label("desired_territory", 200),
        investment_timeline: r.choice(
            "investment_timeline",
            InvestmentTimeline::parse,
            "0_3_months, 3_6_months, 6_12_months, 12_plus_months, unsure",
        ),
    };

    // Source.
    let channel = r
        .choice(
            "source_channel",
            SourceChannel::parse,
            "web_form, phone_call, chat, social_dm, physician_referral, patient_referral, event, walk_in, paid_ad, other",
        )
        .unwrap_or(SourceChannel::WebForm);
    let detail = SourceDetail {
        utm_source: r.label("utm_source", 200),
        utm_medium: r.label("utm_medium", 200),
        utm_campaign: r.label("utm_campaign", 200),
        utm_term: r.label("utm_term", 200),
        utm_content: r.label("utm_content", 200),
        gclid: r.label("gclid", 500),
        fbclid: r.label("fbclid", 500),
        referrer: r.label("referrer", 1000),
        landing_page: r.label("landing_page", 1000),
        ad_group: r.label("ad_group", 200),
        creative: r.label("creative", 200),
        msclkid: r.label("msclkid", 500),
    };

    // Consent.
    let consent_version = r.label("consent_version", 64);
    let mut consent = Consents::default();
    for ch in ContactChannel::ALL {
        let field = format!("consent_{}", ch.as_str());
        let Some(granted) = r.flag(&field) else { continue };
        match rules.consent_text(consent_version.as_ref().map(Label::as_str), ch) {
            ConsentTextLookup::Found { version, sha256 } => {
                *consent.get_mut(ch) = Some(ChannelConsent {
                    granted,
                    text_version: version,
                    text_sha256: sha256,
                    at: now,
                    evidence: ConsentEvidence {
                        captured_via: channel.as_str().to_string(),
                        page: detail.landing_page.clone(),
                        ip: raw.ip.clone(),
                        user_agent: raw.user_agent.as_deref().and_then(|u| Label::parse(u, 500).ok()),
                    },
                    revoked_at: None,
                    revoked_via: None,
                });
            }
            ConsentTextLookup::UnknownVersion => {
                r.fail("consent_version", "unknown_consent_version", "consent_version is not a configured consent text");
            }
            ConsentTextLookup::NotForChannel => {
                r.fail(&field, "consent_text_not_for_channel", format!("the consent text version does not cover {}", ch.as_str()));
            }
            ConsentTextLookup::NoneConfigured => {
                r.fail(&field, "no_consent_text", format!("no consent text is configured for {}", ch.as_str()));
            }
        }
    }

    let mut errors = r.errors;
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        errors.dedup_by(|a, b| a.field == b.field && a.code == b.code);
        return Err(errors);
    }
    Ok(NewLead {
        contact: Contact { first_name, last_name, phone, email },
        context: LeadContext {
            service_line: service_line.expect("checked above"),
            service_interest,
            concern,
            insurance,
            insurance_carrier,
            location: Location { postal_code, city, state },
            preferred_facility,
            preferences: ContactPreferences { preferred_channel, preferred_times, language },
            stated_urgency,
            date_of_birth,
            franchise,
        },
        source: Source { channel, detail },
        consent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    struct Rules {
        lines: Vec<ServiceLineId>,
        currency: Currency,
    }

    impl IntakeRules for Rules {
        fn region(&self) -> Region {
            Region::US
        }
        fn currency(&self) -> &Currency {
            &self.currency
        }
        fn knows_service_line(&self, id: &ServiceLineId) -> bool {
            self.lines.contains(id)
        }
        fn default_service_line(&self) -> Option<&ServiceLineId> {
            None
        }
        fn consent_text(&self, version: Option<&str>, channel: ContactChannel) -> ConsentTextLookup {
            match version {
                None | Some("v2") => ConsentTextLookup::Found { version: "v2".into(), sha256: "ab".into() },
                Some("email-only") if channel != ContactChannel::Email => ConsentTextLookup::NotForChannel,
                Some("email-only") => ConsentTextLookup::Found { version: "email-only".into(), sha256: "cd".into() },
                Some(_) => ConsentTextLookup::UnknownVersion,
            }
        }
        fn is_ignored_field(&self, name: &str) -> bool {
            name == "submit"
        }
    }

    fn rules() -> Rules {
        Rules {
            lines: vec![ServiceLineId::parse("med_spa").unwrap(), ServiceLineId::parse("franchise").unwrap()],
            currency: Currency::usd(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap()
    }

    fn raw(pairs: &[(&str, &str)]) -> RawSubmission {
        RawSubmission {
            fields: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ip: Some("203.0.113.9".into()),
            user_agent: Some("Mozilla/5.0".into()),
        }
    }

    fn codes(errs: &[FieldError]) -> Vec<(String, &'static str)> {
        errs.iter().map(|e| (e.field.clone(), e.code)).collect()
    }

    #[test]
    fn a_full_patient_form_parses_into_typed_values() {
        let lead = parse_submission(
            &raw(&[
                ("first_name", " Ann "),
                ("last_name", "Lee"),
                ("phone", "(201) 555-0123"),
                ("email", "Ann@Example.com"),
                ("service_line", "med_spa"),
                ("concern", "Interested in laser treatment"),
                ("insurance_status", "Self_Pay"),
                ("postal_code", "07030"),
                ("state", "nj"),
                ("preferred_channel", "SMS"),
                ("urgency", "soon"),
                ("utm_source", "google"),
                ("utm_campaign", "spring"),
                ("landing_page", "https://clinic.example/laser"),
                ("consent_sms", "on"),
                ("consent_email", "false"),
                ("submit", "Send"),
            ]),
            &rules(),
            now(),
        )
        .unwrap();
        assert_eq!(lead.contact.first_name.unwrap().as_str(), "Ann");
        assert_eq!(lead.contact.phone.unwrap().as_e164(), "+12015550123");
        assert_eq!(lead.contact.email.unwrap().as_str(), "ann@example.com");
        assert_eq!(lead.context.insurance, Some(InsuranceStatus::SelfPay));
        assert_eq!(lead.context.location.state.unwrap().as_str(), "NJ");
        assert_eq!(lead.context.preferences.preferred_channel, Some(ContactChannel::Sms));
        assert_eq!(lead.source.channel, SourceChannel::WebForm);
        let sms = lead.consent.sms.unwrap();
        assert!(sms.is_active());
        assert_eq!(sms.text_version, "v2");
        assert_eq!(sms.evidence.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(sms.evidence.page.unwrap().as_str(), "https://clinic.example/laser");
        assert!(!lead.consent.email.unwrap().granted);
        assert!(lead.consent.call.is_none());
    }

    #[test]
    fn a_full_name_is_split_when_parts_are_missing() {
        let lead =
            parse_submission(&raw(&[("name", "Mary Ann  Smith"), ("email", "m@x.com"), ("service_line", "med_spa")]), &rules(), now())
                .unwrap();
        assert_eq!(lead.contact.first_name.unwrap().as_str(), "Mary Ann");
        assert_eq!(lead.contact.last_name.unwrap().as_str(), "Smith");
    }

    #[test]
    fn franchise_money_becomes_minor_units() {
        let lead = parse_submission(
            &raw(&[
                ("email", "p@x.com"),
                ("service_line", "franchise"),
                ("liquid_capital", "$250,000"),
                ("net_worth", "1,200,000.50"),
                ("industry_experience", "Healthcare, Hospitality"),
                ("investment_timeline", "3_6_months"),
            ]),
            &rules(),
            now(),
        )
        .unwrap();
        assert_eq!(lead.context.franchise.liquid_capital.unwrap().minor, 25_000_000);
        assert_eq!(lead.context.franchise.net_worth.unwrap().minor, 120_000_050);
        assert_eq!(lead.context.franchise.industry_experience[0].as_str(), "healthcare");
        assert_eq!(lead.context.franchise.investment_timeline, Some(InvestmentTimeline::ThreeToSixMonths));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let errs = parse_submission(
            &raw(&[
                ("first_name", "<script>alert(1)</script>"),
                ("last_name", "Lee\u{0}"),
                ("phone", "12"),
                ("email", "not-an-email"),
                ("service_line", "dentistry"),
                ("insurance_status", "maybe"),
                ("consent_sms", "perhaps"),
                ("favourite_colour", "blue"),
                ("date_of_birth", "2030-01-01"),
                ("liquid_capital", "lots"),
            ]),
            &rules(),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            codes(&errs),
            vec![
                ("consent_sms".into(), "invalid_boolean"),
                ("date_of_birth".into(), "out_of_range"),
                ("email".into(), "invalid_email"),
                ("favourite_colour".into(), "unknown_field"),
                ("first_name".into(), "invalid_characters"),
                ("insurance_status".into(), "invalid_choice"),
                ("last_name".into(), "control_characters"),
                ("liquid_capital".into(), "invalid_amount"),
                ("phone".into(), "invalid_phone"),
                ("service_line".into(), "unknown_service_line"),
            ]
        );
        // Messages name the field but never echo the input.
        for e in &errs {
            assert!(!e.message.contains("script") && !e.message.contains("blue") && !e.message.contains("not-an-email"), "{e:?}");
        }
    }

    #[test]
    fn phone_or_email_and_service_line_are_required() {
        let errs = parse_submission(&raw(&[("first_name", "Ann")]), &rules(), now()).unwrap_err();
        assert_eq!(codes(&errs), vec![("phone".into(), "required"), ("service_line".into(), "required")]);
    }

    #[test]
    fn consent_versions_must_be_known_and_cover_the_channel() {
        let errs = parse_submission(
            &raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("consent_sms", "yes"), ("consent_version", "v9")]),
            &rules(),
            now(),
        )
        .unwrap_err();
        assert_eq!(codes(&errs), vec![("consent_version".into(), "unknown_consent_version")]);
        let errs = parse_submission(
            &raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("consent_sms", "yes"), ("consent_version", "email-only")]),
            &rules(),
            now(),
        )
        .unwrap_err();
        assert_eq!(codes(&errs), vec![("consent_sms".into(), "consent_text_not_for_channel")]);
    }

    #[test]
    fn oversized_free_text_is_refused() {
        let long = "a".repeat(MAX_CONCERN_CHARS + 1);
        let errs =
            parse_submission(&raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("concern", &long)]), &rules(), now()).unwrap_err();
        assert_eq!(codes(&errs), vec![("concern".into(), "too_long")]);
    }
}
