//! Output formats besides JSON: CSV (through the `csv` crate, so quoting and escaping are
//! right), SVG charts (drawn by `plotters` with its SVG backend: text stays `<text>` elements,
//! so no font rendering is compiled in), and the inquiry form as a plain HTML page.

pub mod csv;
pub mod form_page;
pub mod svg;
