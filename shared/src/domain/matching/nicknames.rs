//! Given names that refer to the same person (Robert / Bob), kept as data in
//! `nicknames.txt` so the list can grow without code changes.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const DATA: &str = include_str!("nicknames.txt");

/// Group ids of every name in the table.
fn groups() -> &'static HashMap<String, Vec<usize>> {
    static GROUPS: OnceLock<HashMap<String, Vec<usize>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut map: HashMap<String, Vec<usize>> = HashMap::new();
        let lines = DATA.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        for (g, line) in lines.enumerate() {
            let names: HashSet<&str> = line.split_whitespace().collect();
            for name in names {
                map.entry(name.to_string()).or_default().push(g);
            }
        }
        map
    })
}

/// Whether two normalized given names can be the same person's (equal, or in one group).
pub fn same_person(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (groups().get(a), groups().get(b)) {
        (Some(x), Some(y)) => x.iter().any(|g| y.contains(g)),
        _ => false,
    }
}

/// A stable key shared by all forms of a name (the smallest group id, or the name itself), for
/// blocking.
pub fn canonical(name: &str) -> String {
    match groups().get(name).and_then(|g| g.iter().min()) {
        Some(g) => format!("#{g}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_match_their_full_names_and_each_other() {
        assert!(same_person("bob", "robert"));
        assert!(same_person("bobby", "rob"));
        assert!(same_person("liz", "beth"));
        assert!(same_person("alex", "alexandra") && same_person("alex", "alexander"));
        assert!(!same_person("bob", "william"));
        assert!(!same_person("alexander", "alexandra"));
        assert!(same_person("zoe", "zoe"));
        assert_eq!(canonical("bill"), canonical("william"));
    }
}
