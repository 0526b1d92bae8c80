//! Parameter values for a template: deployment parameters files
//! (`…/deploymentParameters.json#`, `{"parameters": {"x": {"value": …}}}`), Key Vault references
//! in them (never read), and `--param NAME=VALUE` from the command line.

use crate::source::ptr_seg;
use serde_json::Value;

/// One parameter value given to a template.
#[derive(Debug, Clone, PartialEq)]
pub struct GivenParam {
    pub name: String,
    pub value: Given,
    /// Where it was given, for messages: the parameters file name, or `--param`.
    pub source: String,
    /// JSON pointer of the value in the parameters file (empty for `--param`).
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    /// A JSON value from a parameters file.
    Json(Value),
    /// `--param NAME=VALUE`: converted by the parameter's declared type.
    Text(String),
    /// A Key Vault secret reference: its value is never read.
    KeyVault { secret: String },
}

/// Whether a JSON document is a deployment parameters file.
pub fn is_parameters_file(root: &Value) -> bool {
    root.get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_ascii_lowercase().contains("deploymentparameters"))
}

/// The parameter values of a parameters file. `Err((message, pointer))` when it is not one.
pub fn read_parameters_file(name: &str, root: &Value) -> Result<Vec<GivenParam>, (String, String)> {
    let Some(obj) = root.as_object() else {
        return Err((
            format!("{name} is not a parameters file: it is not a JSON object"),
            String::new(),
        ));
    };
    // the deploymentParameters schema wraps the values in `parameters`; az also accepts the bare
    // object of values
    let (params, base) = match obj.get("parameters") {
        Some(Value::Object(p)) => (p, "/parameters".to_string()),
        Some(_) => {
            return Err((
                format!("{name}: `parameters` must be an object of {{\"value\": …}} entries"),
                "/parameters".into(),
            ));
        }
        None if !obj.contains_key("$schema") => (obj, String::new()),
        None => {
            return Err((format!("{name} has no `parameters` object"), String::new()));
        }
    };
    let mut out = vec![];
    for (k, v) in params {
        let pointer = format!("{base}/{}", ptr_seg(k));
        let value = match v {
            Value::Object(o) if o.contains_key("value") => Given::Json(o["value"].clone()),
            Value::Object(o) if o.contains_key("reference") => {
                let secret = o["reference"]
                    .get("secretName")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                Given::KeyVault { secret }
            }
            _ => {
                return Err((
                    format!(
                        "{name}: parameter '{k}' must be {{\"value\": …}} or a Key Vault {{\"reference\": …}}"
                    ),
                    pointer,
                ));
            }
        };
        out.push(GivenParam {
            name: k.clone(),
            value,
            source: name.to_string(),
            pointer,
        });
    }
    Ok(out)
}

/// `NAME=VALUE` from the command line.
pub fn parse_cli_param(s: &str) -> Result<GivenParam, String> {
    let Some((name, value)) = s.split_once('=') else {
        return Err(format!(
            "--param {s}: expected NAME=VALUE (for example --param vnetCidr=10.10.0.0/16)"
        ));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("--param {s}: the parameter name is empty"));
    }
    Ok(GivenParam {
        name: name.to_string(),
        value: Given::Text(value.to_string()),
        source: "--param".into(),
        pointer: String::new(),
    })
}

/// The JSON value of `--param` text for a parameter of declared `type` (`string`, `int`,
/// `bool`, `array`, `object`, secure variants), as `az deployment … --parameters NAME=VALUE` does.
pub fn convert_text(name: &str, text: &str, declared: &str) -> Result<Value, String> {
    match declared.to_ascii_lowercase().as_str() {
        "int" => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("--param {name}={text}: '{text}' is not an integer")),
        "bool" => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("--param {name}={text}: expected true or false")),
        },
        "array" | "object" | "secureobject" => serde_json::from_str(text)
            .map_err(|e| format!("--param {name}=…: the value is not valid JSON ({e})")),
        _ => Ok(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_file_values_and_key_vault_references() {
        let root = json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {
                "vnetCidr": {"value": "10.10.0.0/16"},
                "adminPassword": {"reference": {"keyVault": {"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"}, "secretName": "pw"}}
            }
        });
        assert!(is_parameters_file(&root));
        let p = read_parameters_file("p.json", &root).unwrap();
        assert_eq!(p.len(), 2);
        let pw = p.iter().find(|g| g.name == "adminPassword").unwrap();
        assert_eq!(
            pw.value,
            Given::KeyVault {
                secret: "pw".into()
            }
        );
        let cidr = p.iter().find(|g| g.name == "vnetCidr").unwrap();
        assert_eq!(cidr.value, Given::Json(json!("10.10.0.0/16")));
        assert_eq!(cidr.pointer, "/parameters/vnetCidr");
        let bad = json!({"$schema": "x/deploymentParameters.json#", "parameters": {"a": 1}});
        let (m, ptr) = read_parameters_file("p.json", &bad).unwrap_err();
        assert!(m.contains("'a'"), "{m}");
        assert_eq!(ptr, "/parameters/a");
    }

    #[test]
    fn command_line_values_follow_the_declared_type() {
        let g = parse_cli_param("count=3").unwrap();
        assert_eq!(g.value, Given::Text("3".into()));
        assert_eq!(convert_text("count", "3", "int").unwrap(), json!(3));
        assert_eq!(convert_text("on", "True", "bool").unwrap(), json!(true));
        assert_eq!(convert_text("s", "[\"a\"]", "array").unwrap(), json!(["a"]));
        assert_eq!(convert_text("s", "3", "string").unwrap(), json!("3"));
        assert!(convert_text("count", "x", "int").is_err());
        assert!(parse_cli_param("novalue").is_err());
    }
}
