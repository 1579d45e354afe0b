//! Reply keywords of the SMS program. Revocation by any reasonable means is the law (FCC 24-24):
//! the full FCC list is matched, not only what a carrier or provider handles by itself (AWS End
//! User Messaging's automatic keywords lack REVOKE and OPTOUT), case-insensitively and with any
//! surrounding whitespace or punctuation ("Stop.", " STOP!! ", "opt-out").

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Stop all texts now (opt out).
    Stop,
    /// Start texts again (re-subscribe).
    Start,
    /// Who is this and how do I stop it.
    Help,
}

/// Words that revoke consent.
pub const STOP_WORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL", "OPT OUT"];
/// Words that re-subscribe.
pub const START_WORDS: &[&str] = &["START", "UNSTOP", "YES"];
/// Words that ask for help.
pub const HELP_WORDS: &[&str] = &["HELP", "INFO"];

/// The keyword a whole message amounts to, if any. Only a message that is nothing but the
/// keyword counts: "please stop by at 5" is a reply, not an opt-out.
pub fn classify(text: &str) -> Option<Keyword> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_uppercase())
        .filter(|w| !w.is_empty())
        .collect();
    let normalized = words.join(" ");
    if STOP_WORDS.contains(&normalized.as_str()) {
        Some(Keyword::Stop)
    } else if START_WORDS.contains(&normalized.as_str()) {
        Some(Keyword::Start)
    } else if HELP_WORDS.contains(&normalized.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
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
        for w in ["start", "UNSTOP", "Yes!", " yes "] {
            assert_eq!(classify(w), Some(Keyword::Start), "{w}");
        }
        for w in ["help", "HELP?", "Help."] {
            assert_eq!(classify(w), Some(Keyword::Help), "{w}");
        }
    }

    #[test]
    fn sentences_containing_a_keyword_are_replies() {
        for w in ["please stop by at 5", "yes I can come Tuesday", "can you help me", "stopping", "", "   ", "🙂"] {
            assert_eq!(classify(w), None, "{w}");
        }
    }
}
