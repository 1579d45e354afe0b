//! The scoring review over stored leads, on both adapters: leads are read through the
//! status indexes for the period, test records, other models and leads outside the period are
//! left out, and the answer carries aggregates only.

use chrono::{DateTime, Duration, Utc};
use leadflow::app::scoring_review::{run, ReviewQuery};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::scoring::{Contribution, LeadScore, ScoreBand};
use leadflow::domain::urgency::{UrgencyAssessment, UrgencyTier};
use leadflow::domain::{Lead, LeadStatus};
use leadflow::ports::ManualClock;
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::leads::{base_time, sample_lead_at};
use std::sync::Arc;

fn scored(at: DateTime<Utc>, model: &str, fit: bool, engaged: bool, converted: bool) -> Lead {
    let mut l = sample_lead_at(None, Some(&format!("p-{}@harborhealth.org", ulid::Ulid::new().to_string().to_lowercase())), at);
    let contributions = vec![
        Contribution::new("demographic_fit", "insurance", if fit { 30 } else { 0 }, "fit"),
        Contribution::new("engagement", "pages", if engaged { 20 } else { 0 }, "engagement"),
    ];
    let score = contributions.iter().map(|c| c.points).sum::<i32>() as u32;
    l.score = Some(LeadScore {
        model: model.into(),
        model_version: 1,
        score,
        band: if score >= 50 {
            ScoreBand::Hot
        } else if score >= 20 {
            ScoreBand::Warm
        } else {
            ScoreBand::Cold
        },
        urgency: UrgencyAssessment { tier: UrgencyTier::Routine, matches: vec![], negated: vec![], stated_urgent: false },
        contributions,
        scored_at: at,
    });
    if converted {
        l.status = LeadStatus::Converted;
        l.converted_at = Some(at + Duration::days(3));
    }
    l
}

async fn case(s: &Services) {
    let t0 = base_time();
    let mut n = 0;
    // 60 leads in the period: conversions follow demographic fit only.
    for i in 0..60u32 {
        let fit = i % 2 == 0;
        let engaged = i % 3 == 0;
        let converted = fit && i % 4 == 0 || (!fit && i % 15 == 1);
        s.leads
            .create_or_match(&scored(t0 + Duration::hours(i64::from(i)), "patient-standard", fit, engaged, converted), &Default::default())
            .await
            .unwrap();
        n += 1;
    }
    // Left out: before the period, another model, a test record.
    s.leads.create_or_match(&scored(t0 - Duration::days(10), "patient-standard", true, true, true), &Default::default()).await.unwrap();
    s.leads.create_or_match(&scored(t0, "franchise", true, true, true), &Default::default()).await.unwrap();
    let mut test = scored(t0, "patient-standard", true, true, true);
    test.test = true;
    s.leads.create_or_match(&test, &Default::default()).await.unwrap();

    let q = ReviewQuery { model: "patient-standard".into(), from: t0, to: t0 + Duration::days(30) };
    let r = run(s, &q).await.unwrap();
    assert_eq!(r.review.leads, n, "{:?}", r.review);
    assert_eq!(r.review.converted, 15 + 2);
    assert!(!r.truncated);
    assert_eq!(r.review.deciles.iter().map(|d| d.leads).sum::<usize>(), n);
    let auc = r.review.auc_current.unwrap();
    assert!(auc > 0.5 && auc <= 1.0, "{auc}");
    let fit = r.review.weights.iter().find(|w| w.factor == "demographic_fit").unwrap();
    let engagement = r.review.weights.iter().find(|w| w.factor == "engagement").unwrap();
    assert!(fit.suggested_points > engagement.suggested_points, "{:?}", r.review.weights);
    assert!(r.review.auc_suggested.unwrap() >= auc - 1e-9);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("harborhealth"), "no personal data in the review");
}

#[tokio::test]
async fn the_review_reads_the_period_through_the_indexes_on_the_embedded_store() {
    let system = EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(base_time())));
    case(&system.services).await;
}

#[tokio::test]
async fn the_review_reads_the_period_through_the_indexes_on_dynamodb() {
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
    let s = aws.services(store, &queues, Arc::new(ManualClock::new(base_time()))).await;
    case(&s).await;
}
