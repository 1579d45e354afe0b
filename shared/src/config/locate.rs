//! Finds where a key path sits in the TOML source, so validation errors found after parsing
//! (an unknown placeholder, a bad time zone) still point at a line.

use std::ops::Range;
use toml_edit::{Document, Item, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path such as `service_lines[1].acknowledgement_sms`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Seg::Key(k) if first => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// A position in the parsed document while walking a key path.
#[derive(Clone, Copy)]
enum Node<'d> {
    Table(&'d toml_edit::Table),
    Inline(&'d toml_edit::InlineTable),
    Tables(&'d toml_edit::ArrayOfTables),
    Array(&'d toml_edit::Array),
    Leaf,
}

impl<'d> Node<'d> {
    fn of_item(item: &'d Item) -> Node<'d> {
        match item {
            Item::Table(t) => Node::Table(t),
            Item::ArrayOfTables(a) => Node::Tables(a),
            Item::Value(v) => Node::of_value(v),
            Item::None => Node::Leaf,
        }
    }

    fn of_value(v: &'d Value) -> Node<'d> {
        match v {
            Value::InlineTable(t) => Node::Inline(t),
            Value::Array(a) => Node::Array(a),
            _ => Node::Leaf,
        }
    }

    /// The child at `seg` and the span that best marks it.
    fn step(self, seg: &Seg) -> Option<(Node<'d>, Option<Range<usize>>)> {
        match (self, seg) {
            (Node::Table(t), Seg::Key(k)) => {
                let (key, item) = t.get_key_value(k)?;
                Some((Node::of_item(item), item.span().or_else(|| key.span())))
            }
            (Node::Inline(t), Seg::Key(k)) => {
                let (key, item) = t.get_key_value(k)?;
                Some((Node::of_item(item), item.span().or_else(|| key.span())))
            }
            (Node::Tables(a), Seg::Index(i)) => {
                let t = a.get(*i)?;
                Some((Node::Table(t), t.span()))
            }
            (Node::Array(a), Seg::Index(i)) => {
                let v = a.get(*i)?;
                Some((Node::of_value(v), v.span()))
            }
            _ => None,
        }
    }
}

/// A parsed source that can answer "where is this key?".
pub struct Locator<'a> {
    source: &'a str,
    doc: std::cell::OnceCell<Option<Document<&'a str>>>,
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a str) -> Self {
        Locator { source, doc: std::cell::OnceCell::new() }
    }

    /// The document's spans, parsed on the first lookup: a file that validates is parsed once
    /// (into the configuration), and only a problem pays for locating it.
    fn doc(&self) -> Option<&Document<&'a str>> {
        self.doc.get_or_init(|| Document::parse(self.source).ok()).as_ref()
    }

    /// 1-based (line, column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// The span of the value at `path`, or of the nearest ancestor that exists.
    pub fn span_of(&self, path: &KeyPath) -> Option<Range<usize>> {
        let doc = self.doc()?;
        let mut node = Node::Table(doc.as_table());
        let mut best = None;
        for seg in &path.0 {
            let Some((child, span)) = node.step(seg) else { return best };
            best = span.or(best);
            node = child;
        }
        best
    }

    /// Line and column of `path` (or its nearest existing ancestor).
    pub fn locate(&self, path: &KeyPath) -> Option<(usize, usize)> {
        self.span_of(path).map(|s| self.line_col(s.start))
    }

    /// The deepest key path whose span contains `offset` (used for parse errors).
    pub fn path_at(&self, offset: usize) -> KeyPath {
        fn walk_table(t: &toml_edit::Table, offset: usize, path: KeyPath, out: &mut KeyPath) {
            for (k, item) in t.iter() {
                let here = path.key(k);
                let key_span = t.key(k).and_then(|k| k.span());
                let hit = |s: Option<Range<usize>>| s.is_some_and(|s| s.contains(&offset) || s.start == offset);
                if hit(key_span) || hit(item.span()) {
                    *out = here.clone();
                }
                match item {
                    Item::Table(inner) => walk_table(inner, offset, here, out),
                    Item::ArrayOfTables(a) => {
                        for (i, inner) in a.iter().enumerate() {
                            walk_table(inner, offset, here.index(i), out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = KeyPath::root();
        if let Some(doc) = self.doc() {
            walk_table(doc.as_table(), offset, KeyPath::root(), &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[organization]\nname = \"X\"\ntime_zone = \"Mars/Base\"\n\n[[service_lines]]\nid = \"a\"\n\n[[service_lines]]\nid = \"b\"\nack = \"hi {x}\"\nlist = [\"p\", \"q\"]\n";

    #[test]
    fn keys_are_found_in_tables_and_arrays_of_tables() {
        let l = Locator::new(SRC);
        assert_eq!(l.locate(&KeyPath::root().key("organization").key("time_zone")), Some((3, 13)));
        assert_eq!(l.locate(&KeyPath::root().key("service_lines").index(1).key("ack")), Some((10, 7)));
        assert_eq!(l.locate(&KeyPath::root().key("service_lines").index(1).key("list").index(1)), Some((11, 14)));
        // A missing key points at the nearest ancestor.
        assert_eq!(l.locate(&KeyPath::root().key("service_lines").index(1).key("missing")).map(|p| p.0), Some(8));
        assert_eq!(KeyPath::root().key("service_lines").index(1).key("ack").to_string(), "service_lines[1].ack");
    }

    #[test]
    fn an_offset_maps_back_to_its_key() {
        let l = Locator::new(SRC);
        let off = SRC.find("Mars").unwrap();
        assert_eq!(l.path_at(off).to_string(), "organization.time_zone");
    }
}
