//! Finding a lead by what staff type: a name (any case, with or without accents, the start of a
//! word is enough), a phone number in any format, or an e-mail address.
//!
//! Names are found through a prefix index: each word of a lead's names, folded
//! ([`name_tokens`]), is indexed under each of its first [`MAX_PREFIX`] characters from
//! [`MIN_PREFIX`] on ([`index_prefixes`]). A query looks up one of its words
//! ([`NameQuery::lookup`]) and every hit is checked against the lead itself
//! ([`NameQuery::matches`]), so the index only has to hold a superset.

use super::matching::name_key;
use super::{Contact, Email, Phone, Region};
use std::collections::BTreeSet;

/// The shortest name prefix that is looked up (one letter would list half the table).
pub const MIN_PREFIX: usize = 2;
/// Prefixes longer than this are not indexed: a query's word is cut to this length for the
/// look-up and the rest is checked on the lead.
pub const MAX_PREFIX: usize = 8;
/// Words of a lead's names that are indexed (a name with more is still found by the first ones).
pub const MAX_TOKENS: usize = 4;

/// Letters without a decomposed form that people type without the accent (`Ø` as `o`).
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'æ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// A word as the index holds it: lower case, accents and punctuation gone (`"O'Brien"` ->
/// `"obrien"`, `"Zoë"` -> `"zoe"`, `"Søren"` -> `"soren"`).
pub fn fold(word: &str) -> String {
    name_key(word).chars().fold(String::new(), |mut out, c| {
        match fold_letter(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
        out
    })
}

/// The folded words of a piece of text: split at spaces and hyphens (`"Garcia-Lopez"` is found
/// by `lopez` too).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-' || c == ',' || c == '.' || c == '/').map(fold).filter(|w| !w.is_empty()).collect()
}

/// The folded words of a lead's first and last names, at most [`MAX_TOKENS`].
pub fn name_tokens(contact: &Contact) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in [&contact.first_name, &contact.last_name].into_iter().flatten() {
        for w in words(name.as_str()) {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out.truncate(MAX_TOKENS);
    out
}

/// Every prefix a lead is indexed under: of each name word, its first 2 to 8 characters (a
/// one-letter word under itself).
pub fn index_prefixes(contact: &Contact) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for token in name_tokens(contact) {
        let chars: Vec<char> = token.chars().collect();
        if chars.len() < MIN_PREFIX {
            out.insert(token.clone());
            continue;
        }
        for n in MIN_PREFIX..=chars.len().min(MAX_PREFIX) {
            out.insert(chars[..n].iter().collect());
        }
    }
    out
}

/// A name search: the folded words typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    words: Vec<String>,
}

impl NameQuery {
    /// The query's words, if at least one has [`MIN_PREFIX`] letters.
    pub fn parse(text: &str) -> Option<NameQuery> {
        let words = words(text);
        words.iter().any(|w| w.chars().count() >= MIN_PREFIX).then_some(NameQuery { words })
    }

    /// The prefix to look up: the query's longest word, cut to [`MAX_PREFIX`] characters.
    pub fn lookup(&self) -> String {
        let longest = self.words.iter().max_by_key(|w| w.chars().count()).expect("parse keeps at least one word");
        longest.chars().take(MAX_PREFIX).collect()
    }

    /// Whether every word of the query starts a different word of the lead's names.
    pub fn matches(&self, contact: &Contact) -> bool {
        let mut tokens = name_tokens(contact);
        // Longest query words first, so `an` does not take the word `ann` needs.
        let mut words = self.words.clone();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.iter().all(|w| match tokens.iter().position(|t| t.starts_with(w.as_str())) {
            Some(i) => {
                tokens.remove(i);
                true
            }
            None => false,
        })
    }
}

/// What a search box holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    Name(NameQuery),
    Phone(Phone),
    Email(Email),
}

/// Why a search text cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("type at least two letters of a name, a phone number or an e-mail address")]
    TooShort,
    #[error("is not a valid e-mail address")]
    BadEmail,
    #[error("is not a valid phone number")]
    BadPhone,
}

impl SearchTerm {
    /// Reads a search box: an `@` makes it an e-mail, mostly digits a phone number (in any
    /// format the region's numbers are written), anything else a name.
    pub fn parse(text: &str, region: Region) -> Result<SearchTerm, SearchError> {
        let text = text.trim();
        if text.contains('@') {
            return Email::parse(text).map(SearchTerm::Email).map_err(|_| SearchError::BadEmail);
        }
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        if digits >= 3 && digits > letters {
            return Phone::parse(text, region).map(SearchTerm::Phone).map_err(|_| SearchError::BadPhone);
        }
        NameQuery::parse(text).map(SearchTerm::Name).ok_or(SearchError::TooShort)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::PersonName;

    fn contact(first: &str, last: &str) -> Contact {
        Contact {
            first_name: (!first.is_empty()).then(|| PersonName::parse(first).unwrap()),
            last_name: (!last.is_empty()).then(|| PersonName::parse(last).unwrap()),
            ..Contact::default()
        }
    }

    #[test]
    fn words_fold_case_accents_and_punctuation() {
        assert_eq!(words("José  O'Brien-Núñez"), ["jose", "obrien", "nunez"]);
        assert_eq!(fold("ZOË"), "zoe");
        assert_eq!(fold("Søren"), "soren");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Łukasz"), "lukasz");
    }

    #[test]
    fn a_lead_is_indexed_under_each_word_start() {
        let c = contact("Mary Ann", "Garcia-Lopez");
        assert_eq!(name_tokens(&c), ["mary", "ann", "garcia", "lopez"]);
        let p = index_prefixes(&c);
        for expected in ["ma", "mar", "mary", "an", "ann", "ga", "garcia", "lo", "lopez"] {
            assert!(p.contains(expected), "{expected}");
        }
        assert!(!p.contains("m") && !p.contains("garcialo"));
        let long = index_prefixes(&contact("Maximiliana", ""));
        assert!(long.contains("maximili") && !long.contains("maximilia"), "{long:?}");
        assert_eq!(index_prefixes(&contact("J", "Ng")), BTreeSet::from(["j".to_string(), "ng".to_string()]));
    }

    #[test]
    fn a_query_matches_whatever_the_case_or_accents() {
        let c = contact("Zoë", "Ñúñez");
        for q in ["zoe", "ZOË", "nu", "Nunez Zo", "zoë ñ"] {
            let query = NameQuery::parse(q).unwrap();
            assert!(query.matches(&c), "{q}");
        }
        assert!(!NameQuery::parse("zoey").unwrap().matches(&c));
        assert!(!NameQuery::parse("nunez nunez").unwrap().matches(&c), "one name word per query word");
        assert_eq!(NameQuery::parse("Nunez Zo").unwrap().lookup(), "nunez");
        assert_eq!(NameQuery::parse("Maximiliana").unwrap().lookup(), "maximili");
        assert!(NameQuery::parse("z").is_none() && NameQuery::parse(" - ").is_none());
    }

    #[test]
    fn a_search_box_is_read_as_a_phone_an_email_or_a_name() {
        let us = Region::US;
        assert!(matches!(SearchTerm::parse("(201) 555-0142", us), Ok(SearchTerm::Phone(p)) if p.as_e164() == "+12015550142"));
        assert!(matches!(SearchTerm::parse("+1 201.555.0142", us), Ok(SearchTerm::Phone(p)) if p.as_e164() == "+12015550142"));
        assert!(matches!(SearchTerm::parse(" Ann.Lee@Example.COM ", us), Ok(SearchTerm::Email(e)) if e.as_str() == "ann.lee@example.com"));
        assert!(matches!(SearchTerm::parse("lee", us), Ok(SearchTerm::Name(_))));
        assert_eq!(SearchTerm::parse("l", us), Err(SearchError::TooShort));
        assert_eq!(SearchTerm::parse("ann@", us), Err(SearchError::BadEmail));
        assert_eq!(SearchTerm::parse("555", us), Err(SearchError::BadPhone));
    }
}
