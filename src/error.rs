//! Operational errors: unreadable or malformed input, bad policy files, usage errors. All exit 2.

use miette::{Diagnostic, NamedSource, SourceSpan};
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("cannot read {path}: {message}")]
    #[diagnostic(code(input::io))]
    Io { path: String, message: String },

    /// Malformed or unsupported input, located in the file.
    #[error("{message}")]
    #[diagnostic(code(input::invalid))]
    Input {
        message: String,
        #[source_code]
        src: NamedSource<Arc<String>>,
        #[label("{label}")]
        span: Option<SourceSpan>,
        label: String,
        #[help]
        help: Option<String>,
    },

    /// An input whose kind we recognise but do not read (yet), or that is not an input at all.
    #[error("{message}")]
    #[diagnostic(code(input::unsupported))]
    Unsupported {
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(policy::invalid))]
    Policy {
        message: String,
        #[source_code]
        src: Option<NamedSource<Arc<String>>>,
        #[label("here")]
        span: Option<SourceSpan>,
        #[help]
        help: Option<String>,
    },

    #[error("{0}")]
    #[diagnostic(code(usage))]
    Usage(String),
}

impl Error {
    /// An input error at a byte span of a file. When the line holding the span is very long
    /// (single-line `terraform show -json` output), the diagnostic shows an excerpt around the
    /// span, named with the real line and column, instead of the whole line.
    pub fn input_at(
        name: &str,
        text: Arc<String>,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Error {
        let (src, span) = excerpt(name, text, span);
        Error::Input {
            message: message.into(),
            src,
            span: span.map(|r| SourceSpan::new(r.start.into(), r.end.saturating_sub(r.start))),
            label: label.into(),
            help,
        }
    }
}

const LONG_LINE: usize = 300;

fn excerpt(
    name: &str,
    text: Arc<String>,
    span: Option<std::ops::Range<usize>>,
) -> (NamedSource<Arc<String>>, Option<std::ops::Range<usize>>) {
    let Some(span) = span else {
        return (NamedSource::new(name, text).with_language("json"), None);
    };
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len());
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    if line_end - line_start <= LONG_LINE {
        return (
            NamedSource::new(name, text).with_language("json"),
            Some(start..end),
        );
    }
    let mut from = start.saturating_sub(120).max(line_start);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (end.max(start + 1) + 120).min(line_end);
    while to < text.len() && !text.is_char_boundary(to) {
        to += 1;
    }
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let label = format!("{name} (excerpt of line {line}, from column {column})");
    let shown = Arc::new(text[from..to].to_string());
    (
        NamedSource::new(label, shown).with_language("json"),
        Some(start - from..end.min(to) - from),
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_line_errors_show_an_excerpt() {
        let text = format!("{{\"a\": \"{}\", \"b\": tru}}", "x".repeat(5000));
        let pos = text.find("tru").unwrap();
        let e = Error::input_at(
            "plan.json",
            Arc::new(text),
            Some(pos..pos + 3),
            "bad",
            "here",
            None,
        );
        let Error::Input { src, span, .. } = e else {
            panic!()
        };
        use miette::SourceCode;
        let span = span.unwrap();
        let contents = src.read_span(&span, 0, 0).unwrap();
        assert_eq!(std::str::from_utf8(contents.data()).unwrap(), "tru");
        assert!(contents.name().unwrap().contains("excerpt of line 1"));
    }
}
