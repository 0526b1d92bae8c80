//! Every file under `../shared/corpus/arm-templates/` (third-party ARM templates, Bicep-compiled
//! templates, parameters files, Bicep sources) is given to the tool; templates load, and each
//! test asserts what the tool concludes: the clusters and node pools found, the verdicts, and
//! the reasons they are unknown. Other kinds get a message that says what they are.

use aks_preflight::analysis;
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::load;
use aks_preflight::report::{Report, RunVerdict};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/arm-templates")
}

fn path(rel: &str) -> String {
    corpus().join(rel).display().to_string()
}

const SUB: &str = "00000000-0000-0000-0000-000000000001";

struct Run {
    report: Report,
    model: aks_preflight::model::Model,
}

fn check(template: &str, params: Option<&str>, extra: &[(&str, &str)]) -> Run {
    let mut args = InputArgs {
        inputs: vec![path(template)],
        parameters: params.map(path).into_iter().collect(),
        subscription: Some(SUB.into()),
        ..Default::default()
    };
    for (k, v) in extra {
        match *k {
            "rg" => args.resource_group = Some(v.to_string()),
            "location" => args.location = Some(v.to_string()),
            "param" => args.param.push(v.to_string()),
            "no-subscription" => args.subscription = None,
            _ => unreachable!(),
        }
    }
    let l = load(&args).unwrap_or_else(|code| panic!("{template}: exit {code}"));
    let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    Run {
        report,
        model: l.model,
    }
}

impl Run {
    /// cluster name → its node pools' names.
    fn clusters(&self) -> BTreeMap<String, Vec<String>> {
        self.report
            .clusters
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.node_pools.iter().map(|p| p.name.clone()).collect(),
                )
            })
            .collect()
    }
    /// (verdict → count) over every egress row.
    fn verdicts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for c in &self.report.clusters {
            for p in &c.node_pools {
                for e in &p.egress {
                    *m.entry(e.verdict.as_str().to_string()).or_default() += 1;
                }
            }
        }
        m
    }
    fn rules(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self
            .report
            .findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect();
        r.sort();
        r.dedup();
        r
    }
    fn message(&self, rule: &str) -> String {
        self.report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn pools(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

// ----------------------------------------------------------------------------- AKS-Construction

const AKSC: &str = "aks-construction-ea5be94a/bicep/compiled/main.json";

#[test]
fn aks_construction_without_parameters_names_the_missing_one() {
    let r = check(AKSC, None, &[("rg", "rg-aks")]);
    assert!(r.clusters().is_empty());
    assert_eq!(r.rules(), ["INP008", "INP040", "INP041"]);
    assert!(
        r.message("INP040").contains("'resourceName'"),
        "{}",
        r.message("INP040")
    );
    assert!(
        r.message("INP041").contains("managedClusters"),
        "{}",
        r.message("INP041")
    );
}

/// Custom VNet with Azure Firewall: AKS-Construction (this version) routes 0.0.0.0/1 and
/// 128.0.0.0/1 to the firewall (whose private IP it computes from the subnet prefix) and keeps
/// outbound type loadBalancer: whether an endpoint's address falls in 0.0.0.0/1 is not known
/// statically, so every endpoint is unknown, never reachable.
#[test]
fn aks_construction_custom_vnet_with_firewall() {
    let r = check(
        AKSC,
        Some("aks-construction-ea5be94a/params/classic-custom-vnet-plus-firewall.json"),
        &[("rg", "rg-aks"), ("location", "westeurope")],
    );
    assert_eq!(
        r.clusters(),
        BTreeMap::from([("aks-customvnet".into(), pools(&["npsystem", "npuser01"]))])
    );
    assert_eq!(r.report.verdict(), RunVerdict::Unknown);
    assert_eq!(r.rules(), ["EGR001", "INP004"]);
    let m = r.message("EGR001");
    assert!(
        m.contains("\"AKSNodesEgress\" (0.0.0.0/1 -> VirtualAppliance 10.240.50.4)"),
        "{m}"
    );
    assert!(r.message("INP004").contains("outboundType is not set"));
    assert_eq!(r.verdicts().get("reachable"), None);
    // the firewall, its policy and rule collection group come from the `firewall` module
    assert_eq!(r.model.firewalls.len(), 1);
    assert_eq!(r.model.rule_collection_groups.len(), 1);
    assert_eq!(r.model.route_tables.len(), 1);
}

#[test]
fn aks_construction_private_clusters() {
    for (params, cluster, pool_names) in [
        (
            "AksDeploy-Private.parameters.json",
            "aks-priv",
            &["npsystem"][..],
        ),
        (
            "managed-private.json",
            "aks-az-k8s-3zb3",
            &["npsystem", "npuser01"][..],
        ),
        (
            "managed-private-privatelink.json",
            "aks-az-k8s-eos6",
            &["npsystem", "npuser01"][..],
        ),
    ] {
        let r = check(
            AKSC,
            Some(&format!("aks-construction-ea5be94a/params/{params}")),
            &[("rg", "rg-aks"), ("location", "westeurope")],
        );
        assert_eq!(
            r.clusters(),
            BTreeMap::from([(cluster.to_string(), pools(pool_names))]),
            "{params}"
        );
        assert_eq!(r.report.verdict(), RunVerdict::Unknown, "{params}");
        assert!(r.rules().contains(&"EGR001"), "{params}: {:?}", r.rules());
        assert!(
            !r.rules().contains(&"INP042"),
            "{params}: with the subscription given, every condition is known"
        );
        // the private API server is reached inside the VNet; the rest goes through 0.0.0.0/1
        assert_eq!(
            r.verdicts().get("reachable"),
            Some(&pool_names.len()),
            "{params}"
        );
    }
}

/// Without --subscription, names and conditions hashed from the resource group id are unknown
/// (one note per reason).
#[test]
fn aks_construction_without_the_subscription_says_why() {
    let r = check(
        AKSC,
        Some("aks-construction-ea5be94a/params/AksDeploy-Private.parameters.json"),
        &[
            ("rg", "rg-aks"),
            ("location", "westeurope"),
            ("no-subscription", ""),
        ],
    );
    let m = r.message("INP042");
    assert!(
        m.contains("resources are deployed is unknown (uniqueString() hashes the subscription id, which is not given (pass --subscription))"),
        "{m}"
    );
    assert!(r.rules().contains(&"INP044"));
}

// ----------------------------------------------------------------------------- private-aks-cluster

#[test]
fn private_aks_cluster_samples_pass() {
    for (t, pool_names) in [
        ("one-node-pool", &["main"][..]),
        ("two-node-pools", &["system", "user"][..]),
    ] {
        let r = check(
            &format!("private-aks-cluster/templates/{t}/azuredeploy.json"),
            Some(&format!(
                "private-aks-cluster/templates/{t}/azuredeploy.parameters.json"
            )),
            &[("rg", "rg-aks"), ("location", "westeurope")],
        );
        let clusters = r.clusters();
        assert_eq!(clusters.len(), 1, "{t}");
        let (name, ps) = clusters.iter().next().unwrap();
        // aks-<uniqueString(resourceGroup().id)>: computed with Azure's algorithm
        assert!(name.starts_with("aks-") && name.len() == 17, "{t}: {name}");
        assert_eq!(ps, &pools(pool_names), "{t}");
        assert_eq!(r.report.verdict(), RunVerdict::Pass, "{t}: {:?}", r.rules());
        assert_eq!(
            r.verdicts().keys().collect::<Vec<_>>(),
            ["reachable"],
            "{t}"
        );
        assert_eq!(
            r.model.clusters[0].private_cluster.known(),
            Some(&true),
            "{t}"
        );
    }
}

#[test]
fn private_aks_cluster_without_location_names_the_unresolved_region() {
    let r = check(
        "private-aks-cluster/templates/one-node-pool/azuredeploy.json",
        Some("private-aks-cluster/templates/one-node-pool/azuredeploy.parameters.json"),
        &[("rg", "rg-aks")],
    );
    assert_eq!(r.report.verdict(), RunVerdict::Unknown);
    assert!(
        r.message("EGR001").contains("<region>"),
        "{}",
        r.message("EGR001")
    );
}

// ----------------------------------------------------------------------------- aks-baseline (ARM)

#[test]
fn aks_baseline_networking_templates() {
    // hub-default: hub VNet, firewall with the base policy; no cluster
    let r = check(
        "aks-baseline-arm-1c3663f5/networking/hub-default.json",
        None,
        &[
            ("rg", "rg-enterprise-networking-hubs"),
            ("param", "location=eastus2"),
        ],
    );
    assert!(r.clusters().is_empty());
    assert_eq!(r.rules(), ["INP008"]);
    assert_eq!((r.model.vnets.len(), r.model.firewalls.len()), (1, 1));
    assert!(!r.model.firewall_policies.is_empty());

    // hub-regionA (// comments inside arrays): IP groups of the spoke's node pools are a
    // parameter it does not get here
    let r = check(
        "aks-baseline-arm-1c3663f5/networking/hub-regionA.json",
        None,
        &[
            ("rg", "rg-enterprise-networking-hubs"),
            ("param", "location=eastus2"),
        ],
    );
    assert_eq!(r.rules(), ["INP008", "INP040"]);
    assert!(r.message("INP040").contains("'nodepoolSubnetResourceIds'"));
    assert!(r.model.rule_collection_groups.len() >= 3);
    assert!(!r.model.ip_groups.is_empty());

    // spoke: route table to the hub firewall, three subnet NSGs; the peering names the hub VNet
    let r = check(
        "aks-baseline-arm-1c3663f5/networking/spoke-BU0001A0008.json",
        None,
        &[
            ("rg", "rg-enterprise-networking-spokes"),
            ("param", "location=eastus2"),
        ],
    );
    assert_eq!(r.rules(), ["INP008", "INP040", "INP041"]);
    assert!(r.message("INP040").contains("'hubVnetResourceId'"));
    assert_eq!((r.model.nsgs.len(), r.model.route_tables.len()), (3, 1));
}

/// The cluster stamp's node subnet is in the spoke, which this deployment does not hold (and
/// the sample parameters file writes `[subscription id]` in its id): unknown, and says so.
#[test]
fn aks_baseline_cluster_stamp() {
    let r = check(
        "aks-baseline-arm-1c3663f5/cluster-stamp.json",
        Some("aks-baseline-arm-1c3663f5/azuredeploy.parameters.prod.json"),
        &[("rg", "rg-bu0001a0008")],
    );
    let clusters = r.clusters();
    let (name, ps) = clusters.iter().next().expect("one cluster");
    assert!(name.starts_with("aks-"), "{name}");
    assert_eq!(ps, &pools(&["npsystem", "npuser01"]));
    assert_eq!(r.report.verdict(), RunVerdict::Unknown);
    assert!(
        r.message("EGR001")
            .contains("snet-clusternodes is not in the inputs")
    );
    assert_eq!(r.verdicts().keys().collect::<Vec<_>>(), ["unknown"]);
}

// ----------------------------------------------------------------------------- every file

/// Every file of the corpus is handled: templates load (with the parameters file beside them
/// when there is one); parameters files, Bicep sources and bicepconfig.json get a message
/// naming what they are and what to do. No panic, no silent success for a non-template.
#[test]
fn every_corpus_file_is_handled() {
    let mut files = vec![];
    let mut todo = vec![corpus()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 30,
        "the corpus is beside the repository ({})",
        files.len()
    );
    let mut templates = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let mut sources = aks_preflight::source::SourceMap::new();
        let r = aks_preflight::input::load_path(&mut sources, &f.display().to_string());
        let text = std::fs::read_to_string(f).unwrap();
        let is_template = text.contains("deploymentTemplate.json#");
        match r {
            Ok((kind, _)) => {
                assert!(is_template, "{name} loaded as {kind:?}");
                assert_eq!(kind, aks_preflight::input::InputKind::ArmTemplate, "{name}");
                templates += 1;
            }
            Err(e) => {
                assert!(!is_template, "{name}: {e}");
                let msg = format!(
                    "{e} {}",
                    miette::Diagnostic::help(&e)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                );
                let says = if name.ends_with(".bicepparam") {
                    "build-params"
                } else if name.ends_with(".bicep") {
                    "az bicep build"
                } else if name == "bicepconfig.json" {
                    "Bicep configuration file"
                } else {
                    "--parameters"
                };
                assert!(msg.contains(says), "{name}: {msg}");
            }
        }
    }
    assert_eq!(templates, 7);
}
