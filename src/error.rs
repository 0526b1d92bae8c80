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
    /// An input error at a byte span of a file.
    pub fn input_at(
        name: &str,
        text: Arc<String>,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Error {
        Error::Input {
            message: message.into(),
            src: NamedSource::new(name, text).with_language("json"),
            span: span.map(|r| SourceSpan::new(r.start.into(), r.end.saturating_sub(r.start))),
            label: label.into(),
            help,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
