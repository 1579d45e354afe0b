//! The embeddable form's server side: the public definition of a configured form in one
//! language (what the page script and the no-JavaScript page render), the signed start token
//! that proves when the form was shown, and intake's refusals in the form's language.

use crate::config::Config;
use crate::crypto::{LinkSigner, LinkTokenError, Purpose};
use crate::domain::intake_form::FieldError;
use crate::domain::webform::catalog::{self, consent_label};
use crate::domain::webform::{field_spec, FieldKind, FormSpec, Language};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a start token is for: it verifies for nothing else.
pub const FORM_START: Purpose = Purpose("form_start");

/// A start token for `form` issued at `at`, valid for `max_age_hours`. Its subject is the form
/// and the issue time (no personal data); the signature makes both unforgeable.
pub fn start_token(links: &LinkSigner, form: &str, at: DateTime<Utc>, max_age_hours: u32) -> Result<String, LinkTokenError> {
    links.sign(FORM_START, &format!("{form}:{}", at.timestamp_millis()), at + Duration::hours(i64::from(max_age_hours.max(1))))
}

/// When the form of `token` was shown, if the token is ours and has not expired.
pub fn verify_start(links: &LinkSigner, token: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, LinkTokenError> {
    let subject = links.verify(FORM_START, token, now)?;
    subject
        .rsplit_once(':')
        .and_then(|(_, ms)| ms.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
        .ok_or(LinkTokenError::Malformed)
}

/// The answer to `GET /forms/{id}/start`.
#[derive(Debug, Clone, Serialize)]
pub struct StartAnswer {
    /// The field the token goes in.
    pub field: String,
    pub token: String,
    pub min_fill_seconds: u32,
}

/// A start token for `form` now, with the field it travels in; `None` when the configuration
/// names no start field.
pub fn start(config: &Config, links: &LinkSigner, form: &FormSpec, now: DateTime<Utc>) -> Result<Option<StartAnswer>, LinkTokenError> {
    let spam = &config.data_quality.spam;
    let Some(field) = &spam.start_field else { return Ok(None) };
    let token = start_token(links, &form.id, now, spam.max_form_age_hours)?;
    Ok(Some(StartAnswer { field: field.clone(), token, min_fill_seconds: spam.min_fill_seconds }))
}

/// One choice of a select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One field as the page renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinedField {
    pub name: String,
    pub kind: FieldKind,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<&'static str>,
    pub max_length: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
}

/// One consent box: the channel, its label, and the exact text shown next to it with the
/// version and hash recorded when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinedConsent {
    pub channel: &'static str,
    /// The checkbox's field (`consent_sms`) and the field its version goes in.
    pub field: String,
    pub version_field: String,
    pub label: String,
    pub text: String,
    pub version: String,
    pub sha256: String,
}

/// Screening the page takes part in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinedScreening {
    /// The field hidden from people; bots fill it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honeypot: Option<String>,
    /// The field the start token goes in (fetched from `GET /forms/{id}/start`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_field: Option<String>,
}

/// The site snippet's beacons as the server takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinedAnalytics {
    pub enabled: bool,
    pub events: Vec<String>,
}

/// A form's public definition in one language (`GET /forms/{id}?lang=`): everything the page
/// renders, and nothing about any lead. Cacheable: it changes only with the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Definition {
    pub form: String,
    pub language: &'static str,
    pub languages: Vec<&'static str>,
    /// Interface texts (`title`, `intro`, `submit`, `success`, error texts, ...).
    pub texts: BTreeMap<String, String>,
    pub fields: Vec<DefinedField>,
    /// Fields sent as they are (the form id and language, a fixed service line).
    pub hidden: BTreeMap<String, String>,
    pub consent: Vec<DefinedConsent>,
    pub screening: DefinedScreening,
    /// The message for each refusal code, in this language.
    pub messages: BTreeMap<&'static str, &'static str>,
    pub analytics: DefinedAnalytics,
}

/// The definition of `form` in `language` (which must be one of the form's).
pub fn definition(config: &Config, form: &FormSpec, language: Language) -> Definition {
    let mut texts: BTreeMap<String, String> = catalog::UI.iter().map(|(k, _)| (k.to_string(), form.ui(language, k))).collect();
    // The introduction has no built-in text: only a form's own.
    if let Some(intro) = form.texts.get(&language).and_then(|t| t.ui.get("intro")) {
        texts.insert("intro".into(), intro.clone());
    }
    let fields = form
        .fields
        .iter()
        .filter_map(|name| field_spec(name))
        .map(|spec| {
            let options = match spec.name {
                "service_line" => form
                    .service_lines
                    .iter()
                    .map(|id| {
                        let name = config.service_line(id).map_or(id.as_str(), |l| l.name.as_str());
                        Choice { value: id.as_str().to_string(), label: form.option(language, "service_line", id.as_str(), name) }
                    })
                    .collect(),
                "preferred_facility" => form
                    .facilities
                    .iter()
                    .map(|id| {
                        let name = config.team.facilities.iter().find(|f| &f.id == id).map_or(id.as_str(), |f| f.name.as_str());
                        Choice { value: id.clone(), label: form.option(language, "preferred_facility", id, name) }
                    })
                    .collect(),
                _ => spec
                    .options
                    .iter()
                    .map(|(v, t)| Choice { value: v.to_string(), label: form.option(language, spec.name, v, language.pick(*t)) })
                    .collect(),
            };
            DefinedField {
                name: spec.name.to_string(),
                kind: spec.kind,
                label: form.label(language, spec.name),
                help: form.help(language, spec.name),
                required: form.required.contains(spec.name),
                autocomplete: spec.autocomplete,
                max_length: spec.max_len,
                options,
            }
        })
        .collect();
    let mut hidden =
        BTreeMap::from([("form_id".to_string(), form.id.clone()), ("form_language".to_string(), language.as_str().to_string())]);
    if let Some(line) = form.fixed_service_line() {
        hidden.insert("service_line".into(), line.as_str().to_string());
    }
    let consent = form
        .consent
        .get(&language)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let text = config.consent_text_of(&c.version)?;
            Some(DefinedConsent {
                channel: c.channel.as_str(),
                field: format!("consent_{}", c.channel.as_str()),
                version_field: format!("consent_{}_version", c.channel.as_str()),
                label: language.pick(consent_label(c.channel)).to_string(),
                text: text.text.clone(),
                version: text.version.clone(),
                sha256: text.sha256.clone(),
            })
        })
        .collect();
    let spam = &config.data_quality.spam;
    Definition {
        form: form.id.clone(),
        language: language.as_str(),
        languages: form.languages.iter().map(|l| l.as_str()).collect(),
        texts,
        fields,
        hidden,
        consent,
        screening: DefinedScreening { honeypot: spam.honeypot_field.clone(), start_field: spam.start_field.clone() },
        messages: catalog::messages(language).collect(),
        analytics: DefinedAnalytics {
            enabled: config.web_analytics.enabled,
            events: config.web_analytics.events.keys().cloned().collect(),
        },
    }
}

/// Intake's refusals in the form's language: each message replaced by the form's own words for
/// its code (field names and codes stay; an unknown code keeps the server's message). A
/// required phone on a form that asks for it is "required", not "phone or email".
pub fn localize(errors: &mut [FieldError], form: Option<&FormSpec>, language: Language) {
    for e in errors {
        let phone_required = e.field == "phone" && form.is_some_and(|f| f.required.contains("phone"));
        let field = if phone_required { "(field)" } else { e.field.as_str() };
        if let Some(m) = catalog::message(language, field, e.code) {
            e.message = m.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config() -> Config {
        Config::embedded_default().unwrap()
    }

    #[test]
    fn the_shipped_inquiry_form_in_spanish() {
        let c = config();
        let form = c.forms.get("inquiry").unwrap();
        let d = definition(&c, form, Language::Es);
        assert_eq!(d.texts["submit"], "Enviar solicitud");
        assert_eq!(d.texts["title"], "Solicite que le llamemos");
        let names: Vec<&str> = d.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names[0], "service_line", "several lines: the person chooses, first");
        let line = &d.fields[0];
        assert!(line.required);
        assert!(line.options.iter().any(|o| o.value == "med_spa" && o.label == "Medicina estética"));
        let facility = d.fields.iter().find(|f| f.name == "preferred_facility").unwrap();
        assert_eq!(facility.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), vec!["hoboken", "manhattan"]);
        assert_eq!(
            d.consent.iter().map(|c| (c.channel, c.version.as_str())).collect::<Vec<_>>(),
            vec![("sms", "2026-03-sms-es"), ("email", "2026-03-email-es")]
        );
        assert!(d.consent[0].text.starts_with("Acepto"));
        assert_eq!(d.consent[0].sha256.len(), 64);
        assert_eq!(d.hidden["form_language"], "es");
        assert_eq!(d.messages["required"], "Este campo es obligatorio.");
        // A one-line form: the line is sent hidden, never asked.
        let recovery = definition(&c, c.forms.get("recovery").unwrap(), Language::En);
        assert_eq!(recovery.hidden["service_line"], "addiction_treatment");
        assert!(recovery.fields.iter().all(|f| f.name != "service_line"));
    }

    #[test]
    fn start_tokens_carry_the_issue_time_under_our_key() {
        let links = LinkSigner::random();
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap();
        let token = start_token(&links, "inquiry", at, 24).unwrap();
        assert_eq!(verify_start(&links, &token, at + Duration::minutes(3)).unwrap(), at);
        assert_eq!(verify_start(&links, &token, at + Duration::hours(24)), Err(LinkTokenError::Expired));
        assert_eq!(verify_start(&LinkSigner::random(), &token, at), Err(LinkTokenError::BadSignature));
        let other_purpose = links.sign(Purpose("unsubscribe"), "inquiry:1", at + Duration::hours(1)).unwrap();
        assert_eq!(verify_start(&links, &other_purpose, at), Err(LinkTokenError::BadSignature));
    }

    #[test]
    fn refusals_are_localized_by_code() {
        let c = config();
        let form = c.forms.get("inquiry").unwrap();
        let mut errors = vec![
            FieldError::new("email", "invalid_email", "email is not valid"),
            FieldError::new("phone", "required", "give a phone number or an email address"),
            FieldError::new("weird", "some_new_code", "kept as is"),
        ];
        localize(&mut errors, Some(form), Language::Es);
        assert_eq!(errors[0].message, "Escriba un correo válido, como nombre@ejemplo.com.");
        assert_eq!(errors[1].message, "Este campo es obligatorio.");
        assert_eq!(errors[2].message, "kept as is");
        let mut without_form = vec![FieldError::new("phone", "required", "x")];
        localize(&mut without_form, None, Language::En);
        assert_eq!(without_form[0].message, "Give a phone number or an email address.");
    }
}
