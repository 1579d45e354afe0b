//! `[messaging]`: what every message to a person obeys beyond consent and quiet hours: the
//! destination countries texts may go to, the segment budget of an automated text, the limits
//! on person-supplied values rendered into messages, the hosts a message may name, the sender's
//! throughput and its lanes, the spend circuit breaker, the e-mail footer and the appointment
//! reminders.
//!
//! ```toml
//! [messaging]
//! sms_countries = ["US", "CA"]     # region of the destination number; others get no text
//! max_sms_segments = 2             # GSM-7: 160 / 153 per part; UCS-2: 70 / 67 per part
//! first_name_max_chars = 30
//! allowed_link_hosts = []          # besides every host written in this file's templates
//! [messaging.pacing]
//! parts_per_second = 3             # the origination identity's limit (10DLC 1-4, toll-free 3, short code 100)
//! [messaging.spend]
//! max_texts_per_hour = 300         # then automated follow-ups pause (acknowledgements and crisis go on)
//! [messaging.email]
//! postal_address = "Harbor Health, 100 River St, Hoboken, NJ 07030"
//! [messaging.reminders]
//! offsets = ["48h", "24h", "2h"]
//! ```

use super::locate::KeyPath;
use super::validate::Problems;
use crate::domain::cadence::parse_duration;
use crate::domain::template::Template;
use chrono::Duration;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMessaging {
    pub sms_countries: Option<Vec<String>>,
    pub max_sms_segments: Option<u32>,
    pub first_name_max_chars: Option<usize>,
    #[serde(default)]
    pub allowed_link_hosts: Vec<String>,
    #[serde(default)]
    pub pacing: RawPacing,
    #[serde(default)]
    pub spend: RawSpend,
    #[serde(default)]
    pub email: RawEmailFooter,
    #[serde(default)]
    pub reminders: RawReminders,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPacing {
    pub parts_per_second: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpend {
    pub max_texts_per_hour: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmailFooter {
    pub postal_address: Option<String>,
    pub unsubscribe_link_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReminders {
    pub offsets: Option<Vec<String>>,
    pub sms: Option<String>,
    pub email_subject: Option<String>,
    pub email_text: Option<String>,
    pub confirm_words: Option<Vec<String>>,
    pub reschedule_words: Option<Vec<String>>,
    pub confirmed_reply: Option<String>,
    pub reschedule_reply: Option<String>,
}

/// Placeholders of appointment reminders and their replies.
pub const REMINDER_PLACEHOLDERS: &[&str] =
    &["first_name", "org_name", "appointment_time", "appointment_day", "confirm_word", "reschedule_word", "service_line_name"];

const DEFAULT_REMINDER_SMS: &str = "{org_name}: reminder of your appointment {appointment_day} at {appointment_time}. Reply {confirm_word} to confirm or {reschedule_word} to reschedule. Reply STOP to opt out.";
const DEFAULT_REMINDER_SUBJECT: &str = "Your appointment at {org_name}, {appointment_day} at {appointment_time}";
const DEFAULT_REMINDER_EMAIL: &str = "Hi {first_name|there},\n\nThis is a reminder of your appointment at {org_name} {appointment_day} at {appointment_time}.\n\nTo confirm, reply {confirm_word} to our text or simply come; to move it, reply {reschedule_word} and the team will call you.\n\n{org_name}";
const DEFAULT_CONFIRMED: &str = "{org_name}: thank you, your appointment {appointment_day} at {appointment_time} is confirmed.";
const DEFAULT_RESCHEDULE: &str = "{org_name}: thank you, our team will call you to find a new time.";

/// The sender's throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacingSettings {
    /// Message parts per second the origination identity may send.
    pub parts_per_second: u32,
}

/// Appointment reminders: when, what, and the reply words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Before the appointment, longest first.
    pub offsets: Vec<Duration>,
    pub sms: Template,
    pub email_subject: Template,
    pub email_text: Template,
    /// Upper-case words a reply may be to confirm ("C") or ask to reschedule ("R").
    pub confirm_words: BTreeSet<String>,
    pub reschedule_words: BTreeSet<String>,
    pub confirmed_reply: Template,
    pub reschedule_reply: Template,
}

/// The validated `[messaging]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingConfig {
    /// Regions (CLDR codes, `US`, `CA`) whose numbers may get texts.
    pub sms_countries: BTreeSet<String>,
    pub max_sms_segments: u32,
    pub first_name_max_chars: usize,
    /// Hosts a message may name: those configured here plus every host written in the
    /// configuration's own texts and links (filled in by `validate` once all are read).
    pub link_hosts: BTreeSet<String>,
    pub pacing: PacingSettings,
    /// Automated texts per hour before follow-ups pause; 0 = no breaker.
    pub max_texts_per_hour: u32,
    /// The sender's postal address, in the footer of every automated email (CAN-SPAM).
    pub postal_address: String,
    /// How long an unsubscribe link keeps working.
    pub unsubscribe_link_days: u32,
    pub reminders: ReminderSettings,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        let t = |s: &str| Template::parse(s, REMINDER_PLACEHOLDERS).expect("default reminder template parses");
        MessagingConfig {
            sms_countries: ["US", "CA"].into_iter().map(String::from).collect(),
            max_sms_segments: 2,
            first_name_max_chars: 30,
            link_hosts: BTreeSet::new(),
            pacing: PacingSettings { parts_per_second: 1 },
            max_texts_per_hour: 300,
            postal_address: String::new(),
            unsubscribe_link_days: 365,
            reminders: ReminderSettings {
                offsets: vec![Duration::hours(48), Duration::hours(24), Duration::hours(2)],
                sms: t(DEFAULT_REMINDER_SMS),
                email_subject: t(DEFAULT_REMINDER_SUBJECT),
                email_text: t(DEFAULT_REMINDER_EMAIL),
                confirm_words: ["C".to_string()].into_iter().collect(),
                reschedule_words: ["R".to_string()].into_iter().collect(),
                confirmed_reply: t(DEFAULT_CONFIRMED),
                reschedule_reply: t(DEFAULT_RESCHEDULE),
            },
        }
    }
}

impl MessagingConfig {
    /// Whether `host` may appear in a message.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.link_hosts.iter().any(|a| crate::domain::screen::host_allowed(host, a))
    }
}

fn host_ok(h: &str) -> bool {
    let h = h.trim();
    !h.is_empty()
        && h.len() <= 253
        && h.contains('.')
        && h.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// Validates `[messaging]`, reporting each problem with its key.
pub(super) fn validate(raw: &RawMessaging, p: &mut Problems<'_>) -> MessagingConfig {
    let here = KeyPath::root().key("messaging");
    let mut out = MessagingConfig::default();
    if let Some(list) = &raw.sms_countries {
        out.sms_countries = super::lists::parse_each(
            list,
            &here.key("sms_countries"),
            "is not a region code (US, CA, ...)",
            |s| s.parse::<crate::domain::Region>().ok().map(|r| r.code()),
            p,
        )
        .into_iter()
        .collect();
    }
    if let Some(n) = raw.max_sms_segments {
        if !(1..=10).contains(&n) {
            p.add(&here.key("max_sms_segments"), "must be between 1 and 10");
        }
        out.max_sms_segments = n;
    }
    if let Some(n) = raw.first_name_max_chars {
        if !(1..=100).contains(&n) {
            p.add(&here.key("first_name_max_chars"), "must be between 1 and 100");
        }
        out.first_name_max_chars = n;
    }
    for (i, h) in raw.allowed_link_hosts.iter().enumerate() {
        if host_ok(h) {
            out.link_hosts.insert(h.trim().to_lowercase());
        } else {
            p.add(&here.key("allowed_link_hosts").index(i), "must be a host name such as book.example.com");
        }
    }
    if let Some(n) = raw.pacing.parts_per_second {
        if !(1..=1000).contains(&n) {
            p.add(&here.key("pacing").key("parts_per_second"), "must be between 1 and 1000");
        }
        out.pacing.parts_per_second = n.max(1);
    }
    if let Some(n) = raw.spend.max_texts_per_hour {
        out.max_texts_per_hour = n;
    }
    match &raw.email.postal_address {
        Some(a) if !a.trim().is_empty() && a.len() <= 300 => out.postal_address = a.trim().to_string(),
        Some(_) => p.add(&here.key("email").key("postal_address"), "must be the sender's postal address (1 to 300 characters)"),
        None => {}
    }
    if let Some(d) = raw.email.unsubscribe_link_days {
        if !(30..=3650).contains(&d) {
            p.add(&here.key("email").key("unsubscribe_link_days"), "must be between 30 and 3650");
        }
        out.unsubscribe_link_days = d;
    }
    out.reminders = reminders(&raw.reminders, &here.key("reminders"), out.reminders, p);
    out
}

fn reminders(raw: &RawReminders, here: &KeyPath, mut out: ReminderSettings, p: &mut Problems<'_>) -> ReminderSettings {
    if let Some(list) = &raw.offsets {
        let mut offsets = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match parse_duration(s) {
                Ok(d) if d > Duration::zero() => offsets.push(d),
                Ok(_) => p.add(&here.key("offsets").index(i), "must be longer than zero"),
                Err(e) => p.add(&here.key("offsets").index(i), e.to_string()),
            }
        }
        offsets.sort_by(|a, b| b.cmp(a));
        offsets.dedup();
        out.offsets = offsets;
    }
    let mut template = |value: &Option<String>, key: &str, into: &mut Template| {
        if let Some(v) = value {
            match Template::parse(v, REMINDER_PLACEHOLDERS) {
                Ok(t) => *into = t,
                Err(e) => p.add(&here.key(key), format!("template {e}")),
            }
        }
    };
    template(&raw.sms, "sms", &mut out.sms);
    template(&raw.email_subject, "email_subject", &mut out.email_subject);
    template(&raw.email_text, "email_text", &mut out.email_text);
    template(&raw.confirmed_reply, "confirmed_reply", &mut out.confirmed_reply);
    template(&raw.reschedule_reply, "reschedule_reply", &mut out.reschedule_reply);
    let words = |list: &Option<Vec<String>>, key: &str, into: &mut BTreeSet<String>, p: &mut Problems<'_>| {
        if let Some(list) = list {
            *into = super::lists::parse_each(
                list,
                &here.key(key),
                "must be a single word of letters",
                |s| {
                    let w = s.trim().to_uppercase();
                    (!w.is_empty() && w.len() <= 12 && w.chars().all(char::is_alphabetic)).then_some(w)
                },
                p,
            )
            .into_iter()
            .collect();
            if into.is_empty() {
                p.add(&here.key(key), "must list at least one word");
            }
        }
    };
    words(&raw.confirm_words, "confirm_words", &mut out.confirm_words, p);
    words(&raw.reschedule_words, "reschedule_words", &mut out.reschedule_words, p);
    if out.confirm_words.intersection(&out.reschedule_words).next().is_some() {
        p.add(&here.key("reschedule_words"), "must not repeat a confirm word");
    }
    for w in out.confirm_words.iter().chain(&out.reschedule_words) {
        if crate::domain::keywords::classify(w).is_some() {
            p.add(&here.key("confirm_words"), format!("`{w}` is an SMS keyword (STOP, START, HELP, ...)"));
        }
    }
    out
}
