//! Reporters: the only place that knows output formats. Each format owns its serializable structs;
//! the JSON report is a versioned contract (`aks-preflight/report/v1`).

pub mod finding;
pub mod human;
pub mod json;
pub mod requirements;

pub use finding::{Finding, Label, PredictedFailure, Severity};

use crate::eval::{Hop, Verdict};
use serde::Serialize;

/// Result of one check run, format independent.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub clusters: Vec<ClusterReport>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub address: String,
    pub name: String,
    pub node_pools: Vec<PoolReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PoolReport {
    pub name: String,
    /// Subnet address (Terraform address or resource id), when known.
    pub subnet: Option<String>,
    pub egress: Vec<EgressResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EgressResult {
    pub host: String,
    pub port: u16,
    /// Transport: `tcp` or `udp`.
    pub protocol: String,
    /// `https` / `http` for requirements an Azure Firewall may match with application rules.
    pub app_protocol: Option<String>,
    pub required: bool,
    pub verdict: Verdict,
    pub reason: String,
    pub path: Vec<Hop>,
}

/// Overall verdict of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunVerdict {
    Pass,
    Fail,
    Unknown,
    /// No node pool was checked (no AKS cluster in the inputs: the wrong workspace's plan, a
    /// network-only stack, a state file): nothing is proven, so it is not a pass.
    #[serde(rename = "nothing-checked")]
    NothingChecked,
}

impl Report {
    /// `fail` when an error finding exists; `nothing-checked` when no node pool was checked;
    /// `unknown` when a required endpoint's verdict is unknown (or an unknown-class finding
    /// exists); `pass` otherwise.
    pub fn verdict(&self) -> RunVerdict {
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            return RunVerdict::Fail;
        }
        if self.clusters.iter().all(|c| c.node_pools.is_empty()) {
            return RunVerdict::NothingChecked;
        }
        let unknown_egress = self
            .clusters
            .iter()
            .flat_map(|c| &c.node_pools)
            .flat_map(|p| &p.egress)
            .any(|e| e.required && e.verdict != Verdict::Reachable);
        if unknown_egress
            || self
                .findings
                .iter()
                .any(|f| f.verdict == Some(Verdict::Unknown))
        {
            RunVerdict::Unknown
        } else {
            RunVerdict::Pass
        }
    }

    pub fn count(&self, sev: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == sev).count()
    }

    /// Sort findings deterministically: severity (errors first), rule, cluster, pool, message.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.cluster.cmp(&b.cluster))
                .then_with(|| a.node_pool.cmp(&b.node_pool))
                .then_with(|| a.message.cmp(&b.message))
        });
    }
}
