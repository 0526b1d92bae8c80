//! Policies: the endpoint catalogue, rule metadata and user configuration (data in policies/).
//!
//! * [`catalogue`]: the egress endpoints AKS nodes need (`policies/endpoints.toml`, embedded), with
//!   overlays from a `--policy-dir`.
//! * [`config`]: the user configuration file (`--config`): extra endpoints, disabled rows, forced
//!   conditions, attestations for third-party appliances and DNS servers.
//! * [`requirements`]: the endpoints one cluster needs, derived from the catalogue, the user
//!   configuration and facts taken from the model.
//!
//! Policy files are TOML; every error is an [`Error::Policy`](crate::error::Error::Policy) that names
//! the file and points at the offending byte span.

// `crate::error::Error` carries a named source for located diagnostics and is large; policy loading
// runs once per invocation, so the size of the error variant does not matter here.
#![allow(clippy::result_large_err)]

pub mod catalogue;
pub mod config;
pub mod fqdn_tags;
pub mod requirements;

pub use catalogue::{Catalogue, CloudSel, Endpoint, EndpointProtocol, FailureSpec, PolicyLocation};
pub use config::Config;
pub use requirements::{ClusterFacts, Requirement, requirements};

use crate::error::Error;
use miette::{NamedSource, SourceSpan};
use std::ops::Range;
use std::sync::Arc;

/// A policy error located in a TOML file. The message is prefixed with the file name so that it
/// stays useful when rendered without the source excerpt.
pub(crate) fn policy_error(
    name: &str,
    text: &Arc<String>,
    span: Option<Range<usize>>,
    message: impl Into<String>,
    help: Option<String>,
) -> Error {
    let span = span.map(|r| {
        let start = r.start.min(text.len());
        let end = r.end.clamp(start, text.len());
        SourceSpan::new(start.into(), end - start)
    });
    Error::Policy {
        message: format!("{name}: {}", message.into()),
        src: Some(NamedSource::new(name, text.clone()).with_language("toml")),
        span,
        help,
    }
}

/// Turn a TOML deserialization error into a located policy error.
pub(crate) fn toml_error(name: &str, text: &Arc<String>, e: toml::de::Error) -> Error {
    let message = e.message().trim().to_string();
    policy_error(name, text, e.span(), message, None)
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::error::Error;

    /// Message and span (start, len) of a policy error; panics (in tests only) for other errors.
    pub fn policy_parts(e: &Error) -> (String, Option<(usize, usize)>) {
        match e {
            Error::Policy { message, span, .. } => {
                (message.clone(), span.map(|s| (s.offset(), s.len())))
            }
            other => panic!("expected a policy error, got {other:?}"),
        }
    }

    /// The source text under a policy error's span.
    pub fn spanned_text<'a>(text: &'a str, e: &Error) -> &'a str {
        let (_, span) = policy_parts(e);
        let (o, l) = span.expect("error has a span");
        &text[o..o + l]
    }
}
