//! Lists of names in the configuration (service lines, tiers, bands, sources, ...): each value
//! parsed, each that does not parse reported at its own index so the error names the line.

use super::locate::KeyPath;
use super::validate::Problems;

/// The values of the list at `at` that `parse` accepts; every other one is a problem at its
/// index with the message `problem`.
pub(super) fn parse_each<T>(
    values: &[String],
    at: &KeyPath,
    problem: &str,
    parse: impl Fn(&str) -> Option<T>,
    p: &mut Problems<'_>,
) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .filter_map(|(j, v)| {
            let got = parse(v);
            if got.is_none() {
                p.add(&at.index(j), problem);
            }
            got
        })
        .collect()
}
