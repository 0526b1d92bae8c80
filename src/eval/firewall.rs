//! Azure Firewall rule evaluation (classic rule collections and Firewall Policy).
//! (Filled in by the firewall work item; until then every flow through a firewall is `unknown`.)

use super::{Flow, Hop, Verdict};
use crate::model::{Firewall, Model};
use crate::source::Origin;

/// What the firewall does with a flow.
#[derive(Debug, Clone)]
pub struct FirewallDecision {
    pub verdict: Verdict,
    /// One sentence: which rule matched (group / collection / rule), or default deny, or why
    /// undecidable.
    pub reason: String,
    /// Hops to append to the path trace (firewall, rule collection group, collection, rule).
    pub hops: Vec<Hop>,
    /// The deciding rule (or collection) for findings' labels.
    pub rule_origin: Option<Origin>,
    /// Display name of the deciding rule, `group/collection/rule`.
    pub rule: Option<String>,
}

/// Decide a flow that the route table sends to `firewall`.
pub fn evaluate(_model: &Model, firewall: &Firewall, _flow: &Flow) -> FirewallDecision {
    FirewallDecision {
        verdict: Verdict::Unknown,
        reason: format!(
            "firewall rule evaluation for {} is not implemented yet",
            firewall.meta.address()
        ),
        hops: vec![],
        rule_origin: None,
        rule: None,
    }
}
