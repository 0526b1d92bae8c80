//! What an input is, from its path, its bytes and its text, so that [`super::load_path`] hands it
//! to the one reader of its kind, and an input no reader takes gets a message that names what it
//! is and what to do.
//!
//! * [`directory`]: a Terraform root module (`*.tf`), or a directory with nothing to read.
//! * [`text_of`]: the bytes as text, or what they are instead: empty, UTF-16 (Windows
//!   PowerShell's `>`), a binary `terraform plan -out` file (a zip archive), other binary data.
//! * [`kind_of_json`]: a parsed JSON document's kind: Terraform plan or state, ARM template or
//!   parameters file (`$schema`), what-if output, ARM resources (REST or `az` output).
//! * [`kind_of_text`]: a text that is not strict JSON: JSON with comments or trailing commas
//!   (valid for ARM templates), Terraform HCL, or Bicep.

use super::InputKind;
use serde_json::Value;
use std::path::Path;

/// Why an input is not read: what it is, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub help: String,
}

fn refuse(message: String, help: impl Into<String>) -> Refusal {
    Refusal {
        message,
        help: help.into(),
    }
}

/// A directory given as input: a Terraform root module when it holds `*.tf` files.
pub fn directory(path: &Path) -> Result<InputKind, Refusal> {
    let shown = path.display();
    let entries = std::fs::read_dir(path).map_err(|e| {
        refuse(
            format!("{shown} is a directory that cannot be read: {e}"),
            "check its permissions, or pass the plan JSON file instead",
        )
    })?;
    let mut files = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".tf") || name.ends_with(".tf.json") {
            return Ok(InputKind::TerraformHcl);
        }
        files += 1;
    }
    let holds = match files {
        0 => "it is empty".to_string(),
        1 => "it holds 1 other entry".to_string(),
        n => format!("it holds {n} other entries"),
    };
    Err(refuse(
        format!("{shown} is a directory without Terraform configuration (*.tf): {holds}"),
        "pass a file: the JSON of a Terraform plan (`terraform show -json tfplan > plan.json`), \
         Terraform state, or Azure resources (`az … show -o json`)",
    ))
}

/// The bytes of an input as text (UTF-8, a byte order mark kept), or why they are not.
pub fn text_of(name: &str, bytes: Vec<u8>) -> Result<String, Refusal> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(refuse(
            format!("{name} is empty"),
            "the command that wrote it printed nothing: check that `terraform show -json tfplan` \
             (or the `az` command) succeeded, then write its output again",
        ));
    }
    if is_utf16(&bytes) {
        return Err(refuse(
            format!(
                "{name} is UTF-16 text (what Windows PowerShell's `>` and `Out-File` write), and \
                 aks-preflight reads UTF-8"
            ),
            "write it as UTF-8: `terraform show -json tfplan | Out-File -Encoding utf8 plan.json` \
             (PowerShell 7 writes UTF-8 by default), or run the command from cmd or bash",
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(refuse(
            format!(
                "{name} is a binary Terraform plan file (what `terraform plan -out` writes, a zip \
                 archive), not its JSON"
            ),
            format!(
                "convert it where the configuration was planned (after `terraform init`): \
                 `terraform show -json {name} > plan.json`, and check plan.json"
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        refuse(
            format!(
                "{name} is not text: byte {} is not UTF-8",
                e.utf8_error().valid_up_to()
            ),
            super::RECIPE,
        )
    })
}

/// UTF-16 with a byte order mark, or ASCII-range text with every other byte zero.
fn is_utf16(b: &[u8]) -> bool {
    if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let n = b.len().min(64) & !1;
    if n < 4 {
        return false;
    }
    let zeros_odd = (1..n).step_by(2).filter(|&i| b[i] == 0).count();
    let zeros_even = (0..n).step_by(2).filter(|&i| b[i] == 0).count();
    zeros_odd * 4 >= n * 3 / 2 || zeros_even * 4 >= n * 3 / 2
}

/// The kind of a parsed JSON document, when it is one we recognise.
pub fn kind_of_json(root: &Value) -> Option<InputKind> {
    if let Value::Object(o) = root {
        let schema = o.get("$schema").and_then(Value::as_str).unwrap_or("");
        // deploymentTemplate.json, subscriptionDeploymentTemplate.json, managementGroup…, tenant…
        if schema.contains("DeploymentTemplate") || schema.contains("deploymentTemplate") {
            return Some(InputKind::ArmTemplate);
        }
        if schema.contains("deploymentParameters") || schema.contains("DeploymentParameters") {
            return Some(InputKind::ArmParameters);
        }
        // `az deployment … what-if -o json` ({"changes", "status"}) or the REST response
        // ({"status", "properties": {"changes"}})
        let changes = |v: Option<&Value>| {
            v.and_then(|c| c.get("changes"))
                .is_some_and(Value::is_array)
        };
        if (o.get("changes").is_some_and(Value::is_array) && o.contains_key("status"))
            || (o.contains_key("status") && changes(o.get("properties")))
        {
            return Some(InputKind::WhatIf);
        }
        if o.contains_key("format_version") {
            let plan = [
                "resource_changes",
                "planned_values",
                "configuration",
                "prior_state",
            ]
            .iter()
            .any(|k| o.contains_key(*k));
            return Some(if plan {
                InputKind::TerraformPlan
            } else {
                InputKind::TerraformState
            });
        }
        if o.contains_key("version") && (o.contains_key("lineage") || o.contains_key("resources")) {
            return Some(InputKind::TerraformState);
        }
    }
    super::arm::is_arm_resource_json(root).then_some(InputKind::ArmResources)
}

/// JSON as ARM reads it: `//` and `/* */` comments and trailing commas allowed.
fn tolerant_json(text: &str) -> Option<Value> {
    let opts = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        ..Default::default()
    };
    jsonc_parser::parse_to_serde_value::<Value>(text, &opts).ok()
}

/// The first line of a text that is not blank or a comment.
fn first_statement(text: &str) -> &str {
    let mut in_block = false;
    for line in text.lines() {
        let l = line.trim();
        if in_block {
            if l.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if l.is_empty() || l.starts_with("//") || l.starts_with('#') {
            continue;
        }
        if l.starts_with("/*") {
            in_block = !l.contains("*/");
            continue;
        }
        return l;
    }
    ""
}

/// The largest character boundary of `s` at or before `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The kind of a text that is not strict JSON, and what it looks like, when we recognise it.
pub fn kind_of_text(text: &str) -> Option<(InputKind, &'static str)> {
    let t = text.trim_start_matches('\u{feff}');
    let head = t.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        if let Some(v) = tolerant_json(t) {
            return kind_of_json(&v).map(|k| (k, "JSON with comments or trailing commas"));
        }
        // not even tolerant JSON: an ARM template still names its schema near the top
        // windows cut at character boundaries (a cut inside a character panicked: found by
        // the `load` fuzz target)
        let top = &t[..floor_boundary(t, 4096)];
        if let Some(at) = top.find("\"$schema\"") {
            let rest = &top[at..floor_boundary(top, at + 200)];
            if rest.contains("eploymentTemplate.json") {
                return Some((InputKind::ArmTemplate, "an ARM template (by its `$schema`)"));
            }
            if rest.contains("eploymentParameters.json") {
                return Some((
                    InputKind::ArmParameters,
                    "an ARM parameters file (by its `$schema`)",
                ));
            }
        }
        return None;
    }
    let first = first_statement(t);
    let word = first.split_whitespace().next().unwrap_or("");
    let second = first.split_whitespace().nth(1).unwrap_or("");
    match word {
        // HCL blocks have quoted labels (`resource "azurerm_subnet" "nodes" {`)
        "resource" | "data" | "module" | "provider" | "variable" | "output"
            if second.starts_with('"') =>
        {
            Some((InputKind::TerraformHcl, "Terraform configuration (HCL)"))
        }
        "terraform" | "locals" if second.starts_with('{') => {
            Some((InputKind::TerraformHcl, "Terraform configuration (HCL)"))
        }
        // Bicep declarations have bare symbolic names (`resource vnet 'Microsoft…@2023-…' = {`)
        "targetScope" | "param" | "var" | "resource" | "module" | "output" | "import"
        | "metadata" | "type" | "func" | "using" => Some((InputKind::Bicep, "Bicep source")),
        w if w.starts_with("@description(") || w.starts_with("@sys.") => {
            Some((InputKind::Bicep, "Bicep source"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_text_say_what_they_are() {
        let r = text_of("plan.json", b"  \n".to_vec()).unwrap_err();
        assert!(r.message.contains("is empty"), "{r:?}");
        let utf16: Vec<u8> = std::iter::once([0xFFu8, 0xFE])
            .chain("{\"a\": 1}".encode_utf16().map(|u| u.to_le_bytes()))
            .flatten()
            .collect();
        assert!(text_of("p", utf16).unwrap_err().message.contains("UTF-16"));
        // without a byte order mark
        let utf16: Vec<u8> = "{\"format_version\": \"1.2\"}"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert!(text_of("p", utf16).unwrap_err().message.contains("UTF-16"));
        let zip = b"PK\x03\x04\x14\x00\x00\x00tfplan".to_vec();
        let r = text_of("tfplan", zip).unwrap_err();
        assert!(r.message.contains("binary Terraform plan"), "{r:?}");
        assert!(r.help.contains("terraform show -json tfplan"), "{r:?}");
        assert!(
            text_of("p", vec![0x7B, 0xC3, 0x28])
                .unwrap_err()
                .message
                .contains("not UTF-8")
        );
        assert_eq!(text_of("p", b"{}".to_vec()).unwrap(), "{}");
    }

    #[test]
    fn json_documents_by_their_shape() {
        let k = |s: &str| kind_of_json(&serde_json::from_str(s).unwrap());
        assert_eq!(
            k(
                r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}"#
            ),
            Some(InputKind::ArmTemplate)
        );
        assert_eq!(
            k(
                r#"{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"}"#
            ),
            Some(InputKind::ArmTemplate)
        );
        assert_eq!(
            k(
                r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}"#
            ),
            Some(InputKind::ArmParameters)
        );
        assert_eq!(
            k(r#"{"changes": [], "status": "Succeeded", "error": null}"#),
            Some(InputKind::WhatIf)
        );
        assert_eq!(
            k(r#"{"status": "Succeeded", "properties": {"changes": []}}"#),
            Some(InputKind::WhatIf)
        );
        assert_eq!(
            k(r#"{"format_version": "1.2", "resource_changes": []}"#),
            Some(InputKind::TerraformPlan)
        );
        assert_eq!(
            k(r#"{"format_version": "1.0"}"#),
            Some(InputKind::TerraformState)
        );
        assert_eq!(
            k(r#"{"version": 4, "lineage": "x", "resources": []}"#),
            Some(InputKind::TerraformState)
        );
        assert_eq!(k(r#"{"hello": 1}"#), None);
    }

    #[test]
    fn az_outputs_are_arm_resources() {
        for f in [
            "az-network-vnet-peering-show.json",
            "az-network-firewall-policy-rule-collection-group-show.json",
        ] {
            let path = format!("{}/../shared/corpus/az-cli/{f}", env!("CARGO_MANIFEST_DIR"));
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(kind_of_json(&v), Some(InputKind::ArmResources), "{f}");
        }
    }

    #[test]
    fn texts_that_are_not_strict_json() {
        let arm = "{\n  // a comment ARM accepts\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [],\n}\n";
        assert!(serde_json::from_str::<Value>(arm).is_err());
        assert_eq!(kind_of_text(arm).map(|k| k.0), Some(InputKind::ArmTemplate));
        // broken beyond tolerance, still named by its schema
        let broken = "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [ {";
        assert_eq!(
            kind_of_text(broken).map(|k| k.0),
            Some(InputKind::ArmTemplate)
        );
        let hcl = "# network\nresource \"azurerm_subnet\" \"nodes\" {\n  name = \"x\"\n}\n";
        assert_eq!(
            kind_of_text(hcl).map(|k| k.0),
            Some(InputKind::TerraformHcl)
        );
        assert_eq!(
            kind_of_text("terraform {\n  required_version = \">= 1.5\"\n}\n").map(|k| k.0),
            Some(InputKind::TerraformHcl)
        );
        let bicep = "// main\n@description('Location')\nparam location string = resourceGroup().location\nresource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {\n}\n";
        assert_eq!(kind_of_text(bicep).map(|k| k.0), Some(InputKind::Bicep));
        assert_eq!(
            kind_of_text("resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {}")
                .map(|k| k.0),
            Some(InputKind::Bicep)
        );
        assert_eq!(kind_of_text("{\"a\": tru}"), None);
        assert_eq!(kind_of_text("hello"), None);
    }

    #[test]
    fn the_corpus_arm_templates_with_comments_are_templates() {
        let path = format!(
            "{}/../shared/corpus/arm-templates/aks-baseline-arm-1c3663f5/cluster-stamp.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "has comments"
        );
        assert_eq!(
            kind_of_text(&text).map(|k| k.0),
            Some(InputKind::ArmTemplate)
        );
    }

    #[test]
    fn directories_with_and_without_configuration() {
        let d = std::env::temp_dir().join(format!("aks-preflight-detect-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("notes.txt"), "x").unwrap();
        let r = directory(&d).unwrap_err();
        assert!(
            r.message.contains("without Terraform configuration"),
            "{r:?}"
        );
        std::fs::write(d.join("main.tf"), "").unwrap();
        assert_eq!(directory(&d), Ok(InputKind::TerraformHcl));
        let _ = std::fs::remove_dir_all(&d);
        let r = directory(Path::new("/nonexistent-dir-for-a-test")).unwrap_err();
        assert!(r.message.contains("cannot be read"), "{r:?}");
    }

    /// Regression (fuzzing, `load` target): a `$schema` window that ends inside a multi-byte
    /// character is cut at a boundary instead of panicking.
    #[test]
    fn schema_window_inside_a_character_does_not_panic() {
        // the window `$schema` + 200 bytes ends inside a `Λ` for some of these lengths
        for n in 170..200 {
            let text = format!(
                "{{\n  \"$schema\": \"{}\u{39b}\u{39b}eploymentParameters.json#\",\n  \"broken\": ",
                "x".repeat(n)
            );
            let _ = kind_of_text(&text);
        }
        let long = format!("{{{}\u{39b}", " ".repeat(4095));
        let _ = kind_of_text(&long);
    }
}
