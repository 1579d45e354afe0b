//! The form as a plain HTML page, for visitors without JavaScript: the same fields, texts,
//! consent boxes and classes as the embedded form, posting to `POST /leads` and coming back
//! with `redirect_to`. Intake answers a refused post with this page again, the person's
//! values kept and each problem next to its field. Everything interpolated is escaped; the
//! page runs no script and allows only its own stylesheet (by hash).

use crate::app::webform::{DefinedField, Definition};
use crate::domain::intake_form::FieldError;
use crate::domain::webform::FieldKind;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The form's stylesheet (also inside the page script).
pub const CSS: &str = include_str!("../../assets/form.css");

/// Text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of the page: nothing but its own stylesheet (by hash), posts to
/// leadflow and the pages it redirects to, framed only by the configured sites.
pub fn content_security_policy(frame_ancestors: &[String], redirect_origins: &[String]) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    let ancestors = if frame_ancestors.is_empty() { "'none'".to_string() } else { frame_ancestors.join(" ") };
    let mut actions = vec!["'self'".to_string()];
    actions.extend(redirect_origins.iter().cloned());
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action {}; frame-ancestors {ancestors}; base-uri 'none'",
        actions.join(" ")
    )
}

/// What the page shows besides the definition.
#[derive(Debug, Clone, Default)]
pub struct PageState<'a> {
    /// Where the form posts (relative to the page: `../../leads`, or `leads` from `/leads`).
    pub action: &'a str,
    /// Values to fill in again after a refusal.
    pub values: BTreeMap<String, String>,
    pub errors: &'a [FieldError],
    /// A problem with the whole submission (too many requests, unavailable).
    pub notice: Option<String>,
    pub start_token: Option<&'a str>,
    pub redirect_to: Option<&'a str>,
    /// The page the form was shown on (the consent evidence's page).
    pub page_url: Option<&'a str>,
}

fn head(out: &mut String, def: &Definition, title: &str) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body class=\"lf-page\"><main>",
        def.language,
        escape(title)
    );
}

fn hidden(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value));
}

fn field(out: &mut String, def: &Definition, f: &DefinedField, value: Option<&str>, error: Option<&FieldError>) {
    let id = format!("lf-f-{}", f.name);
    let mut described = Vec::new();
    let _ = write!(out, "<div class=\"lf-field{}\">", if error.is_some() { " lf-invalid" } else { "" });
    let _ = write!(out, "<label for=\"{id}\">{}", escape(&f.label));
    if f.required {
        let _ = write!(out, " <span class=\"lf-req\">({})</span>", escape(&def.texts["required"]));
    }
    out.push_str("</label>");
    if let Some(h) = &f.help {
        let _ = write!(out, "<p class=\"lf-help\" id=\"{id}-help\">{}</p>", escape(h));
        described.push(format!("{id}-help"));
    }
    if error.is_some() {
        described.push(format!("{id}-error"));
    }
    let mut attrs = format!("id=\"{id}\" name=\"{}\"", escape(&f.name));
    if f.required {
        attrs.push_str(" required aria-required=\"true\"");
    }
    if error.is_some() {
        attrs.push_str(" aria-invalid=\"true\"");
    }
    if !described.is_empty() {
        let _ = write!(attrs, " aria-describedby=\"{}\"", described.join(" "));
    }
    if let Some(a) = f.autocomplete {
        let _ = write!(attrs, " autocomplete=\"{a}\"");
    }
    let value = value.unwrap_or_default();
    match f.kind {
        FieldKind::Select => {
            let _ = write!(out, "<select {attrs}><option value=\"\">{}</option>", escape(&def.texts["choose"]));
            for o in &f.options {
                let selected = if o.value == value { " selected" } else { "" };
                let _ = write!(out, "<option value=\"{}\"{selected}>{}</option>", escape(&o.value), escape(&o.label));
            }
            out.push_str("</select>");
        }
        FieldKind::Textarea => {
            let _ = write!(out, "<textarea {attrs} maxlength=\"{}\" rows=\"4\">{}</textarea>", f.max_length, escape(value));
        }
        kind => {
            let (ty, mode) = match kind {
                FieldKind::Tel => ("tel", None),
                FieldKind::Email => ("email", None),
                FieldKind::Date => ("date", None),
                FieldKind::Amount => ("text", Some("decimal")),
                _ => ("text", None),
            };
            if let Some(m) = mode {
                let _ = write!(attrs, " inputmode=\"{m}\"");
            }
            let _ = write!(out, "<input type=\"{ty}\" {attrs} maxlength=\"{}\" value=\"{}\">", f.max_length, escape(value));
        }
    }
    if let Some(e) = error {
        let _ = write!(out, "<p class=\"lf-error\" id=\"{id}-error\">{}</p>", escape(&e.message));
    }
    out.push_str("</div>");
}

/// The form page.
pub fn page(def: &Definition, state: &PageState) -> String {
    let title = &def.texts["title"];
    let mut out = String::new();
    head(&mut out, def, title);
    let _ = write!(
        out,
        "<form class=\"lf-form\" method=\"post\" action=\"{}\" target=\"_top\" aria-labelledby=\"lf-title\"><h1 id=\"lf-title\">{}</h1>",
        escape(state.action),
        escape(title)
    );
    if let Some(intro) = def.texts.get("intro") {
        let _ = write!(out, "<p class=\"lf-intro\">{}</p>", escape(intro));
    }
    let shown = |name: &str| def.fields.iter().any(|f| f.name == name) || def.consent.iter().any(|c| c.field == name);
    if !state.errors.is_empty() || state.notice.is_some() {
        out.push_str("<div class=\"lf-summary\" role=\"alert\"><p>");
        out.push_str(&escape(state.notice.as_deref().unwrap_or(&def.texts["error_summary"])));
        out.push_str("</p>");
        if !state.errors.is_empty() {
            out.push_str("<ul>");
            for e in state.errors {
                let label = def.fields.iter().find(|f| f.name == e.field).map(|f| f.label.as_str());
                match label {
                    Some(l) if shown(&e.field) => {
                        let _ = write!(out, "<li><a href=\"#lf-f-{}\">{}: {}</a></li>", escape(&e.field), escape(l), escape(&e.message));
                    }
                    _ => {
                        let _ = write!(out, "<li>{}</li>", escape(&e.message));
                    }
                }
            }
            out.push_str("</ul>");
        }
        out.push_str("</div>");
    }
    for (name, value) in &def.hidden {
        hidden(&mut out, name, value);
    }
    hidden(&mut out, "reply_as", "html");
    if let Some(r) = state.redirect_to {
        hidden(&mut out, "redirect_to", r);
    }
    if let Some(p) = state.page_url {
        hidden(&mut out, "page_url", p);
    }
    if let (Some(field), Some(token)) = (&def.screening.start_field, state.start_token) {
        hidden(&mut out, field, token);
    }
    for f in &def.fields {
        let error = state.errors.iter().find(|e| e.field == f.name);
        field(&mut out, def, f, state.values.get(&f.name).map(String::as_str), error);
    }
    if !def.consent.is_empty() {
        let _ = write!(
            out,
            "<fieldset class=\"lf-consent\" aria-describedby=\"lf-consent-help\"><legend>{}</legend><p class=\"lf-help\" id=\"lf-consent-help\">{}</p>",
            escape(&def.texts["consent_legend"]),
            escape(&def.texts["consent_help"])
        );
        for c in &def.consent {
            let id = format!("lf-c-{}", c.channel);
            let checked = state.values.get(&c.field).is_some_and(|v| matches!(v.as_str(), "true" | "on" | "yes" | "1"));
            let _ = write!(
                out,
                "<div class=\"lf-check\"><input type=\"checkbox\" id=\"{id}\" name=\"{}\" value=\"true\"{} aria-describedby=\"{id}-text\"><label for=\"{id}\">{}</label><p class=\"lf-consent-text\" id=\"{id}-text\">{}</p></div>",
                escape(&c.field),
                if checked { " checked" } else { "" },
                escape(&c.label),
                escape(&c.text)
            );
            hidden(&mut out, &c.version_field, &c.version);
        }
        out.push_str("</fieldset>");
    }
    if let Some(hp) = &def.screening.honeypot {
        let _ = write!(
            out,
            "<div class=\"lf-hp\" aria-hidden=\"true\"><label for=\"lf-hp\">{}</label><input type=\"text\" id=\"lf-hp\" name=\"{}\" tabindex=\"-1\" autocomplete=\"off\"></div>",
            escape(&def.texts["honeypot"]),
            escape(hp)
        );
    }
    let _ =
        write!(out, "<button type=\"submit\" class=\"lf-submit\">{}</button></form></main></body></html>", escape(&def.texts["submit"]));
    out
}

/// The page after a successful post that asked for no redirect.
pub fn thanks(def: &Definition, back: Option<&str>) -> String {
    let mut out = String::new();
    head(&mut out, def, &def.texts["success_title"]);
    let _ = write!(
        out,
        "<div class=\"lf-form\"><div class=\"lf-success\" role=\"status\"><h1>{}</h1><p>{}</p></div>",
        escape(&def.texts["success_title"]),
        escape(&def.texts["success"])
    );
    if let Some(b) = back {
        let _ = write!(out, "<a class=\"lf-back\" href=\"{}\" target=\"_top\">{}</a>", escape(b), escape(&def.texts["back"]));
    }
    out.push_str("</div></main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::webform::Language;

    #[test]
    fn the_page_escapes_keeps_values_and_names_each_error_next_to_its_field() {
        let c = Config::embedded_default().unwrap();
        let def = crate::app::webform::definition(&c, c.forms.get("inquiry").unwrap(), Language::En);
        let errors = [FieldError::new("phone", "invalid_phone", "Enter a valid phone number with its area code.")];
        let values = BTreeMap::from([("first_name".to_string(), "<Ann>\"".to_string()), ("consent_sms".to_string(), "true".to_string())]);
        let state = PageState {
            action: "../../leads",
            values,
            errors: &errors,
            start_token: Some("v1.tok"),
            redirect_to: Some("https://www.harborhealth.example/thank-you"),
            ..Default::default()
        };
        let html = page(&def, &state);
        assert!(html.contains("value=\"&lt;Ann&gt;&quot;\""), "values are escaped");
        assert!(!html.contains("<Ann>"));
        assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"lf-f-phone-help lf-f-phone-error\""), "{html}");
        assert!(html.contains("<p class=\"lf-error\" id=\"lf-f-phone-error\">Enter a valid phone number"));
        assert!(html.contains("<a href=\"#lf-f-phone\">Mobile phone: Enter a valid phone number"));
        assert!(html.contains("name=\"consent_sms\" value=\"true\" checked"));
        assert!(html.contains("name=\"consent_email\" value=\"true\" aria-describedby"), "an untouched box stays unticked");
        assert!(html.contains("name=\"form_start\" value=\"v1.tok\""));
        assert!(html.contains("name=\"consent_sms_version\" value=\"2026-03-sms\""));
        assert!(!html.contains("<script"), "no script at all");
        let csp = content_security_policy(&["https://www.harborhealth.example".into()], &["https://www.harborhealth.example".into()]);
        assert!(csp.contains("style-src 'sha256-") && csp.contains("frame-ancestors https://www.harborhealth.example"), "{csp}");
    }
}
