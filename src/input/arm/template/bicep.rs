//! Where a compiled resource's Bicep symbol is declared: when `main.bicep` sits beside
//! `main.json`, the module path of a resource (`hub`, `mods[1]`) is followed declaration by
//! declaration (`module hub './hub.bicep' = …`), and in the module's file the resource's own
//! symbol (`resource fwPolicy '…'`) is found; the resource's symbol then names the file and
//! line: `hub.fwPolicy (modules/hub.bicep:30)`. Classic templates keep no symbolic names: there
//! the one declaration of the resource's type in its file names it, when there is exactly one.
//! A simple declaration lookup, not a Bicep parser: registry modules (`br:`, `ts:`) and
//! anything not found leave the symbol as it is.

use super::expand::Declared;
use crate::input::arm::ArmResource;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Name the resources compiled from the `.bicep` file beside `template` (same name, `.bicep`
/// extension) by their symbol and declaration.
pub fn annotate(template: &Path, resources: &mut [ArmResource], declared: &[Declared]) {
    let main = template.with_extension("bicep");
    if !main.is_file() {
        return;
    }
    let dir = template.parent().unwrap_or(Path::new(""));
    let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
    type Key = (String, Option<String>, String);
    let mut found: HashMap<Key, Option<(String, String)>> = HashMap::new();
    for (r, d) in resources.iter_mut().zip(declared) {
        let key = (d.module.clone(), d.symbol.clone(), d.rtype.clone());
        let at = found
            .entry(key)
            .or_insert_with(|| locate(&main, dir, d, &mut texts))
            .clone();
        if let Some((symbol, at)) = at {
            r.symbol = Some(format!("{symbol} ({at})"));
        }
    }
}

fn read<'a>(texts: &'a mut HashMap<PathBuf, Option<String>>, file: &Path) -> Option<&'a str> {
    texts
        .entry(file.to_path_buf())
        .or_insert_with(|| std::fs::read_to_string(file).ok())
        .as_deref()
}

/// The symbolic path and `file:line` of a declared resource.
fn locate(
    main: &Path,
    dir: &Path,
    d: &Declared,
    texts: &mut HashMap<PathBuf, Option<String>>,
) -> Option<(String, String)> {
    let mut file = main.to_path_buf();
    if !d.module.is_empty() {
        for seg in split_symbol(&d.module) {
            let (_, module) = find_declaration(read(texts, &file)?, &seg)?;
            let module = module?;
            if module.contains(':') {
                return None; // a registry or template spec module
            }
            file = normalize(&file.parent().unwrap_or(Path::new("")).join(module));
        }
    }
    let text = read(texts, &file)?;
    let (symbol, line) = match &d.symbol {
        Some(sym) => {
            let own = split_symbol(sym).pop()?;
            // a nested child's symbolic name is `parent::child`
            let own = own.rsplit("::").next()?.to_string();
            let (line, _) = find_declaration(text, &own)?;
            (sym.clone(), line)
        }
        None => find_only_of_type(text, &d.rtype)?,
    };
    let symbol = if d.module.is_empty() {
        symbol
    } else {
        format!("{}.{symbol}", d.module)
    };
    Some((symbol, format!("{}:{line}", shown(&file, dir))))
}

/// The only `resource NAME 'TYPE@…'` of a type in a file, and its line.
fn find_only_of_type(text: &str, rtype: &str) -> Option<(String, usize)> {
    let want = format!("'{}@", rtype.to_ascii_lowercase());
    let mut hits = text.lines().enumerate().filter_map(|(i, line)| {
        let rest = line.trim_start().strip_prefix("resource")?;
        if !rest.starts_with([' ', '\t']) || !rest.to_ascii_lowercase().contains(&want) {
            return None;
        }
        let ident: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        Some((ident, i + 1))
    });
    let first = hits.next()?;
    hits.next().is_none().then_some(first)
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
            "param location string\n\nresource fwPolicy 'Microsoft.Network/firewallPolicies@2023-09-01' = {\n}\nresource fw 'Microsoft.Network/azureFirewalls@2023-09-01' = {\n}\n",
        )
        .unwrap();
        let mk = |s: Option<&str>| ArmResource {
            value: serde_json::Value::Null,
            origin: crate::source::Origin::none(),
            lifecycle: crate::model::Lifecycle::Create,
            symbol: s.map(str::to_string),
        };
        let decl = |module: &str, symbol: Option<&str>, rtype: &str| Declared {
            module: module.into(),
            symbol: symbol.map(str::to_string),
            rtype: rtype.into(),
        };
        let mut rs = vec![
            mk(Some("hub.fwPolicy")),
            mk(Some("rt")),
            mk(Some("gone")),
            mk(None),
            mk(None),
        ];
        let declared = vec![
            decl(
                "hub",
                Some("fwPolicy"),
                "Microsoft.Network/firewallPolicies",
            ),
            decl("", Some("rt"), "Microsoft.Network/routeTables"),
            decl("", Some("gone"), "Microsoft.Network/routeTables"),
            // classic: found by its type, the only one of it in the module
            decl("hub", None, "Microsoft.Network/azureFirewalls"),
            decl("hub", None, "Microsoft.Network/publicIPAddresses"),
        ];
        annotate(&dir.join("main.json"), &mut rs, &declared);
        let syms: Vec<Option<&str>> = rs.iter().map(|r| r.symbol.as_deref()).collect();
        assert_eq!(
            syms,
            [
                Some("hub.fwPolicy (modules/hub.bicep:3)"),
                Some("rt (main.bicep:5)"),
                Some("gone"),
                Some("hub.fw (modules/hub.bicep:5)"),
                None
            ]
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
