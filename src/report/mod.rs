//! Reporters: the only place that knows output formats. Each format owns its serializable structs;
//! the JSON report is a versioned contract (`aks-preflight/report/v1`).

pub mod baseline;
pub mod bicep;
pub mod finding;
pub mod fingerprint;
pub mod firewall_hcl;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod paths;
pub mod requirements;
pub mod sarif;
pub mod waivers;

pub use finding::{Finding, Label, PredictedFailure, Severity};

use crate::eval::{Hop, Verdict};
use serde::Serialize;

/// Result of one check run, format independent.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub clusters: Vec<ClusterReport>,
    pub findings: Vec<Finding>,
    /// Findings accepted by a waiver or a baseline: kept (every format shows or counts them) but
    /// they no longer count towards the verdict or the exit code.
    pub suppressed: Vec<Suppressed>,
}

/// A finding that a waiver or a baseline accepts.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: Suppression,
}

/// What accepted a finding.
#[derive(Debug, Clone)]
pub enum Suppression {
    /// A waiver (config file `[[waiver]]` or a comment in the input), with its reason.
    Waiver {
        reason: String,
        expires: Option<crate::model::Date>,
        origin: crate::source::Origin,
        /// Written in an input file (a source comment), not in the config file.
        inline: bool,
    },
    /// The finding was recorded in the `--baseline` file.
    Baseline { file: String },
}

impl Suppression {
    /// One line: `waived: <reason> (until 2027-03-31)` / `in baseline <file>`.
    pub fn describe(&self) -> String {
        match self {
            Suppression::Waiver {
                reason, expires, ..
            } => match expires {
                Some(d) => format!("waived until {d}: {reason}"),
                None => format!("waived: {reason}"),
            },
            Suppression::Baseline { file } => format!("in baseline {file}"),
        }
    }
    /// `waiver` or `baseline`.
    pub fn kind(&self) -> &'static str {
        match self {
            Suppression::Waiver { .. } => "waiver",
            Suppression::Baseline { .. } => "baseline",
        }
    }
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

impl EgressResult {
    /// `host:port/proto` with the application protocol when there is one
    /// (`mcr.microsoft.com:443/https`): the form findings list their endpoints in.
    pub fn label(&self) -> String {
        format!(
            "{}:{}/{}",
            self.host,
            self.port,
            self.app_protocol.as_deref().unwrap_or(&self.protocol)
        )
    }
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
    /// The run could not check: an input, configuration or usage error (exit 2). Only the
    /// error documents of `--format json` carry it; a report's own verdict is never `error`.
    Error,
}

impl RunVerdict {
    /// The verdict as the JSON report spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RunVerdict::Pass => "pass",
            RunVerdict::Fail => "fail",
            RunVerdict::Unknown => "unknown",
            RunVerdict::NothingChecked => "nothing-checked",
            RunVerdict::Error => "error",
        }
    }
}

impl Report {
    /// Required endpoints whose verdict is not `reachable` and that no remaining finding is
    /// about: every finding on them was waived or baselined. They do not make the run unknown.
    fn accepted(&self, cluster: &str, pool: &str, label: &str) -> bool {
        let about = |f: &Finding| {
            f.cluster.as_deref() == Some(cluster)
                && f.node_pool.as_deref() == Some(pool)
                && f.endpoints.iter().any(|e| e == label)
        };
        self.suppressed.iter().any(|s| about(&s.finding)) && !self.findings.iter().any(about)
    }

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
        let unknown_egress = self.clusters.iter().any(|c| {
            c.node_pools.iter().any(|p| {
                p.egress.iter().any(|e| {
                    e.required
                        && e.verdict != Verdict::Reachable
                        && (self.suppressed.is_empty()
                            || !self.accepted(&c.address, &p.name, &e.label()))
                })
            })
        });
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

    /// Every origin a finding shows (labels and path hops), suppressed findings included: what
    /// a renderer resolves in one pass with [`crate::source::SourceMap::prepare_labels`].
    pub fn finding_origins(&self) -> impl Iterator<Item = &crate::source::Origin> {
        self.findings
            .iter()
            .chain(self.suppressed.iter().map(|s| &s.finding))
            .flat_map(|f| {
                f.labels
                    .iter()
                    .map(|l| &l.origin)
                    .chain(f.path.iter().filter_map(|h| h.origin.as_ref()))
            })
    }

    /// Suppressed findings by kind: (waived, baselined).
    pub fn suppressed_counts(&self) -> (usize, usize) {
        let waived = self
            .suppressed
            .iter()
            .filter(|s| matches!(s.by, Suppression::Waiver { .. }))
            .count();
        (waived, self.suppressed.len() - waived)
    }

    /// Sort findings deterministically: severity (errors first), rule, cluster, pool, message.
    pub fn sort(&mut self) {
        self.findings.sort_by(finding_order);
        self.suppressed
            .sort_by(|a, b| finding_order(&a.finding, &b.finding));
    }
}

/// The report's order of findings: severity (errors first), rule, cluster, pool, message.
pub fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.rule.cmp(&b.rule))
        .then_with(|| a.cluster.cmp(&b.cluster))
        .then_with(|| a.node_pool.cmp(&b.node_pool))
        .then_with(|| a.message.cmp(&b.message))
}
