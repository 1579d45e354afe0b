//! Message templates with named placeholders, checked when configuration loads so a typo in a
//! placeholder is an error at start-up, not a broken text to a patient.
//!
//! Syntax: `{name}` inserts a value, `{name|fallback}` uses `fallback` when the value is
//! missing, `{{` and `}}` are literal braces.

use serde::Serialize;

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("is empty")]
    Empty,
    #[error("uses unknown placeholder `{{{0}}}` (known: {1})")]
    UnknownPlaceholder(String, String),
    #[error("has an unclosed `{{` at character {0}")]
    Unclosed(usize),
    #[error("has a stray `}}` at character {0} (write `}}}}` for a literal brace)")]
    StrayClose(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
enum Segment {
    Text(String),
    Var { name: String, fallback: Option<String> },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `source`, accepting only placeholders named in `known`.
    pub fn parse(source: &str, known: &[&str]) -> Result<Template, TemplateError> {
        if source.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let chars: Vec<char> = source.chars().collect();
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    text.push('{');
                    i += 2;
                }
                '}' if chars.get(i + 1) == Some(&'}') => {
                    text.push('}');
                    i += 2;
                }
                '}' => return Err(TemplateError::StrayClose(i)),
                '{' => {
                    let end = chars[i + 1..].iter().position(|c| *c == '}' || *c == '{').map(|p| p + i + 1);
                    let Some(end) = end.filter(|e| chars[*e] == '}') else {
                        return Err(TemplateError::Unclosed(i));
                    };
                    let inner: String = chars[i + 1..end].iter().collect();
                    let (name, fallback) = match inner.split_once('|') {
                        Some((n, f)) => (n.trim().to_string(), Some(f.to_string())),
                        None => (inner.trim().to_string(), None),
                    };
                    if !known.contains(&name.as_str()) {
                        return Err(TemplateError::UnknownPlaceholder(name, known.join(", ")));
                    }
                    if !text.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut text)));
                    }
                    segments.push(Segment::Var { name, fallback });
                    i = end + 1;
                }
                c => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Template { source: source.to_string(), segments })
    }

    /// Renders with `value(name)` for each placeholder; a missing value uses the fallback, or
    /// nothing.
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Var { name, fallback } => match value(name).filter(|v| !v.is_empty()) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(fallback.as_deref().unwrap_or("")),
                },
            }
        }
        out
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["first_name", "org_name", "callback_promise"];

    #[test]
    fn placeholders_fallbacks_and_escapes_render() {
        let t = Template::parse("Hi {first_name|there}, {org_name} will call {callback_promise}. {{ok}}", KNOWN).unwrap();
        let r = t.render(|n| match n {
            "org_name" => Some("Harbor Health".into()),
            "callback_promise" => Some("within 5 minutes".into()),
            _ => None,
        });
        assert_eq!(r, "Hi there, Harbor Health will call within 5 minutes. {ok}");
        assert_eq!(t.render(|n| (n == "first_name").then(|| "Ann".into())), "Hi Ann,  will call . {ok}");
    }

    #[test]
    fn unknown_and_broken_placeholders_are_refused() {
        assert!(matches!(Template::parse("Hi {frist_name}", KNOWN), Err(TemplateError::UnknownPlaceholder(n, _)) if n == "frist_name"));
        assert_eq!(Template::parse("Hi {first_name", KNOWN), Err(TemplateError::Unclosed(3)));
        assert_eq!(Template::parse("Hi first_name}", KNOWN), Err(TemplateError::StrayClose(13)));
        assert_eq!(Template::parse("  ", KNOWN), Err(TemplateError::Empty));
        assert_eq!(Template::parse("{a{b}", KNOWN), Err(TemplateError::Unclosed(0)));
    }
}
