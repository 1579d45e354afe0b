//! Duplicate detection quality on 5,000 generated person records with known duplicates
//! (typos, nicknames, swapped names, reformatted phones, upper-case emails, missing fields,
//! new numbers) and known look-alikes (spouses sharing a phone, parents and children of the
//! same name, common names in one town). Prints precision and recall and holds them to the
//! targets at the default thresholds.

use leadflow::domain::matching::{candidate_pairs, score_pair, Decision, MatchThresholds, PersonFacts};
use leadflow_synthetic::people::{generate, PersonRecord};
use std::collections::HashSet;
use std::io::Write;

struct Quality {
    precision: f64,
    recall: f64,
    predicted: usize,
    true_pairs: usize,
}

fn quality(records: &[PersonRecord], pairs: &[(usize, usize)], flagged: &[bool]) -> Quality {
    let mut truth = HashSet::new();
    for i in 0..records.len() {
        for j in i + 1..records.len() {
            if records[i].person == records[j].person {
                truth.insert((i, j));
            }
        }
    }
    let predicted: Vec<(usize, usize)> = pairs.iter().zip(flagged).filter(|(_, f)| **f).map(|(p, _)| *p).collect();
    let tp = predicted.iter().filter(|p| truth.contains(p)).count();
    Quality {
        precision: tp as f64 / predicted.len().max(1) as f64,
        recall: tp as f64 / truth.len().max(1) as f64,
        predicted: predicted.len(),
        true_pairs: truth.len(),
    }
}

#[test]
fn precision_and_recall_meet_the_targets_at_default_thresholds() {
    let mut records = generate(2026, 4_000);
    records.truncate(5_000);
    assert!(records.len() >= 5_000, "the generator made {} records", records.len());
    let people: Vec<PersonFacts> = records.iter().map(PersonRecord::facts).collect();
    let candidates = candidate_pairs(&people, 200);
    let t = MatchThresholds::default();
    let decisions: Vec<Decision> = candidates.pairs.iter().map(|&(a, b)| score_pair(&people[a], &people[b]).decide(&t)).collect();
    let flagged: Vec<bool> = decisions.iter().map(|d| *d != Decision::Distinct).collect();
    let merged: Vec<bool> = decisions.iter().map(|d| *d == Decision::AutoMerge).collect();
    let review = quality(&records, &candidates.pairs, &flagged);
    let auto = quality(&records, &candidates.pairs, &merged);
    let report = format!(
        "duplicate detection on {} records ({} true duplicate pairs): {} candidate pairs of {} possible ({:.3}% compared)\n  \
         flagged (review threshold {:.1} or more): precision {:.4}, recall {:.4} ({} pairs flagged)\n  \
         merged automatically (threshold {:.1}, no contradicting identifier): precision {:.4}, recall {:.4} ({} pairs merged)\n",
        records.len(),
        review.true_pairs,
        candidates.pairs.len(),
        candidates.all_pairs,
        100.0 * candidates.pairs.len() as f64 / candidates.all_pairs as f64,
        t.review,
        review.precision,
        review.recall,
        review.predicted,
        t.auto_merge,
        auto.precision,
        auto.recall,
        auto.predicted
    );
    // Written to the process's stderr directly so it shows in the test run's output.
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(review.precision >= 0.98, "{report}");
    assert!(review.recall >= 0.90, "{report}");
    // What remains wrong is a parent and child of one name sharing the family phone with no
    // field to tell them apart (over-represented here on purpose); unmerge restores them.
    assert!(auto.precision >= 0.99, "automatic merges must be near-certain: {report}");
}
