//! Screening of person-supplied values before they are rendered into a message sent in the
//! practice's name, and the check of a finished message for links.
//!
//! A web form is public: whatever a stranger types as their first name is repeated back in the
//! acknowledgement, from the practice's number, to whatever number they typed. Unscreened, a
//! "first name" of `Visit harborhealth-billing.com now` turns the practice into a phishing relay.
//! So a value is used in a message only when it looks like what it claims to be:
//!
//! * no link, domain, e-mail address, phone number or digits (names have none);
//! * at most a configured number of characters (first names: 30);
//! * no invisible or direction-changing characters (zero-width joiners, bidi overrides);
//! * at most two combining marks on a letter and a handful in all ("Zalgo" text is refused,
//!   real accents pass: values are NFC-normalized first, so most accents are one character);
//! * one script, or a combination Unicode TR39 calls *highly restrictive* (Latin with Han,
//!   Japanese or Korean), checked with the `unicode-security` crate's TR39 tables: `Аnn` with a
//!   Cyrillic `А` is refused;
//! * not a whole-script confusable: a value without Latin letters whose TR39 confusable skeleton
//!   is plain Latin (`Ѕсоtt`, all Cyrillic) is refused.
//!
//! A refused value is left out (the message greets "Hi there"); the lead is captured as typed.
//! [`links_in`] finds every URL, domain and e-mail address in a finished text: the consent gate
//! refuses a message naming a host the operator did not write into the configuration.

use crate::domain::string_enum::string_enum;
use regex::Regex;
use std::sync::OnceLock;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_security::{skeleton, MixedScript, RestrictionLevel, RestrictionLevelDetection};

/// Limits for one kind of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueRules {
    /// Characters at most (after NFC normalization).
    pub max_chars: usize,
    /// Combining marks on one letter at most.
    pub max_marks_per_letter: usize,
    /// Combining marks in the whole value at most.
    pub max_marks: usize,
}

impl ValueRules {
    /// A first name: 30 characters, two marks on a letter, six in all.
    pub const fn first_name(max_chars: usize) -> Self {
        ValueRules { max_chars, max_marks_per_letter: 2, max_marks: 6 }
    }
}

string_enum! {
    /// Why a value was left out of a message. Logged and recorded by code, never with the value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Refusal {
        Empty => "empty",
        TooLong => "too_long",
        Link => "link",
        EmailAddress => "email_address",
        Digits => "digits",
        #[serde(rename = "invisible_characters")]
        Invisible => "invisible_characters",
        Symbols => "symbols",
        CombiningMarks => "combining_marks",
        MixedScript => "mixed_script",
        Confusable => "confusable",
    }
}

/// Characters that change how text is shown without being seen: zero-width characters, bidi
/// embeddings, overrides and isolates, the word joiner family, the byte-order mark, soft hyphen,
/// and variation selectors.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// Dots that browsers and mail clients read as the dot of a domain name (IDNA).
fn fold_dots(s: &str) -> String {
    s.chars().map(|c| if matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}') { '.' } else { c }).collect()
}

/// NFKC (full-width letters, ligatures and other compatibility forms read as what they show)
/// with the ideographic dots folded: what a reader of the message would take the text for.
fn as_read(s: &str) -> String {
    fold_dots(&s.nfkc().collect::<String>()).to_lowercase()
}

/// The link patterns: e-mail addresses, URLs, bare domains, each capturing the host. Written
/// with Unicode letter and digit classes; `\p{L}` and `\p{N}` only ever appear inside brackets.
const LINK_PATTERNS: [&str; 3] = [
    // e-mail addresses: the domain is captured.
    r"[\p{L}\p{N}._%+\-]+@((?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+[\p{L}]{2,63})",
    // URLs with a scheme or www.: the host is captured.
    r"(?:[a-z][a-z0-9+.\-]*://|www\.)([^\s/?#<>@]+)",
    // bare domains: labels, a dot, a top-level label of letters.
    r"(?:^|[^\p{L}\p{N}\-.@])((?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}]{2,63})(?:$|[^\p{L}\p{N}\-])",
];

/// The link patterns for `text`. On ASCII text a Unicode letter is an ASCII letter and a Unicode
/// digit an ASCII digit, so the patterns with ASCII classes find exactly what the Unicode ones
/// do; they compile in a fraction of the time (the Unicode classes, repeated up to 63 times,
/// dominate a configuration's validation), and the Unicode patterns are compiled on the first
/// text that needs them.
fn link_patterns(text: &str) -> &'static [Regex; 3] {
    static UNICODE: OnceLock<[Regex; 3]> = OnceLock::new();
    static ASCII: OnceLock<[Regex; 3]> = OnceLock::new();
    if text.is_ascii() {
        ASCII.get_or_init(|| LINK_PATTERNS.map(|p| Regex::new(&ascii_classes(p)).expect("link pattern")))
    } else {
        UNICODE.get_or_init(|| LINK_PATTERNS.map(|p| Regex::new(p).expect("link pattern")))
    }
}

/// Compiles the link patterns (both sets) now: a process that screens message texts calls this
/// at start-up so that its first message does not pay for it.
pub fn warm_up() {
    let _ = links_in("see https://example.com and www.example.org");
    let _ = links_in("voir https://exemple.fr et www.exemple.fr, é");
}

/// `pattern` with its bracketed Unicode letter and digit classes narrowed to ASCII.
fn ascii_classes(pattern: &str) -> String {
    pattern.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9")
}

/// A URL's path, query and fragment (after its scheme and host).
fn url_tail() -> &'static Regex {
    static TAIL: OnceLock<Regex> = OnceLock::new();
    TAIL.get_or_init(|| Regex::new(r"((?:[a-z][a-z0-9+.\-]*://|www\.)[^\s/?#<>@]+)[/?#][^\s<>]*").expect("url tail pattern"))
}

/// Every host a text names: the domains of e-mail addresses, the hosts of URLs, bare domain
/// names; lower-case, as a reader would take them (full-width and ideographic dots included).
/// A URL counts by its host: what follows it (a path, a query holding a signed reference whose
/// dots would read like a domain's) is where that host takes the reader, not another host.
pub fn links_in(text: &str) -> Vec<String> {
    let read = as_read(text);
    let read = url_tail().replace_all(&read, "$1 ");
    let mut out = Vec::new();
    for pattern in link_patterns(&read) {
        for c in pattern.captures_iter(&read) {
            if let Some(m) = c.get(1) {
                let host = m.as_str().trim_end_matches('.').split(':').next().unwrap_or_default().to_string();
                if !host.is_empty() && !out.contains(&host) {
                    out.push(host);
                }
            }
        }
    }
    out
}

/// Whether `host` is `allowed` or one of its subdomains.
pub fn host_allowed(host: &str, allowed: &str) -> bool {
    host == allowed || host.strip_suffix(allowed).is_some_and(|rest| rest.ends_with('.'))
}

/// The value as it may appear in a message (NFC-normalized, whitespace collapsed), or why not.
pub fn screen(value: &str, rules: &ValueRules) -> Result<String, Refusal> {
    if value.chars().any(is_invisible) {
        return Err(Refusal::Invisible);
    }
    let nfc: String = value.nfc().collect();
    let value = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(Refusal::Empty);
    }
    let (mut run, mut marks) = (0usize, 0usize);
    for c in value.chars() {
        if is_combining_mark(c) {
            run += 1;
            marks += 1;
            if run > rules.max_marks_per_letter || marks > rules.max_marks {
                return Err(Refusal::CombiningMarks);
            }
        } else {
            run = 0;
        }
    }
    if value.chars().count() > rules.max_chars {
        return Err(Refusal::TooLong);
    }
    let read = as_read(&value);
    if read.contains('@') {
        return Err(Refusal::EmailAddress);
    }
    if !links_in(&value).is_empty() || read.contains("://") || read.contains("www.") {
        return Err(Refusal::Link);
    }
    if read.chars().any(char::is_numeric) {
        return Err(Refusal::Digits);
    }
    if !value.chars().all(|c| c.is_alphabetic() || is_combining_mark(c) || " '’-.".contains(c)) {
        return Err(Refusal::Symbols);
    }
    let letters: String = value.chars().filter(|c| c.is_alphabetic() || is_combining_mark(*c)).collect();
    if letters.is_empty() {
        return Err(Refusal::Symbols);
    }
    if !letters.as_str().is_single_script() && letters.as_str().detect_restriction_level() > RestrictionLevel::HighlyRestrictive {
        return Err(Refusal::MixedScript);
    }
    let scripts = letters.as_str().resolve_script_set();
    let latin = scripts.base.contains_script(unicode_script::Script::Latin);
    if !latin && skeleton(&letters).all(|c| c.is_ascii_alphabetic()) {
        return Err(Refusal::Confusable);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(v: &str) -> Result<String, Refusal> {
        screen(v, &ValueRules::first_name(30))
    }

    #[test]
    fn real_names_in_many_scripts_pass() {
        for name in [
            "Ann",
            "Zoë",
            "José María",
            "O'Brien",
            "D’Angelo",
            "Jean-Luc",
            "St. John",
            "李",
            "Иван",
            "Αλέξανδρος",
            "محمد",
            "さくら",
            "김민준",
            "Nguyễn",
            "Zoe\u{308}",
        ] {
            assert!(first(name).is_ok(), "{name}: {:?}", first(name));
        }
        assert_eq!(first("Zoe\u{308}").unwrap(), "Zoë", "NFC composes typed accents");
        assert_eq!(first("  Ann   Marie ").unwrap(), "Ann Marie");
    }

    #[test]
    fn links_domains_emails_and_numbers_are_refused() {
        assert_eq!(first("Visit harborhealth-billing.com now"), Err(Refusal::TooLong));
        assert_eq!(first("Visit billing.com"), Err(Refusal::Link));
        assert_eq!(first("bit.ly"), Err(Refusal::Link));
        assert_eq!(first("harborhealth-billing．com"), Err(Refusal::Link), "full-width dot");
        assert_eq!(first("pay。example。com"), Err(Refusal::Link), "ideographic dot");
        assert_eq!(first("https:x"), Err(Refusal::Symbols));
        assert_eq!(first("ann@example.com"), Err(Refusal::EmailAddress));
        assert_eq!(first("ann＠example"), Err(Refusal::EmailAddress), "full-width at sign");
        assert_eq!(first("Call 2015550123"), Err(Refusal::Digits));
        assert_eq!(first("Ann５"), Err(Refusal::Digits), "full-width digit");
        assert_eq!(first("Ann $5"), Err(Refusal::Digits));
        assert_eq!(first("Ann!"), Err(Refusal::Symbols));
    }

    #[test]
    fn length_marks_invisible_and_look_alikes_are_refused() {
        assert_eq!(first(&"a".repeat(31)), Err(Refusal::TooLong));
        assert!(first(&"a".repeat(30)).is_ok());
        assert_eq!(first(&format!("Ann{}", "\u{301}".repeat(95))), Err(Refusal::CombiningMarks));
        assert_eq!(first("A\u{301}\u{302}\u{303}\u{304}nn"), Err(Refusal::CombiningMarks), "after NFC: Á and three marks");
        assert_eq!(first("Ann\u{202E}moc.kcil"), Err(Refusal::Invisible));
        assert_eq!(first("An\u{200B}n"), Err(Refusal::Invisible));
        // Cyrillic А (U+0410) in a Latin name.
        assert_eq!(first("\u{410}nn"), Err(Refusal::MixedScript));
        // Cyrillic letters in a Latin name, and a name all in Cyrillic that reads as Latin "Joe".
        assert_eq!(first("\u{405}\u{441}\u{43e}tt"), Err(Refusal::MixedScript));
        assert_eq!(first("\u{408}\u{43e}\u{435}"), Err(Refusal::Confusable));
        assert_eq!(first("   "), Err(Refusal::Empty));
    }

    #[test]
    fn the_ascii_link_patterns_find_what_the_unicode_ones_find_in_ascii_text() {
        let unicode = LINK_PATTERNS.map(|p| Regex::new(p).unwrap());
        let ascii = LINK_PATTERNS.map(|p| Regex::new(&ascii_classes(p)).unwrap());
        assert!(ascii.iter().all(|p| !p.as_str().contains(r"\p")));
        let long_label = format!("see a.{}.com and b.{}.org", "x".repeat(64), "y".repeat(63));
        let long_tld = format!("at c.{} or d.{} now", "z".repeat(64), "w".repeat(63));
        for text in [
            "Book: https://book.harborhealth.example/med-spa now",
            "email care@harborhealth.example or call",
            "Hi Ann, we will call you by 9:00 AM tomorrow. Reply STOP to opt out.",
            "Msg & data rates may apply. St. John, J.R. and e.g. are not hosts",
            "x-y.example.com,foo@bar.baz.qux;www.a-b.co/path?q=1 -lead.example. @not.this 1.2.3.4 a.b1",
            "mail.EXAMPLE.Org and Sub-Domain.Example.COM. end",
            long_label.as_str(),
            long_tld.as_str(),
        ] {
            for (u, a) in unicode.iter().zip(&ascii) {
                let found = |r: &Regex| r.captures_iter(text).map(|c| c.get(1).map(|m| m.range())).collect::<Vec<_>>();
                assert_eq!(found(u), found(a), "{text}");
            }
        }
    }

    #[test]
    fn links_are_found_as_a_reader_sees_them() {
        assert_eq!(links_in("Book: https://book.harborhealth.example/med-spa now"), vec!["book.harborhealth.example"]);
        assert_eq!(links_in("email care@harborhealth.example or call"), vec!["harborhealth.example"]);
        assert_eq!(links_in("Hi Ann, visit harborhealth-billing．com"), vec!["harborhealth-billing.com"]);
        assert!(links_in("Hi Ann, we will call you by 9:00 AM tomorrow. Reply STOP to opt out.").is_empty());
        assert!(links_in("Msg & data rates may apply. St. John, J.R. and e.g. are not hosts").is_empty());
        // A URL's query is not a host of its own (a signed reference is dotted); a host after
        // the URL still counts.
        assert_eq!(
            links_in("Book: https://book.harborhealth.example/med-spa?utm_content=v1.QUJD.AAAAAGqU.SMeJz8iS-x then evil.example"),
            vec!["book.harborhealth.example", "evil.example"]
        );
        assert!(host_allowed("book.harborhealth.example", "harborhealth.example"));
        assert!(!host_allowed("harborhealth.example.evil.com", "harborhealth.example"));
        assert!(!host_allowed("evilharborhealth.example", "harborhealth.example"));
    }
}
