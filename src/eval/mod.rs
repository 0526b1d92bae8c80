//! Pure evaluators over the model: no I/O, no policy knowledge, deterministic.
//!
//! The central question is "can a node in subnet S open a flow to destination D on protocol P and
//! port N?", answered by [`path::evaluate_egress`] as a [`path::PathResult`]: a three-valued
//! [`Verdict`] with the reason and the hop-by-hop trace behind it.

pub mod firewall;
pub mod flow;
pub mod fqdn;
pub mod nsg;
pub mod path;
pub mod proxy;
pub mod return_path;
pub mod routing;
pub mod servicetags;

pub use flow::{Destination, Flow, Protocol};
pub use path::{Cause, Hop, HopKind, PathResult};

use serde::Serialize;

/// Three-valued reachability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Reachable,
    Unknown,
    Blocked,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        }
    }
}
