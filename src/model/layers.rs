//! Layering what is planned over what exists.
//!
//! A plan rarely holds the whole path: the hub firewall, its policy and the DNS servers belong to
//! another team and already exist. Existing resources come from live reads, ARM REST and `az`
//! files, and snapshots; planned ones from plans and templates. [`Model::layered`] combines the
//! two:
//!
//! * a planned resource overrides the existing one with the same Azure id (ids compare
//!   case-insensitively);
//! * a planned element that only refers to an existing resource (a Terraform data source,
//!   `Lifecycle::Read`) is replaced by that resource, which then also answers to the data
//!   source's key (references to the data source resolve to it). It is found by id, or, when the
//!   data source's id is not known yet, by kind, name and resource group when that is unique;
//! * a resource the plan deletes or replaces ([`Model::deleted`]) is gone from the existing
//!   layer;
//! * everything else of both layers is kept: existing elements first, then planned ones.

use super::*;
use std::collections::{HashMap, HashSet};

/// Element types with an identity.
trait Element: Clone {
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    /// Take `field` (one of [`Meta::planned_fields`]) from `planned`.
    fn keep_planned(&mut self, _planned: &Self, _field: &str) {}
}

macro_rules! elements {
    ($($t:ty $({ $($field:ident),* })?),* $(,)?) => {$(
        impl Element for $t {
            fn meta(&self) -> &Meta { &self.meta }
            fn meta_mut(&mut self) -> &mut Meta { &mut self.meta }
            $(
            fn keep_planned(&mut self, planned: &Self, field: &str) {
                match field {
                    $(stringify!($field) => self.$field = planned.$field.clone(),)*
                    _ => {}
                }
            }
            )?
        }
    )*};
}

// the fields a plan can change on an existing resource it reads: associations, separate rules
// and routes, DNS server lists, NAT gateway IPs
elements!(
    Cluster,
    VirtualNetwork { dns_servers },
    Subnet {
        nsg,
        route_table,
        nat_gateway
    },
    Nsg { rules },
    RouteTable { routes },
    NatGateway {
        public_ips,
        public_ip_prefixes
    },
    PublicIp,
    PublicIpPrefix,
    Peering,
    Firewall,
    FirewallPolicy,
    RuleCollectionGroup,
    IpGroup,
    PrivateDnsZone,
    DnsZoneLink,
    DnsResolverInboundEndpoint,
    ManagedIdentity,
    RoleAssignment,
);

fn name_key(m: &Meta) -> Option<(String, String)> {
    match (&m.name, &m.resource_group) {
        (Known::Known(n), Known::Known(g)) => {
            Some((n.to_ascii_lowercase(), g.to_ascii_lowercase()))
        }
        _ => None,
    }
}

/// One element list: `planned` over `existing`. Keys of the data sources that an existing
/// element replaced are added to `resolved`.
fn layer_list<T: Element>(
    existing: Vec<T>,
    planned: Vec<T>,
    deleted: &HashSet<String>,
    resolved: &mut Vec<String>,
) -> Vec<T> {
    let existing: Vec<T> = existing
        .into_iter()
        .filter(|e| {
            !e.meta()
                .id
                .as_ref()
                .is_some_and(|id| deleted.contains(&id.key()))
        })
        .collect();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, e) in existing.iter().enumerate() {
        if let Some(id) = &e.meta().id {
            by_id.entry(id.key()).or_insert(i);
        }
        if let Some(k) = name_key(e.meta()) {
            by_name.entry(k).or_default().push(i);
        }
    }
    // existing element -> what became of it: overridden, or placed at a position of `out`
    let mut overridden = vec![false; existing.len()];
    let mut placed: HashMap<usize, usize> = HashMap::new();
    let mut out_planned: Vec<T> = Vec::with_capacity(planned.len());
    for p in planned {
        let m = p.meta();
        let by_id_match = m.id.as_ref().and_then(|id| by_id.get(&id.key()).copied());
        if m.lifecycle == Lifecycle::Read {
            let found = by_id_match.or_else(|| {
                if m.id.is_some() {
                    return None;
                }
                match name_key(m).and_then(|k| by_name.get(&k)) {
                    Some(v) if v.len() == 1 => Some(v[0]),
                    _ => None,
                }
            });
            if let Some(i) = found {
                let key = m.key.clone();
                let aliases = m.aliases.clone();
                resolved.push(key.clone());
                let at = match placed.get(&i) {
                    Some(&at) => at,
                    None => {
                        out_planned.push(existing[i].clone());
                        placed.insert(i, out_planned.len() - 1);
                        out_planned.len() - 1
                    }
                };
                for f in &m.planned_fields {
                    out_planned[at].keep_planned(&p, f);
                    if let Some(o) = m.fields.get(f) {
                        out_planned[at].meta_mut().fields.insert(f, o.clone());
                    }
                }
                let meta = out_planned[at].meta_mut();
                for a in std::iter::once(key).chain(aliases) {
                    if a != meta.key && !meta.aliases.contains(&a) {
                        meta.aliases.push(a);
                    }
                }
                continue;
            }
        } else if let Some(i) = by_id_match {
            overridden[i] = true;
        }
        out_planned.push(p);
    }
    let mut out: Vec<T> = existing
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !overridden[*i] && !placed.contains_key(i))
        .map(|(_, e)| e)
        .collect();
    out.extend(out_planned);
    out
}

impl Model {
    /// `planned` (plans, templates) over `existing` (live reads, ARM and `az` files, snapshots):
    /// see the module documentation. The result is not finished ([`Model::finish`]).
    pub fn layered(existing: Model, planned: Model) -> Model {
        if existing.is_empty() {
            return planned;
        }
        let deleted: HashSet<String> = planned.deleted.iter().map(ResourceId::key).collect();
        let mut resolved = vec![];
        let mut out = Model::new();
        macro_rules! layer {
            ($($f:ident),*) => {$(
                out.$f = layer_list(existing.$f, planned.$f, &deleted, &mut resolved);
            )*};
        }
        layer!(
            clusters,
            vnets,
            subnets,
            nsgs,
            route_tables,
            nat_gateways,
            public_ips,
            public_ip_prefixes,
            peerings,
            firewalls,
            firewall_policies,
            rule_collection_groups,
            ip_groups,
            private_dns_zones,
            dns_zone_links,
            dns_resolver_inbound_endpoints,
            identities,
            role_assignments
        );
        // a data source read only at apply is no longer unknown once the resource it reads is
        // in the inputs
        let resolved: HashSet<String> = resolved.into_iter().collect();
        out.input_notes = existing.input_notes;
        out.input_notes
            .extend(planned.input_notes.into_iter().filter(|n| {
                !(n.code == "INP007"
                    && n.origin
                        .address
                        .as_ref()
                        .is_some_and(|a| resolved.contains(&**a)))
            }));
        out.waivers = existing.waivers;
        out.waivers.extend(planned.waivers);
        out.deleted = planned.deleted;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Origin;

    const RT: &str =
        "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/routeTables/rt";

    fn table(key: &str, id: Option<&str>, lc: Lifecycle, bgp: bool) -> RouteTable {
        let mut meta = Meta::new(key, Origin::none());
        meta.id = id.map(ResourceId::new);
        meta.lifecycle = lc;
        meta.name = Known::Known("rt".into());
        meta.resource_group = Known::Known("hub".into());
        RouteTable {
            meta,
            routes: Known::Known(vec![]),
            bgp_route_propagation: Known::Known(bgp),
        }
    }

    fn existing() -> Model {
        let mut m = Model::new();
        m.route_tables.push(table(
            &RT.to_ascii_lowercase(),
            Some(RT),
            Lifecycle::Existing,
            false,
        ));
        m
    }

    #[test]
    fn planned_overrides_existing_by_id() {
        let mut plan = Model::new();
        plan.route_tables.push(table(
            "azurerm_route_table.rt",
            Some(&RT.to_uppercase()),
            Lifecycle::Update,
            true,
        ));
        let mut m = Model::layered(existing(), plan);
        m.finish();
        assert_eq!(m.route_tables.len(), 1);
        assert_eq!(m.route_tables[0].meta.key, "azurerm_route_table.rt");
        assert!(m.route_table(&Ref::id(RT)).is_some());
    }

    #[test]
    fn data_sources_resolve_to_existing_resources() {
        // by id: the existing resource stands in, and answers to the data source's key
        let mut plan = Model::new();
        plan.route_tables.push(table(
            "data.azurerm_route_table.hub",
            Some(RT),
            Lifecycle::Read,
            true,
        ));
        plan.input_notes.push(InputNote {
            code: "INP007",
            message: "deferred".into(),
            origin: Origin::none().with_address("data.azurerm_route_table.hub"),
        });
        let mut m = Model::layered(existing(), plan);
        m.finish();
        assert_eq!(m.route_tables.len(), 1);
        let t = m
            .route_table(&Ref::key("data.azurerm_route_table.hub"))
            .expect("alias");
        assert_eq!(
            t.bgp_route_propagation,
            Known::Known(false),
            "the existing one"
        );
        assert!(t.meta.matches(&Ref::key("data.azurerm_route_table.hub")));
        assert!(m.input_notes.is_empty(), "the deferred read is resolved");

        // by name and resource group when the id is not known yet
        let mut plan = Model::new();
        plan.route_tables.push(table(
            "data.azurerm_route_table.x",
            None,
            Lifecycle::Read,
            true,
        ));
        plan.route_tables.push(table(
            "data.azurerm_route_table.y",
            None,
            Lifecycle::Read,
            true,
        ));
        let mut m = Model::layered(existing(), plan);
        m.finish();
        assert_eq!(m.route_tables.len(), 1, "both stand for the same resource");
        assert_eq!(m.route_tables[0].meta.aliases.len(), 2);
    }

    #[test]
    fn a_plan_keeps_what_it_changes_on_a_resource_it_reads() {
        let sid = "/subscriptions/s/resourceGroups/spoke/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes";
        let subnet = |key: &str, lc: Lifecycle, rt: Ref| {
            let mut meta = Meta::new(key, Origin::none());
            meta.id = Some(ResourceId::new(sid));
            meta.lifecycle = lc;
            Subnet {
                meta,
                vnet: Known::Absent,
                prefixes: Known::Known(vec!["10.1.0.0/24".parse().unwrap()]),
                nsg: Known::Absent,
                route_table: Known::Known(rt),
                nat_gateway: Known::Absent,
                default_outbound_access: Known::Absent,
                delegations: vec![],
                private_endpoint_network_policies: Known::Absent,
            }
        };
        let mut existing = Model::new();
        existing.subnets.push(subnet(
            &sid.to_ascii_lowercase(),
            Lifecycle::Existing,
            Ref::id(RT),
        ));
        // the data source, with the plan's route table association applied to it
        let mut d = subnet(
            "data.azurerm_subnet.nodes",
            Lifecycle::Read,
            Ref::key("azurerm_route_table.new"),
        );
        d.meta.mark_planned("route_table");
        let mut plan = Model::new();
        plan.subnets.push(d);
        let mut m = Model::layered(existing, plan);
        m.finish();
        assert_eq!(m.subnets.len(), 1);
        let s = m.subnet(&Ref::key("data.azurerm_subnet.nodes")).unwrap();
        assert_eq!(
            s.route_table,
            Known::Known(Ref::key("azurerm_route_table.new"))
        );
        assert_eq!(
            s.meta.key,
            sid.to_ascii_lowercase(),
            "otherwise the existing subnet"
        );
    }

    #[test]
    fn deleted_resources_are_gone() {
        let mut plan = Model::new();
        plan.deleted.push(ResourceId::new(RT.to_uppercase()));
        let m = Model::layered(existing(), plan);
        assert!(m.route_tables.is_empty());
    }
}
