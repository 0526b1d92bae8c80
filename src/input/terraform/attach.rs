//! Second phase: resources that only link or extend other elements (associations, separate NSG
//! rules and routes, separate node pools, DNS server lists, classic firewall rule collections) are
//! attached to the elements they name.

use super::Ctx;
use crate::model::{
    Cluster, IpValue, Known, Lifecycle, Meta, Model, NodePool, Ref, Route, RouteTable,
    RuleCollection, SecurityRule,
};
use crate::source::Origin;
use std::collections::HashMap;

/// Which subnet field an association sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubnetField {
    Nsg,
    RouteTable,
    NatGateway,
}

impl SubnetField {
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
    let p = std::mem::take(&mut ctx.pending);

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
                let s = &mut ctx.model.subnets[i];
                s.meta.mark_planned(l.field.name());
                match l.field {
                    SubnetField::Nsg => s.nsg = l.value,
                    SubnetField::RouteTable => s.route_table = l.value,
                    SubnetField::NatGateway => s.nat_gateway = l.value,
                }
                s.meta.set_field_origin(l.field.name(), l.origin);
            }
            None => missing(ctx, &l.address, "subnet", r, &l.origin),
        }
    }

    for (field, why) in unknown_links {
        for s in &mut ctx.model.subnets {
            let slot = match field {
                SubnetField::Nsg => &mut s.nsg,
                SubnetField::RouteTable => &mut s.route_table,
                SubnetField::NatGateway => &mut s.nat_gateway,
            };
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
