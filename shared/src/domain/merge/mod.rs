//! Merging two records of one person, reversibly. Pure: which values survive (configured
//! survivorship rules per field), how consent combines (never wider than before), what the
//! absorbed record becomes (a tombstone pointing to the survivor) and how the absorbed timeline
//! joins the survivor's. Stores apply the result atomically and keep a before-image of both
//! records so `unmerge` restores them exactly.

mod consent;
mod plan;
mod survivorship;

pub use consent::{merge_consent, ConsentSide};
pub use plan::{joined_entry, merge_leads, FieldChoice, MergeError, Merged, MERGED_REASON};
pub use survivorship::{MergeField, Rule, Survivorship};
