//! What the embeddable form knows about each field a form may show, and its built-in texts in
//! every supported language: labels, help, choice labels, the interface's own words, and the
//! messages for each refusal code intake answers with. One table, so the page, the
//! no-JavaScript form and intake's localized 422 answers all say the same thing.

use crate::domain::string_enum::string_enum;
use serde::Serialize;

string_enum! {
    /// A language the form has built-in texts for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Language {
        En => "en",
        Es => "es",
    }
    // A language tag's primary subtag (`es-MX` is `es`).
    parse(s) => s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
}

impl Language {
    /// The text of `pair` in this language.
    pub fn pick(self, pair: Tr) -> &'static str {
        match self {
            Language::En => pair.0,
            Language::Es => pair.1,
        }
    }
}

/// A text in English and Spanish.
pub type Tr = (&'static str, &'static str);

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Tel,
    Email,
    Textarea,
    Select,
    Date,
    /// An amount (`inputmode=decimal`).
    Amount,
}

/// One field a form may show.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// The HTML `autocomplete` token, so browsers fill what the person saved.
    pub autocomplete: Option<&'static str>,
    /// Longest value intake accepts (the page refuses longer before sending).
    pub max_len: usize,
    pub label: Tr,
    pub help: Option<Tr>,
    /// Fixed choices (enumerations); service lines and facilities come from configuration.
    pub options: &'static [(&'static str, Tr)],
}

const fn field(name: &'static str, kind: FieldKind, autocomplete: Option<&'static str>, max_len: usize, label: Tr) -> FieldSpec {
    FieldSpec { name, kind, autocomplete, max_len, label, help: None, options: &[] }
}

/// Every field a form may show, in a sensible default order.
pub const FIELDS: &[FieldSpec] = &[
    field("first_name", FieldKind::Text, Some("given-name"), 100, ("First name", "Nombre")),
    field("last_name", FieldKind::Text, Some("family-name"), 100, ("Last name", "Apellido")),
    field("name", FieldKind::Text, Some("name"), 200, ("Full name", "Nombre completo")),
    FieldSpec {
        help: Some(("We may text or call you at this number.", "Podemos enviarle mensajes o llamarle a este número.")),
        ..field("phone", FieldKind::Tel, Some("tel"), 30, ("Mobile phone", "Teléfono móvil"))
    },
    field("email", FieldKind::Email, Some("email"), 254, ("Email", "Correo electrónico")),
    field("service_line", FieldKind::Select, None, 64, ("Service", "Servicio")),
    field("service_interest", FieldKind::Text, None, 200, ("Treatment or service of interest", "Tratamiento o servicio de interés")),
    FieldSpec {
        help: Some((
            "A few words are enough. Please do not include detailed medical history.",
            "Unas pocas palabras son suficientes. Por favor no incluya su historial médico detallado.",
        )),
        ..field("message", FieldKind::Textarea, None, 2000, ("How can we help?", "¿Cómo podemos ayudarle?"))
    },
    FieldSpec {
        options: &[
            ("insured", ("I have health insurance", "Tengo seguro médico")),
            ("medicare", ("Medicare", "Medicare")),
            ("medicaid", ("Medicaid", "Medicaid")),
            ("self_pay", ("I will pay myself", "Pagaré por mi cuenta")),
            ("unsure", ("Not sure", "No estoy seguro")),
        ],
        ..field("insurance_status", FieldKind::Select, None, 20, ("Insurance", "Seguro médico"))
    },
    field("insurance_carrier", FieldKind::Text, None, 100, ("Insurance company", "Compañía de seguro")),
    field("postal_code", FieldKind::Text, Some("postal-code"), 12, ("ZIP code", "Código postal")),
    field("city", FieldKind::Text, Some("address-level2"), 100, ("City", "Ciudad")),
    field("state", FieldKind::Text, Some("address-level1"), 3, ("State", "Estado")),
    field("preferred_facility", FieldKind::Select, None, 100, ("Location", "Ubicación")),
    FieldSpec {
        options: &[
            ("sms", ("Text message", "Mensaje de texto")),
            ("call", ("Phone call", "Llamada telefónica")),
            ("email", ("Email", "Correo electrónico")),
        ],
        ..field("preferred_channel", FieldKind::Select, None, 10, ("Best way to reach you", "La mejor forma de contactarle"))
    },
    field("preferred_times", FieldKind::Text, None, 200, ("Best time to reach you", "El mejor horario para contactarle")),
    FieldSpec {
        options: &[
            ("routine", ("Whenever is convenient", "Cuando sea conveniente")),
            ("soon", ("Soon", "Pronto")),
            ("urgent", ("As soon as possible", "Lo antes posible")),
        ],
        ..field("urgency", FieldKind::Select, None, 10, ("How soon would you like to be seen?", "¿Qué tan pronto desea ser atendido?"))
    },
    field("date_of_birth", FieldKind::Date, Some("bday"), 10, ("Date of birth", "Fecha de nacimiento")),
    field("liquid_capital", FieldKind::Amount, None, 20, ("Liquid capital", "Capital líquido")),
    field("net_worth", FieldKind::Amount, None, 20, ("Net worth", "Patrimonio neto")),
    FieldSpec {
        help: Some(("Separate several with commas.", "Separe varias con comas.")),
        ..field("industry_experience", FieldKind::Text, None, 500, ("Industry experience", "Experiencia en la industria"))
    },
    field("desired_territory", FieldKind::Text, None, 200, ("Desired territory", "Territorio deseado")),
    FieldSpec {
        options: &[
            ("0_3_months", ("Within 3 months", "En los próximos 3 meses")),
            ("3_6_months", ("In 3 to 6 months", "En 3 a 6 meses")),
            ("6_12_months", ("In 6 to 12 months", "En 6 a 12 meses")),
            ("12_plus_months", ("In more than a year", "En más de un año")),
            ("unsure", ("Not sure yet", "Aún no lo sé")),
        ],
        ..field("investment_timeline", FieldKind::Select, None, 20, ("When do you plan to invest?", "¿Cuándo planea invertir?"))
    },
];

/// The spec of a field a form may show.
pub fn field_spec(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The label of a consent checkbox per channel.
pub fn consent_label(channel: crate::domain::ContactChannel) -> Tr {
    match channel {
        crate::domain::ContactChannel::Sms => ("Yes, you may text me", "Sí, pueden enviarme mensajes de texto"),
        crate::domain::ContactChannel::Call => ("Yes, you may call me", "Sí, pueden llamarme"),
        crate::domain::ContactChannel::Email => ("Yes, you may email me", "Sí, pueden enviarme correos electrónicos"),
    }
}

/// The interface's own words, by key (the page script and the no-JavaScript page use the same).
pub const UI: &[(&str, Tr)] = &[
    ("title", ("Request a call back", "Solicite que le llamemos")),
    ("submit", ("Send request", "Enviar solicitud")),
    ("sending", ("Sending…", "Enviando…")),
    ("required", ("required", "obligatorio")),
    ("choose", ("Choose…", "Elija…")),
    ("consent_legend", ("May we contact you?", "¿Podemos contactarle?")),
    (
        "consent_help",
        (
            "Optional. Tick each way you agree to be contacted; you can say no and still send your request.",
            "Opcional. Marque cada forma en que acepta ser contactado; puede no marcar ninguna y enviar su solicitud.",
        ),
    ),
    ("success_title", ("Thank you, we received your request", "Gracias, recibimos su solicitud")),
    ("success", ("Someone from our team will contact you soon.", "Alguien de nuestro equipo se comunicará con usted pronto.")),
    ("error_summary", ("Please check the fields marked below.", "Revise los campos marcados abajo.")),
    (
        "error_network",
        (
            "Your request could not be sent. Please check your connection and try again.",
            "No se pudo enviar su solicitud. Revise su conexión e inténtelo de nuevo.",
        ),
    ),
    (
        "error_rate_limited",
        (
            "Too many requests were sent from here. Please try again later.",
            "Se enviaron demasiadas solicitudes desde aquí. Inténtelo más tarde.",
        ),
    ),
    (
        "error_refused",
        (
            "Your request could not be accepted. Please reload the page and try again.",
            "No se pudo aceptar su solicitud. Vuelva a cargar la página e inténtelo de nuevo.",
        ),
    ),
    (
        "error_unavailable",
        ("The form is not available right now. Please call us instead.", "El formulario no está disponible ahora. Por favor llámenos."),
    ),
    ("honeypot", ("Leave this field empty", "Deje este campo vacío")),
    ("back", ("Back to the site", "Volver al sitio")),
];

/// A UI text by key (`""` for an unknown key).
pub fn ui(language: Language, key: &str) -> &'static str {
    UI.iter().find(|(k, _)| *k == key).map_or("", |(_, t)| language.pick(*t))
}

/// The message for a refusal code, in the person's language: what intake answers (localized
/// when the form says its language) and what the page shows before sending.
const MESSAGES: &[(&str, Tr)] = &[
    ("required", ("This field is required.", "Este campo es obligatorio.")),
    ("contact_required", ("Give a phone number or an email address.", "Indique un teléfono o un correo electrónico.")),
    ("too_long", ("This is too long.", "Es demasiado largo.")),
    ("control_characters", ("This contains characters that are not allowed.", "Contiene caracteres no permitidos.")),
    ("invalid_characters", ("This contains characters that are not allowed.", "Contiene caracteres no permitidos.")),
    ("invalid_choice", ("Choose one of the options.", "Elija una de las opciones.")),
    ("invalid_boolean", ("Tick the box or leave it empty.", "Marque la casilla o déjela vacía.")),
    ("invalid_amount", ("Enter an amount such as 250000.", "Escriba una cantidad como 250000.")),
    ("invalid_phone", ("Enter a valid phone number with its area code.", "Escriba un teléfono válido con su código de área.")),
    ("invalid_email", ("Enter a valid email address, like name@example.com.", "Escriba un correo válido, como nombre@ejemplo.com.")),
    ("unknown_service_line", ("Choose one of the services listed.", "Elija uno de los servicios de la lista.")),
    ("service_line_not_offered", ("Choose one of the services listed.", "Elija uno de los servicios de la lista.")),
    ("out_of_range", ("Enter a date in the past.", "Escriba una fecha en el pasado.")),
    ("invalid_date", ("Enter a date as YYYY-MM-DD.", "Escriba una fecha como AAAA-MM-DD.")),
    ("invalid_state", ("Enter the 2-letter state code, like NJ.", "Escriba el código de 2 letras del estado, como NJ.")),
    ("unknown_consent_version", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    ("consent_text_not_for_channel", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    ("no_consent_text", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    ("unknown_field", ("This field is not accepted.", "Este campo no se acepta.")),
    ("field_not_allowed", ("This information must not be sent here.", "Esta información no debe enviarse aquí.")),
    ("too_many_fields", ("The form sent too many fields.", "El formulario envió demasiados campos.")),
    ("unknown_form", ("This form is not available.", "Este formulario no está disponible.")),
    ("unknown_language", ("This language is not available.", "Este idioma no está disponible.")),
    ("invalid_journey", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    ("honeypot_filled", ("Leave this field empty.", "Deje este campo vacío.")),
    (
        "submitted_too_fast",
        ("Please take a moment to check your details, then send again.", "Tómese un momento para revisar sus datos y vuelva a enviar."),
    ),
    ("form_start_missing", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    ("form_start_invalid", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
    (
        "form_expired",
        ("This page was open too long. Reload it and try again.", "La página estuvo abierta demasiado tiempo. Vuelva a cargarla."),
    ),
    ("rate_limited", ("Too many requests. Please try again later.", "Demasiadas solicitudes. Inténtelo más tarde.")),
    ("redirect_not_allowed", ("Reload the page and try again.", "Vuelva a cargar la página e inténtelo de nuevo.")),
];

/// Every message code with its text in `language` (sent with the form definition).
pub fn messages(language: Language) -> impl Iterator<Item = (&'static str, &'static str)> {
    MESSAGES.iter().map(move |(code, t)| (*code, language.pick(*t)))
}

/// The message for `code` on `field` in `language`; `None` for a code without one.
pub fn message(language: Language, field: &str, code: &str) -> Option<&'static str> {
    let code = if field == "phone" && code == "required" { "contact_required" } else { code };
    MESSAGES.iter().find(|(c, _)| *c == code).map(|(_, t)| language.pick(*t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_choice_has_both_languages_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for f in FIELDS {
            assert!(names.insert(f.name), "{} listed twice", f.name);
            assert!(!f.label.0.is_empty() && !f.label.1.is_empty(), "{}", f.name);
            for (v, t) in f.options {
                assert!(!v.is_empty() && !t.0.is_empty() && !t.1.is_empty(), "{}.{v}", f.name);
            }
        }
        // The choices are exactly what intake accepts.
        let values = |n: &str| field_spec(n).unwrap().options.iter().map(|(v, _)| *v).collect::<Vec<_>>();
        for v in values("insurance_status") {
            assert!(crate::domain::context::InsuranceStatus::parse(v).is_some(), "{v}");
        }
        for v in values("investment_timeline") {
            assert!(crate::domain::context::InvestmentTimeline::parse(v).is_some(), "{v}");
        }
        for v in values("urgency") {
            assert!(crate::domain::context::StatedUrgency::parse(v).is_some(), "{v}");
        }
        for v in values("preferred_channel") {
            assert!(crate::domain::ContactChannel::parse(v).is_some(), "{v}");
        }
    }

    #[test]
    fn languages_parse_from_tags_and_messages_are_localized() {
        assert_eq!(Language::parse("es-MX"), Some(Language::Es));
        assert_eq!(Language::parse("EN"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(message(Language::Es, "email", "required"), Some("Este campo es obligatorio."));
        assert_eq!(message(Language::En, "phone", "required"), Some("Give a phone number or an email address."));
        assert_eq!(ui(Language::Es, "submit"), "Enviar solicitud");
    }
}
