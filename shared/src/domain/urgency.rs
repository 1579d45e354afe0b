//! Urgency detection in a person's own words: configurable phrase lists per service line, each
//! phrase with a tier (crisis, urgent, routine), matched case- and punctuation-insensitively on
//! whole words, and not fired by a negation just before it ("not urgent", "no bleeding",
//! "isn't an emergency").
//!
//! Text is normalized (NFKC, so full-width letters and ligatures fold) into word tokens:
//! letters and digits of any script (lower-cased),
//! apostrophes dropped inside words (`isn't` -> `isnt`), every other character a separator.
//! Han, Hiragana and Katakana characters are one token each, since those scripts do not put
//! spaces between words: a configured phrase `出血` then matches inside `我在出血`. Negation is
//! only recognized for words listed as negators (English by default); it never crosses a
//! clause boundary (`.`, `,`, `;`, `!`, `?`, `but`).

use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

string_enum! {
    /// How soon a person needs a human.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum UrgencyTier {
        Routine => "routine",
        Urgent => "urgent",
        /// A person possibly in danger: page the on-call member now, day or night.
        Crisis => "crisis",
    }
    parse(s) => s.trim();
}

/// Words that negate a phrase right after them (normalized: no apostrophes).
pub const DEFAULT_NEGATORS: &[&str] = &[
    "not", "no", "never", "without", "nor", "neither", "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "cant", "cannot",
    "wont", "havent", "hasnt", "hadnt", "denies", "deny", "denied", "none",
];

/// Words after a negator that cancel the negation ("not only", "no longer", "not just").
const NEGATION_BREAKERS: &[&str] = &["only", "longer", "just", "sure"];

/// How many words before a phrase a negator may stand ("not an emergency", "no sign of bleeding").
const NEGATION_WINDOW: usize = 3;

/// One normalized word, with the clause it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    word: String,
    clause: u32,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_clause_break(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | '!' | '?' | ':' | '\n' | '。' | '，' | '！' | '？' | '؛' | '،' | '؟')
}

/// Splits text into lower-cased word tokens with clause numbers.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut clause = 0u32;
    let flush = |word: &mut String, tokens: &mut Vec<Token>, clause: u32| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            if w == "but" {
                tokens.push(Token { word: w, clause });
                return true;
            }
            tokens.push(Token { word: w, clause });
        }
        false
    };
    for c in text.nfkc() {
        if is_cjk(c) {
            if flush(&mut word, &mut tokens, clause) {
                clause += 1;
            }
            tokens.push(Token { word: c.to_string(), clause });
        } else if c.is_alphanumeric() || is_combining(c) {
            word.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '’' | '‘' | '`') {
            // Inside a word an apostrophe joins (isn't -> isnt); elsewhere it is nothing.
        } else {
            if flush(&mut word, &mut tokens, clause) {
                clause += 1;
            }
            if is_clause_break(c) {
                clause += 1;
            }
        }
    }
    flush(&mut word, &mut tokens, clause);
    tokens
}

/// A phrase as tokens, for matching.
fn phrase_words(phrase: &str) -> Vec<String> {
    tokenize(phrase).into_iter().map(|t| t.word).collect()
}

/// Why a phrase was refused when the configuration loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error("has no letters or digits")]
    Empty,
    #[error("is longer than 100 characters")]
    TooLong,
}

/// A configured phrase and its tier.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    source: String,
    words: Vec<String>,
    tier: UrgencyTier,
}

/// The phrases of one service line, compiled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhraseList {
    phrases: Vec<Phrase>,
    negators: Vec<String>,
}

/// A phrase that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhraseMatch {
    /// The configured phrase (not the person's text).
    pub phrase: String,
    pub tier: UrgencyTier,
}

/// What urgency detection found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgencyAssessment {
    pub tier: UrgencyTier,
    /// Phrases that fired (negated ones excluded), highest tier first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<PhraseMatch>,
    /// Phrases found but negated ("not urgent"), for the explanation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negated: Vec<String>,
    /// The person ticked "urgent" on the form.
    #[serde(default)]
    pub stated_urgent: bool,
}

impl PhraseList {
    /// Compiles `(phrase, tier)` pairs; `extra_negators` adds to [`DEFAULT_NEGATORS`].
    pub fn new<'a>(
        phrases: impl IntoIterator<Item = (&'a str, UrgencyTier)>,
        extra_negators: &[String],
    ) -> Result<PhraseList, (usize, PhraseError)> {
        let mut list = PhraseList {
            phrases: Vec::new(),
            negators: DEFAULT_NEGATORS.iter().map(|s| s.to_string()).chain(extra_negators.iter().flat_map(|n| phrase_words(n))).collect(),
        };
        for (i, (source, tier)) in phrases.into_iter().enumerate() {
            if source.chars().count() > 100 {
                return Err((i, PhraseError::TooLong));
            }
            let words = phrase_words(source);
            if words.is_empty() {
                return Err((i, PhraseError::Empty));
            }
            list.phrases.push(Phrase { source: source.trim().to_string(), words, tier });
        }
        // Highest tier first, so the explanation lists what decided the tier first.
        list.phrases.sort_by_key(|p| std::cmp::Reverse(p.tier));
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    fn negated_at(&self, tokens: &[Token], start: usize) -> bool {
        let clause = tokens[start].clause;
        let from = start.saturating_sub(NEGATION_WINDOW);
        (from..start).rev().any(|i| {
            tokens[i].clause == clause
                && self.negators.iter().any(|n| *n == tokens[i].word)
                && !tokens.get(i + 1).is_some_and(|next| next.clause == clause && NEGATION_BREAKERS.contains(&next.word.as_str()))
        })
    }

    /// Scans the texts (the concern, the service interest, ...) and the stated urgency.
    pub fn assess<'t>(&self, texts: impl IntoIterator<Item = &'t str>, stated_urgent: bool) -> UrgencyAssessment {
        let mut matches: Vec<PhraseMatch> = Vec::new();
        let mut negated: Vec<String> = Vec::new();
        for text in texts {
            let tokens = tokenize(text);
            for phrase in &self.phrases {
                let n = phrase.words.len();
                if n > tokens.len() {
                    continue;
                }
                let mut fired = false;
                let mut saw_negated = false;
                for start in 0..=tokens.len() - n {
                    if tokens[start..start + n].iter().zip(&phrase.words).all(|(t, w)| t.word == *w) {
                        if self.negated_at(&tokens, start) {
                            saw_negated = true;
                        } else {
                            fired = true;
                            break;
                        }
                    }
                }
                if fired && !matches.iter().any(|m| m.phrase == phrase.source) {
                    matches.push(PhraseMatch { phrase: phrase.source.clone(), tier: phrase.tier });
                } else if !fired && saw_negated && !negated.contains(&phrase.source) {
                    negated.push(phrase.source.clone());
                }
            }
        }
        negated.retain(|p| !matches.iter().any(|m| m.phrase == *p));
        matches.sort_by_key(|m| std::cmp::Reverse(m.tier));
        let from_phrases = matches.first().map(|m| m.tier).unwrap_or(UrgencyTier::Routine);
        let tier = if stated_urgent { from_phrases.max(UrgencyTier::Urgent) } else { from_phrases };
        UrgencyAssessment { tier, matches, negated, stated_urgent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use UrgencyTier::*;

    fn wound_care() -> PhraseList {
        PhraseList::new(
            [("bleeding", Urgent), ("infection", Urgent), ("today", Urgent), ("emergency", Crisis), ("can't stop the bleeding", Crisis)],
            &[],
        )
        .unwrap()
    }

    fn addiction() -> PhraseList {
        PhraseList::new(
            [("relapse", Crisis), ("overdose", Crisis), ("suicidal", Crisis), ("self-harm", Crisis), ("detox", Urgent), ("出血", Urgent)],
            &[],
        )
        .unwrap()
    }

    fn tier(list: &PhraseList, text: &str) -> UrgencyTier {
        list.assess([text], false).tier
    }

    #[test]
    fn phrases_fire_whatever_the_case_and_punctuation() {
        let cases: &[(&str, UrgencyTier)] = &[
            ("My wound is BLEEDING again", Urgent),
            ("infection?!", Urgent),
            ("Can you see me today.", Urgent),
            ("I CANT STOP THE BLEEDING", Crisis),
            ("i can’t stop the bleeding!!!", Crisis),
            ("This is an emergency", Crisis),
            ("heel wound, slow healing", Routine),
            ("bleedingly obvious", Routine),
        ];
        for (text, want) in cases {
            assert_eq!(tier(&wound_care(), text), *want, "{text}");
        }
        assert_eq!(tier(&addiction(), "thinking about SELF HARM"), Crisis);
        assert_eq!(tier(&addiction(), "self-harm"), Crisis);
        assert_eq!(tier(&addiction(), "selfharm"), Routine);
    }

    #[test]
    fn negations_do_not_fire() {
        let cases: &[(&str, UrgencyTier)] = &[
            ("not urgent, no bleeding", Routine),
            ("It isn't an emergency", Routine),
            ("no sign of infection", Routine),
            ("There's no bleeding. But it may be infected: infection", Urgent),
            ("not today", Routine),
            ("no bleeding but an infection", Urgent),
            ("It's not only bleeding, it's worse", Urgent),
            ("I no longer want to wait, the bleeding is back", Urgent),
            ("Never had an infection before; today it hurts", Urgent),
        ];
        for (text, want) in cases {
            assert_eq!(tier(&wound_care(), text), *want, "{text}");
        }
        let a = wound_care().assess(["not urgent, no bleeding"], false);
        assert_eq!(a.negated, vec!["bleeding".to_string()]);
        assert!(a.matches.is_empty());
        assert_eq!(tier(&addiction(), "I did not relapse"), Routine);
        assert_eq!(tier(&addiction(), "scared I will relapse tonight"), Crisis);
    }

    #[test]
    fn the_stated_urgency_raises_the_tier() {
        assert_eq!(wound_care().assess(["slow healing"], true).tier, Urgent);
        assert_eq!(wound_care().assess(["emergency"], true).tier, Crisis);
    }

    #[test]
    fn explanations_list_the_highest_tier_first() {
        let a = wound_care().assess(["bleeding and an emergency", "needs care today"], false);
        assert_eq!(a.tier, Crisis);
        let phrases: Vec<&str> = a.matches.iter().map(|m| m.phrase.as_str()).collect();
        assert_eq!(phrases, ["emergency", "bleeding", "today"]);
    }

    #[test]
    fn any_script_and_any_symbol_is_handled() {
        let list = addiction();
        for text in [
            "😭😭😭 please help 🙏",
            "مرحبا، أحتاج إلى مساعدة اليوم",
            "שלום, אני צריך עזרה",
            "我需要帮助",
            "안녕하세요 도와주세요",
            "\u{202E}reversed\u{202C} text",
            "e\u{301}\u{301}\u{301}",
            "",
            "   ",
            "🏳️‍🌈\u{200D}\u{FE0F}",
            &"x".repeat(2000),
        ] {
            assert_eq!(list.assess([text], false).tier, Routine, "{text}");
        }
        assert_eq!(tier(&list, "我在出血"), Urgent);
        assert_eq!(tier(&list, "Ｄｅｔｏｘ"), Urgent, "full-width letters fold to ASCII (NFKC)");
        assert_eq!(tier(&list, "Überdosis? detox!"), Urgent);
    }

    #[test]
    fn empty_phrases_are_refused() {
        assert_eq!(PhraseList::new([("ok", Urgent), ("?!", Urgent)], &[]), Err((1, PhraseError::Empty)));
        assert_eq!(PhraseList::new([(&*"a".repeat(101), Urgent)], &[]), Err((0, PhraseError::TooLong)));
    }
}
