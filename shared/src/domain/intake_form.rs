//! The boundary between a submitted form and the domain: flat text fields in, a validated
//! `NewLead` (or every field error at once) out. JSON bodies and HTML form posts both arrive
//! here as the same flat map, so one set of rules serves both.
//!
//! A submission that names its configured form (`form_id`) is also held to that form: its
//! required fields, the service lines it offers, its language. Fields intake has no place for
//! are kept as labelled extras, unless they are known-bad (a lead's internals, data leadflow
//! must never hold, a consent channel it does not know).

use super::channel::ContactChannel;
use super::consent::{ChannelConsent, ConsentEvidence, Consents};
use super::context::{
    ContactPreferences, ExtraField, FranchiseProfile, InsuranceStatus, InvestmentTimeline, LeadContext, Location, ServiceLineId,
    StatedUrgency,
};
use super::email::Email;
use super::lead::Contact;
use super::money::{Currency, Money};
use super::phone::{Phone, Region};
use super::source::{Journey, Source, SourceChannel, SourceDetail, Touch, VisitorId};
use super::text::{FreeText, Label, PersonName, TextError};
use super::touchpoint::{Touchpoint, TouchpointKind};
use super::webform::{FormSpec, Language};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
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
    /// The consent text shown for `channel`: the named version, or the current one in
    /// `language` (the organization's language when `None`).
    fn consent_text(&self, version: Option<&str>, channel: ContactChannel, language: Option<Language>) -> ConsentTextLookup;
    /// Extra fields that forms may send and intake ignores (submit buttons, CSRF tokens).
    fn is_ignored_field(&self, name: &str) -> bool;
    /// The configured form with this id.
    fn form(&self, id: &str) -> Option<&FormSpec>;
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

    /// The visitor's first touch as a touchpoint of its own, when it came on an earlier visit
    /// than the inquiry's (the inquiry's own touchpoint carries the latest touch): attribution
    /// then credits what first brought the person as well as what brought them back.
    pub fn first_visit(&self) -> Option<Touchpoint> {
        let j = self.source.journey.as_ref()?;
        (j.first.at < j.latest.at).then(|| Touchpoint {
            at: j.first.at,
            kind: TouchpointKind::PageView,
            channel: SourceChannel::WebForm,
            detail: j.first.detail.clone(),
            page: j.first.detail.landing_page.clone(),
        })
    }
}

/// Every field intake understands; anything else is kept as a labelled extra unless it is
/// known-bad ([`refused_extra`]) or configured as ignored.
pub const KNOWN_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "name",
    "phone",
    "email",
    "service_line",
    "service_interest",
    "concern",
    "message",
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
    "msclkid",
    "ttclid",
    "referrer",
    "landing_page",
    "ad_group",
    "creative",
    "journey",
    "consent_sms",
    "consent_call",
    "consent_email",
    "consent_version",
    "consent_sms_version",
    "consent_call_version",
    "consent_email_version",
    "form_id",
    "form_language",
    "page_url",
];

/// Longest health-concern text accepted (the message and the concern together).
pub const MAX_CONCERN_CHARS: usize = 2000;

/// At most this many extras per submission; a form sending more is refused.
pub const MAX_EXTRAS: usize = 20;

/// Longest extra value kept.
pub const MAX_EXTRA_CHARS: usize = 1000;

/// Longest `journey` value read (the snippet's cookie holds two touches).
const MAX_JOURNEY_BYTES: usize = 8 * 1024;

/// Names that are a lead's internals: a form never sets them.
const RESERVED_NAMES: &[&str] = &[
    "id",
    "lead_id",
    "status",
    "score",
    "assignment",
    "assignee",
    "test",
    "version",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "converted_at",
    "payments",
    "merged_into",
    "erased_at",
    "archived_at",
    "contact_flags",
    "first_contact_at",
    "first_contact_due_at",
    "disqualification_reason",
    "contact",
    "context",
    "source",
    "consent",
    "extras",
    "redirect_to",
];

/// Data leadflow must never hold, by name (a whole name or its start): identity numbers,
/// credentials, payment cards and accounts.
const FORBIDDEN_NAMES: &[&str] = &[
    "ssn",
    "social_security",
    "password",
    "passwd",
    "credit_card",
    "card_number",
    "card_cvc",
    "cvv",
    "cvc",
    "bank_account",
    "routing_number",
    "account_number",
];

/// Why an unknown field is refused rather than kept as an extra, if it is.
pub fn refused_extra(name: &str) -> Option<(&'static str, &'static str)> {
    if shown_field_name(name) != name {
        return Some(("unknown_field", "this field is not accepted"));
    }
    if RESERVED_NAMES.contains(&name) {
        return Some(("field_not_allowed", "this field cannot be set by a form"));
    }
    if FORBIDDEN_NAMES.iter().any(|f| name == *f || name.starts_with(&format!("{f}_")) || name.ends_with(&format!("_{f}"))) {
        return Some(("field_not_allowed", "this information must not be sent to leadflow"));
    }
    if name.starts_with("consent_") {
        return Some(("unknown_field", "consent is taken for sms, call and email only"));
    }
    None
}

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

    fn free_text(&mut self, field: &str, max: usize) -> Option<FreeText> {
        let raw = self.fields.get(field)?.clone();
        if !given(&raw) {
            return None;
        }
        FreeText::parse(&raw, max).map_err(|e| self.text_error(field, e)).ok()
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

/// The campaign detail of a touch as the snippet sends it (the same names as the flat fields).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTouch {
    at: String,
    #[serde(default)]
    utm_source: Option<String>,
    #[serde(default)]
    utm_medium: Option<String>,
    #[serde(default)]
    utm_campaign: Option<String>,
    #[serde(default)]
    utm_term: Option<String>,
    #[serde(default)]
    utm_content: Option<String>,
    #[serde(default)]
    gclid: Option<String>,
    #[serde(default)]
    fbclid: Option<String>,
    #[serde(default)]
    msclkid: Option<String>,
    #[serde(default)]
    ttclid: Option<String>,
    #[serde(default)]
    referrer: Option<String>,
    #[serde(default)]
    landing_page: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJourney {
    first: RawTouch,
    #[serde(default)]
    latest: Option<RawTouch>,
    #[serde(default)]
    visits: Option<u32>,
    #[serde(default)]
    visitor: Option<String>,
}

/// Reads the snippet's `journey` field (JSON): the first and latest touch, the visit count and
/// the anonymous visitor id. The error names the part that is wrong, never its value.
fn parse_journey(raw: &str, now: DateTime<Utc>) -> Result<Journey, String> {
    if raw.len() > MAX_JOURNEY_BYTES {
        return Err(format!("is longer than {MAX_JOURNEY_BYTES} bytes"));
    }
    let j: RawJourney = serde_json::from_str(raw).map_err(|_| "must be the JSON the form's script sends".to_string())?;
    let touch = |t: &RawTouch, which: &str| -> Result<Touch, String> {
        let at = DateTime::parse_from_rfc3339(t.at.trim()).map_err(|_| format!("{which}.at must be an RFC 3339 time"))?.to_utc();
        if at > now + Duration::minutes(5) || at < now - Duration::days(730) {
            return Err(format!("{which}.at must be within the last two years"));
        }
        let l = |v: &Option<String>, name: &str, max: usize| -> Result<Option<Label>, String> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => Label::parse(v, max).map(Some).map_err(|e| format!("{which}.{name} {e}")),
            }
        };
        Ok(Touch {
            at,
            detail: SourceDetail {
                utm_source: l(&t.utm_source, "utm_source", 200)?,
                utm_medium: l(&t.utm_medium, "utm_medium", 200)?,
                utm_campaign: l(&t.utm_campaign, "utm_campaign", 200)?,
                utm_term: l(&t.utm_term, "utm_term", 200)?,
                utm_content: l(&t.utm_content, "utm_content", 200)?,
                gclid: l(&t.gclid, "gclid", 500)?,
                fbclid: l(&t.fbclid, "fbclid", 500)?,
                msclkid: l(&t.msclkid, "msclkid", 500)?,
                ttclid: l(&t.ttclid, "ttclid", 500)?,
                referrer: l(&t.referrer, "referrer", 1000)?,
                landing_page: l(&t.landing_page, "landing_page", 1000)?,
                ..Default::default()
            },
        })
    };
    let first = touch(&j.first, "first")?;
    let latest = match &j.latest {
        Some(t) => touch(t, "latest")?,
        None => first.clone(),
    };
    if latest.at < first.at {
        return Err("latest.at must not be before first.at".into());
    }
    let visits = j.visits.unwrap_or(1);
    if !(1..=100_000).contains(&visits) {
        return Err("visits must be between 1 and 100000".into());
    }
    let visitor = match j.visitor.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(VisitorId::parse(v).ok_or_else(|| "visitor must be 16-64 URL-safe characters".to_string())?),
    };
    Ok(Journey { first, latest, visits, visitor })
}

/// Validates a submission. All problems are reported together.
pub fn parse_submission(raw: &RawSubmission, rules: &dyn IntakeRules, now: DateTime<Utc>) -> Result<NewLead, Vec<FieldError>> {
    let mut r = Reader { fields: &raw.fields, errors: Vec::new() };

    // The form the submission names, and the language it was shown in.
    let form_id = r.get("form_id").map(str::to_string);
    let form = match &form_id {
        None => None,
        Some(id) => {
            let f = rules.form(id);
            if f.is_none() {
                r.fail("form_id", "unknown_form", "form_id is not a configured form");
            }
            f
        }
    };
    let form_language = match r.get("form_language").map(str::to_string) {
        None => form.map(FormSpec::default_language),
        Some(tag) => match Language::parse(&tag).filter(|l| form.is_none_or(|f| f.languages.contains(l))) {
            Some(l) => Some(l),
            None => {
                r.fail("form_language", "unknown_language", "form_language is not a language of this form");
                None
            }
        },
    };

    // The site's own fields: kept with their labels unless known-bad.
    let mut extras = Vec::new();
    for (name, value) in raw.fields.iter() {
        if KNOWN_FIELDS.contains(&name.as_str()) || rules.is_ignored_field(name) {
            continue;
        }
        if let Some((code, message)) = refused_extra(name) {
            r.errors.push(FieldError { field: shown_field_name(name), code, message: message.into() });
            continue;
        }
        if !given(value) {
            continue;
        }
        if extras.len() == MAX_EXTRAS {
            r.fail(name, "too_many_fields", format!("at most {MAX_EXTRAS} fields beyond the standard ones are kept"));
            break;
        }
        if let Some(value) = r.free_text(name, MAX_EXTRA_CHARS) {
            let label = form.map_or_else(|| super::webform::humanize(name), |f| f.extra_label(name));
            extras.push(ExtraField { name: name.clone(), label, value });
        }
    }

    // What the form requires.
    if let Some(f) = form {
        for field in &f.required {
            if r.get(field).is_none() && !r.errors.iter().any(|e| e.field == *field) {
                r.fail(field, "required", format!("{field} is required"));
            }
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
    if !phone_given && !email_given && !r.errors.iter().any(|e| e.field == "phone" || e.field == "email") {
        r.fail("phone", "required", "give a phone number or an email address");
    }

    // Context.
    let service_line = match r.get("service_line") {
        Some(s) => match ServiceLineId::parse(&s.to_ascii_lowercase()) {
            Some(id) if form.is_some_and(|f| !f.service_lines.contains(&id)) => {
                r.fail("service_line", "service_line_not_offered", "service_line is not one this form offers");
                None
            }
            Some(id) if rules.knows_service_line(&id) => Some(id),
            _ => {
                r.fail("service_line", "unknown_service_line", "service_line is not one of the configured service lines");
                None
            }
        },
        None => match form.and_then(FormSpec::fixed_service_line).or_else(|| rules.default_service_line()) {
            Some(d) => Some(d.clone()),
            None => {
                if !r.errors.iter().any(|e| e.field == "service_line") {
                    r.fail("service_line", "required", "service_line is required");
                }
                None
            }
        },
    };
    let service_interest = r.label("service_interest", 200);
    // The concern in the person's words: `concern`, and the form's free-text `message` (both
    // when a page sends both, one after the other).
    let concern = {
        let parts: Vec<&str> =
            ["concern", "message"].iter().filter_map(|f| raw.fields.get(*f).map(String::as_str)).filter(|v| given(v)).collect();
        let field = if raw.fields.get("message").is_some_and(|v| given(v)) { "message" } else { "concern" };
        match parts.as_slice() {
            [] => None,
            parts => FreeText::parse(&parts.iter().map(|p| p.trim()).collect::<Vec<_>>().join("\n\n"), MAX_CONCERN_CHARS)
                .map_err(|e| r.text_error(field, e))
                .ok(),
        }
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
    // The language the person used the form in is their language unless they said otherwise
    // (routing matches it against the team's languages).
    let language = r.label("language", 35).or_else(|| form_language.and_then(|l| Label::parse(l.as_str(), 35).ok()));
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

    // Source: the flat campaign fields, else the latest touch of the snippet's journey.
    let channel = r
        .choice(
            "source_channel",
            SourceChannel::parse,
            "web_form, phone_call, chat, social_dm, physician_referral, patient_referral, event, walk_in, paid_ad, other",
        )
        .unwrap_or(SourceChannel::WebForm);
    let journey = match raw.fields.get("journey").filter(|v| given(v)) {
        None => None,
        Some(v) => parse_journey(v, now).map_err(|why| r.fail("journey", "invalid_journey", format!("journey {why}"))).ok(),
    };
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
        ttclid: r.label("ttclid", 500),
    };
    let detail = match &journey {
        Some(j) if detail == SourceDetail::default() => j.latest.detail.clone(),
        _ => detail,
    };
    let page_url = r.label("page_url", 1000);

    // Consent: each channel's box with the version of the text shown next to it (a channel's
    // own `consent_<channel>_version`, else `consent_version`, else the current text).
    let consent_version = r.label("consent_version", 64);
    let mut consent = Consents::default();
    for ch in ContactChannel::ALL {
        let field = format!("consent_{}", ch.as_str());
        let version_field = format!("consent_{}_version", ch.as_str());
        let own_version = r.label(&version_field, 64);
        let Some(granted) = r.flag(&field) else { continue };
        let version = own_version.as_ref().or(consent_version.as_ref()).map(Label::as_str);
        let version_field = if own_version.is_some() { version_field.as_str() } else { "consent_version" };
        match rules.consent_text(version, ch, form_language) {
            ConsentTextLookup::Found { version, sha256 } => {
                *consent.get_mut(ch) = Some(ChannelConsent {
                    granted,
                    text_version: version,
                    text_sha256: sha256,
                    at: now,
                    evidence: ConsentEvidence {
                        captured_via: channel.as_str().to_string(),
                        page: page_url.clone().or_else(|| detail.landing_page.clone()),
                        ip: raw.ip.clone(),
                        user_agent: raw.user_agent.as_deref().and_then(|u| Label::parse(u, 500).ok()),
                        form: form.map(|f| f.id.clone()),
                        language: form_language.map(|l| l.as_str().to_string()),
                    },
                    revoked_at: None,
                    revoked_via: None,
                });
            }
            ConsentTextLookup::UnknownVersion => {
                r.fail(version_field, "unknown_consent_version", format!("{version_field} is not a configured consent text"));
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
            extras,
        },
        source: Source { channel, detail, journey },
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
        form: Option<FormSpec>,
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
        fn consent_text(&self, version: Option<&str>, channel: ContactChannel, _language: Option<Language>) -> ConsentTextLookup {
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
        fn form(&self, id: &str) -> Option<&FormSpec> {
            self.form.as_ref().filter(|f| f.id == id)
        }
    }

    fn rules() -> Rules {
        Rules {
            lines: vec![ServiceLineId::parse("med_spa").unwrap(), ServiceLineId::parse("franchise").unwrap()],
            currency: Currency::usd(),
            form: None,
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

    /// The codes of the errors a submission of `pairs` gets under [`rules`].
    fn refused(pairs: &[(&str, &str)]) -> Vec<(String, &'static str)> {
        codes(&parse_submission(&raw(pairs), &rules(), now()).unwrap_err())
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
                ("social_security_number", "blue"),
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
                ("first_name".into(), "invalid_characters"),
                ("insurance_status".into(), "invalid_choice"),
                ("last_name".into(), "control_characters"),
                ("liquid_capital".into(), "invalid_amount"),
                ("phone".into(), "invalid_phone"),
                ("service_line".into(), "unknown_service_line"),
                ("social_security_number".into(), "field_not_allowed"),
            ]
        );
        // Messages name the field but never echo the input.
        for e in &errs {
            assert!(!e.message.contains("script") && !e.message.contains("blue") && !e.message.contains("not-an-email"), "{e:?}");
        }
    }

    #[test]
    fn phone_or_email_and_service_line_are_required() {
        assert_eq!(refused(&[("first_name", "Ann")]), vec![("phone".into(), "required"), ("service_line".into(), "required")]);
    }

    #[test]
    fn consent_versions_must_be_known_and_cover_the_channel() {
        assert_eq!(
            refused(&[("email", "a@x.com"), ("service_line", "med_spa"), ("consent_sms", "yes"), ("consent_version", "v9")]),
            vec![("consent_version".into(), "unknown_consent_version")]
        );
        assert_eq!(
            refused(&[("email", "a@x.com"), ("service_line", "med_spa"), ("consent_sms", "yes"), ("consent_version", "email-only")]),
            vec![("consent_sms".into(), "consent_text_not_for_channel")]
        );
    }

    #[test]
    fn oversized_free_text_is_refused() {
        let long = "a".repeat(MAX_CONCERN_CHARS + 1);
        assert_eq!(refused(&[("email", "a@x.com"), ("service_line", "med_spa"), ("concern", &long)]), vec![("concern".into(), "too_long")]);
    }

    fn form() -> FormSpec {
        FormSpec {
            id: "inquiry".into(),
            languages: vec![Language::En, Language::Es],
            service_lines: vec![ServiceLineId::parse("med_spa").unwrap()],
            fields: vec!["first_name", "phone", "email", "message"],
            required: ["first_name", "phone"].into_iter().collect(),
            consent: Default::default(),
            facilities: vec![],
            redirect_to: None,
            extras: [("how_heard".to_string(), "How did you hear about us?".to_string())].into_iter().collect(),
            texts: Default::default(),
        }
    }

    fn with_form() -> Rules {
        Rules { form: Some(form()), ..rules() }
    }

    #[test]
    fn a_message_is_kept_as_the_concern_and_unknown_fields_as_labelled_extras() {
        let lead = parse_submission(
            &raw(&[
                ("email", "a@x.com"),
                ("service_line", "med_spa"),
                ("message", "  Knee pain after running  "),
                ("how_heard", "A friend"),
                ("referral_code", "SPRING-24"),
                ("empty_one", "  "),
            ]),
            &rules(),
            now(),
        )
        .unwrap();
        assert_eq!(lead.context.concern.unwrap().as_str(), "Knee pain after running");
        let extras: Vec<(&str, &str, &str)> =
            lead.context.extras.iter().map(|e| (e.name.as_str(), e.label.as_str(), e.value.as_str())).collect();
        assert_eq!(extras, vec![("how_heard", "How heard", "A friend"), ("referral_code", "Referral code", "SPRING-24")]);
        // Both a concern and a message: one after the other.
        let lead = parse_submission(
            &raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("concern", "Acne"), ("message", "Evenings")]),
            &rules(),
            now(),
        )
        .unwrap();
        assert_eq!(lead.context.concern.unwrap().as_str(), "Acne\n\nEvenings");
    }

    #[test]
    fn known_bad_fields_are_still_refused() {
        assert_eq!(
            refused(&[
                ("email", "a@x.com"),
                ("service_line", "med_spa"),
                ("status", "converted"),
                ("card_number", "4111"),
                ("consent_whatsapp", "yes"),
                ("Bad Name!", "x"),
                ("note", "bad\u{7}bell"),
            ]),
            vec![
                ("(unknown)".into(), "unknown_field"),
                ("card_number".into(), "field_not_allowed"),
                ("consent_whatsapp".into(), "unknown_field"),
                ("note".into(), "control_characters"),
                ("status".into(), "field_not_allowed"),
            ]
        );
        let many: Vec<(String, String)> = (0..=MAX_EXTRAS).map(|i| (format!("extra_{i:02}"), "x".to_string())).collect();
        let mut fields: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fields.extend([("email", "a@x.com"), ("service_line", "med_spa")]);
        assert_eq!(refused(&fields), vec![(format!("extra_{MAX_EXTRAS:02}"), "too_many_fields")]);
    }

    #[test]
    fn a_named_form_is_held_to_its_requirements() {
        let errs =
            parse_submission(&raw(&[("form_id", "inquiry"), ("email", "a@x.com"), ("service_line", "franchise")]), &with_form(), now())
                .unwrap_err();
        assert_eq!(
            codes(&errs),
            vec![("first_name".into(), "required"), ("phone".into(), "required"), ("service_line".into(), "service_line_not_offered")]
        );
        let errs = parse_submission(&raw(&[("form_id", "other"), ("email", "a@x.com")]), &with_form(), now()).unwrap_err();
        assert_eq!(codes(&errs)[0], ("form_id".into(), "unknown_form"));
        let errs = parse_submission(
            &raw(&[("form_id", "inquiry"), ("form_language", "fr"), ("first_name", "Ana"), ("phone", "2015550123")]),
            &with_form(),
            now(),
        )
        .unwrap_err();
        assert_eq!(codes(&errs), vec![("form_language".into(), "unknown_language")]);
        // The fixed line is implied, the language becomes the person's, extras get the form's label.
        let lead = parse_submission(
            &raw(&[
                ("form_id", "inquiry"),
                ("form_language", "es"),
                ("first_name", "Ana"),
                ("phone", "2015550123"),
                ("how_heard", "Radio"),
            ]),
            &with_form(),
            now(),
        )
        .unwrap();
        assert_eq!(lead.context.service_line.as_str(), "med_spa");
        assert_eq!(lead.context.preferences.language.unwrap().as_str(), "es");
        assert_eq!(lead.context.extras[0].label, "How did you hear about us?");
    }

    #[test]
    fn consent_records_the_version_per_channel_the_form_and_the_page() {
        let lead = parse_submission(
            &raw(&[
                ("form_id", "inquiry"),
                ("form_language", "es"),
                ("first_name", "Ana"),
                ("phone", "2015550123"),
                ("consent_sms", "true"),
                ("consent_sms_version", "v2"),
                ("consent_email", "false"),
                ("consent_email_version", "email-only"),
                ("page_url", "https://clinic.example/contacto"),
                ("landing_page", "https://clinic.example/?utm_source=google"),
            ]),
            &with_form(),
            now(),
        )
        .unwrap();
        let sms = lead.consent.sms.unwrap();
        assert_eq!((sms.text_version.as_str(), sms.granted), ("v2", true));
        assert_eq!(sms.evidence.page.unwrap().as_str(), "https://clinic.example/contacto");
        assert_eq!((sms.evidence.form.as_deref(), sms.evidence.language.as_deref()), (Some("inquiry"), Some("es")));
        let email = lead.consent.email.unwrap();
        assert_eq!((email.text_version.as_str(), email.granted), ("email-only", false));
        assert_eq!(
            refused(&[("email", "a@x.com"), ("service_line", "med_spa"), ("consent_sms", "yes"), ("consent_sms_version", "email-only")]),
            vec![("consent_sms".into(), "consent_text_not_for_channel")]
        );
    }

    #[test]
    fn the_journey_gives_the_first_and_latest_touch() {
        let journey = r#"{"first":{"at":"2026-02-20T10:00:00Z","utm_source":"google","utm_campaign":"spring","gclid":"Cj0abc",
            "landing_page":"https://clinic.example/laser?utm_source=google","referrer":"https://www.google.com/"},
            "latest":{"at":"2026-03-02T09:00:00Z","utm_source":"newsletter","landing_page":"https://clinic.example/pricing"},
            "visits":4,"visitor":"Zm9vYmFyYmF6cXV4MTIzNA"}"#;
        let lead =
            parse_submission(&raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("journey", journey)]), &rules(), now()).unwrap();
        // No flat campaign fields: the latest touch is the inquiry's source.
        assert_eq!(lead.source.detail.utm_source.as_ref().unwrap().as_str(), "newsletter");
        let j = lead.source.journey.clone().unwrap();
        assert_eq!(j.first.detail.gclid.as_ref().unwrap().as_str(), "Cj0abc");
        assert_eq!((j.visits, j.visitor.as_ref().unwrap().as_str()), (4, "Zm9vYmFyYmF6cXV4MTIzNA"));
        assert_eq!(j.lead_time(now()).num_days(), 11);
        let first = lead.first_visit().unwrap();
        assert_eq!((first.kind, first.detail.utm_source.unwrap().as_str()), (TouchpointKind::PageView, "google"));

        for (bad, why) in [
            ("not json", "JSON"),
            (r#"{"first":{"at":"yesterday"}}"#, "first.at"),
            (r#"{"first":{"at":"2031-01-01T00:00:00Z"}}"#, "first.at"),
            (r#"{"first":{"at":"2026-03-01T00:00:00Z"},"latest":{"at":"2026-02-01T00:00:00Z"}}"#, "latest.at"),
            (r#"{"first":{"at":"2026-03-01T00:00:00Z"},"visitor":"short"}"#, "visitor"),
            (r#"{"first":{"at":"2026-03-01T00:00:00Z","utm_source":"a\u0007b"}}"#, "first.utm_source"),
            (r#"{"first":{"at":"2026-03-01T00:00:00Z","email":"a@x.com"}}"#, "JSON"),
        ] {
            let errs = parse_submission(&raw(&[("email", "a@x.com"), ("service_line", "med_spa"), ("journey", bad)]), &rules(), now())
                .unwrap_err();
            assert_eq!(codes(&errs), vec![("journey".into(), "invalid_journey")], "{bad}");
            assert!(errs[0].message.contains(why), "{bad}: {}", errs[0].message);
            assert!(!errs[0].message.contains("a@x.com"));
        }
    }
}
