//! Candidate pairs from blocking keys: records sharing a key are compared, nothing else is.
//! Oversized blocks (a key shared by very many records, such as a common surname in a big ZIP)
//! are skipped: their members still meet through their other keys.

use super::blocking::blocking_keys;
use super::person::PersonFacts;
use std::collections::{BTreeSet, HashMap};

/// Candidate pairs (indexes into the input, smaller first) and what blocking saved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Candidates {
    pub pairs: Vec<(usize, usize)>,
    /// Pairs that comparing everything with everything would have scored.
    pub all_pairs: u64,
    /// Blocks skipped for being larger than the limit.
    pub oversized_blocks: usize,
}

impl Candidates {
    /// Comparisons avoided thanks to blocking.
    pub fn avoided(&self) -> u64 {
        self.all_pairs.saturating_sub(self.pairs.len() as u64)
    }
}

/// The candidate pairs among `records`, using blocks of at most `max_block` records.
pub fn candidate_pairs(records: &[PersonFacts], max_block: usize) -> Candidates {
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        for k in blocking_keys(r) {
            blocks.entry(k).or_default().push(i);
        }
    }
    let mut pairs = BTreeSet::new();
    let mut oversized = 0;
    for members in blocks.values() {
        if members.len() > max_block {
            oversized += 1;
            continue;
        }
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if a != b {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let n = records.len() as u64;
    Candidates { pairs: pairs.into_iter().collect(), all_pairs: n * n.saturating_sub(1) / 2, oversized_blocks: oversized }
}
