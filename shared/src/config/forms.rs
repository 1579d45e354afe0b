//! `[[forms]]` and `[web_analytics]`: the inquiry forms a site embeds (fields, requirements,
//! service lines, facilities, consent texts and wording per language) and the optional
//! page-view and key-event beacons of the site's snippet.

use super::data_quality::{limit, RateLimit, RawLimit};
use super::locate::KeyPath;
use super::validate::Problems;
use super::ConsentText;
use crate::domain::routing::Facility;
use crate::domain::webform::{field_spec, FormConsent, FormSpec, FormTexts, Language, FIELDS};
use crate::domain::{ContactChannel, ServiceLineId, TouchpointKind};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForm {
    pub id: String,
    /// Languages offered, the default first (`["en", "es"]`).
    #[serde(default)]
    pub languages: Vec<String>,
    /// Service lines offered (empty: all configured); with one, it is fixed and not asked.
    #[serde(default)]
    pub service_lines: Vec<String>,
    /// The fields shown, in order.
    pub fields: Vec<String>,
    /// The shown fields a person must fill in.
    #[serde(default)]
    pub required: Vec<String>,
    /// Channels with a consent box (`["sms", "email"]`).
    #[serde(default)]
    pub consent: Vec<String>,
    /// The consent text versions shown; per channel and language the one listed that covers
    /// it. Absent: the current text of each channel in each language.
    #[serde(default)]
    pub consent_versions: Vec<String>,
    /// Facility ids the picker offers (absent: every configured facility).
    #[serde(default)]
    pub facilities: Option<Vec<String>>,
    /// Where the form without JavaScript goes after a successful post.
    #[serde(default)]
    pub redirect_to: Option<String>,
    /// Labels of the site's own fields, kept with the inquiry.
    #[serde(default)]
    pub extras: BTreeMap<String, String>,
    /// Texts per language, overriding the built-in ones.
    #[serde(default)]
    pub texts: BTreeMap<String, RawFormTexts>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFormTexts {
    pub title: Option<String>,
    pub intro: Option<String>,
    pub submit: Option<String>,
    pub success_title: Option<String>,
    pub success: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub help: BTreeMap<String, String>,
    /// Choice labels by `field.value` (`"service_line.med_spa" = "Medicina estética"`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebAnalytics {
    /// Accept page-view and key-event beacons (the site still sends them only after its
    /// visitor accepted analytics).
    #[serde(default)]
    pub enabled: bool,
    /// Paths recorded with a page view (`/pricing`, or a prefix `/locations/*`); any other page
    /// view is counted without its path, so no page name can carry a health detail unless an
    /// operator lists it.
    #[serde(default)]
    pub pages: Vec<String>,
    /// Key events a site may report, and the touchpoint each becomes (`guide_download = "download"`).
    #[serde(default)]
    pub events: BTreeMap<String, String>,
    /// Days an anonymous visitor's events are kept (they join a lead when the visitor inquires).
    pub keep_days: Option<u32>,
    pub per_ip: Option<RawLimit>,
}

/// Longest configured text (labels, help, consent is separate).
const MAX_TEXT: usize = 1000;

/// Page-view and key-event beacons, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebAnalytics {
    pub enabled: bool,
    pub pages: Vec<String>,
    pub events: BTreeMap<String, TouchpointKind>,
    pub keep_days: u32,
    pub per_ip: Option<RateLimit>,
}

impl WebAnalytics {
    /// The path a page view is recorded with: `path` when it is listed (exactly, or under a
    /// listed `prefix/*`), else none.
    pub fn recorded_page<'a>(&self, path: &'a str) -> Option<&'a str> {
        self.pages
            .iter()
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => p == path,
            })
            .then_some(path)
    }
}

/// Touchpoint kinds a site's key event may become.
const EVENT_KINDS: &[TouchpointKind] =
    &[TouchpointKind::PageView, TouchpointKind::Download, TouchpointKind::Chat, TouchpointKind::AppointmentRequest, TouchpointKind::Other];

fn slug_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// What the forms refer to elsewhere in the configuration.
pub(super) struct FormContext<'a> {
    pub service_lines: &'a BTreeSet<ServiceLineId>,
    pub facilities: &'a [Facility],
    pub consent_texts: &'a [ConsentText],
    pub redirect_origins: &'a [String],
}

fn text(v: &str, at: &KeyPath, p: &mut Problems) -> String {
    if v.trim().is_empty() || v.chars().count() > MAX_TEXT || v.chars().any(|c| c.is_control() && c != '\n') {
        p.add(at, format!("must be 1 to {MAX_TEXT} characters without control characters"));
    }
    v.trim().to_string()
}

fn texts(
    raw: &RawFormTexts,
    at: &KeyPath,
    offered: &BTreeSet<&'static str>,
    choices: &dyn Fn(&str) -> Vec<String>,
    p: &mut Problems,
) -> FormTexts {
    let mut out = FormTexts::default();
    for (key, v) in [
        ("title", &raw.title),
        ("intro", &raw.intro),
        ("submit", &raw.submit),
        ("success_title", &raw.success_title),
        ("success", &raw.success),
    ] {
        if let Some(v) = v {
            out.ui.insert(key.to_string(), text(v, &at.key(key), p));
        }
    }
    for (section, map, target) in [("labels", &raw.labels, &mut out.labels), ("help", &raw.help, &mut out.help)] {
        for (field, v) in map {
            if !offered.contains(field.as_str()) {
                p.add(&at.key(section).key(field), "names no field this form shows");
            }
            // An empty help text removes the built-in one.
            let v = if section == "help" && v.is_empty() { String::new() } else { text(v, &at.key(section).key(field), p) };
            target.insert(field.clone(), v);
        }
    }
    for (key, v) in &raw.options {
        let known = key.split_once('.').is_some_and(|(field, value)| choices(field).iter().any(|c| c == value));
        if !known {
            p.add(&at.key("options").key(key), "must be `field.value` for a choice this form offers (service_line.med_spa)");
        }
        out.options.insert(key.clone(), text(v, &at.key("options").key(key), p));
    }
    out
}

/// Validates the forms, each problem named with its key.
pub(super) fn validate_forms(raw: &[RawForm], ctx: &FormContext, p: &mut Problems) -> BTreeMap<String, FormSpec> {
    let mut out = BTreeMap::new();
    for (i, f) in raw.iter().enumerate() {
        let at = KeyPath::root().key("forms").index(i);
        if !slug_ok(&f.id) {
            p.add(&at.key("id"), "must be a slug of lower-case letters, digits, - and _");
        }
        if out.contains_key(&f.id) {
            p.add(&at.key("id"), "repeats a form listed earlier");
        }
        let mut languages = Vec::new();
        for (j, l) in f.languages.iter().enumerate() {
            match Language::parse(l).filter(|x| x.as_str() == l.trim()) {
                Some(x) if !languages.contains(&x) => languages.push(x),
                Some(_) => p.add(&at.key("languages").index(j), "is listed twice"),
                None => p.add(&at.key("languages").index(j), "must be a language with built-in texts: en, es"),
            }
        }
        if languages.is_empty() {
            languages.push(Language::En);
        }
        let service_lines: Vec<ServiceLineId> = if f.service_lines.is_empty() {
            ctx.service_lines.iter().cloned().collect()
        } else {
            super::lists::parse_each(
                &f.service_lines,
                &at.key("service_lines"),
                "names no configured service line",
                |s| ServiceLineId::parse(s).filter(|id| ctx.service_lines.contains(id)),
                p,
            )
        };
        let mut fields = Vec::new();
        for (j, name) in f.fields.iter().enumerate() {
            match field_spec(name) {
                Some(spec) if fields.contains(&spec.name) => p.add(&at.key("fields").index(j), "is listed twice"),
                Some(spec) => fields.push(spec.name),
                None => p.add(
                    &at.key("fields").index(j),
                    format!("is not a form field (one of: {})", FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")),
                ),
            }
        }
        if service_lines.len() > 1 && !fields.contains(&"service_line") {
            // Several lines offered: the person chooses; the field goes first.
            fields.insert(0, "service_line");
        }
        if service_lines.len() <= 1 {
            fields.retain(|f| *f != "service_line");
        }
        if !fields.iter().any(|f| matches!(*f, "phone" | "email")) {
            p.add(&at.key("fields"), "must show phone or email (one of them is needed to answer)");
        }
        let mut required = BTreeSet::new();
        for (j, name) in f.required.iter().enumerate() {
            match fields.iter().find(|f| **f == name.as_str()) {
                Some(f) => {
                    required.insert(*f);
                }
                None => p.add(&at.key("required").index(j), "names no field this form shows"),
            }
        }
        if fields.contains(&"service_line") {
            required.insert("service_line");
        }
        let channels: Vec<ContactChannel> =
            super::lists::parse_each(&f.consent, &at.key("consent"), "must be one of sms, call, email", ContactChannel::parse, p);
        for (j, v) in f.consent_versions.iter().enumerate() {
            if !ctx.consent_texts.iter().any(|t| &t.version == v) {
                p.add(&at.key("consent_versions").index(j), "names no configured consent text");
            }
        }
        let mut consent = BTreeMap::new();
        for &language in &languages {
            let mut boxes = Vec::new();
            for &channel in &channels {
                let covers = |t: &&ConsentText| t.language == language && t.channels.contains(&channel);
                let found = if f.consent_versions.is_empty() {
                    ctx.consent_texts.iter().rev().find(covers)
                } else {
                    ctx.consent_texts.iter().filter(|t| f.consent_versions.contains(&t.version)).find(covers)
                };
                match found {
                    Some(t) => boxes.push(FormConsent { channel, version: t.version.clone() }),
                    None => p.add(
                        &at.key("consent"),
                        format!(
                            "no consent text covers {} in {} (add a [[consent_texts]] entry with language = \"{}\")",
                            channel.as_str(),
                            language.as_str(),
                            language.as_str()
                        ),
                    ),
                }
            }
            consent.insert(language, boxes);
        }
        let facilities = match &f.facilities {
            None => ctx.facilities.iter().map(|x| x.id.clone()).collect(),
            Some(list) => super::lists::parse_each(
                list,
                &at.key("facilities"),
                "names no configured facility",
                |s| ctx.facilities.iter().find(|x| x.id == s).map(|x| x.id.clone()),
                p,
            ),
        };
        if fields.contains(&"preferred_facility") && facilities.is_empty() {
            p.add(&at.key("fields"), "shows preferred_facility but no facility is configured");
        }
        if let Some(r) = &f.redirect_to {
            let ok = ctx.redirect_origins.iter().any(|o| r == o || r.strip_prefix(o.as_str()).is_some_and(|rest| rest.starts_with('/')));
            if !ok {
                p.add(&at.key("redirect_to"), "must be a page under one of intake.redirect_origins");
            }
        }
        let mut extras = BTreeMap::new();
        for (name, label) in &f.extras {
            let known = crate::domain::intake_form::KNOWN_FIELDS.contains(&name.as_str());
            if known || crate::domain::intake_form::refused_extra(name).is_some() {
                p.add(&at.key("extras").key(name), "must be a field intake does not know (lower-case snake_case, not a refused name)");
            }
            extras.insert(name.clone(), text(label, &at.key("extras").key(name), p));
        }
        let offered: BTreeSet<&'static str> = fields.iter().copied().collect();
        let lines: Vec<String> = service_lines.iter().map(|l| l.as_str().to_string()).collect();
        let choices = |field: &str| -> Vec<String> {
            match field {
                "service_line" => lines.clone(),
                "preferred_facility" => facilities.clone(),
                other => field_spec(other).map(|s| s.options.iter().map(|(v, _)| v.to_string()).collect()).unwrap_or_default(),
            }
        };
        let mut form_texts = BTreeMap::new();
        for (tag, t) in &f.texts {
            match Language::parse(tag).filter(|l| l.as_str() == tag && languages.contains(l)) {
                Some(l) => {
                    form_texts.insert(l, texts(t, &at.key("texts").key(tag), &offered, &choices, p));
                }
                None => p.add(&at.key("texts").key(tag), "is not one of this form's languages"),
            }
        }
        out.insert(
            f.id.clone(),
            FormSpec {
                id: f.id.clone(),
                languages,
                service_lines,
                fields,
                required,
                consent,
                facilities,
                redirect_to: f.redirect_to.clone(),
                extras,
                texts: form_texts,
            },
        );
    }
    out
}

/// Validates `[web_analytics]`.
pub(super) fn validate_web_analytics(raw: &RawWebAnalytics, p: &mut Problems) -> WebAnalytics {
    let at = KeyPath::root().key("web_analytics");
    for (i, page) in raw.pages.iter().enumerate() {
        let body = page.strip_suffix('*').unwrap_or(page);
        let ok = body.starts_with('/') && !body.contains(['?', '#', '*', ' ']) && page.len() <= 200;
        if !ok {
            p.add(&at.key("pages").index(i), "must be a path such as /pricing, or a prefix such as /locations/*");
        }
    }
    let mut events = BTreeMap::new();
    for (name, kind) in &raw.events {
        if !slug_ok(name) {
            p.add(&at.key("events").key(name), "event names are slugs of lower-case letters, digits, - and _");
        }
        match serde_json::from_value::<TouchpointKind>(serde_json::Value::String(kind.clone())).ok().filter(|k| EVENT_KINDS.contains(k)) {
            Some(k) => {
                events.insert(name.clone(), k);
            }
            None => p.add(&at.key("events").key(name), "must be one of page_view, download, chat, appointment_request, other"),
        }
    }
    let keep_days = raw.keep_days.unwrap_or(90);
    if !(1..=400).contains(&keep_days) {
        p.add(&at.key("keep_days"), "must be between 1 and 400");
    }
    WebAnalytics { enabled: raw.enabled, pages: raw.pages.clone(), events, keep_days, per_ip: limit(&raw.per_ip, &at.key("per_ip"), p) }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, DEFAULT_CONFIG};

    fn problems(text: &str) -> Vec<String> {
        Config::from_toml(text, "t").unwrap_err().problems.iter().map(|p| p.to_string()).collect()
    }

    fn line_of(needle: &str) -> usize {
        DEFAULT_CONFIG.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn the_shipped_forms_load() {
        let c = Config::embedded_default().unwrap();
        let inquiry = &c.forms["inquiry"];
        assert_eq!(inquiry.fields[0], "service_line", "three lines offered: the person chooses");
        assert!(inquiry.required.contains("service_line") && inquiry.required.contains("phone"));
        assert_eq!(c.forms["recovery"].fixed_service_line().unwrap().as_str(), "addiction_treatment");
        assert_eq!(c.web_analytics.recorded_page("/locations/hoboken"), Some("/locations/hoboken"));
        assert_eq!(c.web_analytics.recorded_page("/services/recovery"), None);
    }

    #[test]
    fn form_mistakes_are_named_with_key_and_line() {
        let text = DEFAULT_CONFIG
            .replace(
                r#"fields = ["first_name", "last_name", "phone", "email", "preferred_facility", "insurance_status", "message"]"#,
                r#"fields = ["first_name", "last_name", "phone", "email", "favourite_color"]"#,
            )
            .replace(r#"required = ["first_name", "phone"]"#, r#"required = ["first_name", "message"]"#)
            .replace(r#"redirect_to = "https://www.harborhealth.example/thank-you""#, r#"redirect_to = "https://elsewhere.example/thanks""#)
            .replace(r#""service_line.wound_care" = "Cuidado de heridas""#, r#""service_line.dentistry" = "Odontología""#);
        let got = problems(&text);
        let fields = line_of("\"insurance_status\", \"message\"]");
        let expect = [
            format!("line {fields}, column 56: `forms[0].fields[4]`: is not a form field"),
            format!("line {}, column 27: `forms[0].required[1]`: names no field this form shows", fields + 1),
            "`forms[0].redirect_to`: must be a page under one of intake.redirect_origins".to_string(),
            "`forms[0].texts.es.options.service_line.dentistry`: must be `field.value`".to_string(),
        ];
        for e in expect {
            assert!(got.iter().any(|g| g.contains(&e)), "missing {e:?} in {got:#?}");
        }
    }

    #[test]
    fn every_language_needs_a_consent_text_for_every_box() {
        let text = DEFAULT_CONFIG.replace(r#"consent = ["sms"]"#, r#"consent = ["sms", "email"]"#);
        let got = problems(&text);
        assert!(got.iter().any(|g| g.contains("`forms[1].consent`: no consent text covers email in en")), "{got:?}");
        let text = DEFAULT_CONFIG.replace(r#"languages = ["en"]"#, r#"languages = ["en", "fr"]"#);
        assert!(problems(&text).iter().any(|g| g.contains("`forms[1].languages[1]`: must be a language with built-in texts")));
    }

    #[test]
    fn beacon_settings_are_checked() {
        let text = DEFAULT_CONFIG
            .replace(r#"pages = ["/", "/pricing""#, r#"pages = ["pricing", "/pricing""#)
            .replace(r#"chat_opened = "chat""#, r#"chat_opened = "email_open""#);
        let got = problems(&text);
        assert!(got.iter().any(|g| g.contains("`web_analytics.pages[0]`: must be a path")), "{got:?}");
        assert!(got.iter().any(|g| g.contains("`web_analytics.events.chat_opened`: must be one of")), "{got:?}");
    }
}
