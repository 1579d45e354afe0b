//! 42 CFR Part 2: records of substance use disorder treatment may not be disclosed without the
//! patient's written consent, stricter than HIPAA. Service lines flagged `part2` (on by default
//! for `addiction_treatment`) are therefore kept out of everything that leaves the practice:
//!
//! * analytics exports and aggregate reports built for outside parties: filter with
//!   [`analytics_leads`] or check [`include_in_analytics_export`];
//! * any payload to a third party (ad-platform conversions, CRM sync, outgoing webhooks):
//!   check [`may_share_with_third_party`] before building the payload, and send nothing (not even
//!   an id) for a Part 2 lead.
//!
//! Later features that send data out must call these, never read `ServiceLine::part2` alone.

use crate::config::Config;
use crate::domain::Lead;

/// Whether `lead` falls under 42 CFR Part 2.
pub fn is_part2(config: &Config, lead: &Lead) -> bool {
    config.is_part2_line(&lead.context.service_line)
}

/// Whether `lead` may appear in an analytics export.
pub fn include_in_analytics_export(config: &Config, lead: &Lead) -> bool {
    !is_part2(config, lead)
}

/// Whether any part of `lead` (ids and event names included) may go to a third party.
pub fn may_share_with_third_party(config: &Config, lead: &Lead) -> bool {
    !is_part2(config, lead)
}

/// The leads an analytics export may hold.
pub fn analytics_leads<'a>(config: &'a Config, leads: impl IntoIterator<Item = &'a Lead> + 'a) -> impl Iterator<Item = &'a Lead> + 'a {
    leads.into_iter().filter(move |l| include_in_analytics_export(config, l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ServiceLineId;

    fn lead(line: &str) -> Lead {
        serde_json::from_value(serde_json::json!({
            "id": "01JQ0000000000000000000001", "status": "new", "contact": {"email": "a@example.com"},
            "context": {"service_line": line}, "source": {"channel": "web_form"},
            "created_at": "2026-03-03T15:30:00Z", "updated_at": "2026-03-03T15:30:00Z", "version": 1
        }))
        .unwrap()
    }

    #[test]
    fn part2_leads_never_leave_the_practice() {
        let config = Config::embedded_default().unwrap();
        let (recovery, spa) = (lead("addiction_treatment"), lead("med_spa"));
        assert!(is_part2(&config, &recovery) && !is_part2(&config, &spa));
        assert!(!may_share_with_third_party(&config, &recovery) && may_share_with_third_party(&config, &spa));
        assert!(!include_in_analytics_export(&config, &recovery));
        let all = [recovery.clone(), spa.clone()];
        let exported: Vec<&Lead> = analytics_leads(&config, all.iter()).collect();
        assert_eq!(exported, vec![&spa]);
        // A line gone from the configuration still counts as Part 2 when it is addiction treatment.
        let mut trimmed = config.clone();
        trimmed.service_lines.remove(&ServiceLineId::parse("addiction_treatment").unwrap());
        assert!(is_part2(&trimmed, &recovery));
    }
}
