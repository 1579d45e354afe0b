//! The patient model: demographic fit (age band, service area, insurance), behavioural
//! engagement (site visits, pricing pages, downloads, email opens and clicks), explicit interest
//! (form, call, chat, appointment request), urgency in the person's words, referral quality.

use super::{cap, words, Contribution, ScoreInput};
use crate::domain::context::InsuranceStatus;
use crate::domain::source::SourceChannel;
use crate::domain::touchpoint::TouchpointKind;
use crate::domain::urgency::UrgencyTier;
use chrono::Datelike;
use std::collections::BTreeSet;

/// Age band and the points for being inside or outside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeBand {
    pub min: u32,
    pub max: u32,
    pub inside_points: i32,
    pub outside_points: i32,
}

/// Where the practice serves, by state or postal-code prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceArea {
    pub states: BTreeSet<String>,
    pub postal_prefixes: Vec<String>,
    pub inside_points: i32,
    pub outside_points: i32,
}

impl ServiceArea {
    pub fn contains(&self, state: Option<&str>, postal_code: Option<&str>) -> Option<bool> {
        if state.is_none() && postal_code.is_none() {
            return None;
        }
        let by_state = state.is_some_and(|s| self.states.contains(&s.to_ascii_uppercase()));
        let by_zip = postal_code.is_some_and(|z| self.postal_prefixes.iter().any(|p| z.trim().starts_with(p.as_str())));
        Some(by_state || by_zip)
    }
}

/// Insurance the practice accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsuranceFit {
    pub accepted: Vec<InsuranceStatus>,
    pub accepted_points: i32,
    pub not_accepted_points: i32,
}

/// Demographic fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Demographics {
    pub age: Option<AgeBand>,
    pub area: Option<ServiceArea>,
    pub insurance: Option<InsuranceFit>,
}

/// Behavioural engagement from touchpoints; each count is capped by `max_points` overall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engagement {
    pub page_view_points: i32,
    pub pricing_page_points: i32,
    /// Page path fragments that count as pricing pages (`/pricing`, `cost`).
    pub pricing_pages: Vec<String>,
    pub download_points: i32,
    pub email_open_points: i32,
    pub email_click_points: i32,
    pub max_points: i32,
}

/// Explicit interest signals, each counted once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interest {
    pub form_points: i32,
    pub call_points: i32,
    pub chat_points: i32,
    pub appointment_request_points: i32,
    pub max_points: i32,
}

/// Points per urgency tier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrgencyPoints {
    pub urgent_points: i32,
    pub crisis_points: i32,
}

/// Referral quality: a physician's referral is worth more than a patient's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralPoints {
    pub physician_points: i32,
    pub patient_points: i32,
}

/// The patient model's factors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientModel {
    pub demographics: Demographics,
    pub engagement: Engagement,
    pub interest: Interest,
    pub urgency: UrgencyPoints,
    pub referral: ReferralPoints,
}

/// Engagement points from touchpoints (shared with the franchise model).
pub(crate) fn engagement(e: &Engagement, input: &ScoreInput<'_>, out: &mut Vec<Contribution>) {
    const F: &str = "engagement";
    let start = out.len();
    let pricing: Vec<String> = e.pricing_pages.iter().map(|p| words(p)).filter(|p| !p.is_empty()).collect();
    let (mut views, mut pricing_views, mut downloads, mut opens, mut clicks) = (0i32, 0i32, 0i32, 0i32, 0i32);
    for t in input.touchpoints {
        match t.kind {
            TouchpointKind::PageView => {
                let page = t.page.as_ref().map(|p| words(p.as_str())).unwrap_or_default();
                if !page.is_empty() && pricing.iter().any(|p| page.contains(p.as_str())) {
                    pricing_views += 1;
                } else {
                    views += 1;
                }
            }
            TouchpointKind::Download => downloads += 1,
            TouchpointKind::EmailOpen => opens += 1,
            TouchpointKind::EmailClick => clicks += 1,
            _ => {}
        }
    }
    for (signal, count, each, what) in [
        ("site_visits", views, e.page_view_points, "page views"),
        ("pricing_page_views", pricing_views, e.pricing_page_points, "pricing page views"),
        ("downloads", downloads, e.download_points, "downloads"),
        ("email_opens", opens, e.email_open_points, "email opens"),
        ("email_clicks", clicks, e.email_click_points, "email clicks"),
    ] {
        if count > 0 && each != 0 {
            out.push(Contribution::new(F, signal, count.saturating_mul(each), format!("{count} {what} x {each}")));
        }
    }
    cap(F, out, start, e.max_points);
}

fn age_on(dob: chrono::NaiveDate, today: chrono::NaiveDate) -> Option<u32> {
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

impl PatientModel {
    pub(crate) fn contributions(&self, input: &ScoreInput<'_>) -> Vec<Contribution> {
        let lead = input.lead;
        let ctx = &lead.context;
        let mut out = Vec::with_capacity(12);

        // Demographic fit.
        const D: &str = "demographic_fit";
        if let (Some(band), Some(dob)) = (&self.demographics.age, ctx.date_of_birth) {
            if let Some(age) = age_on(dob, input.now.date_naive()) {
                if (band.min..=band.max).contains(&age) {
                    out.push(Contribution::new(D, "age_in_band", band.inside_points, format!("age within {}-{}", band.min, band.max)));
                } else {
                    out.push(Contribution::new(
                        D,
                        "age_outside_band",
                        band.outside_points,
                        format!("age outside {}-{}", band.min, band.max),
                    ));
                }
            }
        }
        if let Some(area) = &self.demographics.area {
            let state = ctx.location.state.as_ref().map(|s| s.as_str());
            let zip = ctx.location.postal_code.as_ref().map(|s| s.as_str());
            match area.contains(state, zip) {
                Some(true) => out.push(Contribution::new(D, "inside_service_area", area.inside_points, "location inside the service area")),
                Some(false) => {
                    out.push(Contribution::new(D, "outside_service_area", area.outside_points, "location outside the service area"))
                }
                None => {}
            }
        }
        if let (Some(fit), Some(status)) = (&self.demographics.insurance, ctx.insurance) {
            if fit.accepted.contains(&status) {
                out.push(Contribution::new(D, "insurance_accepted", fit.accepted_points, format!("{} is accepted", status.as_str())));
            } else {
                out.push(Contribution::new(
                    D,
                    "insurance_not_accepted",
                    fit.not_accepted_points,
                    format!("{} is not accepted", status.as_str()),
                ));
            }
        }

        engagement(&self.engagement, input, &mut out);

        // Explicit interest: each kind of signal once.
        const I: &str = "explicit_interest";
        let start = out.len();
        let i = &self.interest;
        let has = |kind: TouchpointKind| input.touchpoints.iter().any(|t| t.kind == kind);
        for (kind, signal, points, detail) in [
            (TouchpointKind::FormSubmission, "form", i.form_points, "submitted a form"),
            (TouchpointKind::Call, "call", i.call_points, "called"),
            (TouchpointKind::Chat, "chat", i.chat_points, "wrote in the chat"),
            (TouchpointKind::AppointmentRequest, "appointment_request", i.appointment_request_points, "asked for an appointment"),
        ] {
            if points != 0 && has(kind) {
                out.push(Contribution::new(I, signal, points, detail));
            }
        }
        cap(I, &mut out, start, i.max_points);

        // Urgency.
        const U: &str = "urgency";
        let phrases = input.urgency.matches.iter().map(|m| m.phrase.as_str()).collect::<Vec<_>>().join(", ");
        let why = |tier: &str| match (phrases.is_empty(), input.urgency.stated_urgent) {
            (false, _) => format!("{tier}: matched {phrases}"),
            (true, true) => format!("{tier}: marked urgent on the form"),
            (true, false) => tier.to_string(),
        };
        match input.urgency.tier {
            UrgencyTier::Crisis if self.urgency.crisis_points != 0 => {
                out.push(Contribution::new(U, "crisis", self.urgency.crisis_points, why("crisis")))
            }
            UrgencyTier::Urgent if self.urgency.urgent_points != 0 => {
                out.push(Contribution::new(U, "urgent", self.urgency.urgent_points, why("urgent")))
            }
            _ => {}
        }

        // Referral quality: the lead's own channel, or a referral touchpoint.
        const R: &str = "referral";
        let referred_by = |c: SourceChannel| lead.source.channel == c || input.touchpoints.iter().any(|t| t.channel == c);
        if referred_by(SourceChannel::PhysicianReferral) && self.referral.physician_points != 0 {
            out.push(Contribution::new(R, "physician_referral", self.referral.physician_points, "referred by a physician"));
        } else if referred_by(SourceChannel::PatientReferral) && self.referral.patient_points != 0 {
            out.push(Contribution::new(R, "patient_referral", self.referral.patient_points, "referred by a patient"));
        }
        out
    }
}
