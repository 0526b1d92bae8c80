//! Findings: what analyses produce and reporters render.

use crate::eval::{Hop, Verdict};
use crate::source::Origin;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "note" => Some(Severity::Note),
            _ => None,
        }
    }
}

/// A label on a source location.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub origin: Origin,
    pub text: String,
    pub primary: bool,
}

/// The provisioning failure a finding predicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictedFailure {
    /// AKS error code (`VMExtensionError_OutboundConnFail`).
    pub error: String,
    /// vmssCSE exit code (50, 51, 52...), when there is one.
    pub exit_code: Option<u32>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub labels: Vec<Label>,
    pub failure: Option<PredictedFailure>,
    /// Cluster address the finding is about, if any.
    pub cluster: Option<String>,
    pub node_pool: Option<String>,
    /// The hop-by-hop path behind the verdict, when the finding comes from a path evaluation.
    pub path: Vec<Hop>,
    /// The verdict of that path.
    pub verdict: Option<Verdict>,
    /// A Terraform snippet that applies the fix as pasted (valid HCL, priorities free where it
    /// goes); reporters print it after the help.
    pub snippet: Option<String>,
    /// The endpoints the finding is about (`mcr.microsoft.com:443/https`, as in the per-pool
    /// table), when it comes from endpoint verdicts; empty otherwise.
    pub endpoints: Vec<String>,
}

impl Finding {
    pub fn new(rule: &str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.to_string(),
            severity,
            message: message.into(),
            help: None,
            labels: vec![],
            failure: None,
            cluster: None,
            node_pool: None,
            path: vec![],
            verdict: None,
            snippet: None,
            endpoints: vec![],
        }
    }
    /// The help text followed by the snippet, as reporters show it.
    pub fn full_help(&self) -> Option<String> {
        match (&self.help, &self.snippet) {
            (Some(h), Some(s)) => Some(format!("{h}\n{s}")),
            (Some(h), None) => Some(h.clone()),
            (None, Some(s)) => Some(s.clone()),
            (None, None) => None,
        }
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
    pub fn primary(mut self, origin: &Origin, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            origin: origin.clone(),
            text: text.into(),
            primary: true,
        });
        self
    }
    pub fn secondary(mut self, origin: &Origin, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            origin: origin.clone(),
            text: text.into(),
            primary: false,
        });
        self
    }
    pub fn at_pool(mut self, cluster: &str, pool: &str) -> Self {
        self.cluster = Some(cluster.to_string());
        self.node_pool = Some(pool.to_string());
        self
    }
    pub fn at_cluster(mut self, cluster: &str) -> Self {
        self.cluster = Some(cluster.to_string());
        self
    }
    pub fn failure(mut self, f: Option<PredictedFailure>) -> Self {
        self.failure = f;
        self
    }
    pub fn endpoints(mut self, endpoints: Vec<String>) -> Self {
        self.endpoints = endpoints;
        self
    }
    /// The primary label's origin, when there is one.
    pub fn primary_origin(&self) -> Option<&Origin> {
        self.labels.iter().find(|l| l.primary).map(|l| &l.origin)
    }
    pub fn path(mut self, verdict: Verdict, hops: Vec<Hop>) -> Self {
        self.verdict = Some(verdict);
        self.path = hops;
        self
    }
}
