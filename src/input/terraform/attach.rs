//! Second phase: resources that only link or extend other elements (associations, separate NSG
//! rules and routes, separate node pools, DNS server lists, classic firewall rule collections) are
//! attached to the elements they name.
//!
//! Brownfield plans: `security_rule` of an NSG, `route` of a route table and `subnet` of a VNet
//! are Optional+Computed, so the after-state of an existing parent echoes the refreshed list of
//! every child, including those managed as separate resources (`azurerm_network_security_rule`,
//! `azurerm_route`, `azurerm_subnet`). Before the separate children are attached, each parent's
//! own list loses the items a separate resource of this input manages (same name, same
//! parent: the resource's after-state replaces it), and those a deleted resource managed, or
//! that a replaced resource had under its old name ([`Removed`]). A subnet association deleted
//! by the plan clears the association it set, unless another association sets it again. The
//! result never depends on the order of the input.

use super::Ctx;
use crate::model::{
    Cluster, IpValue, Known, Lifecycle, Meta, Model, NodePool, Ref, ResourceId, Route, RouteTable,
    RuleCollection, SecurityRule, Subnet,
};
use crate::source::Origin;
use std::collections::{HashMap, HashSet};

/// Which subnet field an association sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SubnetField {
    Nsg,
    RouteTable,
    NatGateway,
}

impl SubnetField {
    /// The field of a subnet.
    fn slot(self, s: &mut Subnet) -> &mut Known<Ref> {
        match self {
            SubnetField::Nsg => &mut s.nsg,
            SubnetField::RouteTable => &mut s.route_table,
            SubnetField::NatGateway => &mut s.nat_gateway,
        }
    }
    fn name(self) -> &'static str {
        match self {
            SubnetField::Nsg => "nsg",
            SubnetField::RouteTable => "route_table",
            SubnetField::NatGateway => "nat_gateway",
        }
    }
}

#[derive(Debug)]
pub(crate) struct SubnetLink {
    pub subnet: Known<Ref>,
    pub field: SubnetField,
    pub value: Known<Ref>,
    /// The association resource (or its attribute).
    pub origin: Origin,
    pub address: String,
}

#[derive(Debug)]
pub(crate) struct Attached<T> {
    pub parent: Known<Ref>,
    pub item: T,
    pub address: String,
    pub origin: Origin,
}

#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub node_pools: Vec<Attached<NodePool>>,
    pub nsg_rules: Vec<Attached<SecurityRule>>,
    pub routes: Vec<Attached<Route>>,
    pub subnet_links: Vec<SubnetLink>,
    /// NAT gateway, public IP (false) or prefix (true).
    pub nat_ips: Vec<Attached<(Known<Ref>, bool)>>,
    pub vnet_dns: Vec<Attached<Known<Vec<IpValue>>>>,
    pub fw_collections: Vec<Attached<RuleCollection>>,
    /// Keys of the subnets read from a VNet's own `subnet` list, and whether the configuration
    /// writes that list (`false`: a computed echo of the refreshed state).
    pub inline_subnets: Vec<(String, bool)>,
    /// What deleted resources (and old names of replaced ones) take away after apply.
    pub removed: Vec<Removed>,
    /// Keys of the peerings a VNet data source lists (settings unknown); a peering resource of
    /// the input for the same VNet and name replaces one.
    pub listed_peerings: Vec<String>,
    /// Pre-existing firewall policies and the ids of every rule collection group they hold (as
    /// refreshed): the policy lists all its groups when each is in the input or deleted.
    pub policy_groups: Vec<(String, Vec<ResourceId>)>,
    /// Lower-case ids of the resources the plan deletes.
    pub deleted_ids: Vec<String>,
    /// Associations a pre-existing subnet's resource does not state (`azurerm_subnet` carries
    /// no NSG or route table): subnet key, field, and why it is unknown when nothing else in
    /// the input says (an association resource, the VNet's refreshed subnet list).
    pub unstated: Vec<(String, SubnetField, String)>,
}

/// A child that is gone after apply: its resource is deleted by the plan, or replaced under
/// another name. It must not survive in its parent's echo.
#[derive(Debug)]
pub(crate) enum Removed {
    NsgRule {
        nsg: Known<Ref>,
        name: String,
    },
    Route {
        table: Known<Ref>,
        name: String,
    },
    Subnet {
        vnet: Known<Ref>,
        name: String,
        id: Option<ResourceId>,
    },
    Association {
        subnet: Known<Ref>,
        field: SubnetField,
        value: Known<Ref>,
    },
}

/// Lookup of elements by key and by (lower-case) id, first match wins.
struct Finder(HashMap<String, usize>);

impl Finder {
    fn new<T>(items: &[T], meta: impl Fn(&T) -> &Meta) -> Finder {
        let mut m = HashMap::new();
        for (i, e) in items.iter().enumerate() {
            let me = meta(e);
            m.entry(me.key.clone()).or_insert(i);
            if let Some(id) = &me.id {
                m.entry(id.key()).or_insert(i);
            }
        }
        Finder(m)
    }
    fn find(&self, r: &Ref) -> Option<usize> {
        match r {
            Ref::Key(k) => self
                .0
                .get(k)
                .or_else(|| self.0.get(&k.to_ascii_lowercase()))
                .copied(),
            Ref::Id(id) => self.0.get(&id.key()).copied(),
        }
    }
}

fn missing(ctx: &mut Ctx<'_, '_>, address: &str, what: &str, r: &Ref, origin: &Origin) {
    ctx.note(
        "INP006",
        format!(
            "{address} attaches to {what} {}, which is not in this input",
            r.display()
        ),
        origin.clone(),
    );
}

pub(crate) fn attach(ctx: &mut Ctx<'_, '_>) {
    let mut p = std::mem::take(&mut ctx.pending);
    drop_echoed_subnets(&mut ctx.model, &mut p);
    drop_listed_peerings(&mut ctx.model, &p);
    complete_policies(&mut ctx.model, &p);

    let clusters = Finder::new(&ctx.model.clusters, |c| &c.meta);
    for a in p.node_pools {
        let idx = match &a.parent {
            Known::Known(r) => match clusters.find(r).or_else(|| {
                // placeholders added below
                ctx.model.clusters.iter().position(|c| c.meta.matches(r))
            }) {
                Some(i) => i,
                None => {
                    missing(ctx, &a.address, "cluster", r, &a.origin);
                    placeholder_cluster(&mut ctx.model, r.display(), Some(r), &a.origin)
                }
            },
            // the INP001 note was written when the reference failed
            _ => placeholder_cluster(
                &mut ctx.model,
                format!("(cluster of {})", a.address),
                None,
                &a.origin,
            ),
        };
        ctx.model.clusters[idx].node_pools.push(a.item);
    }

    let nsgs = Finder::new(&ctx.model.nsgs, |n| &n.meta);
    let mut managed = Managed::default();
    for a in &p.nsg_rules {
        managed.add(&nsgs, &a.parent, &a.item.name);
    }
    for r in &p.removed {
        if let Removed::NsgRule { nsg, name } = r {
            managed.add(&nsgs, nsg, &Known::Known(name.clone()));
        }
    }
    for (i, names) in managed.0 {
        if let Known::Known(rules) = &mut ctx.model.nsgs[i].rules {
            rules.retain(|r| !managed_name(&names, &r.name));
        }
    }
    for a in p.nsg_rules {
        let Known::Known(r) = &a.parent else { continue };
        match nsgs.find(r) {
            Some(i) => {
                let n = &mut ctx.model.nsgs[i];
                n.meta.mark_planned("rules");
                if let Known::Known(rules) = &mut n.rules {
                    rules.push(a.item);
                }
            }
            None => missing(ctx, &a.address, "network security group", r, &a.origin),
        }
    }

    let tables = Finder::new(&ctx.model.route_tables, |t: &RouteTable| &t.meta);
    let mut managed = Managed::default();
    for a in &p.routes {
        managed.add(&tables, &a.parent, &a.item.name);
    }
    for r in &p.removed {
        if let Removed::Route { table, name } = r {
            managed.add(&tables, table, &Known::Known(name.clone()));
        }
    }
    for (i, names) in managed.0 {
        if let Known::Known(routes) = &mut ctx.model.route_tables[i].routes {
            routes.retain(|r| !managed_name(&names, &r.name));
        }
    }
    for a in p.routes {
        let Known::Known(r) = &a.parent else { continue };
        match tables.find(r) {
            Some(i) => {
                let t = &mut ctx.model.route_tables[i];
                t.meta.mark_planned("routes");
                if let Known::Known(routes) = &mut t.routes {
                    routes.push(a.item);
                }
            }
            None => missing(ctx, &a.address, "route table", r, &a.origin),
        }
    }

    let subnets = Finder::new(&ctx.model.subnets, |s| &s.meta);
    // associations whose subnet is unknown may set that field of any subnet that has none
    let mut unknown_links: Vec<(SubnetField, String)> = Vec::new();
    // a deleted association clears what it set, unless a live one sets the same field
    let mut touched: HashSet<(usize, SubnetField)> = HashSet::new();
    let live: HashSet<(usize, SubnetField)> = p
        .subnet_links
        .iter()
        .filter_map(|l| Some((subnets.find(l.subnet.known()?)?, l.field)))
        .collect();
    for r in &p.removed {
        let Removed::Association {
            subnet: Known::Known(sr),
            field,
            value,
        } = r
        else {
            continue;
        };
        let Some(i) = subnets.find(sr) else {
            continue;
        };
        touched.insert((i, *field));
        if live.contains(&(i, *field)) {
            continue;
        }
        let current = field.slot(&mut ctx.model.subnets[i]);
        let same = match (&*current, value) {
            (Known::Known(a), Known::Known(b)) => same_ref(a, b),
            _ => false,
        };
        if same {
            *current = Known::Absent;
        }
    }
    for l in p.subnet_links {
        let Known::Known(r) = &l.subnet else {
            if let Known::Unknown(why) = &l.subnet {
                unknown_links.push((
                    l.field,
                    format!(
                        "{} sets the {} of a subnet that is not known ({why}); it may be this one",
                        l.address,
                        l.field.name().replace('_', " ")
                    ),
                ));
            }
            continue;
        };
        match subnets.find(r) {
            Some(i) => {
                touched.insert((i, l.field));
                let s = &mut ctx.model.subnets[i];
                s.meta.mark_planned(l.field.name());
                *l.field.slot(s) = l.value;
                s.meta.set_field_origin(l.field.name(), l.origin);
            }
            None => missing(ctx, &l.address, "subnet", r, &l.origin),
        }
    }
    // what no association resource and no VNet echo states stays unknown: an association
    // managed by another configuration may exist
    for (key, field, why) in &p.unstated {
        let Some(i) = subnets.find(&Ref::Key(key.clone())) else {
            continue;
        };
        if touched.contains(&(i, *field)) {
            continue;
        }
        let slot = field.slot(&mut ctx.model.subnets[i]);
        if slot.is_absent() {
            *slot = Known::Unknown(why.clone());
        }
    }

    for (field, why) in unknown_links {
        for s in &mut ctx.model.subnets {
            let slot = field.slot(s);
            if slot.is_absent() {
                *slot = Known::Unknown(why.clone());
            }
        }
    }

    let nats = Finder::new(&ctx.model.nat_gateways, |n| &n.meta);
    for a in p.nat_ips {
        let Known::Known(r) = &a.parent else { continue };
        let Known::Known(ip) = a.item.0 else { continue };
        match nats.find(r) {
            Some(i) => {
                let n = &mut ctx.model.nat_gateways[i];
                n.meta.mark_planned(if a.item.1 {
                    "public_ip_prefixes"
                } else {
                    "public_ips"
                });
                let list = if a.item.1 {
                    &mut n.public_ip_prefixes
                } else {
                    &mut n.public_ips
                };
                if !list.contains(&ip) {
                    list.push(ip);
                }
            }
            None => missing(ctx, &a.address, "NAT gateway", r, &a.origin),
        }
    }

    let vnets = Finder::new(&ctx.model.vnets, |v| &v.meta);
    for a in p.vnet_dns {
        let Known::Known(r) = &a.parent else { continue };
        match vnets.find(r) {
            Some(i) => {
                let v = &mut ctx.model.vnets[i];
                v.meta.mark_planned("dns_servers");
                v.dns_servers = a.item;
                v.meta.set_field_origin("dns_servers", a.origin);
            }
            None => missing(ctx, &a.address, "virtual network", r, &a.origin),
        }
    }

    let firewalls = Finder::new(&ctx.model.firewalls, |f| &f.meta);
    for a in p.fw_collections {
        let Known::Known(r) = &a.parent else { continue };
        match firewalls.find(r) {
            Some(i) => ctx.model.firewalls[i].collections.push(a.item),
            None => missing(ctx, &a.address, "firewall", r, &a.origin),
        }
    }
}

/// Lower-case names of children managed separately, per parent element index.
#[derive(Default)]
struct Managed(HashMap<usize, HashSet<String>>);

impl Managed {
    fn add(&mut self, parents: &Finder, parent: &Known<Ref>, name: &Known<String>) {
        if let (Known::Known(r), Known::Known(n)) = (parent, name) {
            if let Some(i) = parents.find(r) {
                self.0.entry(i).or_default().insert(n.to_ascii_lowercase());
            }
        }
    }
}

fn managed_name(names: &HashSet<String>, name: &Known<String>) -> bool {
    name.known()
        .is_some_and(|n| names.contains(&n.to_ascii_lowercase()))
}

/// Two references to the same element: equal, or the same id in another case.
fn same_ref(a: &Ref, b: &Ref) -> bool {
    match (a, b) {
        (Ref::Key(x), Ref::Key(y)) => x == y,
        (Ref::Id(x), Ref::Id(y)) => x == y,
        _ => false,
    }
}

/// Drop the subnets of a VNet's computed `subnet` echo that another element of the input
/// describes (an `azurerm_subnet` resource or data source: same id, or same VNet and name), or
/// that a deleted `azurerm_subnet` managed. A subnet the VNet's configuration writes inline
/// stays. The echo's refreshed NSG and route table associations become the starting point of
/// the describing subnet's associations its resource does not state (see [`Pending::unstated`]).
fn drop_echoed_subnets(model: &mut Model, p: &mut Pending) {
    let echo: HashSet<&str> = p
        .inline_subnets
        .iter()
        .filter(|(_, configured)| !configured)
        .map(|(k, _)| k.as_str())
        .collect();
    if echo.is_empty() {
        return;
    }
    let vnets = Finder::new(&model.vnets, |v| &v.meta);
    let vnet_key = |r: &Known<Ref>| -> Option<String> {
        let r = r.known()?;
        Some(match vnets.find(r) {
            Some(i) => model.vnets[i].meta.key.clone(),
            None => r.display().to_ascii_lowercase(),
        })
    };
    let lower = |n: &Known<String>| n.known().map(|n| n.to_ascii_lowercase());
    // describing element (None: a deleted subnet resource) by id and by (VNet, name)
    let mut by_name: HashMap<(String, String), Option<usize>> = HashMap::new();
    let mut by_id: HashMap<String, Option<usize>> = HashMap::new();
    for (i, s) in model.subnets.iter().enumerate() {
        if echo.contains(s.meta.key.as_str()) {
            continue;
        }
        if let Some(id) = &s.meta.id {
            by_id.entry(id.key()).or_insert(Some(i));
        }
        if let (Some(v), Some(n)) = (vnet_key(&s.vnet), lower(&s.meta.name)) {
            by_name.entry((v, n)).or_insert(Some(i));
        }
    }
    for r in &p.removed {
        if let Removed::Subnet { vnet, name, id } = r {
            if let Some(v) = vnet_key(vnet) {
                by_name
                    .entry((v, name.to_ascii_lowercase()))
                    .or_insert(None);
            }
            if let Some(id) = id {
                by_id.entry(id.key()).or_insert(None);
            }
        }
    }
    // (echo index, describing index)
    let mut gone: Vec<(usize, Option<usize>)> = vec![];
    for (i, s) in model.subnets.iter().enumerate() {
        if !echo.contains(s.meta.key.as_str()) {
            continue;
        }
        let by = s
            .meta
            .id
            .as_ref()
            .and_then(|id| by_id.get(&id.key()))
            .or_else(|| {
                vnet_key(&s.vnet)
                    .zip(lower(&s.meta.name))
                    .and_then(|k| by_name.get(&k))
            });
        if let Some(d) = by {
            gone.push((i, *d));
        }
    }
    // the echo's associations, for what the describing subnet's resource does not state
    let mut facts = vec![];
    for (e, d) in &gone {
        let Some(d) = d else { continue };
        let es = &model.subnets[*e];
        let key = model.subnets[*d].meta.key.clone();
        for field in [SubnetField::Nsg, SubnetField::RouteTable] {
            let (value, origin) = match field {
                SubnetField::Nsg => (es.nsg.clone(), es.meta.origin_of("nsg").clone()),
                _ => (
                    es.route_table.clone(),
                    es.meta.origin_of("route_table").clone(),
                ),
            };
            if let Some(pos) = p.unstated.iter().position(|u| u.0 == key && u.1 == field) {
                p.unstated.remove(pos);
                facts.push((*d, field, value, origin));
            }
        }
    }
    for (d, field, value, origin) in facts {
        let s = &mut model.subnets[d];
        match field {
            SubnetField::Nsg => s.nsg = value,
            SubnetField::RouteTable => s.route_table = value,
            SubnetField::NatGateway => s.nat_gateway = value,
        }
        s.meta.set_field_origin(field.name(), origin);
    }
    let drop: HashSet<usize> = gone.iter().map(|(e, _)| *e).collect();
    let mut i = 0;
    model.subnets.retain(|_| {
        i += 1;
        !drop.contains(&(i - 1))
    });
}

/// A pre-existing firewall policy lists all its rule collection groups when every group it
/// holds (its refreshed `rule_collection_groups`) is in the input, or deleted by the plan.
fn complete_policies(model: &mut Model, p: &Pending) {
    let known: HashSet<String> = model
        .rule_collection_groups
        .iter()
        .filter_map(|g| g.meta.id.as_ref().map(ResourceId::key))
        .chain(p.deleted_ids.iter().cloned())
        .collect();
    for (key, ids) in &p.policy_groups {
        if ids.iter().all(|id| known.contains(&id.key())) {
            if let Some(pol) = model
                .firewall_policies
                .iter_mut()
                .find(|x| &x.meta.key == key)
            {
                pol.meta.lists_all_children = true;
            }
        }
    }
}

/// Drop a peering a VNet data source lists (settings unknown) when a peering resource of the
/// input describes the same one (same local VNet, same name).
fn drop_listed_peerings(model: &mut Model, p: &Pending) {
    if p.listed_peerings.is_empty() {
        return;
    }
    let listed: HashSet<&str> = p.listed_peerings.iter().map(String::as_str).collect();
    let vnets = Finder::new(&model.vnets, |v| &v.meta);
    let local = |x: &crate::model::Peering| -> Option<usize> { vnets.find(x.local_vnet.known()?) };
    let lower = |n: &Known<String>| n.known().map(|n| n.to_ascii_lowercase());
    let described: HashSet<(usize, String)> = model
        .peerings
        .iter()
        .filter(|x| !listed.contains(x.meta.key.as_str()))
        .filter_map(|x| Some((local(x)?, lower(&x.meta.name)?)))
        .collect();
    let gone: Vec<bool> = model
        .peerings
        .iter()
        .map(|x| {
            listed.contains(x.meta.key.as_str())
                && local(x)
                    .zip(lower(&x.meta.name))
                    .is_some_and(|k| described.contains(&k))
        })
        .collect();
    let mut it = gone.into_iter();
    model.peerings.retain(|_| !it.next().unwrap_or(false));
}

/// A cluster that is not in the input but has node pools in it (a pool added to an existing
/// cluster): every cluster-level value is unknown.
fn placeholder_cluster(model: &mut Model, key: String, r: Option<&Ref>, origin: &Origin) -> usize {
    if let Some(i) = model.clusters.iter().position(|c| c.meta.key == key) {
        return i;
    }
    let reason = format!("cluster {key} is not in this input");
    let mut meta = Meta::new(key.clone(), origin.clone());
    meta.id = match r {
        Some(Ref::Id(id)) => Some(id.clone()),
        _ => None,
    };
    meta.lifecycle = Lifecycle::Existing;
    meta.name = Known::Unknown(reason.clone());
    model.clusters.push(Cluster::unknown(meta, &reason));
    model.clusters.len() - 1
}
