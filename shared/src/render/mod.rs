//! Report output formats besides JSON: CSV (through the `csv` crate, so quoting and escaping
//! are right) and SVG charts (drawn by `plotters` with its SVG backend: text stays `<text>`
//! elements, so no font rendering is compiled in).

pub mod csv;
pub mod svg;
