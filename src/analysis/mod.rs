//! Analyses: rules that ask the evaluators questions and turn the answers into findings.
//!
//! *Invariant:* no input-format knowledge (only the model) and no output-format knowledge (only
//! [`Finding`]s and the format-independent [`Report`]).

pub mod egress;
pub mod outbound;
pub mod registry;

use crate::model::{Cloud, Model};
use crate::policy::catalogue::Catalogue;
use crate::policy::config::Config;
use crate::report::{Finding, Report};

/// Options of a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Force the cloud instead of inferring it from the cluster region.
    pub cloud: Option<Cloud>,
}

/// Everything an analysis can read.
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub catalogue: &'a Catalogue,
    pub config: &'a Config,
    pub options: &'a CheckOptions,
}

/// Run every analysis over the model.
pub fn check(
    model: &Model,
    catalogue: &Catalogue,
    config: &Config,
    options: &CheckOptions,
) -> Report {
    let ctx = Ctx {
        model,
        catalogue,
        config,
        options,
    };
    let mut report = Report::default();
    for note in &model.input_notes {
        let sev = registry::severity(note.code);
        report
            .findings
            .push(Finding::new(note.code, sev, note.message.clone()).primary(&note.origin, "here"));
    }
    if model.clusters.is_empty() {
        report.findings.push(
            Finding::new("INP002", registry::severity("INP002"), "the inputs contain no AKS cluster (azurerm_kubernetes_cluster): nothing to check")
                .help("pass the plan of the configuration that creates the cluster: terraform plan -out tfplan && terraform show -json tfplan > plan.json"),
        );
    }
    for cluster in &model.clusters {
        outbound::check(&ctx, cluster, &mut report.findings);
        let cr = egress::check(&ctx, cluster, &mut report.findings);
        report.clusters.push(cr);
    }
    report.sort();
    report
}
