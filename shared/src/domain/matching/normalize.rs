//! Forms of names and addresses used only for comparing people: accents folded, case and
//! punctuation removed, mailbox aliases collapsed. Stored values are never changed by this.

use unicode_normalization::UnicodeNormalization;

/// `"O'Brien-Smith "` -> `"obriensmith"`, `"José"` -> `"jose"`: letters only, ASCII where the
/// letter has an accent-free form.
pub fn name_key(name: &str) -> String {
    name.nfd().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect()
}

/// The first word of a given name (`"Mary Ann"` -> `"mary"`), normalized.
pub fn first_word_key(name: &str) -> String {
    name.split_whitespace().next().map(name_key).unwrap_or_default()
}

/// An email for matching: lower case, `+tag` removed, and for Gmail the dots that Gmail ignores.
pub fn email_key(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else { return lower };
    let local = local.split('+').next().unwrap_or(local);
    let domain = if domain == "googlemail.com" { "gmail.com" } else { domain };
    let local = if domain == "gmail.com" { local.replace('.', "") } else { local.to_string() };
    format!("{local}@{domain}")
}

/// The first five digits of a US ZIP (or the whole code elsewhere), for comparing places.
pub fn postal_key(code: &str) -> String {
    let compact: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    if compact.len() == 9 && compact.chars().all(|c| c.is_ascii_digit()) {
        compact[..5].to_string()
    } else {
        compact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_case_accents_and_punctuation() {
        assert_eq!(name_key("O'Brien-Smith "), "obriensmith");
        assert_eq!(name_key("José"), "jose");
        assert_eq!(name_key("ZOË"), "zoe");
        assert_eq!(first_word_key("Mary Ann"), "mary");
    }

    #[test]
    fn mailbox_aliases_collapse() {
        assert_eq!(email_key("Ann.Lee+clinic@GMail.com"), "annlee@gmail.com");
        assert_eq!(email_key("ann.lee+x@example.com"), "ann.lee@example.com");
        assert_eq!(email_key("a.b@googlemail.com"), "ab@gmail.com");
    }

    #[test]
    fn zip_plus_four_compares_as_five_digits() {
        assert_eq!(postal_key("07030-1234"), "07030");
        assert_eq!(postal_key("SW1A 1AA"), "SW1A1AA");
    }
}
