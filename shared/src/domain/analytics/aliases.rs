//! The source-name table: many spellings of one source (`fb`, `facebook.com`,
//! `m.facebook.com`, `Facebook`) read as one canonical name (`facebook`). Applied when reports
//! are read, so adding an alias corrects history at once; values that are neither a canonical
//! name, an alias nor one of leadflow's own names are listed for review.

use super::dimension::{clean_value, NONE, OTHER};
use std::collections::BTreeMap;

/// Names leadflow itself gives sources (untagged channels, click ids): always recognized.
pub const BUILTIN: &[&str] = &[
    "direct",
    "phone",
    "chat",
    "social",
    "physician_referral",
    "patient_referral",
    "event",
    "walk_in",
    "paid_ad",
    "email",
    "other",
    "google",
    "facebook",
    "bing",
    NONE,
    OTHER,
];

/// An alias claimed by two canonical names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{alias}` is listed for both `{first}` and `{second}`")]
pub struct AliasConflict {
    pub alias: String,
    pub first: String,
    pub second: String,
}

/// The normalization table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceAliases {
    /// Cleaned alias (and canonical name) -> canonical name.
    names: BTreeMap<String, String>,
}

impl SourceAliases {
    /// Builds the table from `canonical -> [aliases]`. Matching ignores case and surrounding
    /// spaces. A canonical name is implicitly its own alias.
    pub fn new<'a>(table: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Result<Self, Vec<AliasConflict>> {
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut conflicts = Vec::new();
        let table: Vec<(String, Vec<String>)> =
            table.into_iter().map(|(c, a)| (clean_value(c), a.iter().map(|x| clean_value(x)).collect())).collect();
        for (canonical, _) in &table {
            names.insert(canonical.clone(), canonical.clone());
        }
        for (canonical, aliases) in &table {
            for alias in aliases {
                match names.get(alias) {
                    Some(owner) if owner != canonical => {
                        conflicts.push(AliasConflict { alias: alias.clone(), first: owner.clone(), second: canonical.clone() })
                    }
                    _ => {
                        names.insert(alias.clone(), canonical.clone());
                    }
                }
            }
        }
        if conflicts.is_empty() {
            Ok(SourceAliases { names })
        } else {
            Err(conflicts)
        }
    }

    /// The canonical name of a stored or raw source value (unknown values stay as they are,
    /// cleaned).
    pub fn normalize(&self, raw: &str) -> String {
        let v = clean_value(raw);
        self.names.get(&v).cloned().unwrap_or(v)
    }

    /// Whether the value is a canonical name, an alias or one of leadflow's own names.
    pub fn is_recognized(&self, raw: &str) -> bool {
        let v = clean_value(raw);
        self.names.contains_key(&v) || BUILTIN.contains(&v.as_str())
    }

    /// The canonical names configured.
    pub fn canonical_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.names.iter().filter(|(k, v)| k == v).map(|(k, _)| k.as_str()).collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SourceAliases {
        let fb = vec!["fb".to_string(), "facebook.com".into(), "m.facebook.com".into(), "Facebook".into()];
        let g = vec!["google.com".to_string(), "adwords".into()];
        SourceAliases::new([("facebook", fb.as_slice()), ("google", g.as_slice())]).unwrap()
    }

    #[test]
    fn spellings_normalize_to_one_name() {
        let t = table();
        for raw in ["fb", "FB", " facebook.com ", "m.facebook.com", "Facebook", "facebook"] {
            assert_eq!(t.normalize(raw), "facebook", "{raw}");
        }
        assert_eq!(t.normalize("AdWords"), "google");
        assert_eq!(t.normalize("TikTok"), "tiktok");
    }

    #[test]
    fn unknown_values_are_unrecognized() {
        let t = table();
        assert!(t.is_recognized("fb"));
        assert!(t.is_recognized("direct"));
        assert!(t.is_recognized("physician_referral"));
        assert!(!t.is_recognized("tiktok"));
        assert!(!t.is_recognized("faceboook"));
        assert_eq!(t.canonical_names(), ["facebook", "google"]);
    }

    #[test]
    fn an_alias_claimed_twice_is_refused() {
        let a = vec!["fb".to_string()];
        let b = vec!["FB".to_string()];
        let err = SourceAliases::new([("facebook", a.as_slice()), ("fbads", b.as_slice())]).unwrap_err();
        assert_eq!(err, [AliasConflict { alias: "fb".into(), first: "facebook".into(), second: "fbads".into() }]);
    }
}
