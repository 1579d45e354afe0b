//! Blocking keys: records are only compared when they share a key, so candidate pairs come from
//! a few index look-ups instead of comparing every pair. Each key catches one kind of duplicate:
//! the same phone, the same mailbox, a surname that sounds alike in the same ZIP, the same two
//! names in either order (swapped fields), the same birth date and surname initial, or the same
//! nickname group and surname sound.

use super::nicknames::canonical;
use super::person::PersonFacts;
use rphonetic::{Encoder, Metaphone, Soundex};
use std::sync::OnceLock;

fn soundex(s: &str) -> String {
    static ENC: OnceLock<Soundex> = OnceLock::new();
    if s.is_empty() {
        return String::new();
    }
    ENC.get_or_init(Soundex::default).encode(s)
}

fn metaphone(s: &str) -> String {
    static ENC: OnceLock<Metaphone> = OnceLock::new();
    if s.is_empty() {
        return String::new();
    }
    ENC.get_or_init(Metaphone::default).encode(s)
}

/// Whether two surnames sound alike (American Soundex).
pub fn sounds_alike(a: &str, b: &str) -> bool {
    !a.is_empty() && soundex(a) == soundex(b)
}

/// The blocking keys of a record.
pub fn blocking_keys(p: &PersonFacts) -> Vec<String> {
    let mut keys = Vec::with_capacity(6);
    if let Some(phone) = &p.phone {
        keys.push(format!("p:{phone}"));
    }
    if let Some(email) = &p.email {
        keys.push(format!("e:{email}"));
    }
    if !p.last.is_empty() {
        if let Some(postal) = &p.postal {
            keys.push(format!("z:{}:{postal}", soundex(&p.last)));
        }
        if let Some(dob) = p.birth_date {
            keys.push(format!("d:{dob}:{}", &p.last[..1]));
        }
        if !p.first.is_empty() {
            let (a, b) = (soundex(&p.first), soundex(&p.last));
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            keys.push(format!("s:{lo}:{hi}"));
            keys.push(format!("n:{}:{}", canonical(&p.first), metaphone(&p.last)));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_names_and_nicknames_share_a_key() {
        let a = PersonFacts::new("Robert", "Miller", None, None, None, None);
        let swapped = PersonFacts::new("Miller", "Robert", None, None, None, None);
        let nick = PersonFacts::new("Bob", "Miler", None, None, None, None);
        let ka = blocking_keys(&a);
        assert!(blocking_keys(&swapped).iter().any(|k| ka.contains(k)));
        assert!(blocking_keys(&nick).iter().any(|k| ka.contains(k)));
    }

    #[test]
    fn contact_keys_are_exact() {
        let a = PersonFacts::new("Ann", "Lee", Some("+12015550123"), Some("Ann.Lee+x@gmail.com"), None, Some("07030"));
        let keys = blocking_keys(&a);
        assert!(keys.contains(&"p:+12015550123".to_string()));
        assert!(keys.contains(&"e:annlee@gmail.com".to_string()));
        assert!(keys.iter().any(|k| k.starts_with("z:L000:07030")));
    }
}
