//! Duplicate detection beyond exact keys: the same person inquiring by form, then by phone,
//! then by chat, with a typo, a nickname, swapped name fields or a new number.
//!
//! Records are normalized into [`PersonFacts`], grouped by [`blocking_keys`] so only records
//! that share a key are compared ([`candidate_pairs`]), and each candidate pair is scored with
//! its reasons ([`score_pair`]). [`MatchThresholds`] decide between "probably the same person,
//! review" and "merge automatically".

mod blocking;
mod candidates;
mod nicknames;
mod normalize;
mod person;
mod score;

pub use blocking::{blocking_keys, sounds_alike};
pub use candidates::{candidate_pairs, Candidates};
pub use nicknames::same_person as same_given_name;
pub use normalize::{email_key, name_key, postal_key};
pub use person::PersonFacts;
pub use score::{score_pair, Decision, MatchThresholds, PairScore, Reason};
