//! Fixes apply as pasted: every Terraform snippet a finding carries, in every scenario, and every
//! `requirements --format terraform` rendering parse as HCL and use priorities that are free
//! where they go (NSG rule priorities of that NSG, below the deny they must precede; rule
//! collection group priorities of that policy; classic collection priorities of that firewall).

use aks_preflight::analysis;
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::load;
use aks_preflight::model::{Model, RuleCollectionKind};
use aks_preflight::report::{Finding, requirements};
use std::path::Path;

fn scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("plan.json").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn loaded(name: &str) -> aks_preflight::cli::commands::Loaded {
    loaded_path(&format!("testdata/scenarios/{name}/plan.json"))
}

fn loaded_path(path: &str) -> aks_preflight::cli::commands::Loaded {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let args = InputArgs {
        inputs: vec![path.to_string()],
        ..Default::default()
    };
    load(&args).unwrap_or_else(|c| panic!("{path}: exit {c}"))
}

/// Variants of scenarios for fixes no scenario needs: a Firewall Policy whose AKS rule names
/// another FQDN tag (its default deny drops the AKS endpoints: the fix is a new rule collection
/// group of that policy).
fn variants() -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("aks-preflight-fixes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/testdata/scenarios/hub-fw-typo-tag/plan.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    // the AKS rule allows another host instead of the (misspelt) FQDN tag
    fn retarget(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("destination_fqdn_tags")
                    .is_some_and(|t| t.to_string().contains("AzureKubernetesServices"))
                {
                    m.insert("destination_fqdn_tags".into(), serde_json::json!([]));
                    m.insert(
                        "destination_fqdns".into(),
                        serde_json::json!(["downloads.example.com"]),
                    );
                }
                m.values_mut().for_each(retarget);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(retarget),
            _ => {}
        }
    }
    retarget(&mut plan);
    let p = dir.join("policy-default-deny.json");
    std::fs::write(&p, plan.to_string()).unwrap();
    vec![("policy-default-deny".to_string(), p.display().to_string())]
}

/// The resource an attribute points at: `azurerm_network_security_group.nodes.name` ->
/// `azurerm_network_security_group.nodes`; a literal (an existing resource's id or name) as it is.
fn referenced(e: Option<&hcl::Expression>, attr: &str) -> Option<String> {
    match e? {
        hcl::Expression::String(s) => Some(s.clone()),
        e => e
            .to_string()
            .strip_suffix(&format!(".{attr}"))
            .map(str::to_string),
    }
}

/// A model element named by `r` (its address, resource id or name).
fn names(meta: &aks_preflight::model::Meta, r: &str) -> bool {
    meta.address().eq_ignore_ascii_case(r)
        || meta
            .id
            .as_ref()
            .is_some_and(|id| id.key().eq_ignore_ascii_case(r))
        || meta.name.known().is_some_and(|n| n == r)
}

fn attr<'a>(body: &'a hcl::Body, key: &str) -> Option<&'a hcl::Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

fn number(e: Option<&hcl::Expression>) -> Option<u32> {
    match e? {
        hcl::Expression::Number(n) => n.as_u64().map(|x| x as u32),
        _ => None,
    }
}

/// The first number after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<u32> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The number just before `marker` in `text`.
fn number_before(text: &str, marker: &str) -> Option<u32> {
    let head = &text[..text.find(marker)?];
    let digits: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

fn nsg_priorities(model: &Model, address: &str) -> Vec<u32> {
    model
        .nsgs
        .iter()
        .find(|n| names(&n.meta, address))
        .and_then(|n| n.rules.known())
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.priority.known().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// Every priority problem of a snippet (empty: the snippet parses and every priority is free).
/// `nsg`: the NSG an inline `security_rule` goes to; `before`: the priority an NSG allow must be
/// below.
fn problems(model: &Model, snippet: &str, nsg: Option<&str>, before: Option<u32>) -> Vec<String> {
    let body: hcl::Body = match hcl::parse(snippet) {
        Ok(b) => b,
        Err(e) => return vec![format!("not valid HCL: {e}")],
    };
    let mut out = vec![];
    let mut seen: Vec<(String, u32)> = vec![];
    for b in body.blocks() {
        let labels: Vec<String> = b.labels().iter().map(|l| l.as_str().to_string()).collect();
        let kind = labels.first().map(String::as_str).unwrap_or("");
        let prio = number(attr(b.body(), "priority"));
        let (scope, used): (String, Vec<u32>) = match (b.identifier(), kind) {
            ("security_rule", _) | ("resource", "azurerm_network_security_rule") => {
                let target = referenced(attr(b.body(), "network_security_group_name"), "name")
                    .or(nsg.map(str::to_string));
                let Some(target) = target else {
                    out.push("an NSG rule without its NSG".into());
                    continue;
                };
                if let (Some(p), Some(limit)) = (prio, before) {
                    if p >= limit {
                        out.push(format!("NSG rule priority {p} is not below {limit}"));
                    }
                }
                (target.clone(), nsg_priorities(model, &target))
            }
            ("resource", "azurerm_firewall_policy_rule_collection_group") => {
                let policy = referenced(attr(b.body(), "firewall_policy_id"), "id");
                let used = model
                    .rule_collection_groups
                    .iter()
                    .filter(|g| {
                        g.policy
                            .known()
                            .and_then(|r| model.firewall_policy(r))
                            .zip(policy.as_deref())
                            .is_some_and(|(p, r)| names(&p.meta, r))
                    })
                    .filter_map(|g| g.priority.known().copied())
                    .collect();
                let known = model
                    .firewall_policies
                    .iter()
                    .any(|p| policy.as_deref().is_some_and(|r| names(&p.meta, r)));
                let variable = attr(b.body(), "firewall_policy_id")
                    .is_some_and(|e| e.to_string().starts_with("var."));
                let flagged = snippet.contains("are not in the inputs: check that priority");
                if !known && !variable && !flagged {
                    out.push(format!("the policy {policy:?} is not in the inputs"));
                }
                (format!("policy {policy:?}"), used)
            }
            (
                "resource",
                k @ ("azurerm_firewall_application_rule_collection"
                | "azurerm_firewall_network_rule_collection"),
            ) => {
                let fw = referenced(attr(b.body(), "azure_firewall_name"), "name");
                let kind = if k.contains("application") {
                    RuleCollectionKind::Application
                } else {
                    RuleCollectionKind::Network
                };
                let used = model
                    .firewalls
                    .iter()
                    .filter(|f| fw.as_deref().is_some_and(|r| names(&f.meta, r)))
                    .flat_map(|f| &f.collections)
                    .filter(|c| c.kind == kind)
                    .filter_map(|c| c.priority.known().copied())
                    .collect();
                (format!("{k} of {fw:?}"), used)
            }
            (id, k) => {
                out.push(format!("unexpected block {id} {k}"));
                continue;
            }
        };
        let Some(p) = prio else {
            out.push(format!("{scope}: no priority"));
            continue;
        };
        if used.contains(&p) {
            out.push(format!("{scope}: priority {p} is taken ({used:?})"));
        }
        if seen.contains(&(scope.clone(), p)) {
            out.push(format!("{scope}: priority {p} twice in the snippet"));
        }
        seen.push((scope, p));
    }
    out
}

fn finding_problems(model: &Model, f: &Finding) -> Vec<String> {
    let Some(snippet) = &f.snippet else {
        return vec![];
    };
    let help = f.help.clone().unwrap_or_default();
    // the allow goes below the deny, or below the deny's new priority when it must move
    let before = match number_before(&help, " (free), and allow") {
        Some(moved) => Some(moved),
        None if f.rule == "NSG001" && f.message.starts_with("default NSG rule") => Some(4097),
        None if f.rule == "NSG001" => number_after(&f.message, "(priority"),
        None => None,
    };
    let nsg = help
        .split("security_rule blocks of ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next());
    problems(model, snippet, nsg, before)
}

#[test]
fn every_snippet_of_every_scenario_parses_and_uses_free_priorities() {
    let mut failures = vec![];
    let mut snippets = 0;
    let mut rules = std::collections::BTreeSet::new();
    let mut policy_groups = 0;
    let inputs: Vec<(String, String)> = scenarios()
        .into_iter()
        .map(|n| (n.clone(), format!("testdata/scenarios/{n}/plan.json")))
        .chain(variants())
        .collect();
    for (name, path) in inputs {
        let l = loaded_path(&path);
        let report = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
        for f in &report.findings {
            if let Some(s) = &f.snippet {
                snippets += 1;
                rules.insert(f.rule.clone());
                if s.contains("azurerm_firewall_policy_rule_collection_group") {
                    policy_groups += 1;
                }
            }
            for p in finding_problems(&l.model, f) {
                failures.push(format!(
                    "{name} {}: {p}\n{}",
                    f.rule,
                    f.snippet.as_deref().unwrap_or("")
                ));
            }
        }
        // requirements --format terraform, in the form of the cluster's firewall
        let ctx = analysis::Ctx {
            model: &l.model,
            catalogue: &l.catalogue,
            config: &l.config,
            options: &l.options,
        };
        let mut per_cluster = vec![];
        let mut targets = vec![];
        for (i, c) in l.model.clusters.iter().enumerate() {
            targets.push(analysis::fixes::cluster_firewall_target(
                &l.model,
                c,
                500 + 10 * i as u32,
            ));
            per_cluster.push(analysis::requirements_of(&ctx, c, true));
        }
        let tf = requirements::render_terraform_for(&per_cluster, &targets);
        for p in problems(&l.model, &tf, None, None) {
            if !p.starts_with("unexpected block variable") {
                failures.push(format!("{name} requirements: {p}\n{tf}"));
            }
        }
    }
    assert!(snippets >= 4, "only {snippets} snippets");
    assert!(
        policy_groups > 0,
        "no snippet adds a rule collection group to a policy"
    );
    assert!(
        rules.contains("NSG001") && rules.contains("FWL001"),
        "{rules:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The checker itself finds a taken priority, a priority above the deny and broken HCL.
#[test]
fn the_priority_check_finds_conflicts() {
    let l = loaded("nsg-deny-internet-443");
    let taken = "resource \"azurerm_network_security_rule\" \"a\" {\n  priority = 100\n  network_security_group_name = azurerm_network_security_group.nodes.name\n}\n";
    let p = problems(&l.model, taken, None, Some(4096));
    assert!(p.iter().any(|p| p.contains("taken")), "{p:?}");
    let above = taken.replace("100", "300");
    let p = problems(&l.model, &above, None, Some(200));
    assert!(p.iter().any(|p| p.contains("not below")), "{p:?}");
    assert!(!problems(&l.model, "resource \"x\" {", None, None).is_empty());
    let l = loaded("hub-fw-missing-fqdns");
    let classic = "resource \"azurerm_firewall_application_rule_collection\" \"a\" {\n  azure_firewall_name = azurerm_firewall.hub.name\n  priority = 200\n}\n";
    let p = problems(&l.model, classic, None, None);
    assert!(p.iter().any(|p| p.contains("taken")), "{p:?}");
}
