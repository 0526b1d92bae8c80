//! Terraform addresses and reference traversals: `module.net["a"].azurerm_subnet.nodes[0]`,
//! `module.net.subnet_ids["blue"]`, `azurerm_firewall.fw.ip_configuration[0].private_ip_address`.

use serde_json::Value;
use std::fmt;

/// A `count` (number) or `for_each` (string) instance key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum IndexKey {
    Int(i64),
    Str(String),
}

impl IndexKey {
    pub(crate) fn from_json(v: &Value) -> Option<IndexKey> {
        match v {
            Value::Number(n) => n.as_i64().map(IndexKey::Int),
            Value::String(s) => Some(IndexKey::Str(s.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexKey::Int(i) => write!(f, "[{i}]"),
            IndexKey::Str(s) => {
                let q = serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""));
                write!(f, "[{q}]")
            }
        }
    }
}

/// One step of a module instance path: `module.net["a"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ModStep {
    pub name: String,
    pub index: Option<IndexKey>,
}

/// `module.a[0].module.b.` (with the trailing dot) or `""` for the root module.
pub(crate) fn module_prefix(path: &[ModStep]) -> String {
    let mut s = String::new();
    for m in path {
        s.push_str("module.");
        s.push_str(&m.name);
        if let Some(i) = &m.index {
            s.push_str(&i.to_string());
        }
        s.push('.');
    }
    s
}

/// Module call names of a module instance path (the configuration is per call, not per instance).
pub(crate) fn module_names(path: &[ModStep]) -> Vec<String> {
    path.iter().map(|m| m.name.clone()).collect()
}

/// One step of a traversal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Name(String),
    Index(IndexKey),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Name(n) => write!(f, ".{n}"),
            Step::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Render an attribute path (`ip_configuration[0].private_ip_address`).
pub(crate) fn steps_to_string(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        s.push_str(&st.to_string());
    }
    s.strip_prefix('.').map(str::to_string).unwrap_or(s)
}

/// Parse a traversal as written in `references` (`a.b["k"][0].c`). `None` for anything else
/// (splats, function calls).
pub(crate) fn parse_traversal(s: &str) -> Option<Vec<Step>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let mut expect_name = true;
    while i < b.len() {
        match b[i] {
            b'.' if !expect_name => {
                i += 1;
                expect_name = true;
            }
            b'[' => {
                i += 1;
                if i < b.len() && b[i] == b'"' {
                    // quoted string key with JSON-like escapes
                    let start = i;
                    i += 1;
                    let mut esc = false;
                    while i < b.len() {
                        if esc {
                            esc = false;
                        } else if b[i] == b'\\' {
                            esc = true;
                        } else if b[i] == b'"' {
                            break;
                        }
                        i += 1;
                    }
                    if i >= b.len() {
                        return None;
                    }
                    let lit = &s[start..=i];
                    let key: String = serde_json::from_str(lit).ok()?;
                    i += 1;
                    if i >= b.len() || b[i] != b']' {
                        return None;
                    }
                    i += 1;
                    out.push(Step::Index(IndexKey::Str(key)));
                } else {
                    let start = i;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'-') {
                        i += 1;
                    }
                    if i >= b.len() || b[i] != b']' {
                        return None;
                    }
                    let n: i64 = s[start..i].parse().ok()?;
                    i += 1;
                    out.push(Step::Index(IndexKey::Int(n)));
                }
                expect_name = false;
            }
            c if expect_name && (c.is_ascii_alphanumeric() || c == b'_' || c == b'-') => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push(Step::Name(s[start..i].to_string()));
                expect_name = false;
            }
            _ => return None,
        }
    }
    if expect_name && !out.is_empty() {
        return None;
    }
    (!out.is_empty()).then_some(out)
}

/// A parsed resource instance address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceAddr {
    pub module: Vec<ModStep>,
    pub data: bool,
    pub rtype: String,
    pub name: String,
    pub index: Option<IndexKey>,
}

impl ResourceAddr {
    pub(crate) fn render(&self) -> String {
        let mut s = module_prefix(&self.module);
        if self.data {
            s.push_str("data.");
        }
        s.push_str(&self.rtype);
        s.push('.');
        s.push_str(&self.name);
        if let Some(i) = &self.index {
            s.push_str(&i.to_string());
        }
        s
    }
    /// Address with every index removed (`module.net.azurerm_subnet.nodes`).
    pub(crate) fn base(&self) -> String {
        let mut s = String::new();
        for m in &self.module {
            s.push_str("module.");
            s.push_str(&m.name);
            s.push('.');
        }
        if self.data {
            s.push_str("data.");
        }
        s.push_str(&self.rtype);
        s.push('.');
        s.push_str(&self.name);
        s
    }
    /// Module-relative configuration address (`data.azurerm_subnet.x`, `azurerm_subnet.x`).
    pub(crate) fn config_address(&self) -> String {
        if self.data {
            format!("data.{}.{}", self.rtype, self.name)
        } else {
            format!("{}.{}", self.rtype, self.name)
        }
    }
}

/// Parse a module instance path `module.a[0].module.b` (empty string: root).
pub(crate) fn parse_module_path(s: &str) -> Option<Vec<ModStep>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    let steps = parse_traversal(s)?;
    let (path, rest) = take_modules(&steps)?;
    rest.is_empty().then_some(path)
}

fn take_modules(steps: &[Step]) -> Option<(Vec<ModStep>, &[Step])> {
    let mut path = Vec::new();
    let mut i = 0;
    while i + 1 < steps.len() && steps[i] == Step::Name("module".into()) {
        let Step::Name(n) = &steps[i + 1] else {
            return None;
        };
        let mut m = ModStep {
            name: n.clone(),
            index: None,
        };
        i += 2;
        if let Some(Step::Index(k)) = steps.get(i) {
            m.index = Some(k.clone());
            i += 1;
        }
        path.push(m);
    }
    Some((path, &steps[i..]))
}

/// Parse a full resource instance address.
pub(crate) fn parse_resource_address(s: &str) -> Option<ResourceAddr> {
    let steps = parse_traversal(s)?;
    let (module, rest) = take_modules(&steps)?;
    let (data, rest) = match rest.first() {
        Some(Step::Name(n)) if n == "data" => (true, &rest[1..]),
        _ => (false, rest),
    };
    let (Some(Step::Name(t)), Some(Step::Name(n))) = (rest.first(), rest.get(1)) else {
        return None;
    };
    let index = match rest.get(2) {
        Some(Step::Index(k)) => Some(k.clone()),
        None => None,
        _ => return None,
    };
    if rest.len() > 3 {
        return None;
    }
    Some(ResourceAddr {
        module,
        data,
        rtype: t.clone(),
        name: n.clone(),
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_traversals() {
        assert_eq!(
            parse_traversal(r#"module.net.subnet_ids["blue"]"#),
            Some(vec![
                Step::Name("module".into()),
                Step::Name("net".into()),
                Step::Name("subnet_ids".into()),
                Step::Index(IndexKey::Str("blue".into())),
            ])
        );
        assert_eq!(
            parse_traversal("azurerm_firewall.fw.ip_configuration[0].private_ip_address")
                .map(|s| s.len()),
            Some(5)
        );
        assert_eq!(parse_traversal(r#"a["x\"y"]"#).map(|s| s.len()), Some(2));
        assert_eq!(parse_traversal("a.b[*].c"), None);
        assert_eq!(parse_traversal("a."), None);
        assert_eq!(parse_traversal(""), None);
    }

    #[test]
    fn parses_addresses() {
        let a =
            parse_resource_address(r#"module.net["eu"].module.x[0].azurerm_subnet.nodes["blue"]"#)
                .expect("parse");
        assert_eq!(a.module.len(), 2);
        assert_eq!(a.module[0].index, Some(IndexKey::Str("eu".into())));
        assert_eq!(a.rtype, "azurerm_subnet");
        assert_eq!(a.index, Some(IndexKey::Str("blue".into())));
        assert_eq!(
            a.render(),
            r#"module.net["eu"].module.x[0].azurerm_subnet.nodes["blue"]"#
        );
        assert_eq!(a.base(), "module.net.module.x.azurerm_subnet.nodes");
        let d = parse_resource_address("data.azurerm_virtual_network.hub").expect("parse");
        assert!(d.data);
        assert_eq!(d.config_address(), "data.azurerm_virtual_network.hub");
        assert_eq!(
            parse_module_path(r#"module.a[3]"#),
            Some(vec![ModStep {
                name: "a".into(),
                index: Some(IndexKey::Int(3))
            }])
        );
    }
}
