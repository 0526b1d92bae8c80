//! Terraform inputs: `terraform show -json` of a plan (format 0.x and 1.x) or of state, and raw
//! `terraform.tfstate` files (version 4).
//!
//! Reading happens in two phases. First every resource instance of the input is collected
//! ([`instances`]) and mapped by its azurerm type ([`azurerm`]) into model elements; values that
//! are unknown until apply are resolved through the plan's `configuration` ([`refs`]) when they
//! reference another resource, so that a node pool whose `vnet_subnet_id` is computed still binds to
//! `module.net.azurerm_subnet.nodes["blue"]`. Then the resources that only link others
//! (associations, separate rules and routes, separate node pools, DNS server lists) are attached.
//!
//! Input note codes:
//! * `INP001` an unknown value whose reference could not be resolved through the configuration;
//! * `INP002` the plan is partial (`errored: true`);
//! * `INP003` a network or cluster resource is deleted by the plan (left out of the model);
//! * `INP004` a documented default was assumed for an attribute the input leaves unset;
//! * `INP005` plan/state format 0.x (Terraform before 1.0): read, with less detail;
//! * `INP006` a resource attaches to an element that is not in this input;
//! * `INP007` a data source is read only during apply, so its attributes are unknown.

mod addr;
mod attach;
pub mod azurerm;
mod config;
pub mod hcl;
mod instances;
mod patterns;
mod refs;
mod summary;
mod value;

pub use summary::summarize;

use crate::error::Error;
use crate::input::InputKind;
use crate::input::document::ChangeValues;
use crate::input::tree::Node;
use crate::model::{
    InputNote, IpSymbol, IpValue, Known, Lifecycle, Meta, Model, PrefixValue, Ref, ResourceId,
};
use crate::source::{FileId, Loc, Origin, SourceMap};
use addr::{Step, steps_to_string};
use bumpalo::Bump;
use config::Config;
use instances::Instance;
use ipnet::IpNet;
use refs::{Resolved, Resolver};
use serde_json::Value;
use std::net::IpAddr;
use value::V;

/// Load a Terraform JSON text (detecting plan / state / tfstate).
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub fn load(
    sources: &mut SourceMap,
    name: &str,
    text: String,
) -> Result<(InputKind, Model), Error> {
    crate::input::load(sources, name, text)
}

/// What kind of Terraform document a parsed JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Plan,
    ShowState,
    TfState,
}

/// The model of a parsed Terraform document: its tree `root` and (plans) the values of its
/// changes.
pub(crate) fn load_value(
    kind: DocKind,
    root: &Value,
    changes: &[ChangeValues<'_>],
    file: FileId,
) -> Model {
    let mut notes = Vec::new();
    let version = root
        .get("format_version")
        .and_then(Value::as_str)
        .unwrap_or("");
    if version.starts_with("0.") {
        notes.push(InputNote {
            code: "INP005",
            message: format!(
                "format_version {version} (Terraform {} before 1.0): read as best we can; \
                 regenerate with a current Terraform for full detail",
                root.get("terraform_version")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
            origin: Origin::new(
                file,
                "format_version",
                Loc::Pointer("/format_version".into()),
            ),
        });
    }
    if root.get("errored").and_then(Value::as_bool) == Some(true) {
        notes.push(InputNote {
            code: "INP002",
            message: "the plan is partial (`errored: true`): Terraform stopped planning on an \
                      error, so resources may be missing and results are incomplete"
                .into(),
            origin: Origin::new(file, "errored", Loc::Pointer("/errored".into())),
        });
    }
    // values of states and of a plan's prior state, as trees
    let bump = Bump::new();
    let insts = match kind {
        DocKind::Plan => instances::from_plan(root, changes, &bump, file, &mut notes),
        DocKind::ShowState => instances::from_state(root, &bump),
        DocKind::TfState => instances::from_tfstate(root, &bump),
    };
    let config = match kind {
        DocKind::Plan => Config::from_plan(root),
        _ => Config::default(),
    };
    let deleted = match kind {
        DocKind::Plan => instances::deleted_ids(root, changes),
        _ => Vec::new(),
    };
    build_model(file, &insts, &config, notes, deleted)
}

/// Map resource instances (of a plan, state, or evaluated HCL) into the model: each instance by
/// its azurerm type, then the resources that link others.
pub(crate) fn build_model(
    file: FileId,
    insts: &[Instance<'_>],
    config: &Config<'_>,
    notes: Vec<InputNote>,
    deleted: Vec<ResourceId>,
) -> Model {
    let mut ctx = Ctx::new(file, insts, config);
    ctx.model.input_notes = notes;
    for i in 0..insts.len() {
        azurerm::map_instance(&mut ctx, i);
    }
    attach::attach(&mut ctx);
    let mut model = std::mem::take(&mut ctx.model);
    model.deleted = deleted;
    model.finish();
    model
}

/// An address value as text and the element it comes from.
type Sym = (Known<String>, Option<IpSymbol>);
/// The same, with the origin of the list item.
type SymAt = (Known<String>, Option<IpSymbol>, Origin);

/// Loader state shared by the resource mappers.
pub(crate) struct Ctx<'a, 'b> {
    pub file: FileId,
    pub insts: &'b [Instance<'a>],
    pub config: &'b Config<'a>,
    pub res: Resolver<'a, 'b>,
    pub model: Model,
    pub pending: attach::Pending,
}

/// Association resources whose `id` is the subnet's id.
const SUBNET_ASSOCIATIONS: &[&str] = &[
    "azurerm_subnet_network_security_group_association",
    "azurerm_subnet_route_table_association",
    "azurerm_subnet_nat_gateway_association",
];

const MAX_FOLLOW: usize = 16;

impl<'a, 'b> Ctx<'a, 'b> {
    fn new(file: FileId, insts: &'b [Instance<'a>], config: &'b Config<'a>) -> Self {
        Ctx {
            file,
            insts,
            config,
            res: Resolver::new(insts, config),
            model: Model::new(),
            pending: Default::default(),
        }
    }

    /// Cursor at the root of instance `i`, with its configuration expressions attached.
    pub(crate) fn cursor(&self, i: usize) -> V<'b> {
        let insts: &'b [Instance<'a>] = self.insts;
        let inst = &insts[i];
        let v = inst.cursor(self.file);
        if let Some((e, ptr)) = &inst.expressions {
            return v.with_expr(Some(*e), ptr.clone(), !inst.data);
        }
        let names = addr::module_names(&inst.module);
        match self
            .config
            .resource_expressions(&names, &inst.addr().config_address())
        {
            Some(node) => v.with_expr(Some(node.v), node.ptr, !inst.data),
            None => v,
        }
    }

    pub(crate) fn inst(&self, i: usize) -> &'b Instance<'a> {
        let insts: &'b [Instance<'a>] = self.insts;
        &insts[i]
    }

    pub(crate) fn origin(&self, i: usize) -> Origin {
        self.insts[i].origin(self.file)
    }

    /// Common element identity: key (the address), id, name, resource group, location.
    pub(crate) fn meta(&self, i: usize, v: &V<'_>) -> Meta {
        let inst = &self.insts[i];
        let mut m = Meta::new(inst.address.to_string(), self.origin(i));
        m.id = v
            .get("id")
            .str()
            .into_known()
            .filter(|s| ResourceId::looks_like_id(s))
            .map(ResourceId::new);
        m.name = v.get("name").str();
        m.resource_group = v.get("resource_group_name").str();
        m.location = v.get("location").str();
        m.lifecycle = inst.lifecycle;
        // a new element has no children but those this plan creates
        m.lists_all_children = matches!(inst.lifecycle, Lifecycle::Create | Lifecycle::Replace);
        m
    }

    pub(crate) fn note(&mut self, code: &'static str, message: String, origin: Origin) {
        self.model.input_notes.push(InputNote {
            code,
            message,
            origin,
        });
    }

    /// Origin of a field: its value when present, else its configuration expression, else
    /// `fallback`.
    pub(crate) fn field_origin(&self, v: &V<'_>, fallback: &Origin) -> Origin {
        if v.exists() && !v.is_null() {
            v.origin()
        } else if let Some(o) = v.expr_origin() {
            o
        } else if v.exists() {
            v.origin()
        } else {
            fallback.clone()
        }
    }

    /// A reference from a known Azure id: the element's address when it is in this input.
    pub(crate) fn id_ref(&self, id: &str) -> Ref {
        match self.res.by_id(id) {
            Some(k) => Ref::Key(k.to_string()),
            None => Ref::id(id),
        }
    }

    /// Resolve the configuration expression at `v` of instance `i`.
    fn resolve_at(&self, i: usize, v: &V<'_>) -> Result<Vec<Resolved>, String> {
        let inst = &self.insts[i];
        let Some(e) = v.expr() else {
            return Err(if v.has_config() {
                "the configuration has no expression for it (a dynamic block, or computed by \
                 the provider)"
                    .into()
            } else {
                "the input has no configuration to follow the reference".into()
            });
        };
        if let Some(c) = v.constant() {
            return Ok(vec![Resolved::Const(c.into_owned())]);
        }
        if let Some(t) = e.get("targets") {
            return self.res.resolve_targets(t);
        }
        let refs = v.expr_refs().unwrap_or_default();
        self.res
            .resolve_refs(&inst.module, &refs, inst.index.as_ref())
    }

    /// Message part naming the references of an expression.
    fn refs_text(v: &V<'_>) -> String {
        match v.expr_refs() {
            Some(r) if !r.is_empty() => format!(" (references: {})", refs::maximal(&r).join(", ")),
            _ => String::new(),
        }
    }

    fn unresolved(&mut self, i: usize, v: &V<'_>, why: &str) -> String {
        if v.expr().is_none() || v.unknown_explained() {
            // a computed attribute (data source, or a value Azure decides): nothing to follow,
            // and nothing the user wrote to point at; or an unknown whose cause the reader
            // (HCL) explained and noted itself
            return v.unknown_reason();
        }
        let reason = format!(
            "{}; the reference could not be resolved: {why}",
            v.unknown_reason()
        );
        let origin = self.field_origin(v, &self.origin(i));
        self.note(
            "INP001",
            format!(
                "{}: `{}` is known only after apply and its reference could not be resolved{}: {why}",
                self.insts[i].address,
                v.path,
                Self::refs_text(v)
            ),
            origin,
        );
        reason
    }

    /// Follow a resolved reference to the element it designates, which must be of one of the
    /// types in `want` (any type when empty).
    fn follow_ref(&self, r: &Resolved, depth: usize, want: &[&str]) -> Result<Ref, String> {
        if depth > MAX_FOLLOW {
            return Err("reference chain too long".into());
        }
        match r {
            Resolved::Const(Value::String(s)) if ResourceId::looks_like_id(s) => Ok(self.id_ref(s)),
            Resolved::Const(_) => Err("it is a constant that is not an Azure resource id".into()),
            Resolved::Inst { inst, attr } => {
                let t = &self.insts[*inst];
                let is_id = attr.is_empty() || attr == &[Step::Name("id".into())];
                if is_id && !SUBNET_ASSOCIATIONS.contains(&t.rtype.as_str()) {
                    let rtype = azurerm::azapi::effective_type(t);
                    if !want.is_empty() && !want.contains(&rtype) {
                        let hint = if t.rtype == "azurerm_virtual_network"
                            && want.contains(&"azurerm_subnet")
                        {
                            " (an id built as a string, such as \"${...id}/subnets/NAME\", cannot be read from \
                             plan JSON)"
                        } else {
                            ""
                        };
                        return Err(format!(
                            "it refers to {} ({}), not to a resource of type {}{hint}",
                            t.address,
                            t.rtype,
                            want.join(" or ")
                        ));
                    }
                    return Ok(Ref::Key(t.address.to_string()));
                }
                let path: Vec<Step> = if is_id {
                    vec![Step::Name("subnet_id".into())]
                } else {
                    attr.clone()
                };
                let v = self.cursor_at(*inst, &path);
                match v.str() {
                    Known::Known(s) if ResourceId::looks_like_id(&s) => Ok(self.id_ref(&s)),
                    Known::Known(s) => Err(format!(
                        "{}.{} is `{s}`, not an Azure resource id",
                        t.address,
                        steps_to_string(&path)
                    )),
                    Known::Absent => Err(format!(
                        "{}.{} is not set",
                        t.address,
                        steps_to_string(&path)
                    )),
                    Known::Unknown(_) => {
                        let list = self.resolve_at(*inst, &v)?;
                        let refs: Vec<Ref> = list
                            .iter()
                            .map(|x| self.follow_ref(x, depth + 1, want))
                            .collect::<Result<_, _>>()?;
                        one(refs)
                    }
                }
            }
        }
    }

    /// Cursor of instance `i` at an attribute path.
    fn cursor_at(&self, i: usize, path: &[Step]) -> V<'b> {
        let mut v = self.cursor(i);
        for st in path {
            v = match st {
                Step::Name(n) => v.get(n),
                Step::Index(addr::IndexKey::Int(k)) => match usize::try_from(*k) {
                    Ok(k) if matches!(v.raw(), Some(Node::Array(_)) | None) => v.at(k),
                    _ => v.get(&k.to_string()),
                },
                Step::Index(addr::IndexKey::Str(s)) => v.get(s),
            };
        }
        v
    }

    /// An id-valued attribute (`vnet_subnet_id`, `firewall_policy_id`) designating an element of
    /// one of the types `want`.
    pub(crate) fn ref_field(&mut self, i: usize, v: &V<'_>, want: &[&str]) -> Known<Ref> {
        match v.str() {
            Known::Known(s) if ResourceId::looks_like_id(&s) => Known::Known(self.id_ref(&s)),
            Known::Known(s) => Known::Unknown(format!(
                "{}.{} is `{s}`, not an Azure resource id",
                v.addr, v.path
            )),
            Known::Absent => Known::Absent,
            Known::Unknown(reason) if !v.is_unknown() => Known::Unknown(reason),
            // computed by the provider because the configuration leaves it unset
            Known::Unknown(_) if v.not_configured() => Known::Absent,
            Known::Unknown(_) => {
                match self
                    .resolve_at(i, v)
                    .and_then(|l| {
                        l.iter()
                            .filter(|x| !is_condition(x))
                            .map(|x| self.follow_ref(x, 0, want))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .and_then(one)
                {
                    Ok(r) => Known::Known(r),
                    Err(e) => match self.pattern_ref(i, v, want) {
                        Some(r) => Known::Known(r),
                        None => Known::Unknown(self.unresolved(i, v, &e)),
                    },
                }
            }
        }
    }

    /// For an id built as a string from a VNet's id (`"${azurerm_virtual_network.hub.id}/subnets/
    /// AzureFirewallSubnet"`), when the subnet's name is fixed by Azure: the VNet's inline subnet
    /// of that name.
    pub(crate) fn inline_subnet_named(&self, i: usize, v: &V<'_>, name: &str) -> Option<Ref> {
        if !v.is_unknown() {
            return None;
        }
        let list = self.resolve_at(i, v).ok()?;
        let [Resolved::Inst { inst, .. }] = list.as_slice() else {
            return None;
        };
        let t = &self.insts[*inst];
        if t.rtype != "azurerm_virtual_network" || t.data {
            return None;
        }
        let has = t
            .values
            .and_then(|x| x.get("subnet"))
            .and_then(Node::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|s| s.get("name").and_then(Node::as_str) == Some(name))
            });
        has.then(|| Ref::Key(format!("{}/subnet/{name}", t.address)))
    }

    /// A list of ids (`outbound_ip_address_ids`, `source_ip_groups`) of elements of the types
    /// `want`.
    pub(crate) fn ref_list(&mut self, i: usize, v: &V<'_>, want: &[&str]) -> Known<Vec<Ref>> {
        let items = match v.list() {
            Known::Known(items) => items,
            Known::Absent => return Known::Absent,
            Known::Unknown(_) if v.not_configured() => return Known::Absent,
            Known::Unknown(_) => {
                return match self.resolve_at(i, v).and_then(|l| {
                    l.iter()
                        .filter(|x| !is_condition(x))
                        .map(|x| self.follow_ref_list(x, want))
                        .collect::<Result<Vec<_>, _>>()
                }) {
                    Ok(r) => Known::Known(r.into_iter().flatten().collect()),
                    Err(e) => Known::Unknown(self.unresolved(i, v, &e)),
                };
            }
        };
        let mut out = Vec::new();
        let mut unknown = false;
        for it in &items {
            match it.str() {
                Known::Known(s) if ResourceId::looks_like_id(&s) => out.push(self.id_ref(&s)),
                Known::Known(_) | Known::Absent => {}
                Known::Unknown(_) => unknown = true,
            }
        }
        if unknown {
            // some items unknown: the expression's references give the elements
            match self.resolve_at(i, v).and_then(|l| {
                l.iter()
                    .filter(|x| matches!(x, Resolved::Inst { .. }))
                    .map(|x| self.follow_ref(x, 0, want))
                    .collect::<Result<Vec<_>, _>>()
            }) {
                Ok(r) => {
                    for x in r {
                        if !out.contains(&x) {
                            out.push(x);
                        }
                    }
                }
                Err(e) => return Known::Unknown(self.unresolved(i, v, &e)),
            }
        }
        Known::Known(out)
    }

    /// A constant list of ids resolves to several references.
    fn follow_ref_list(&self, r: &Resolved, want: &[&str]) -> Result<Vec<Ref>, String> {
        match r {
            Resolved::Const(Value::Array(a)) => a
                .iter()
                .map(|x| self.follow_ref(&Resolved::Const(x.clone()), 0, want))
                .collect(),
            other => self.follow_ref(other, 0, want).map(|x| vec![x]),
        }
    }

    /// The IP symbol and value an attribute of another resource stands for.
    fn sym_of(&self, r: &Resolved) -> Result<Vec<Sym>, String> {
        match r {
            r if is_condition(r) => Ok(vec![]),
            Resolved::Const(Value::String(s)) => Ok(vec![(Known::Known(s.clone()), None)]),
            Resolved::Const(Value::Array(a)) => Ok(a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| (Known::Known(s.to_string()), None))
                .collect()),
            Resolved::Const(_) => Err("it is a constant that is not an address".into()),
            Resolved::Inst { inst, attr } => {
                let t = &self.insts[*inst];
                if attr.is_empty() {
                    return Err(format!("`{}` names the whole resource", t.address));
                }
                let a = steps_to_string(attr);
                let key = Ref::Key(t.address.to_string());
                let sym = match t.rtype.as_str() {
                    "azurerm_firewall" if a.contains("private_ip_address") => {
                        IpSymbol::FirewallPrivateIp(key)
                    }
                    "azurerm_public_ip" if a.starts_with("ip_address") => IpSymbol::PublicIp(key),
                    "azurerm_public_ip_prefix" if a.starts_with("ip_prefix") => {
                        IpSymbol::PublicIpPrefix(key)
                    }
                    "azurerm_private_dns_resolver_inbound_endpoint" if a.contains("ip_address") => {
                        IpSymbol::ResolverInboundEndpoint(key)
                    }
                    "azurerm_network_interface" if a.contains("ip_address") => {
                        IpSymbol::NetworkInterface(key)
                    }
                    _ => IpSymbol::Other(format!("{}.{a}", t.address)),
                };
                let v = self.cursor_at(*inst, attr);
                // a module output may pass a list (`private_ip_addresses`); take it whole
                let val = match v.raw() {
                    Some(Node::Array(_)) => {
                        Known::Unknown(format!("{}.{a} is a list of addresses", t.address))
                    }
                    // referenced while unknown: computed by Azure (a configuration read
                    // without Terraform leaves computed attributes out)
                    _ => match v.str() {
                        Known::Absent => {
                            Known::Unknown(format!("{}.{a} is known only after apply", t.address))
                        }
                        other => other,
                    },
                };
                Ok(vec![(val, Some(sym))])
            }
        }
    }

    /// A list of addresses that may come from other resources (`dns_servers`,
    /// `authorized_ip_ranges`): known items as written, unknown items paired with the resources
    /// the expression references.
    fn sym_list(&mut self, i: usize, v: &V<'_>) -> Known<Vec<SymAt>> {
        let fallback = self.field_origin(v, &self.origin(i));
        let items = match v.list() {
            Known::Known(items) => Some(items),
            Known::Absent => return Known::Absent,
            Known::Unknown(_) if v.not_configured() => return Known::Absent,
            Known::Unknown(_) => None,
        };
        let needs_refs = items
            .as_ref()
            .is_none_or(|it| it.iter().any(|x| x.is_unknown()));
        let mut syms: Vec<Sym> = Vec::new();
        let mut err = None;
        if needs_refs {
            match self.resolve_at(i, v).and_then(|l| {
                let mut out = Vec::new();
                for r in &l {
                    // with known items, constants are those items already
                    if items.is_some() && matches!(r, Resolved::Const(_)) {
                        continue;
                    }
                    out.extend(self.sym_of(r)?);
                }
                Ok(out)
            }) {
                Ok(s) => syms = s,
                Err(e) => err = Some(e),
            }
        }
        let expr_origin = v.expr_origin().unwrap_or_else(|| fallback.clone());
        match items {
            None => match err {
                Some(e) => Known::Unknown(self.unresolved(i, v, &e)),
                None => Known::Known(
                    syms.into_iter()
                        .map(|(val, s)| (val, s, expr_origin.clone()))
                        .collect(),
                ),
            },
            Some(items) => {
                let n_unknown = items.iter().filter(|x| x.is_unknown()).count();
                let pair = err.is_none() && syms.len() == n_unknown;
                if n_unknown > 0 && !pair {
                    let why = err.unwrap_or_else(|| {
                        format!(
                            "{n_unknown} unknown item(s) but the expression references {} resource attribute(s)",
                            syms.len()
                        )
                    });
                    self.unresolved(i, v, &why);
                }
                let mut syms = syms.into_iter();
                let mut out = Vec::new();
                for it in items {
                    if it.is_unknown() {
                        match (pair, syms.next()) {
                            (true, Some((val, s))) => out.push((val, s, expr_origin.clone())),
                            _ => out.push((
                                Known::Unknown(it.unknown_reason()),
                                None,
                                expr_origin.clone(),
                            )),
                        }
                    } else {
                        let val = it.str();
                        if val.is_absent() {
                            continue;
                        }
                        out.push((val, None, it.origin()));
                    }
                }
                Known::Known(out)
            }
        }
    }

    /// A list of IP addresses (`dns_servers`).
    pub(crate) fn ip_list(&mut self, i: usize, v: &V<'_>) -> Known<Vec<IpValue>> {
        self.sym_list(i, v).map(|items| {
            items
                .into_iter()
                .map(|(val, symbol, origin)| IpValue {
                    ip: parse_ip(val),
                    symbol,
                    origin,
                })
                .collect()
        })
    }

    /// One IP address that may come from another resource (`next_hop_in_ip_address`).
    pub(crate) fn ip_value(&mut self, i: usize, v: &V<'_>) -> Option<IpValue> {
        let origin = self.field_origin(v, &self.origin(i));
        match v.str() {
            Known::Absent => None,
            Known::Known(s) => Some(IpValue {
                ip: parse_ip(Known::Known(s)),
                symbol: None,
                origin,
            }),
            Known::Unknown(r) if !v.is_unknown() => Some(IpValue {
                ip: Known::Unknown(r),
                symbol: None,
                origin,
            }),
            Known::Unknown(_) if v.not_configured() => None,
            Known::Unknown(_) => {
                let res = self.resolve_at(i, v).and_then(|l| {
                    let mut out = Vec::new();
                    for r in &l {
                        out.extend(self.sym_of(r)?);
                    }
                    match out.len() {
                        1 => Ok(out.remove(0)),
                        0 => Err("the expression references no address".into()),
                        n => Err(format!("the expression references {n} addresses")),
                    }
                });
                Some(match res {
                    Ok((val, symbol)) => IpValue {
                        ip: parse_ip(val),
                        symbol,
                        origin,
                    },
                    Err(e) => IpValue {
                        ip: Known::Unknown(self.unresolved(i, v, &e)),
                        symbol: None,
                        origin,
                    },
                })
            }
        }
    }

    /// A list of CIDRs that may come from public IPs (`authorized_ip_ranges`).
    pub(crate) fn prefix_list(&mut self, i: usize, v: &V<'_>) -> Known<Vec<PrefixValue>> {
        self.sym_list(i, v).map(|items| {
            items
                .into_iter()
                .map(|(val, symbol, origin)| PrefixValue {
                    net: parse_net(val),
                    symbol,
                    origin,
                })
                .collect()
        })
    }

    /// An element named by `name` (+ resource group): a reference in the configuration first,
    /// else the element of one of `types` with that name in the input.
    pub(crate) fn name_ref(
        &mut self,
        i: usize,
        v: &V<'_>,
        types: &[&str],
        rg: &Known<String>,
    ) -> Known<Ref> {
        if let Some(refs) = v.expr_refs() {
            let inst = &self.insts[i];
            let resolved = match v.expr().and_then(|e| e.get("targets")) {
                Some(t) => self.res.resolve_targets(t),
                None => self
                    .res
                    .resolve_refs(&inst.module, &refs, inst.index.as_ref()),
            };
            if let Ok(list) = resolved {
                for r in &list {
                    if let Resolved::Inst { inst: t, .. } = r {
                        if types.contains(&self.insts[*t].rtype.as_str()) {
                            return Known::Known(Ref::Key(self.insts[*t].address.to_string()));
                        }
                    }
                }
            }
        }
        match v.str() {
            Known::Known(name) => {
                let found = self
                    .res
                    .by_name(types, &name, rg.known().map(String::as_str));
                let managed: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&x| !self.insts[x].data)
                    .collect();
                let pick = if found.len() == 1 {
                    Some(found[0])
                } else if managed.len() == 1 {
                    Some(managed[0])
                } else {
                    None
                };
                match pick {
                    Some(x) => Known::Known(Ref::Key(self.insts[x].address.to_string())),
                    None if found.is_empty() => {
                        let what = format!(
                            "{} `{name}`{}",
                            types[0].trim_start_matches("azurerm_").replace('_', " "),
                            rg.known()
                                .map(|g| format!(" (resource group {g})"))
                                .unwrap_or_default()
                        );
                        let origin = self.field_origin(v, &self.origin(i));
                        self.note(
                            "INP006",
                            format!(
                                "{}: {what}, named by `{}`, is not in this input",
                                self.insts[i].address, v.path
                            ),
                            origin,
                        );
                        Known::Unknown(format!("{what} is not in this input"))
                    }
                    None => Known::Unknown(format!(
                        "several {} are named `{name}` in this input",
                        types[0]
                    )),
                }
            }
            Known::Absent => Known::Absent,
            Known::Unknown(_) if v.is_unknown() => {
                let why = match v.expr_refs() {
                    Some(_) => "it does not lead to a resource of the expected type".to_string(),
                    None => "no configuration expression to follow".to_string(),
                };
                Known::Unknown(self.unresolved(i, v, &why))
            }
            Known::Unknown(r) => Known::Unknown(r),
        }
    }
}

/// Constants that take part in an expression without being its value: the condition of
/// `var.create ? azurerm_subnet.a[0].id : null`, a null or empty default.
fn is_condition(r: &Resolved) -> bool {
    match r {
        Resolved::Const(Value::Bool(_) | Value::Number(_) | Value::Null) => true,
        Resolved::Const(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Exactly one distinct reference.
fn one(mut refs: Vec<Ref>) -> Result<Ref, String> {
    refs.dedup();
    let mut uniq: Vec<Ref> = Vec::new();
    for r in refs {
        if !uniq.contains(&r) {
            uniq.push(r);
        }
    }
    match uniq.len() {
        1 => Ok(uniq.remove(0)),
        0 => Err("the expression references no resource".into()),
        n => Err(format!(
            "the expression may refer to {n} resources ({})",
            uniq.iter().map(Ref::display).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn parse_ip(v: Known<String>) -> Known<IpAddr> {
    match v {
        Known::Known(s) => {
            let t = s.trim();
            let t = t.strip_suffix("/32").unwrap_or(t);
            match t.parse::<IpAddr>() {
                Ok(ip) => Known::Known(ip),
                Err(_) => Known::Unknown(format!("`{s}` is not an IP address")),
            }
        }
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

fn parse_net(v: Known<String>) -> Known<IpNet> {
    match v {
        Known::Known(s) => {
            let t = s.trim();
            match t.parse::<IpNet>() {
                Ok(n) => Known::Known(n),
                Err(_) => match t.parse::<IpAddr>() {
                    Ok(ip) => Known::Known(IpNet::from(ip)),
                    Err(_) => Known::Unknown(format!("`{s}` is not a CIDR range")),
                },
            }
        }
        Known::Unknown(r) => Known::Unknown(r),
        Known::Absent => Known::Absent,
    }
}

#[cfg(test)]
mod tests;
