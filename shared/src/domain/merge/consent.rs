//! Consent after a merge: per channel, the most restrictive of the two records, unless the
//! surviving record proves newer consent (its grant is later than the other record's decision
//! and was given for the address that survives). A merge therefore never hands a person a
//! consent they did not give: the result is always one of the two records' own decisions, and
//! it allows contact only when the survivor's own, newest decision does.

use crate::domain::{ChannelConsent, Consents, ContactChannel, Lead};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whose decision a channel kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSide {
    Survivor,
    Absorbed,
}

/// When a record last decided about a channel: its revocation, or its grant or refusal. A
/// record that was never asked decided nothing (its missing consent still restricts: it never
/// allows anything by itself).
fn decided_at(record: Option<&ChannelConsent>, _lead: &Lead) -> DateTime<Utc> {
    match record {
        Some(c) => c.revoked_at.unwrap_or(c.at).max(c.at),
        None => DateTime::<Utc>::MIN_UTC,
    }
}

fn active(record: Option<&ChannelConsent>) -> bool {
    record.is_some_and(ChannelConsent::is_active)
}

/// The merged consents. `survivor_address(channel)` says whether the address the channel
/// reaches after the merge is the survivor's own (consent belongs to an address: a grant for
/// one number says nothing about another).
pub fn merge_consent(
    survivor: &Lead,
    absorbed: &Lead,
    survivor_address: impl Fn(ContactChannel) -> bool,
) -> (Consents, Vec<(ContactChannel, ConsentSide)>) {
    let mut out = Consents::default();
    let mut sides = Vec::new();
    for channel in ContactChannel::ALL {
        let (s, a) = (survivor.consent.get(channel), absorbed.consent.get(channel));
        let side = match (active(s), active(a)) {
            // Both allow: keep the decision given for the address that survives.
            (true, true) => {
                if survivor_address(channel) {
                    ConsentSide::Survivor
                } else {
                    ConsentSide::Absorbed
                }
            }
            // Only the survivor allows: it stands only if it is newer than the absorbed record's
            // decision and concerns the surviving address.
            (true, false) => {
                if survivor_address(channel) && s.is_some_and(|c| c.at > decided_at(a, absorbed)) {
                    ConsentSide::Survivor
                } else {
                    ConsentSide::Absorbed
                }
            }
            // Only the absorbed record allows: the survivor's restriction stands.
            (false, true) => ConsentSide::Survivor,
            // Neither allows: keep the later decision (a revocation says more than silence).
            (false, false) => {
                if a.is_some() && (s.is_none() || decided_at(a, absorbed) > decided_at(s, survivor)) {
                    ConsentSide::Absorbed
                } else {
                    ConsentSide::Survivor
                }
            }
        };
        *out.get_mut(channel) = match side {
            ConsentSide::Survivor => s.cloned(),
            ConsentSide::Absorbed => a.cloned(),
        };
        sides.push((channel, side));
    }
    (out, sides)
}
