//! Which stored fields are sealed. Paths are dot-separated object keys inside the stored
//! document; `[]` stands for every element of an array (`notes[].text`) and `*` for every value
//! of an object (`fields.*`). Adding a path here is all a new sensitive free-text field needs:
//! the DynamoDB adapter seals it on write, and every read opens whatever is sealed.

/// Sealed paths of a lead record: the health concern and the values of the site's own form
/// fields kept with it (the person's words too), the lead's and each recorded inquiry's, and
/// the urgency phrases scoring matched in the concern (the explanation names them, so it says
/// as much as the concern).
pub const LEAD: &[&str] = &[
    "context.concern",
    "context.extras[].value",
    "inquiries[].context.concern",
    "inquiries[].context.extras[].value",
    "score.urgency.matches[].phrase",
    "score.urgency.negated[]",
    "score.contributions[].detail",
];

/// Sealed paths of a timeline entry (entries are stored flat: the kind's fields sit beside
/// `id`, `at` and `actor`): staff notes on contact attempts, status changes, milestones,
/// reassignments and on the lead itself (`note`), message texts (`text`: a person's reply, and
/// what leadflow or a staff member sent them; `subject`: a staff e-mail's subject;
/// `outcome.text`: what a follow-up cadence step sent), and the values a staff edit changed
/// (`changes[].before`, `changes[].after`).
pub const TIMELINE: &[&str] = &["note", "text", "subject", "outcome.text", "changes[].before", "changes[].after"];

/// Sealed paths of a stored webhook event: an inbound text's body, and every field a generic
/// source (a chat, a social DM) reported, which may hold a concern in the person's own words.
pub const INBOUND: &[&str] = &["kind.body", "kind.fields.*"];

/// The encryption context every data key carries: KMS refuses to unwrap a key under another
/// purpose, and the field key's policy only allows this one.
pub const PURPOSE_KEY: &str = "purpose";
pub const PURPOSE: &str = "leadflow-sealed-field";
