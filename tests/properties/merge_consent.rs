//! Consent after a merge is never wider than before (property test over generated consent
//! histories, addresses and survivorship rules): for every channel, the merged record allows
//! contact only if the survivor itself allowed it, with a grant newer than anything the absorbed
//! record decided, for the address that survives; and the result is always one of the two
//! records' own decisions (no evidence is invented or mixed).

use chrono::{DateTime, Duration, Utc};
use leadflow::domain::merge::{merge_leads, MergeField, Rule, Survivorship};
use leadflow::domain::{ChannelConsent, ContactChannel, Lead, SourceChannel};
use leadflow_tests::fuzz;
use leadflow_tests::leads::{base_time, sample_lead_at};
use proptest::prelude::*;

/// A channel's record: none, a grant, a refusal, or a grant revoked later (hours after base).
fn channel_consent() -> impl Strategy<Value = Option<(bool, i64, Option<i64>)>> {
    prop_oneof![
        Just(None),
        (any::<bool>(), 0i64..100, proptest::option::of(0i64..50)).prop_map(|(g, at, rev)| Some((g, at, rev.map(|r| at + r)))),
    ]
}

fn to_consent(c: Option<(bool, i64, Option<i64>)>) -> Option<ChannelConsent> {
    let t = |h: i64| base_time() + Duration::hours(h);
    c.map(|(granted, at, revoked)| ChannelConsent {
        granted,
        text_version: "v1".into(),
        text_sha256: "00".repeat(32),
        at: t(at),
        evidence: Default::default(),
        revoked_at: revoked.map(t),
        revoked_via: revoked.map(|_| "sms_keyword".into()),
    })
}

fn rule() -> impl Strategy<Value = Rule> {
    prop_oneof![Just(Rule::MostRecentVerified), Just(Rule::LongestNonEmpty), Just(Rule::SourcePriority)]
}

/// When a record last decided about a channel (none: never).
fn decided(c: Option<&ChannelConsent>) -> DateTime<Utc> {
    c.map_or(DateTime::<Utc>::MIN_UTC, |c| c.revoked_at.unwrap_or(c.at).max(c.at))
}

#[allow(clippy::too_many_arguments)]
fn lead(
    phone: u8,
    email: u8,
    created: i64,
    sms: Option<ChannelConsent>,
    call: Option<ChannelConsent>,
    mail: Option<ChannelConsent>,
) -> Lead {
    // Few distinct addresses, so records often share one (or have none).
    let phone = (phone % 3 != 0).then(|| format!("+1201555{:04}", 100 + phone % 3));
    let email = (email % 3 != 0).then(|| format!("p{}@example.com", email % 3));
    let at = base_time() + Duration::hours(created);
    let mut l = sample_lead_at(phone.as_deref(), email.as_deref(), at);
    if l.contact.phone.is_none() && l.contact.email.is_none() {
        l.contact.email = Some(leadflow_tests::leads::email("fallback@example.com"));
    }
    l.consent.sms = sms;
    l.consent.call = call;
    l.consent.email = mail;
    l
}

proptest! {
    #![proptest_config(fuzz::config(3_000))]

    #[test]
    fn a_merge_never_widens_consent(
        s_addr in (any::<u8>(), any::<u8>(), 0i64..100),
        a_addr in (any::<u8>(), any::<u8>(), 0i64..100),
        s_c in (channel_consent(), channel_consent(), channel_consent()),
        a_c in (channel_consent(), channel_consent(), channel_consent()),
        rules in (rule(), rule(), rule()),
        a_first_contact in any::<bool>(),
    ) {
        let survivor = lead(s_addr.0, s_addr.1, s_addr.2, to_consent(s_c.0), to_consent(s_c.1), to_consent(s_c.2));
        let mut absorbed = lead(a_addr.0, a_addr.1, a_addr.2, to_consent(a_c.0), to_consent(a_c.1), to_consent(a_c.2));
        absorbed.source.channel = SourceChannel::PhoneCall;
        if a_first_contact {
            absorbed.first_contact_at = Some(absorbed.created_at);
        }
        let survivorship = Survivorship {
            default: rules.0,
            fields: [(MergeField::Phone, rules.1), (MergeField::Email, rules.2)].into_iter().collect(),
            source_priority: vec![SourceChannel::PhoneCall],
        };
        let merged = merge_leads(&survivor, &absorbed, &survivorship, base_time() + Duration::days(30)).unwrap();
        for ch in ContactChannel::ALL {
            let (s, a, m) = (survivor.consent.get(ch), absorbed.consent.get(ch), merged.survivor.consent.get(ch));
            // The result is one of the two records' own decisions.
            prop_assert!(m == s || m == a, "{ch:?}: consent invented");
            if merged.survivor.consent.allows(ch) {
                // Never wider than the survivor's own consent...
                prop_assert!(survivor.consent.allows(ch), "{ch:?}: allowed after the merge, not before");
                // ...and not older than a refusal or revocation on the absorbed record.
                prop_assert!(absorbed.consent.allows(ch) || s.unwrap().at > decided(a), "{ch:?}: an older grant beat a newer refusal");
                // ...and for the address that survives, unless both allowed.
                let own = match ch {
                    ContactChannel::Sms | ContactChannel::Call => merged.survivor.contact.phone == survivor.contact.phone,
                    ContactChannel::Email => merged.survivor.contact.email == survivor.contact.email,
                };
                prop_assert!(own || absorbed.consent.allows(ch), "{ch:?}: a grant for one address moved to another");
            }
        }
        // The tombstone allows nothing and points to the survivor.
        prop_assert_eq!(merged.tombstone.merged_into, Some(survivor.id));
        prop_assert!(merged.tombstone.contact.phone.is_none() && merged.tombstone.contact.email.is_none());
    }
}
