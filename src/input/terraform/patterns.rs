//! Resource ids built as strings whose some parts are unknown
//! (`"/subscriptions/${data.azurerm_client_config.current.subscription_id}/resourceGroups/rg/
//! providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"`,
//! `"${azurerm_virtual_network.hub.id}/subnets/AzureFirewallSubnet"`): the HCL reader keeps the
//! known text as a pattern (`*` for each unknown part), and the element is found by the names the
//! pattern gives (type, name, resource group, parent VNet), when exactly one element matches.

use super::Ctx;
use super::refs::Resolved;
use super::value::V;
use crate::input::tree::Node;
use crate::model::Ref;

/// ARM resource types (the last type segment of an id) and the azurerm types of the elements
/// they designate.
const ARM_TYPES: &[(&str, &str)] = &[
    ("subnets", "azurerm_subnet"),
    ("virtualnetworks", "azurerm_virtual_network"),
    ("networksecuritygroups", "azurerm_network_security_group"),
    ("routetables", "azurerm_route_table"),
    ("natgateways", "azurerm_nat_gateway"),
    ("publicipaddresses", "azurerm_public_ip"),
    ("publicipprefixes", "azurerm_public_ip_prefix"),
    ("azurefirewalls", "azurerm_firewall"),
    ("firewallpolicies", "azurerm_firewall_policy"),
    ("ipgroups", "azurerm_ip_group"),
    ("privatednszones", "azurerm_private_dns_zone"),
    ("managedclusters", "azurerm_kubernetes_cluster"),
];

/// What an id pattern says about the element it designates.
#[derive(Debug, PartialEq, Eq)]
struct Parsed<'p> {
    /// azurerm type.
    rtype: &'static str,
    name: &'p str,
    resource_group: Option<&'p str>,
    /// The parent's name (the VNet of a subnet), when the pattern gives it.
    parent: Option<&'p str>,
    /// The pattern starts with an unknown id (`*/subnets/x`): the parent is the resource the
    /// expression references.
    parent_by_reference: bool,
}

fn known(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains('*')).then_some(s)
}

fn parse(pattern: &str) -> Option<Parsed<'_>> {
    let segs: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let n = segs.len();
    if n < 2 {
        return None;
    }
    let (ty, name) = (segs[n - 2], known(segs[n - 1])?);
    let rtype = ARM_TYPES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(ty))
        .map(|(_, a)| *a)?;
    let rg = segs
        .iter()
        .position(|s| s.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| segs.get(i + 1))
        .and_then(|s| known(s));
    let parent = (n >= 4 && !segs[n - 4].eq_ignore_ascii_case("providers"))
        .then(|| known(segs[n - 3]))
        .flatten()
        .filter(|_| segs[n - 4] != "*");
    Some(Parsed {
        rtype,
        name,
        resource_group: rg,
        parent,
        parent_by_reference: n == 3 && segs[0] == "*",
    })
}

impl Ctx<'_, '_> {
    /// The element an id pattern at `v` designates, of one of the types `want`.
    pub(crate) fn pattern_ref(&self, i: usize, v: &V<'_>, want: &[&str]) -> Option<Ref> {
        let pattern = v.expr()?.get("id_pattern")?.as_str()?;
        let p = parse(pattern)?;
        if !want.is_empty() && !want.contains(&p.rtype) {
            return None;
        }
        // the parent VNet: named in the pattern, or the one resource the expression references
        let parent_vnet: Option<(String, Option<String>, Option<String>)> = if p.parent_by_reference
        {
            let list = self.resolve_at(i, v).ok()?;
            let vnets: Vec<usize> = list
                .iter()
                .filter_map(|r| match r {
                    Resolved::Inst { inst, .. }
                        if self.insts[*inst].rtype == "azurerm_virtual_network" =>
                    {
                        Some(*inst)
                    }
                    _ => None,
                })
                .collect();
            let [x] = vnets.as_slice() else { return None };
            let vals = self.insts[*x].values;
            let s = |k: &str| {
                vals.and_then(|o| o.get(k))
                    .and_then(Node::as_str)
                    .map(str::to_string)
            };
            Some((
                self.insts[*x].address.to_string(),
                s("name"),
                s("resource_group_name"),
            ))
        } else {
            None
        };
        let rg = p
            .resource_group
            .map(str::to_string)
            .or_else(|| parent_vnet.as_ref().and_then(|x| x.2.clone()));
        let parent_name = p
            .parent
            .map(str::to_string)
            .or_else(|| parent_vnet.as_ref().and_then(|x| x.1.clone()));
        let mut found: Vec<String> = self
            .res
            .by_name(&[p.rtype], p.name, rg.as_deref())
            .into_iter()
            .filter(|&x| {
                if p.rtype != "azurerm_subnet" {
                    return true;
                }
                let vn = self.insts[x]
                    .values
                    .and_then(|o| o.get("virtual_network_name"))
                    .and_then(Node::as_str);
                match (vn, &parent_name) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    (None, Some(_)) => false,
                    _ => true,
                }
            })
            .map(|x| self.insts[x].address.to_string())
            .collect();
        // inline subnets of a VNet
        if p.rtype == "azurerm_subnet" {
            for inst in self.insts.iter() {
                if inst.rtype != "azurerm_virtual_network" || inst.data {
                    continue;
                }
                let vals = inst.values;
                let s = |k: &str| vals.and_then(|o| o.get(k)).and_then(Node::as_str);
                let named = match (&parent_vnet, &parent_name) {
                    (Some((addr, _, _)), _) => *inst.address == **addr,
                    (None, Some(n)) => {
                        s("name").is_some_and(|x| x.eq_ignore_ascii_case(n))
                            && match (s("resource_group_name"), &rg) {
                                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                                _ => true,
                            }
                    }
                    (None, None) => false,
                };
                let has = named
                    && vals
                        .and_then(|o| o.get("subnet"))
                        .and_then(Node::as_array)
                        .is_some_and(|a| {
                            a.iter().any(|sn| {
                                sn.get("name")
                                    .and_then(Node::as_str)
                                    .is_some_and(|n| n.eq_ignore_ascii_case(p.name))
                            })
                        });
                if has {
                    found.push(format!("{}/subnet/{}", inst.address, p.name));
                }
            }
        }
        found.dedup();
        match found.as_slice() {
            [one] => Some(Ref::Key(one.clone())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_the_element() {
        let p = parse(
            "/subscriptions/*/resourceGroups/rg-aks/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/nodes",
        )
        .expect("parses");
        assert_eq!(
            p,
            Parsed {
                rtype: "azurerm_subnet",
                name: "nodes",
                resource_group: Some("rg-aks"),
                parent: Some("vnet-aks"),
                parent_by_reference: false,
            }
        );
        let q = parse("*/subnets/AzureFirewallSubnet").expect("parses");
        assert!(q.parent_by_reference);
        assert_eq!(q.parent, None);
        let r =
            parse("/subscriptions/*/resourceGroups/*/providers/Microsoft.Network/routeTables/rt")
                .expect("parses");
        assert_eq!(
            (r.rtype, r.resource_group, r.parent),
            ("azurerm_route_table", None, None)
        );
        assert_eq!(
            parse(
                "/subscriptions/*/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/*"
            ),
            None
        );
        assert_eq!(
            parse("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Foo/bars/b"),
            None
        );
    }
}
