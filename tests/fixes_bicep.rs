//! Bicep fixes apply as pasted: for every ARM twin (and variants for the forms no twin needs: a
//! Firewall Policy's default deny, an NSG whose rules are inline), every finding's Bicep snippet
//! is read back (a small reader of the Bicep the snippets use: resources, objects, arrays,
//! strings, numbers, symbols), mapped by the ARM mapper into the rules it declares, added to the
//! model where the snippet says (a child of its `parent`, or an entry of the inline array its
//! comment or help names), and the check runs again: the finding must be gone and its endpoints
//! reachable. A snippet that does not parse, names a parent that does not exist, or does not
//! open the path fails the test.

#[path = "common/check_args.rs"]
mod check_args;

use aks_preflight::analysis::{self, fixes::FixLanguage};
use aks_preflight::cli::args::InputArgs;
use aks_preflight::cli::commands::{Loaded, load};
use aks_preflight::input::arm::{ArmResource, map_resources};
use aks_preflight::model::{Known, Lifecycle, Model};
use aks_preflight::report::Finding;
use aks_preflight::report::bicep::Parent;
use aks_preflight::source::Origin;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ------------------------------------------------------------------ a reader of snippet Bicep

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(i64),
    Punct(char),
    Newline,
}

fn lex(text: &str) -> Vec<Tok> {
    let mut out = vec![];
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\n' => out.push(Tok::Newline),
            c if c.is_whitespace() => {}
            '/' if it.peek() == Some(&'/') => {
                while it.peek().is_some_and(|c| *c != '\n') {
                    it.next();
                }
            }
            '\'' => {
                let mut s = String::new();
                loop {
                    match it.next().expect("unterminated string") {
                        '\\' => {
                            let e = it.next().expect("escape");
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                e => e,
                            });
                        }
                        '\'' => break,
                        c => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit() => {
                let mut n = c.to_string();
                while it.peek().is_some_and(|c| c.is_ascii_digit()) {
                    n.push(it.next().unwrap());
                }
                out.push(Tok::Num(n.parse().unwrap()));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut n = c.to_string();
                while it
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    n.push(it.next().unwrap());
                }
                out.push(Tok::Ident(n));
            }
            // a decorator (`@description('…')`) on a line of its own
            '@' => {
                while it.peek().is_some_and(|c| *c != '\n') {
                    it.next();
                }
            }
            '{' | '}' | '[' | ']' | ':' | ',' | '=' => out.push(Tok::Punct(c)),
            c => panic!("unexpected character {c:?} in Bicep snippet"),
        }
    }
    out
}

struct P {
    toks: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }
    fn next(&mut self) -> Tok {
        let t = self.toks.get(self.i).cloned().expect("unexpected end");
        self.i += 1;
        t
    }
    fn skip_nl(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline) | Some(Tok::Punct(','))) {
            self.i += 1;
        }
    }
    fn expect(&mut self, c: char) {
        assert_eq!(self.next(), Tok::Punct(c));
    }
    /// A value; a symbol is `{"$symbol": name}`.
    fn value(&mut self) -> Value {
        match self.next() {
            Tok::Str(s) => Value::String(s),
            Tok::Num(n) => json!(n),
            Tok::Ident(i) if i == "true" || i == "false" => Value::Bool(i == "true"),
            Tok::Ident(i) => json!({ "$symbol": i }),
            Tok::Punct('{') => {
                let mut m = Map::new();
                loop {
                    self.skip_nl();
                    match self.next() {
                        Tok::Punct('}') => break,
                        Tok::Ident(k) => {
                            self.expect(':');
                            let v = self.value();
                            assert!(m.insert(k.clone(), v).is_none(), "duplicate key {k}");
                        }
                        t => panic!("unexpected {t:?} in an object"),
                    }
                }
                Value::Object(m)
            }
            Tok::Punct('[') => {
                let mut a = vec![];
                loop {
                    self.skip_nl();
                    if self.peek() == Some(&Tok::Punct(']')) {
                        self.i += 1;
                        break;
                    }
                    a.push(self.value());
                }
                Value::Array(a)
            }
            t => panic!("unexpected {t:?}"),
        }
    }
}

/// A top-level statement of a snippet.
#[derive(Debug)]
enum Stmt {
    Param,
    Resource {
        symbol: String,
        rtype: String,
        existing: bool,
        body: Value,
    },
    /// A bare object: an entry for an array the snippet's comment or the help names.
    Entry(Value),
}

/// The statements of a snippet, and the comments that say where bare entries go.
fn parse_bicep(text: &str) -> (Vec<Stmt>, Vec<String>) {
    let comments = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// add to "))
        .map(str::to_string)
        .collect();
    let mut p = P {
        toks: lex(text),
        i: 0,
    };
    let mut out = vec![];
    loop {
        p.skip_nl();
        let Some(t) = p.peek().cloned() else { break };
        match t {
            Tok::Ident(k) if k == "param" => {
                p.next();
                let Tok::Ident(name) = p.next() else {
                    panic!("param name")
                };
                let Tok::Ident(ty) = p.next() else {
                    panic!("param type")
                };
                assert!(ty == "string" || ty == "array", "param type {ty}");
                assert!(!name.is_empty());
                out.push(Stmt::Param);
            }
            Tok::Ident(k) if k == "resource" => {
                p.next();
                let Tok::Ident(symbol) = p.next() else {
                    panic!("resource symbol")
                };
                let Tok::Str(ty) = p.next() else {
                    panic!("resource type")
                };
                let (rtype, api) = ty.split_once('@').expect("type@apiVersion");
                assert!(
                    api.len() == 10 && api.starts_with("20"),
                    "api version {api}"
                );
                let existing = p.peek() == Some(&Tok::Ident("existing".into()));
                if existing {
                    p.next();
                }
                p.expect('=');
                let body = p.value();
                out.push(Stmt::Resource {
                    symbol,
                    rtype: rtype.to_string(),
                    existing,
                    body,
                });
            }
            Tok::Punct('{') => out.push(Stmt::Entry(p.value())),
            t => panic!("unexpected {t:?} at the top of a snippet"),
        }
    }
    (out, comments)
}

// ------------------------------------------------------------------ applying a snippet

/// The ARM mapper's reading of one resource.
fn mapped(value: Value) -> Model {
    map_resources(&[ArmResource {
        value,
        origin: Origin::none(),
        lifecycle: Lifecycle::Create,
        symbol: None,
    }])
}

fn prop<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k).unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// Which element a parent symbol names: one the snippet declares `existing` (by name), else one
/// whose declared symbol it is.
fn parent_index<'m, T>(
    items: &'m [T],
    meta: impl Fn(&'m T) -> &'m aks_preflight::model::Meta,
    arm_type: &str,
    symbol: &str,
    existing: &[(String, String)],
) -> usize {
    let by_name = existing.iter().find(|(s, _)| s == symbol).map(|(_, n)| n);
    let found: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, x)| match by_name {
            Some(n) => meta(x).name.known() == Some(n),
            None => Parent::of(meta(x), arm_type).symbol == symbol,
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "parent {symbol} names {} elements",
        found.len()
    );
    found[0]
}

/// Apply a finding's snippet to the model.
fn apply(model: &mut Model, f: &Finding) {
    apply_text(
        model,
        f.snippet.as_deref().expect("a snippet"),
        f.help.as_deref().unwrap_or_default(),
    )
}

/// Apply Bicep `snippet` to the model (`help`: the text that says where bare entries go).
fn apply_text(model: &mut Model, snippet: &str, help: &str) {
    let (stmts, comments) = parse_bicep(snippet);
    let existing: Vec<(String, String)> = stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Resource {
                symbol,
                existing: true,
                body,
                ..
            } => Some((symbol.clone(), prop(body, "name").as_str()?.to_string())),
            _ => None,
        })
        .collect();
    let mut entries = stmts.iter().filter_map(|s| match s {
        Stmt::Entry(v) => Some(v),
        _ => None,
    });
    let mut applied = 0;
    for s in &stmts {
        let Stmt::Resource {
            symbol: _,
            rtype,
            existing: false,
            body,
        } = s
        else {
            continue;
        };
        let parent = prop(body, "parent")["$symbol"]
            .as_str()
            .expect("parent: symbol")
            .to_string();
        match rtype.as_str() {
            "Microsoft.Network/networkSecurityGroups/securityRules" => {
                let i = parent_index(
                    &model.nsgs,
                    |n| &n.meta,
                    "Microsoft.Network/networkSecurityGroups",
                    &parent,
                    &existing,
                );
                let m = mapped(json!({
                    "type": "Microsoft.Network/networkSecurityGroups",
                    "name": "n",
                    "properties": { "securityRules": [body] },
                }));
                let rule = m.nsgs[0].rules.known().unwrap()[0].clone();
                match &mut model.nsgs[i].rules {
                    Known::Known(v) => v.push(rule),
                    r => *r = Known::Known(vec![rule]),
                }
            }
            "Microsoft.Network/firewallPolicies/ruleCollectionGroups" => {
                let i = if parent == "firewallPolicy" {
                    // the policy given as a parameter: the only one
                    assert_eq!(model.firewall_policies.len(), 1);
                    0
                } else {
                    parent_index(
                        &model.firewall_policies,
                        |p| &p.meta,
                        "Microsoft.Network/firewallPolicies",
                        &parent,
                        &existing,
                    )
                };
                let pid = model.firewall_policies[i]
                    .meta
                    .id
                    .as_ref()
                    .expect("policy id")
                    .as_str()
                    .to_string();
                let name = prop(body, "name").as_str().unwrap();
                let m = mapped(json!({
                    "id": format!("{pid}/ruleCollectionGroups/{name}"),
                    "type": rtype,
                    "name": name,
                    "properties": prop(body, "properties"),
                }));
                assert_eq!(m.rule_collection_groups.len(), 1, "{}", snippet);
                model
                    .rule_collection_groups
                    .extend(m.rule_collection_groups);
            }
            t => panic!("a snippet declares a {t}"),
        }
        applied += 1;
    }
    // bare entries: inline NSG rules (the help names the NSG), classic rule collections (the
    // comment names the firewall and the array)
    for c in &comments {
        let (array, address) = c.split_once(" of ").expect("`array of address`");
        let entry = entries.next().expect("an entry for each comment");
        let fw = model
            .firewalls
            .iter_mut()
            .find(|f| f.meta.address() == address)
            .unwrap_or_else(|| panic!("no firewall {address}"));
        let key = array.strip_prefix("properties.").unwrap();
        let m = mapped(json!({
            "type": "Microsoft.Network/azureFirewalls",
            "name": "f",
            "properties": { key: [entry] },
        }));
        assert_eq!(m.firewalls[0].collections.len(), 1, "{snippet}");
        fw.collections.extend(m.firewalls[0].collections.clone());
        applied += 1;
    }
    if let Some(nsg) = help
        .split("add to the securityRules of ")
        .nth(1)
        .and_then(|t| t.split(" (its rules are inline").next())
    {
        let i = model
            .nsgs
            .iter()
            .position(|n| n.meta.address() == nsg)
            .unwrap_or_else(|| panic!("no NSG {nsg}"));
        for e in entries.by_ref() {
            let m = mapped(json!({
                "type": "Microsoft.Network/networkSecurityGroups",
                "name": "n",
                "properties": { "securityRules": [e] },
            }));
            let rule = m.nsgs[0].rules.known().unwrap()[0].clone();
            if let Known::Known(v) = &mut model.nsgs[i].rules {
                v.push(rule);
            }
            applied += 1;
        }
    }
    assert!(
        entries.next().is_none(),
        "an entry nothing says where to put"
    );
    // the deny moved when no priority is free below it
    if let Some((deny, to)) = help
        .split_once("below the deny (priority ")
        .and_then(|(_, t)| t.split_once(')'))
        .and_then(|(d, t)| {
            let to = t.split_once(" to ")?.1.split_once(' ')?.0;
            Some((d.parse::<u32>().ok()?, to.parse::<u32>().ok()?))
        })
    {
        let mut moved = 0;
        for n in &mut model.nsgs {
            if let Known::Known(rs) = &mut n.rules {
                for r in rs.iter_mut().filter(|r| r.priority == Known::Known(deny)) {
                    if r.access == Known::Known(aks_preflight::model::Access::Deny) {
                        r.priority = Known::Known(to);
                        moved += 1;
                    }
                }
            }
        }
        assert_eq!(moved, 1, "the deny at {deny}");
    }
    assert!(applied > 0, "nothing applied from {snippet}");
    model.finish();
}

// ------------------------------------------------------------------ inputs

/// The check's input arguments of a twin directory (`check.args`).
fn args_in(dir: &Path) -> InputArgs {
    check_args::check_args_in(Path::new(""), dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A twin copied to a temporary directory with its `main.json` changed by `edit`.
fn variant(twin: &str, name: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "aks-preflight-fixes-bicep-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("testdata/arm-twins").join(twin), &dir);
    let p = dir.join("main.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    dir
}

fn walk(v: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    f(v);
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| walk(x, f)),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
        _ => {}
    }
}

/// The hub firewall policy's AKS rules allow another host instead of the AKS FQDN tag, and its
/// network rules to the region's AzureCloud tag another port: the policy's default deny drops
/// the AKS endpoints.
fn policy_default_deny(v: &mut Value) {
    walk(v, &mut |x| {
        if let Some(m) = x.as_object_mut() {
            if m.get("destinationAddresses")
                .is_some_and(|t| t.to_string().contains("AzureCloud"))
            {
                m.insert("destinationPorts".into(), json!(["8443"]));
            }
            if m.get("fqdnTags")
                .is_some_and(|t| t.to_string().contains("AzureKubernetesService"))
            {
                m.insert("fqdnTags".into(), json!([]));
                m.insert("targetFqdns".into(), json!(["downloads.example.com"]));
            }
        }
    });
}

/// The NSG's rules written inline (`properties.securityRules`) instead of as child resources.
fn inline_nsg(v: &mut Value) {
    let resources = v["resources"].as_array_mut().unwrap();
    resources.retain(|r| r["type"] != "Microsoft.Network/networkSecurityGroups/securityRules");
    let nsg = resources
        .iter_mut()
        .find(|r| r["type"] == "Microsoft.Network/networkSecurityGroups")
        .unwrap();
    nsg["properties"] = json!({ "securityRules": [{
        "name": "deny-internet-https",
        "properties": {
            "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
            "sourceAddressPrefix": "*", "sourcePortRange": "*",
            "destinationAddressPrefix": "Internet", "destinationPortRange": "443"
        }
    }]});
    walk(v, &mut |x| {
        if let Some(a) = x.get_mut("dependsOn").and_then(Value::as_array_mut) {
            a.retain(|d| !d.to_string().contains("securityRules"));
        }
    });
}

fn checked(args: &InputArgs) -> (Loaded, Vec<Finding>) {
    std::env::set_current_dir(root()).unwrap();
    let l = load(args).unwrap_or_else(|c| panic!("{:?}: exit {c}", args.inputs));
    assert_eq!(
        l.options.fix_language,
        FixLanguage::Bicep,
        "{:?}",
        args.inputs
    );
    let r = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    (l, r.findings)
}

/// Every Bicep snippet of the inputs in `dir`, applied, removes its finding and opens its path.
/// Returns how many snippets were applied.
fn snippets_apply(dir: &Path) -> usize {
    let args = args_in(dir);
    let (l, findings) = checked(&args);
    let mut n = 0;
    for f in findings.iter().filter(|f| f.snippet.is_some()) {
        let snippet = f.snippet.as_deref().unwrap();
        assert!(
            !snippet.contains("resource \"azurerm"),
            "{}: a Terraform snippet for a template: {snippet}",
            dir.display()
        );
        let mut model = l.model.clone();
        apply(&mut model, f);
        let after = analysis::check(&model, &l.catalogue, &l.config, &l.options);
        let still: Vec<&Finding> = after
            .findings
            .iter()
            .filter(|g| g.rule == f.rule && g.endpoints.iter().any(|e| f.endpoints.contains(e)))
            .collect();
        assert!(
            still.is_empty(),
            "{}: {} remains after its fix:\n{snippet}\n{:#?}",
            dir.display(),
            f.rule,
            still.iter().map(|g| &g.message).collect::<Vec<_>>()
        );
        n += 1;
    }
    n
}

#[test]
fn every_bicep_snippet_of_every_arm_twin_applies_and_removes_its_finding() {
    let twins = root().join("testdata/arm-twins");
    let mut names: Vec<_> = std::fs::read_dir(&twins)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut total = 0;
    for d in names {
        total += snippets_apply(&d);
    }
    // nsg-deny-internet-443 (child security rules) and hub-fw-missing-fqdns (classic)
    assert!(total >= 2, "only {total} snippets");
}

#[test]
fn a_policy_default_deny_gets_a_rule_collection_group_of_that_policy() {
    let dir = variant("hub-fw-aks-tag", "policy", policy_default_deny);
    let (_, findings) = checked(&args_in(&dir));
    let f = findings
        .iter()
        .find(|f| f.rule == "FWL001")
        .unwrap_or_else(|| {
            panic!(
                "{:#?}",
                findings.iter().map(|f| &f.message).collect::<Vec<_>>()
            )
        });
    let s = f.snippet.as_deref().unwrap();
    assert!(
        s.contains("'Microsoft.Network/firewallPolicies/ruleCollectionGroups@"),
        "{s}"
    );
    let help = f.help.as_deref().unwrap();
    assert!(help.contains("in modules/hub.bicep"), "{help}");
    assert_eq!(snippets_apply(&dir), 1);
}

#[test]
fn an_inline_nsg_gets_entries_of_its_security_rules() {
    let dir = variant("nsg-deny-internet-443", "inline", inline_nsg);
    let (_, findings) = checked(&args_in(&dir));
    let f = findings
        .iter()
        .find(|f| f.rule == "NSG001")
        .expect("NSG001");
    let help = f.help.as_deref().unwrap();
    assert!(help.contains("add to the securityRules of"), "{help}");
    assert!(!f.snippet.as_deref().unwrap().contains("resource "));
    assert_eq!(snippets_apply(&dir), 1);
}

#[test]
fn the_reader_rejects_what_is_not_bicep() {
    for bad in [
        "resource x \"t@2024-05-01\" = {}",
        "resource x 't@2024-05-01' = { name = 'a' }",
        "{ name: 'a'",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_bicep(bad)).is_err(),
            "{bad} was read"
        );
    }
}

#[test]
fn plans_keep_terraform_snippets() {
    let args = InputArgs {
        inputs: vec!["testdata/scenarios/nsg-deny-internet-443/plan.json".into()],
        ..Default::default()
    };
    std::env::set_current_dir(root()).unwrap();
    let l = load(&args).unwrap();
    assert_eq!(l.options.fix_language, FixLanguage::Terraform);
    let r = analysis::check(&l.model, &l.catalogue, &l.config, &l.options);
    let f = r.findings.iter().find(|f| f.rule == "NSG001").unwrap();
    assert!(
        f.snippet
            .as_deref()
            .unwrap()
            .contains("resource \"azurerm_network_security_rule\"")
    );
}

/// `requirements --format bicep` of a twin: the rules it prints, applied, open every required
/// path (a policy's rule collection group, and classic collection entries).
#[test]
fn requirements_in_bicep_apply_and_open_every_path() {
    let policy = variant("hub-fw-aks-tag", "req-policy", policy_default_deny);
    let classic = root().join("testdata/arm-twins/hub-fw-missing-fqdns");
    for dir in [policy, classic] {
        let args = args_in(&dir);
        let (l, before) = checked(&args);
        assert!(
            before.iter().any(|f| f.rule == "FWL001"),
            "{}",
            dir.display()
        );
        let mut argv: Vec<String> = vec!["requirements".into(), "--format".into(), "bicep".into()];
        argv.extend(
            std::fs::read_to_string(dir.join("check.args"))
                .unwrap()
                .lines()
                .filter(|a| !a.is_empty())
                .map(str::to_string),
        );
        let out = assert_cmd::Command::cargo_bin("aks-preflight")
            .unwrap()
            .current_dir(&dir)
            .args(&argv)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("azurerm"), "{text}");
        let mut model = l.model.clone();
        apply_text(&mut model, &text, "");
        let after = analysis::check(&model, &l.catalogue, &l.config, &l.options);
        let fwl: Vec<&String> = after
            .findings
            .iter()
            .filter(|f| f.rule == "FWL001")
            .map(|f| &f.message)
            .collect();
        assert!(fwl.is_empty(), "{}:\n{text}\n{fwl:#?}", dir.display());
    }
}

/// `requirements --format bicep` of plans (a policy given as a parameter, a proxy's second
/// group, classic collections) is Bicep the reader reads.
#[test]
fn requirements_in_bicep_parse_for_plans_too() {
    for s in [
        "lb-clean",
        "proxy-reachable-unattested",
        "hub-fw-missing-fqdns",
        "hub-fw-typo-tag",
        "custom-dns-first-unreachable",
    ] {
        let out = assert_cmd::Command::cargo_bin("aks-preflight")
            .unwrap()
            .current_dir(root())
            .args([
                "requirements",
                "--format",
                "bicep",
                &format!("testdata/scenarios/{s}/plan.json"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{s}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("resource \"azurerm"), "{s}: {text}");
        let (stmts, _) = parse_bicep(&text);
        assert!(!stmts.is_empty(), "{s}: {text}");
    }
}
