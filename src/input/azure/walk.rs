//! What a live check reads: the resources the model refers to but does not hold, along the
//! paths that matter to node provisioning, found again after every round of reads until nothing
//! new is wanted.
//!
//! From every node pool: its subnet (read through its VNet, which brings the sibling subnets,
//! the peerings and the DNS servers), the subnet's NSG, route table and NAT gateway (and the
//! gateway's public IPs and prefixes), the remote VNets of the node VNets' peerings (whose GET
//! brings the other side of each peering), and the owner of every next-hop IP and DNS server:
//! an Azure Firewall (then its policy, the parent policy chain, the rule collection groups the
//! policies list, the IP groups their rules use, its subnet's VNet and its public IPs) or a DNS
//! Private Resolver inbound endpoint (then its VNet). An owner not in the model is looked for in
//! the lists of firewalls and DNS resolvers of the subscriptions that may hold it. From every
//! cluster: its custom private DNS zone and the zone's virtual network links, its API server
//! subnet and outbound public IPs. An element that stands for an existing resource (a data
//! source) is read again by its id, so that the full resource replaces it.

use crate::input::arm::subscription_of;
use crate::model::{Known, Lifecycle, Meta, Model, PrivateDnsZoneSetting, Ref, ResourceId};
use crate::source::Origin;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Want {
    /// GET a resource by id.
    Get(ResourceId),
    /// List the Azure Firewalls of a subscription (to find the owner of these IPs).
    Firewalls(String),
    /// List the DNS Private Resolvers of a subscription (then their inbound endpoints).
    Resolvers(String),
    /// List the inbound endpoints of a resolver.
    InboundEndpoints(ResourceId),
    /// List the virtual network links of a private DNS zone.
    ZoneLinks(ResourceId),
}

/// What the previous rounds listed that the model does not hold: the DNS resolvers (their
/// inbound endpoints are listed next).
#[derive(Debug, Default)]
pub struct Found {
    pub resolvers: Vec<ResourceId>,
}

struct Walk<'a> {
    m: &'a Model,
    out: BTreeSet<Want>,
    /// Where the element being followed refers to what is read next.
    at: Origin,
    /// The first place that refers to each resource read (by lower-cased id).
    referrers: BTreeMap<String, Origin>,
    /// IPs (next hops, DNS servers) that no firewall or inbound endpoint of the model owns.
    orphan_ips: Vec<IpAddr>,
}

fn id_of(r: &Ref) -> Option<&ResourceId> {
    match r {
        Ref::Id(id) => Some(id),
        Ref::Key(_) => None,
    }
}

impl Walk<'_> {
    fn get(&mut self, id: &ResourceId) {
        self.referrers
            .entry(id.key())
            .or_insert_with(|| self.at.clone());
        self.out.insert(Want::Get(id.clone()));
    }

    /// Follow from `origin` (the field that refers onwards).
    fn from(&mut self, origin: &Origin) -> &mut Self {
        self.at = origin.clone();
        self
    }

    /// An element that stands for an existing resource: read it.
    fn refresh(&mut self, meta: &Meta) {
        if meta.lifecycle == Lifecycle::Read {
            if let Some(id) = &meta.id {
                self.at = meta.origin.clone();
                self.get(id);
            }
        }
    }

    /// Read `r` when the model does not resolve it (`present`).
    fn want(&mut self, r: &Known<Ref>, present: bool) {
        if present {
            return;
        }
        if let Some(id) = r.known().and_then(id_of) {
            self.get(id);
        }
    }

    fn vnet(&mut self, r: &Known<Ref>) {
        let found = r.known().and_then(|r| self.m.vnet(r));
        self.want(r, found.is_some());
        if let Some(v) = found {
            self.refresh(&v.meta);
        }
    }

    /// A subnet is read through its VNet.
    fn subnet(&mut self, r: &Known<Ref>) {
        match r.known().and_then(|x| self.m.subnet(x)) {
            Some(s) => {
                if s.meta.lifecycle == Lifecycle::Read {
                    if let Some(p) = s.meta.id.as_ref().and_then(ResourceId::parent) {
                        self.get(&p);
                    }
                }
                let v = s.vnet.clone();
                self.from(s.meta.origin_of("vnet")).vnet(&v);
            }
            None => {
                if let Some(p) = r.known().and_then(id_of).and_then(ResourceId::parent) {
                    self.get(&p);
                }
            }
        }
    }

    fn public_ip(&mut self, r: &Ref) {
        let found = self.m.public_ip(r);
        self.want(&Known::Known(r.clone()), found.is_some());
        if let Some(p) = found {
            self.refresh(&p.meta);
            self.at = p.meta.origin.clone();
            let pre = p.prefix.clone();
            let present = pre
                .known()
                .is_some_and(|x| self.m.public_ip_prefix(x).is_some());
            self.want(&pre, present);
        }
    }

    fn prefix(&mut self, r: &Ref) {
        let present = self.m.public_ip_prefix(r).is_some();
        self.want(&Known::Known(r.clone()), present);
    }

    /// The owner of an address the nodes send to (a next hop, a DNS server).
    fn owner(&mut self, ip: IpAddr) {
        let m = self.m;
        let mut owned = false;
        for f in m
            .firewalls
            .iter()
            .filter(|f| f.private_ip.known() == Some(&ip))
        {
            owned = true;
            self.firewall(f);
        }
        for e in m
            .dns_resolver_inbound_endpoints
            .iter()
            .filter(|e| e.ip.known() == Some(&ip))
        {
            owned = true;
            self.refresh(&e.meta);
            let v = e.vnet.clone();
            self.from(e.meta.origin_of("vnet")).vnet(&v);
        }
        if !owned && !self.orphan_ips.contains(&ip) {
            self.orphan_ips.push(ip);
        }
    }

    fn firewall(&mut self, f: &crate::model::Firewall) {
        self.refresh(&f.meta);
        let s = f.subnet.clone();
        self.from(f.meta.origin_of("subnet")).subnet(&s);
        for p in &f.public_ips {
            self.from(&f.meta.origin).public_ip(p);
        }
        let mut next = f.policy.clone();
        self.at = f.meta.origin_of("policy").clone();
        let mut seen = 0;
        while let Known::Known(r) = &next {
            seen += 1;
            if seen > 16 {
                break;
            }
            let Some(p) = self.m.firewall_policy(r) else {
                self.want(&next, false);
                break;
            };
            self.refresh(&p.meta);
            for g in p.rule_collection_groups.known().into_iter().flatten() {
                let present = self.m.rule_collection_group(g).is_some();
                self.from(p.meta.origin_of("rule_collection_groups"))
                    .want(&Known::Known(g.clone()), present);
            }
            for g in self
                .m
                .rule_collection_groups
                .iter()
                .filter(|g| g.policy.known().is_some_and(|gp| p.meta.matches(gp)))
            {
                for c in &g.collections {
                    for rule in &c.rules {
                        for ig in rule_ip_groups(rule) {
                            let present = self.m.ip_group(ig).is_some();
                            self.from(rule_origin(rule))
                                .want(&Known::Known(ig.clone()), present);
                        }
                    }
                }
            }
            next = p.base_policy.clone();
            self.at = p.meta.origin_of("base_policy").clone();
        }
    }
}

fn rule_origin(r: &crate::model::FirewallRule) -> &Origin {
    use crate::model::FirewallRule as R;
    match r {
        R::Application(a) => &a.origin,
        R::Network(n) => &n.origin,
        R::Nat(n) => &n.origin,
    }
}

fn rule_ip_groups(r: &crate::model::FirewallRule) -> Vec<&Ref> {
    use crate::model::FirewallRule as R;
    match r {
        R::Application(a) => a.source_ip_groups.iter().collect(),
        R::Network(n) => n
            .source_ip_groups
            .iter()
            .chain(&n.destination_ip_groups)
            .collect(),
        R::Nat(_) => vec![],
    }
}

/// Subscriptions named by the model's ids (where an owner of an address may be).
fn subscriptions(m: &Model) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |meta: &Meta| {
        if let Some(s) = meta.id.as_ref().and_then(|i| subscription_of(i.as_str())) {
            out.insert(s.to_ascii_lowercase());
        }
    };
    m.vnets.iter().for_each(|e| add(&e.meta));
    m.subnets.iter().for_each(|e| add(&e.meta));
    m.route_tables.iter().for_each(|e| add(&e.meta));
    m.firewalls.iter().for_each(|e| add(&e.meta));
    m.clusters.iter().for_each(|e| add(&e.meta));
    out
}

/// The reads the model wants now (a round). `found` holds what earlier rounds listed.
pub fn wants(m: &Model, found: &Found) -> Round {
    let mut w = Walk {
        m,
        out: BTreeSet::new(),
        at: Origin::none(),
        referrers: BTreeMap::new(),
        orphan_ips: vec![],
    };
    for c in &m.clusters {
        // a cluster the inputs know only by reference (an agent pool read on its own)
        if c.meta.id.is_some()
            && (c.meta.lifecycle == Lifecycle::Read
                || c.outbound_type.is_unknown() && c.network_plugin.is_unknown())
        {
            if let Some(id) = &c.meta.id {
                w.from(&c.meta.origin).get(id);
            }
        }
        if let Known::Known(PrivateDnsZoneSetting::Custom(z)) = &c.private_dns_zone {
            let zone = m.private_dns_zone(z);
            w.from(c.meta.origin_of("private_dns_zone"))
                .want(&Known::Known(z.clone()), zone.is_some());
            if let Some(id) = zone
                .and_then(|z| z.meta.id.clone())
                .or_else(|| id_of(z).cloned())
            {
                w.out.insert(Want::ZoneLinks(id));
            }
        }
        let a = c.apiserver_subnet.clone();
        w.from(c.meta.origin_of("apiserver_subnet")).subnet(&a);
        for p in &c.lb_outbound_ips {
            w.from(c.meta.origin_of("lb_outbound_ips")).public_ip(p);
        }
        for p in &c.lb_outbound_ip_prefixes {
            w.from(c.meta.origin_of("lb_outbound_ips")).prefix(p);
        }
        for pool in &c.node_pools {
            w.from(&pool.subnet_origin).subnet(&pool.subnet);
        }
    }
    let node_subnets: Vec<&crate::model::Subnet> = m
        .clusters
        .iter()
        .flat_map(|c| &c.node_pools)
        .filter_map(|p| p.subnet.known().and_then(|r| m.subnet(r)))
        .collect();
    for s in &node_subnets {
        let present = s.nsg.known().is_some_and(|r| m.nsg(r).is_some());
        w.from(s.meta.origin_of("nsg")).want(&s.nsg, present);
        if let Some(n) = s.nsg.known().and_then(|r| m.nsg(r)) {
            w.refresh(&n.meta);
        }
        let rt = s.route_table.known().and_then(|r| m.route_table(r));
        w.from(s.meta.origin_of("route_table"))
            .want(&s.route_table, rt.is_some());
        if let Some(rt) = rt {
            w.refresh(&rt.meta);
            for route in rt.routes.known().into_iter().flatten() {
                if let Some(ip) = route.next_hop_ip.as_ref().and_then(|v| v.ip.known()) {
                    w.owner(*ip);
                }
            }
        }
        let ng = s.nat_gateway.known().and_then(|r| m.nat_gateway(r));
        w.from(s.meta.origin_of("nat_gateway"))
            .want(&s.nat_gateway, ng.is_some());
        if let Some(ng) = ng {
            w.refresh(&ng.meta);
            for p in &ng.public_ips {
                w.from(&ng.meta.origin).public_ip(p);
            }
            for p in &ng.public_ip_prefixes {
                w.from(&ng.meta.origin).prefix(p);
            }
        }
        if let Some(v) = m.subnet_vnet(s) {
            for p in m.peerings_of(v) {
                let r = p.remote_vnet.clone();
                w.from(p.meta.origin_of("remote_vnet")).vnet(&r);
            }
            for d in v.dns_servers.known().into_iter().flatten() {
                if let Some(ip) = d.ip.known() {
                    w.owner(*ip);
                }
            }
        }
    }
    // owners not in the model: the firewalls and resolvers of the subscriptions that may hold them
    if !w.orphan_ips.is_empty() {
        let mut subs = BTreeSet::new();
        for ip in &w.orphan_ips {
            let holder = m.vnets.iter().find(|v| {
                v.address_space
                    .known()
                    .is_some_and(|s| s.iter().any(|n| n.contains(ip)))
            });
            match holder
                .and_then(|v| v.meta.id.as_ref())
                .and_then(|i| subscription_of(i.as_str()))
            {
                Some(s) => {
                    subs.insert(s.to_ascii_lowercase());
                }
                None => subs.extend(subscriptions(m)),
            }
        }
        for s in subs {
            w.out.insert(Want::Firewalls(s.clone()));
            w.out.insert(Want::Resolvers(s));
        }
        for r in &found.resolvers {
            w.out.insert(Want::InboundEndpoints(r.clone()));
        }
    }
    Round {
        wants: w.out,
        orphans: w.orphan_ips,
        referrers: w.referrers,
    }
}

/// The reads of a round, with what they are for.
#[derive(Debug, Default)]
pub struct Round {
    pub wants: BTreeSet<Want>,
    /// Addresses (next hops, DNS servers) the model has no owner for: listed firewalls and
    /// inbound endpoints are kept when they own one.
    pub orphans: Vec<IpAddr>,
    /// Where the inputs refer to each resource read (by lower-cased id): what a failed read's
    /// finding points at.
    pub referrers: BTreeMap<String, Origin>,
}
