//! The embeddable inquiry form: which fields a form shows and requires, which service lines
//! and facilities it offers, which consent texts sit next to its boxes, and its texts in each
//! language. A [`FormSpec`] is validated configuration (`[[forms]]`); intake checks a
//! submission that names its form against it, so the page and the server agree on what is
//! required. The public definition is assembled in `app::webform`, the no-JavaScript page in
//! `render::form_page`.

pub mod catalog;

pub use catalog::{field_spec, FieldKind, FieldSpec, Language, FIELDS};

use super::{ContactChannel, ServiceLineId};
use std::collections::{BTreeMap, BTreeSet};

/// A form's texts in one language, overriding the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormTexts {
    /// Interface texts by key (`title`, `intro`, `submit`, `success_title`, `success`).
    pub ui: BTreeMap<String, String>,
    /// Field labels by field name.
    pub labels: BTreeMap<String, String>,
    /// Help texts by field name.
    pub help: BTreeMap<String, String>,
    /// Choice labels by `field.value` (`service_line.med_spa`, `preferred_facility.hoboken`).
    pub options: BTreeMap<String, String>,
}

/// The consent text a form shows next to one channel's box in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormConsent {
    pub channel: ContactChannel,
    pub version: String,
}

/// A configured form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSpec {
    /// A slug (`inquiry`): `GET /forms/{id}`.
    pub id: String,
    /// The languages it is offered in; the first is the default.
    pub languages: Vec<Language>,
    /// The service lines it offers; with one, the line is fixed and not asked.
    pub service_lines: Vec<ServiceLineId>,
    /// The fields it shows, in order (names from [`catalog::FIELDS`]).
    pub fields: Vec<&'static str>,
    /// The shown fields a person must fill in.
    pub required: BTreeSet<&'static str>,
    /// The consent boxes per language, in order.
    pub consent: BTreeMap<Language, Vec<FormConsent>>,
    /// The facilities its picker offers (ids), when it shows `preferred_facility`.
    pub facilities: Vec<String>,
    /// Where the no-JavaScript form goes after a successful post.
    pub redirect_to: Option<String>,
    /// Labels of the site's own fields (kept with the inquiry as labelled extras).
    pub extras: BTreeMap<String, String>,
    pub texts: BTreeMap<Language, FormTexts>,
}

impl FormSpec {
    pub fn default_language(&self) -> Language {
        self.languages.first().copied().unwrap_or(Language::En)
    }

    /// `requested` if the form is offered in it, else the form's default.
    pub fn language(&self, requested: Option<&str>) -> Language {
        requested.and_then(Language::parse).filter(|l| self.languages.contains(l)).unwrap_or_else(|| self.default_language())
    }

    /// The fixed service line of a single-line form.
    pub fn fixed_service_line(&self) -> Option<&ServiceLineId> {
        match self.service_lines.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Whether the form asks which service line (several offered).
    pub fn asks_service_line(&self) -> bool {
        self.service_lines.len() > 1
    }

    fn texts(&self, language: Language) -> Option<&FormTexts> {
        self.texts.get(&language)
    }

    /// An interface text: the form's own, else the built-in one.
    pub fn ui(&self, language: Language, key: &str) -> String {
        self.texts(language).and_then(|t| t.ui.get(key)).cloned().unwrap_or_else(|| catalog::ui(language, key).to_string())
    }

    /// A field's label.
    pub fn label(&self, language: Language, field: &str) -> String {
        match self.texts(language).and_then(|t| t.labels.get(field)) {
            Some(l) => l.clone(),
            None => field_spec(field).map_or_else(|| humanize(field), |f| language.pick(f.label).to_string()),
        }
    }

    /// A field's help text, if any.
    pub fn help(&self, language: Language, field: &str) -> Option<String> {
        match self.texts(language).and_then(|t| t.help.get(field)) {
            Some(h) if h.is_empty() => None,
            Some(h) => Some(h.clone()),
            None => field_spec(field).and_then(|f| f.help).map(|h| language.pick(h).to_string()),
        }
    }

    /// A choice's label: the form's own for `field.value`, else `fallback`.
    pub fn option(&self, language: Language, field: &str, value: &str, fallback: &str) -> String {
        self.texts(language).and_then(|t| t.options.get(&format!("{field}.{value}"))).cloned().unwrap_or_else(|| fallback.to_string())
    }

    /// The label an extra field of the site is kept with: the configured one, else its name in
    /// words (`how_did_you_hear` is "How did you hear").
    pub fn extra_label(&self, name: &str) -> String {
        self.extras.get(name).cloned().unwrap_or_else(|| humanize(name))
    }
}

/// `how_did_you_hear` as "How did you hear".
pub fn humanize(name: &str) -> String {
    let words = name.split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FormSpec {
        let mut es = FormTexts::default();
        es.labels.insert("message".into(), "Cuéntenos".into());
        es.options.insert("service_line.med_spa".into(), "Medicina estética".into());
        FormSpec {
            id: "inquiry".into(),
            languages: vec![Language::En, Language::Es],
            service_lines: vec![ServiceLineId::parse("med_spa").unwrap()],
            fields: vec!["first_name", "phone", "message"],
            required: ["phone"].into_iter().collect(),
            consent: BTreeMap::new(),
            facilities: vec![],
            redirect_to: None,
            extras: [("how_heard".to_string(), "How did you hear about us?".to_string())].into_iter().collect(),
            texts: [(Language::Es, es)].into_iter().collect(),
        }
    }

    #[test]
    fn texts_fall_back_from_the_form_to_the_catalog() {
        let s = spec();
        assert_eq!(s.label(Language::Es, "message"), "Cuéntenos");
        assert_eq!(s.label(Language::En, "message"), "How can we help?");
        assert_eq!(s.label(Language::Es, "first_name"), "Nombre");
        assert_eq!(s.option(Language::Es, "service_line", "med_spa", "Med spa"), "Medicina estética");
        assert_eq!(s.option(Language::En, "service_line", "med_spa", "Med spa"), "Med spa");
        assert_eq!(s.language(Some("es-US")), Language::Es);
        assert_eq!(s.language(Some("fr")), Language::En);
        assert_eq!(s.fixed_service_line().unwrap().as_str(), "med_spa");
        assert_eq!(s.extra_label("how_heard"), "How did you hear about us?");
        assert_eq!(s.extra_label("referral_code"), "Referral code");
    }
}
