//! Application-level envelope encryption of the most sensitive free text (the health concern,
//! notes): AES-256-GCM under a data key that a key service (KMS in AWS) wraps. Stores seal the
//! fields listed in [`fields`] on write and open them on read, so the rest of the code sees
//! plain values while a person with read access to the table sees only ciphertext and a wrapped
//! key that only `kms:Decrypt` on the field key opens.
//!
//! * [`SealedText`] is the stored form; its associated data binds it to the lead and field, so
//!   a ciphertext copied onto another lead or field does not open.
//! * [`Sealer`] caches data keys (bounded in age and uses), so a function calls KMS once every
//!   few minutes rather than per lead.
//! * [`json`] seals and opens listed paths inside a JSON document (how stores use it).
//!
//! [`link_token`] is the other half of what leaves the system: signed, expiring references for
//! links and values handed to people and tools, so that none carries a raw lead id.

pub mod fields;
pub mod json;
pub mod link_token;
mod sealed;
mod sealer;

pub use link_token::{LinkSigner, LinkTokenError, Purpose};
pub use sealed::SealedText;
pub use sealer::{CachePolicy, SealError, Sealer};
