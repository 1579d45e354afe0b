//! Scoring review (issue 7).
