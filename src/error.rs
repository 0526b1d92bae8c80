//! Operational errors: unreadable or malformed input, bad policy files, usage errors. All exit 2.

use crate::excerpt::{Excerpt, Redaction};
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
        src: Excerpt,
        #[label("{label}")]
        span: Option<SourceSpan>,
        label: String,
        #[help]
        help: Option<String>,
        /// The real position in the file (the excerpt's spans are the excerpt's own).
        location: Option<InputLocation>,
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

/// Where in its file an input error is: byte range, 1-based line and column (characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLocation {
    pub file: String,
    pub span: std::ops::Range<usize>,
    pub line: usize,
    pub column: usize,
}

impl Error {
    /// An input error at a byte span of a file. The diagnostic shows a short, redacted excerpt
    /// of the file ([`Excerpt`]): the file may hold secrets that only a successful parse could
    /// mark, so every string value is hidden, and beyond `valid_until` (the place where parsing
    /// failed; the text's length when it parsed) only punctuation, numbers and literals remain.
    pub fn input_at(
        name: &str,
        text: Arc<String>,
        span: Option<std::ops::Range<usize>>,
        valid_until: usize,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Error {
        let Some(span) = span else {
            return Error::Input {
                message: message.into(),
                src: Excerpt::empty(name),
                span: None,
                label: label.into(),
                help,
                location: None,
            };
        };
        let start = span.start.min(text.len());
        let end = span.end.clamp(start, text.len());
        let src = Excerpt::build(
            name,
            &text,
            std::slice::from_ref(&(start..end)),
            Redaction::Values { valid_until },
            1,
        );
        let shown = src.map(start..end);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let location = InputLocation {
            file: name.to_string(),
            span: start..end,
            line: text.as_bytes()[..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
            column: text
                .get(line_start..start)
                .map_or(start - line_start, |s| s.chars().count())
                + 1,
        };
        Error::Input {
            message: message.into(),
            src,
            span: shown.map(|r| SourceSpan::new(r.start.into(), r.end - r.start)),
            label: label.into(),
            help,
            location: Some(location),
        }
    }

    /// The file position of an input error, when it has one.
    pub fn location(&self) -> Option<&InputLocation> {
        match self {
            Error::Input { location, .. } => location.as_ref(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_line_errors_show_a_short_redacted_excerpt_at_the_real_position() {
        let text = format!("{{\"a\": \"{}\", \"b\": tru}}", "x".repeat(5000));
        let pos = text.find("tru").unwrap();
        let e = Error::input_at(
            "plan.json",
            Arc::new(text),
            Some(pos..pos + 3),
            pos,
            "bad",
            "here",
            None,
        );
        let loc = e.location().unwrap().clone();
        assert_eq!((loc.line, loc.column), (1, pos + 1));
        let Error::Input { src, span, .. } = e else {
            panic!()
        };
        use miette::SourceCode;
        let span = span.unwrap();
        let contents = src.read_span(&span, 0, 0).unwrap();
        assert_eq!(std::str::from_utf8(contents.data()).unwrap(), "tru");
        assert_eq!(contents.name(), Some("plan.json"));
        assert_eq!((contents.line(), contents.column()), (0, pos));
        assert!(!src.text().contains("xxxx"), "{}", src.text());
    }
}
