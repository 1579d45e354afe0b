//! Reply keywords of the SMS program. Revocation by any reasonable means is the law (FCC 24-24):
//! the full FCC list is matched, not only what a carrier or provider handles by itself (AWS End
//! User Messaging's automatic keywords lack REVOKE and OPTOUT), case-insensitively and with any
//! surrounding whitespace or punctuation ("Stop.", " STOP!! ", "opt-out").

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Stop all texts now (opt out): a keyword, or a plain-language request ("please stop
    /// texting me", "no me escriban más").
    Stop,
    /// Start texts again (re-subscribe).
    Start,
    /// "Yes", "Y", "OK": a re-subscription only when the last message asked for one
    /// ([`asks_for_yes`]); otherwise an ordinary reply for the team.
    Affirmative,
    /// Who is this and how do I stop it.
    Help,
}

/// Words that revoke consent.
pub const STOP_WORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL", "OPT OUT"];
/// Words that re-subscribe.
pub const START_WORDS: &[&str] = &["START", "UNSTOP"];
/// Words that agree to whatever the last message asked.
pub const AFFIRMATIVE_WORDS: &[&str] = &["YES", "Y", "OK", "OKAY", "SI"];
/// Words that ask for help.
pub const HELP_WORDS: &[&str] = &["HELP", "INFO"];

/// Plain-language revocations (FCC 24-24: "by any reasonable means"), English and Spanish,
/// compared as words after [`words`] (upper case, accents and punctuation dropped). A reply that is one of
/// these, optionally with a few words of courtesy around it, is an opt-out.
pub const PLAIN_STOP_PHRASES: &[&str] = &[
    "STOP TEXTING ME",
    "STOP TEXTING",
    "STOP MESSAGING ME",
    "STOP SENDING ME MESSAGES",
    "STOP SENDING ME TEXTS",
    "STOP CONTACTING ME",
    "DONT TEXT ME",
    "DO NOT TEXT ME",
    "DONT MESSAGE ME",
    "DO NOT MESSAGE ME",
    "DONT CONTACT ME",
    "DO NOT CONTACT ME",
    "REMOVE ME",
    "REMOVE ME FROM YOUR LIST",
    "TAKE ME OFF YOUR LIST",
    "TAKE ME OFF",
    "UNSUBSCRIBE ME",
    "OPT ME OUT",
    "NO MORE MESSAGES",
    "NO MORE TEXTS",
    "LEAVE ME ALONE",
    "NOT INTERESTED STOP",
    // Spanish.
    "ALTO",
    "PARAR",
    "BAJA",
    "DAR DE BAJA",
    "DARME DE BAJA",
    "NO ME ESCRIBAN",
    "NO ME ESCRIBAN MAS",
    "NO ME ESCRIBAS",
    "NO ME MANDEN MENSAJES",
    "NO ME ENVIEN MENSAJES",
    "NO MAS MENSAJES",
    "YA NO QUIERO MENSAJES",
    "NO QUIERO MENSAJES",
    "NO QUIERO MAS MENSAJES",
    "NO QUIERO RECIBIR MENSAJES",
    "DEJEN DE ESCRIBIRME",
    "DEJEN DE MANDARME MENSAJES",
    "QUITENME DE LA LISTA",
    "BORRENME DE LA LISTA",
    "CANCELAR SUSCRIPCION",
];

/// Courtesy words that may surround a plain-language opt-out without changing it.
const COURTESY: &[&str] = &["PLEASE", "PLS", "PLZ", "THANKS", "THANK", "YOU", "NOW", "POR", "FAVOR", "GRACIAS", "YA", "ANYMORE", "ALREADY"];

/// Upper case without accents: "más" and "mas" read the same.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect::<String>().to_uppercase()
}

/// The message as upper-case words without accents: split on whitespace, `-` and `_`;
/// surrounding punctuation and apostrophes inside words dropped ("Don't" is `DONT`).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .map(|w| fold(&w.chars().filter(|c| c.is_alphanumeric()).collect::<String>()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether the words, less courtesy words, are exactly a plain-language opt-out. A question
/// ("can you stop texting me at work?") or anything longer is a reply for the team to read.
fn is_plain_stop(text: &str, words: &[String]) -> bool {
    if text.contains('?') || text.contains('¿') {
        return false;
    }
    let core: Vec<&str> = words.iter().map(String::as_str).filter(|w| !COURTESY.contains(w)).collect();
    let joined = core.join(" ");
    PLAIN_STOP_PHRASES.iter().any(|p| fold(p) == joined)
}

/// The keyword a whole message amounts to, if any. Only a message that is nothing but the
/// keyword (or a plain-language opt-out) counts: "please stop by at 5" is a reply, not an
/// opt-out.
pub fn classify(text: &str) -> Option<Keyword> {
    let words = words(text);
    let normalized = words.join(" ");
    if STOP_WORDS.contains(&normalized.as_str()) || is_plain_stop(text, &words) {
        Some(Keyword::Stop)
    } else if START_WORDS.contains(&normalized.as_str()) {
        Some(Keyword::Start)
    } else if AFFIRMATIVE_WORDS.iter().any(|w| fold(w) == normalized) {
        Some(Keyword::Affirmative)
    } else if HELP_WORDS.contains(&normalized.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

/// Whether a message leadflow sent asked the person to answer YES to receive texts again:
/// only then is a "Yes" a re-subscription.
pub fn asks_for_yes(sent: &str) -> bool {
    let w = words(sent);
    w.windows(2).any(|p| p[0] == "REPLY" && p[1] == "YES")
        || w.windows(4).any(|p| p[0] == "REPLY" && p[1] == "START" && p[2] == "OR" && p[3] == "YES")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stop_word_and_its_variants_is_a_stop() {
        for word in STOP_WORDS {
            let lower = word.to_lowercase();
            let title: String = lower.chars().enumerate().map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c }).collect();
            for variant in [
                word.to_string(),
                lower.clone(),
                title,
                format!("  {word}  "),
                format!("{lower}."),
                format!("{word}!!"),
                format!("\"{lower}\"\n"),
            ] {
                assert_eq!(classify(&variant), Some(Keyword::Stop), "{variant:?}");
            }
        }
        assert_eq!(classify("Opt-Out"), Some(Keyword::Stop));
        assert_eq!(classify("opt   out!"), Some(Keyword::Stop));
    }

    #[test]
    fn start_and_help_are_recognized() {
        for w in ["start", "UNSTOP", "Start."] {
            assert_eq!(classify(w), Some(Keyword::Start), "{w}");
        }
        for w in ["Yes!", " yes ", "Y", "ok", "Okay.", "sí"] {
            assert_eq!(classify(w), Some(Keyword::Affirmative), "{w}");
        }
        for w in ["help", "HELP?", "Help."] {
            assert_eq!(classify(w), Some(Keyword::Help), "{w}");
        }
    }

    #[test]
    fn plain_language_opt_outs_in_english_and_spanish_are_stops() {
        for w in [
            "please stop texting me",
            "Stop texting me!!",
            "Don't text me",
            "do not text me anymore",
            "remove me",
            "Remove me from your list please",
            "no more messages",
            "No more texts, thanks",
            "leave me alone",
            "Alto",
            "No me escriban más",
            "no me envíen mensajes por favor",
            "no más mensajes",
            "Ya no quiero mensajes",
            "Quítenme de la lista",
            "dar de baja",
        ] {
            assert_eq!(classify(w), Some(Keyword::Stop), "{w}");
        }
    }

    #[test]
    fn ambiguous_replies_are_replies() {
        for w in [
            "can you stop texting me at work?",
            "stop texting me at work and call instead",
            "don't text me, call me",
            "no more messages until Tuesday please call",
            "remove me from the waitlist and book me for Monday",
            "para mañana?",
        ] {
            assert_eq!(classify(w), None, "{w}");
        }
    }

    #[test]
    fn only_an_explicit_question_makes_yes_a_resubscription() {
        assert!(asks_for_yes("Harbor Health: you are unsubscribed. Reply YES to receive texts again."));
        assert!(asks_for_yes("Reply START or YES to resubscribe."));
        assert!(!asks_for_yes("Harbor Health: you are unsubscribed and will receive no more messages. Reply START to resubscribe."));
        assert!(!asks_for_yes("Hi Ann, can you make Tuesday at 10? Reply with a time."));
    }

    #[test]
    fn sentences_containing_a_keyword_are_replies() {
        for w in ["please stop by at 5", "yes I can come Tuesday", "ok see you then", "can you help me", "stopping", "", "   ", "🙂"] {
            assert_eq!(classify(w), None, "{w}");
        }
    }
}
