//! Scoring a candidate pair: points for and against being one person, with the reasons, so a
//! reviewer sees why two records were matched. Contact identifiers weigh most; names, birth
//! date and place confirm or contradict.

use super::blocking::sounds_alike;
use super::nicknames::same_person;
use super::person::PersonFacts;
use serde::{Deserialize, Serialize};

/// One piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    SamePhone,
    DifferentPhone,
    SameEmail,
    DifferentEmail,
    SameFirstName,
    NicknameFirstName,
    SimilarFirstName { similarity: f64 },
    SameInitial,
    DifferentFirstName,
    SameLastName,
    SimilarLastName { similarity: f64 },
    SoundsLikeLastName,
    DifferentLastName,
    SwappedNames,
    SameBirthDate,
    DifferentBirthDate,
    SamePostalCode,
    DifferentPostalCode,
}

/// The evidence for a pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairScore {
    /// Sum of the evidence points; compare with [`MatchThresholds`].
    pub points: f64,
    pub reasons: Vec<(Reason, f64)>,
}

/// What to do with a scored pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Different people.
    Distinct,
    /// Probably one person: a team member decides.
    Review,
    /// One person beyond reasonable doubt: merged automatically (and reversibly).
    AutoMerge,
}

impl PairScore {
    /// Whether any identifier contradicts the match (a different phone, email or birth date).
    pub fn has_contradiction(&self) -> bool {
        self.reasons.iter().any(|(r, _)| matches!(r, Reason::DifferentPhone | Reason::DifferentEmail | Reason::DifferentBirthDate))
    }

    /// The decision under `thresholds`. A contradicting identifier (two different emails, say)
    /// never merges automatically: a parent and child of the same name sharing the family phone
    /// look like that, and only a person can tell.
    pub fn decide(&self, thresholds: &MatchThresholds) -> Decision {
        if self.points >= thresholds.auto_merge && !self.has_contradiction() {
            Decision::AutoMerge
        } else if self.points >= thresholds.review {
            Decision::Review
        } else {
            Decision::Distinct
        }
    }

    /// The points as a 0..1 confidence for display (logistic around the review threshold).
    pub fn confidence(&self, thresholds: &MatchThresholds) -> f64 {
        1.0 / (1.0 + (-(self.points - thresholds.review)).exp())
    }
}

/// Where a pair becomes a probable duplicate (queued for review) and where it is merged
/// automatically.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchThresholds {
    pub review: f64,
    pub auto_merge: f64,
}

impl Default for MatchThresholds {
    fn default() -> Self {
        MatchThresholds { review: 4.5, auto_merge: 6.5 }
    }
}

/// Points for given names.
fn first_names(a: &str, b: &str) -> Option<(Reason, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some((Reason::SameFirstName, 1.5));
    }
    if same_person(a, b) {
        return Some((Reason::NicknameFirstName, 1.4));
    }
    let jw = strsim::jaro_winkler(a, b);
    if jw >= 0.9 || one_slip(a, b) {
        return Some((Reason::SimilarFirstName { similarity: round2(jw) }, 1.0));
    }
    if (a.len() == 1 || b.len() == 1) && a[..1] == b[..1] {
        return Some((Reason::SameInitial, 0.3));
    }
    Some((Reason::DifferentFirstName, -2.5))
}

/// Points for family names.
fn last_names(a: &str, b: &str) -> Option<(Reason, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some((Reason::SameLastName, 1.5));
    }
    let jw = strsim::jaro_winkler(a, b);
    if jw >= 0.9 || one_slip(a, b) {
        return Some((Reason::SimilarLastName { similarity: round2(jw) }, 1.0));
    }
    if sounds_alike(a, b) {
        return Some((Reason::SoundsLikeLastName, 0.7));
    }
    Some((Reason::DifferentLastName, -2.0))
}

/// One typing slip apart (a wrong, missing, extra or swapped letter) in names long enough that
/// a slip does not make another common name.
fn one_slip(a: &str, b: &str) -> bool {
    a.chars().count().min(b.chars().count()) >= 4 && strsim::osa_distance(a, b) <= 1
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores a pair of records.
pub fn score_pair(a: &PersonFacts, b: &PersonFacts) -> PairScore {
    let mut reasons: Vec<(Reason, f64)> = Vec::with_capacity(6);
    match (&a.phone, &b.phone) {
        (Some(x), Some(y)) if x == y => reasons.push((Reason::SamePhone, 4.0)),
        (Some(_), Some(_)) => reasons.push((Reason::DifferentPhone, -1.0)),
        _ => {}
    }
    match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => reasons.push((Reason::SameEmail, 4.0)),
        (Some(_), Some(_)) => reasons.push((Reason::DifferentEmail, -1.0)),
        _ => {}
    }
    // Names as written, or swapped (first and last typed into each other's fields, in either
    // record: the given name is compared as a given name, nicknames included).
    let sum = |v: &[(Reason, f64)]| v.iter().map(|r| r.1).sum::<f64>();
    let direct: Vec<(Reason, f64)> = first_names(&a.first, &b.first).into_iter().chain(last_names(&a.last, &b.last)).collect();
    let b_swapped: Vec<(Reason, f64)> = first_names(&a.first, &b.last).into_iter().chain(last_names(&a.last, &b.first)).collect();
    let a_swapped: Vec<(Reason, f64)> = last_names(&a.first, &b.last).into_iter().chain(first_names(&a.last, &b.first)).collect();
    let swapped = if sum(&b_swapped) >= sum(&a_swapped) { b_swapped } else { a_swapped };
    let swapped_wins = a.first != a.last && swapped.len() == 2 && swapped.iter().all(|r| r.1 > 0.0) && sum(&swapped) > sum(&direct);
    if swapped_wins {
        reasons.push((Reason::SwappedNames, sum(&swapped)));
    } else {
        reasons.extend(direct);
    }
    match (a.birth_date, b.birth_date) {
        (Some(x), Some(y)) if x == y => reasons.push((Reason::SameBirthDate, 2.0)),
        (Some(_), Some(_)) => reasons.push((Reason::DifferentBirthDate, -3.5)),
        _ => {}
    }
    match (&a.postal, &b.postal) {
        (Some(x), Some(y)) if x == y => reasons.push((Reason::SamePostalCode, 0.5)),
        (Some(_), Some(_)) => reasons.push((Reason::DifferentPostalCode, -0.5)),
        _ => {}
    }
    PairScore { points: sum(&reasons), reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn p(first: &str, last: &str, phone: Option<&str>, email: Option<&str>) -> PersonFacts {
        PersonFacts::new(first, last, phone, email, None, Some("07030"))
    }

    #[test]
    fn same_phone_and_name_is_an_automatic_match() {
        let s = score_pair(&p("Ann", "Lee", Some("+12015550123"), None), &p("ann", "LEE", Some("+12015550123"), Some("a@x.com")));
        assert!(s.points >= MatchThresholds::default().auto_merge, "{s:?}");
        assert!(s.reasons.iter().any(|r| r.0 == Reason::SamePhone));
    }

    #[test]
    fn nicknames_typos_and_swaps_still_match() {
        let t = MatchThresholds::default();
        let base = p("Robert", "Miller", Some("+12015550123"), Some("rob@x.com"));
        assert!(score_pair(&base, &p("Bob", "Miller", None, Some("rob@x.com"))).points >= t.auto_merge);
        assert!(score_pair(&base, &p("Robert", "Millre", Some("+12015550123"), None)).points >= t.auto_merge);
        let swapped = score_pair(&base, &p("Miller", "Robert", Some("+12015550123"), None));
        assert!(swapped.points >= t.auto_merge && swapped.reasons.iter().any(|r| r.0 == Reason::SwappedNames), "{swapped:?}");
    }

    #[test]
    fn a_slip_of_one_letter_is_a_similar_name() {
        let t = MatchThresholds::default();
        let a = p("John", "Smith", None, Some("js@x.com"));
        assert!(score_pair(&a, &p("Josn", "Smith", None, Some("js@x.com"))).points >= t.auto_merge);
        // Swapped fields with a typo and a nickname.
        let b = p("Patricia", "Jones", Some("+12015550123"), None);
        let s = score_pair(&b, &p("Joones", "Trish", Some("+12015550123"), None));
        assert!(s.points >= t.auto_merge, "{s:?}");
    }

    #[test]
    fn contradictions_go_to_review_not_to_automatic_merge() {
        let t = MatchThresholds::default();
        let same_phone_other_email = score_pair(
            &p("Ryan", "Davis", Some("+12015550123"), Some("ryan@x.com")),
            &p("Ryan", "Davis", Some("+12015550123"), Some("ryanjr@x.com")),
        );
        assert!(same_phone_other_email.points >= t.auto_merge);
        assert_eq!(same_phone_other_email.decide(&t), Decision::Review);
        assert_eq!(
            score_pair(&p("Ryan", "Davis", Some("+12015550123"), None), &p("Ryan", "Davis", Some("+12015550123"), None)).decide(&t),
            Decision::AutoMerge
        );
    }

    #[test]
    fn household_members_sharing_a_phone_do_not_match() {
        let t = MatchThresholds::default();
        let a = p("John", "Garcia", Some("+12015550123"), Some("john@x.com"));
        let b = p("Maria", "Garcia", Some("+12015550123"), Some("maria@x.com"));
        assert!(score_pair(&a, &b).points < t.review);
        // Father and son of the same name told apart by birth date.
        let sr = PersonFacts { birth_date: NaiveDate::from_ymd_opt(1961, 2, 3), ..p("Luis", "Ortiz", Some("+12015550124"), None) };
        let jr = PersonFacts { birth_date: NaiveDate::from_ymd_opt(1992, 7, 9), ..p("Luis", "Ortiz", Some("+12015550124"), None) };
        assert!(score_pair(&sr, &jr).points < t.review);
    }

    #[test]
    fn the_same_common_name_with_other_contacts_is_someone_else() {
        let s = score_pair(
            &p("James", "Smith", Some("+12015550123"), Some("js1@x.com")),
            &p("James", "Smith", Some("+12015550199"), Some("js2@x.com")),
        );
        assert!(s.points < MatchThresholds::default().review, "{s:?}");
    }
}
