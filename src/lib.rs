//! aks-preflight: finds AKS node-provisioning network failures before deployment.
//!
//! Architecture (see ARCHITECTURE.md): input loaders -> one normalized [`model`] -> evaluators
//! ([`eval`]) -> analyses ([`analysis`], which produce findings) -> reporters ([`report`]).
//! Policies (required endpoints, rule metadata) are data in `policies/` ([`policy`]).

// Errors carry their source text for located diagnostics; they are on the cold path.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod cli;
pub mod error;
pub mod eval;
pub mod excerpt;
pub mod input;
pub mod jsonspan;
pub mod model;
pub mod policy;
pub mod report;
pub mod source;
