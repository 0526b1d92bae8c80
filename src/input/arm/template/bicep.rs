//! Where a compiled resource's Bicep symbol is declared: when `main.bicep` sits beside
//! `main.json`, the symbolic path of a resource (`hub.fwPolicy`, `mods[1].nsg`) is looked up
//! declaration by declaration (`module hub './hub.bicep' = …`, then `resource fwPolicy '…'` in
//! that file), and the resource's symbol gets the file and line of the last one:
//! `hub.fwPolicy (modules/hub.bicep:30)`. A simple declaration lookup, not a Bicep parser:
//! registry modules (`br:`, `ts:`) and anything not found leave the symbol as it is.

use crate::input::arm::ArmResource;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Add the Bicep declaration's `file:line` to the symbols of resources compiled from the
/// `.bicep` file beside `template` (same name, `.bicep` extension).
pub fn annotate(template: &Path, resources: &mut [ArmResource]) {
    let main = template.with_extension("bicep");
    if !main.is_file() {
        return;
    }
    let dir = template.parent().unwrap_or(Path::new(""));
    let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut found: HashMap<String, Option<String>> = HashMap::new();
    for r in resources {
        let Some(sym) = r.symbol.clone() else {
            continue;
        };
        let at = found
            .entry(sym.clone())
            .or_insert_with(|| lookup(&main, dir, &sym, &mut texts))
            .clone();
        if let Some(at) = at {
            r.symbol = Some(format!("{sym} ({at})"));
        }
    }
}

/// `main.bicep:12` for `vnet`; `modules/hub.bicep:30` for `hub.fwPolicy`.
fn lookup(
    main: &Path,
    dir: &Path,
    symbol: &str,
    texts: &mut HashMap<PathBuf, Option<String>>,
) -> Option<String> {
    let segments = split_symbol(symbol);
    let mut file = main.to_path_buf();
    for (k, seg) in segments.iter().enumerate() {
        let text = texts
            .entry(file.clone())
            .or_insert_with(|| std::fs::read_to_string(&file).ok())
            .clone()?;
        let (line, module) = find_declaration(&text, seg)?;
        if k + 1 == segments.len() {
            return Some(format!("{}:{line}", shown(&file, dir)));
        }
        let module = module?;
        if module.contains(':') {
            return None; // a registry or template spec module
        }
        file = normalize(&file.parent().unwrap_or(Path::new("")).join(module));
    }
    None
}

/// `mods[1].nsg` → `["mods", "nsg"]` (loop indexes dropped, dots inside brackets kept).
fn split_symbol(symbol: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut depth = 0;
    for c in symbol.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c if depth == 0 => cur.push(c),
            _ => {}
        }
    }
    out.push(cur);
    out
}

/// The 1-based line of `resource NAME` or `module NAME`, and a module's path.
fn find_declaration(text: &str, name: &str) -> Option<(usize, Option<String>)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        for kw in ["resource", "module"] {
            let Some(rest) = t.strip_prefix(kw) else {
                continue;
            };
            if !rest.starts_with([' ', '\t']) {
                continue;
            }
            let rest = rest.trim_start();
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if ident != name {
                continue;
            }
            let module = (kw == "module")
                .then(|| {
                    let after = &rest[ident.len()..];
                    let start = after.find('\'')? + 1;
                    let end = after[start..].find('\'')? + start;
                    Some(after[start..end].to_string())
                })
                .flatten();
            return Some((i + 1, module));
        }
    }
    None
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path as messages show it: relative to the template's directory when under it.
fn shown(file: &Path, dir: &Path) -> String {
    let file = normalize(file);
    let dir = normalize(dir);
    file.strip_prefix(&dir)
        .unwrap_or(&file)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_and_module_paths() {
        let text = "param x string\n\n@description('hub')\nmodule hub './modules/hub.bicep' = {\n  name: 'hub'\n}\nresource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {\n}\nresource vnetPeer 'x' existing = {}\n";
        assert_eq!(
            find_declaration(text, "hub"),
            Some((4, Some("./modules/hub.bicep".into())))
        );
        assert_eq!(find_declaration(text, "vnet"), Some((7, None)));
        assert_eq!(find_declaration(text, "vnetPeer"), Some((9, None)));
        assert_eq!(find_declaration(text, "nope"), None);
        assert_eq!(split_symbol("mods[1].nsg"), ["mods", "nsg"]);
        assert_eq!(split_symbol("a['x.y'].b"), ["a", "b"]);
    }

    #[test]
    fn annotates_symbols_through_modules() {
        let dir = std::env::temp_dir().join(format!("aks-preflight-bicep-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("modules")).unwrap();
        std::fs::write(
            dir.join("main.bicep"),
            "module hub 'modules/hub.bicep' = {\n  name: 'hub'\n}\n\nresource rt 'Microsoft.Network/routeTables@2023-09-01' = {\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("modules/hub.bicep"),
            "param location string\n\nresource fwPolicy 'Microsoft.Network/firewallPolicies@2023-09-01' = {\n}\n",
        )
        .unwrap();
        let mk = |s: &str| ArmResource {
            value: serde_json::Value::Null,
            origin: crate::source::Origin::none(),
            lifecycle: crate::model::Lifecycle::Create,
            symbol: Some(s.into()),
        };
        let mut rs = vec![mk("hub.fwPolicy"), mk("rt"), mk("gone")];
        annotate(&dir.join("main.json"), &mut rs);
        let syms: Vec<&str> = rs.iter().map(|r| r.symbol.as_deref().unwrap()).collect();
        assert_eq!(
            syms,
            [
                "hub.fwPolicy (modules/hub.bicep:3)",
                "rt (main.bicep:5)",
                "gone"
            ]
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
