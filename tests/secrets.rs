//! No planted secret reaches any output. A plan with secrets in every sensitive attribute the
//! azurerm provider marks that the loader reads or sits beside (the cluster's kube configs,
//! Windows admin password, service principal secret, proxy CA; a sensitive variable flowing into
//! an NSG rule; sensitive outputs and variables) is broken in every way the robustness tests break
//! plans — truncated (inside each secret too), a CI wrapper's lines before and after it, byte
//! noise, wrong types — pretty-printed and minified, and every output of every command and format
//! is searched for any 8-character piece of any secret.

use aks_preflight::analysis::{self, CheckOptions, Ctx};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::report::{self, human, requirements};
use aks_preflight::source::SourceMap;
use assert_cmd::Command;
use serde_json::{Value, json};

/// Tiny deterministic LCG (Knuth MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn secrets() -> Vec<String> {
    let mut rng = Lcg(0x5ec2_e75e);
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..12)
        .map(|i| {
            let body: String = (0..28)
                .map(|_| alphabet[rng.below(alphabet.len())] as char)
                .collect();
            format!("Sk{i:02}{body}")
        })
        .collect()
}

/// The scenario plan with secrets planted where Terraform puts them, marked as Terraform marks
/// them.
fn sensitive_plan(s: &[String]) -> Value {
    let path = format!(
        "{}/testdata/scenarios/nsg-deny-internet-443/plan.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rcs = plan["resource_changes"].as_array_mut().unwrap();
    for rc in rcs.iter_mut() {
        let addr = rc["address"].as_str().unwrap().to_string();
        let ch = &mut rc["change"];
        if addr == "azurerm_kubernetes_cluster.aks" {
            let after = &mut ch["after"];
            after["kube_admin_config_raw"] =
                json!(format!("apiVersion: v1\nusers:\n- token: {}", s[0]));
            after["kube_config_raw"] = json!(s[1]);
            after["kube_admin_config"] = json!([{"client_key": s[2], "password": s[3],
                "host": "https://aks-prod.hcp.westeurope.azmk8s.io:443", "username": "clusterAdmin"}]);
            after["kube_config"] = json!([{"password": s[4], "client_certificate": s[5]}]);
            after["windows_profile"] =
                json!([{"admin_username": "azureuser", "admin_password": s[6]}]);
            after["service_principal"] = json!([{"client_id": "11111111-2222-3333-4444-555555555555", "client_secret": s[7]}]);
            after["http_proxy_config"] = json!([{"http_proxy": "http://proxy.corp.example:3128/",
                "https_proxy": "http://proxy.corp.example:3128/", "no_proxy": ["10.0.0.0/8"], "trusted_ca": s[8]}]);
            let sens = &mut ch["after_sensitive"];
            for k in [
                "kube_admin_config_raw",
                "kube_config_raw",
                "kube_admin_config",
                "kube_config",
            ] {
                sens[k] = json!(true);
            }
            sens["windows_profile"] = json!([{"admin_password": true}]);
            sens["service_principal"] = json!([{"client_secret": true}]);
            sens["http_proxy_config"] = json!([{"trusted_ca": true, "no_proxy": [false]}]);
        }
        if addr == "azurerm_network_security_rule.deny_internet_https_outbound" {
            // a sensitive variable used in the rule makes the attribute sensitive, right beside
            // the rule name that the NSG001 finding points at
            ch["after"]["description"] = json!(s[9]);
            ch["after_sensitive"]["description"] = json!(true);
        }
    }
    plan["variables"]["admin_password"] = json!({"value": s[10]});
    plan["configuration"]["root_module"]["variables"]["admin_password"] =
        json!({"sensitive": true, "description": "Windows admin password"});
    plan["output_changes"]["kube_admin_config_raw"] = json!({"actions": ["create"],
        "before": null, "after": s[11], "after_unknown": false,
        "before_sensitive": false, "after_sensitive": true});
    plan["planned_values"]["outputs"] =
        json!({"kube_admin_config_raw": {"sensitive": true, "value": s[11]}});
    plan
}

/// Every 8-character piece of every secret that appears in `out`.
fn leaks(out: &str, s: &[String]) -> Vec<String> {
    let mut found = vec![];
    for secret in s {
        let chars: Vec<char> = secret.chars().collect();
        for w in chars.windows(8) {
            let piece: String = w.iter().collect();
            if out.contains(&piece) {
                found.push(piece);
                break;
            }
        }
    }
    found
}

/// Variants of the plan text: broken in every way the robustness tests break plans.
fn variants(text: &str, s: &[String]) -> Vec<(String, String)> {
    let mut out = vec![("intact".to_string(), text.to_string())];
    let floor = |mut at: usize| {
        while at > 0 && !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    // truncated: spread over the text, and inside and just after each secret
    for i in 1..12 {
        let at = floor(i * text.len() / 12);
        out.push((format!("truncated@{at}"), text[..at].to_string()));
    }
    for secret in s {
        if let Some(p) = text.find(secret.as_str()) {
            for at in [p + 5, p + secret.len() / 2, p + secret.len() + 1] {
                let at = floor(at);
                out.push((format!("truncated-in-secret@{at}"), text[..at].to_string()));
            }
        }
    }
    // a CI wrapper's lines: accepted (the plan is read), and with a broken plan inside
    let escaped = text.replace('%', "%25").replace('\n', "%0A");
    let wrapped = format!(
        "[command]/home/runner/work/_temp/1f2e/terraform-bin show -json tfplan\n{text}\n::debug::Terraform exited with code 0.\n::debug::stdout: {escaped}\n::debug::stderr: \n::set-output name=stdout::{escaped}\n"
    );
    out.push(("wrapped".into(), wrapped));
    out.push((
        "prefix-line".into(),
        format!("[command]/usr/bin/terraform show -json tfplan\n{text}"),
    ));
    out.push((
        "prefix-line-truncated".into(),
        format!(
            "[command]/usr/bin/terraform show -json tfplan\n{}",
            &text[..floor(text.len() / 2)]
        ),
    ));
    out.push((
        "suffix-state-lock".into(),
        format!("{text}\nReleasing state lock. This may take a few moments...\n"),
    ));
    out.push((
        "suffix-unknown".into(),
        format!("{text}\nstdout: {}\n", s.join(" ")),
    ));
    out.push((
        "prefix-unknown".into(),
        format!("Plan output for {} follows\n{text}", s[0]),
    ));
    // byte noise, inside secrets as well
    let mut rng = Lcg(0x000b_17e5);
    const NOISE: &[u8] = b"{}[]\",:0123456789.-eE\\ntrufalsn \x00\x7f";
    for v in 0..24 {
        let mut b = text.as_bytes().to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = if v % 2 == 0 {
                // inside a secret
                let secret = &s[rng.below(s.len())];
                match text.find(secret.as_str()) {
                    Some(p) => p + rng.below(secret.len()),
                    None => rng.below(b.len()),
                }
            } else {
                rng.below(b.len())
            }
            .min(b.len() - 1);
            let byte = NOISE[rng.below(NOISE.len())];
            match rng.below(3) {
                0 => b[at] = byte,
                1 => b.insert(at, byte),
                _ => {
                    b.remove(at);
                }
            }
        }
        out.push((
            format!("noise#{v}"),
            String::from_utf8_lossy(&b).into_owned(),
        ));
    }
    out
}

/// Wrong types: masks and values of the wrong JSON type.
fn wrong_types(plan: &Value) -> Vec<(String, Value)> {
    let mut out = vec![];
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "after_sensitive-string",
            Box::new(|rc: &mut Value| rc["change"]["after_sensitive"] = json!("true")),
        ),
        (
            "after_sensitive-array",
            Box::new(|rc: &mut Value| rc["change"]["after_sensitive"] = json!([true])),
        ),
        (
            "after_sensitive-missing",
            Box::new(|rc: &mut Value| {
                rc["change"]
                    .as_object_mut()
                    .unwrap()
                    .remove("after_sensitive");
            }),
        ),
        (
            "kube_config-number",
            Box::new(|rc: &mut Value| rc["change"]["after_sensitive"]["kube_config"] = json!(1)),
        ),
        (
            "secret-as-object",
            Box::new(|rc: &mut Value| {
                let v = rc["change"]["after"]["kube_config_raw"].take();
                rc["change"]["after"]["kube_config_raw"] = json!({"nested": v});
            }),
        ),
        (
            "after-string",
            Box::new(|rc: &mut Value| {
                let v = rc["change"]["after"].to_string();
                rc["change"]["after"] = json!(v);
            }),
        ),
    ];
    for (name, edit) in &edits {
        for target in [
            "azurerm_kubernetes_cluster.aks",
            "azurerm_network_security_rule.deny_internet_https_outbound",
        ] {
            let mut p = plan.clone();
            for rc in p["resource_changes"].as_array_mut().unwrap() {
                if rc["address"] == target {
                    edit(rc);
                }
            }
            out.push((format!("{name}:{target}"), p));
        }
    }
    out
}

/// Every output the library produces for one input text: the error as the CLI prints it, or
/// the human report (problems only and all endpoints), the JSON report and the requirements in
/// each format.
fn outputs(name: &str, text: String) -> Vec<String> {
    let mut sources = SourceMap::new();
    let (_, mut model) = match aks_preflight::input::load(&mut sources, name, text) {
        Ok(m) => m,
        Err(e) => {
            return vec![
                aks_preflight::cli::commands::render_error(&e, false),
                format!("{e:?}"),
            ];
        }
    };
    model.finish();
    let catalogue = Catalogue::builtin().unwrap();
    let config = Config::default();
    let options = CheckOptions::default();
    let rep = analysis::check(&model, catalogue, &config, &options);
    let mut out = vec![];
    for all in [false, true] {
        let style = human::Style {
            all_endpoints: all,
            ..Default::default()
        };
        out.push(human::render(&rep, &mut sources, &style));
    }
    out.push(report::json::render(&rep, &mut sources));
    let ctx = Ctx {
        model: &model,
        catalogue,
        config: &config,
        options: &options,
    };
    let per_cluster: Vec<_> = model
        .clusters
        .iter()
        .map(|c| analysis::requirements_of(&ctx, c, true))
        .collect();
    out.push(requirements::render_text(&per_cluster));
    out.push(requirements::render_json(&per_cluster));
    out.push(requirements::render_terraform(&per_cluster));
    out
}

fn texts(plan: &Value) -> [(&'static str, String); 2] {
    [
        ("pretty", serde_json::to_string_pretty(plan).unwrap()),
        ("minified", serde_json::to_string(plan).unwrap()),
    ]
}

#[test]
fn no_planted_secret_in_any_library_output() {
    let s = secrets();
    let plan = sensitive_plan(&s);
    let mut failures = vec![];
    let mut checked = 0;
    for (layout, text) in texts(&plan) {
        for (variant, t) in variants(&text, &s) {
            let name = format!("{layout}/{variant}");
            for o in outputs(&name, t) {
                checked += 1;
                let l = leaks(&o, &s);
                if !l.is_empty() {
                    failures.push(format!("{name}: {l:?}\n{o}"));
                }
            }
        }
    }
    for (variant, p) in wrong_types(&plan) {
        for (layout, text) in texts(&p) {
            let name = format!("{layout}/{variant}");
            for o in outputs(&name, text) {
                checked += 1;
                let l = leaks(&o, &s);
                if !l.is_empty() {
                    failures.push(format!("{name}: {l:?}\n{o}"));
                }
            }
        }
    }
    assert!(checked > 300, "{checked} outputs checked");
    assert!(
        failures.is_empty(),
        "{} leak(s):\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n\n")
    );
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").unwrap();
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn no_planted_secret_in_any_command_output() {
    let s = secrets();
    let plan = sensitive_plan(&s);
    let dir = std::env::temp_dir().join(format!("aks-preflight-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let commands: &[&[&str]] = &[
        &["check", "--verbose", "--all"],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "--format", "junit"],
        &["check", "--format", "markdown"],
        &["requirements", "--format", "terraform"],
        &["requirements", "--format", "json"],
        &["explain", "--to", "mcr.microsoft.com:443/tcp"],
        &[
            "explain",
            "--to",
            "mcr.microsoft.com:443/tcp",
            "--format",
            "json",
        ],
        &["explain", "--to", "dns"],
        &[
            "explain",
            "--to",
            "mcr.microsoft.com:443/tcp",
            "--format",
            "mermaid",
        ],
    ];
    let mut failures = vec![];
    let mut runs = 0;
    for (layout, text) in texts(&plan) {
        // every eleventh variant through every command: the process's whole stdout and stderr
        for (i, (variant, t)) in variants(&text, &s).into_iter().enumerate() {
            if i % 11 != 0 && !variant.starts_with("wrapped") && !variant.starts_with("suffix") {
                continue;
            }
            let file = dir.join(format!("{layout}-{i}.json"));
            std::fs::write(&file, &t).unwrap();
            for args in commands {
                let out = bin().args(*args).arg(&file).output().unwrap();
                runs += 1;
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                let l = leaks(&all, &s);
                if !l.is_empty() {
                    failures.push(format!("{layout}/{variant} {args:?}: {l:?}\n{all}"));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(runs > 80, "{runs} runs");
    assert!(
        failures.is_empty(),
        "{} leak(s):\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n\n")
    );
}
