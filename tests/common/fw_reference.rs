//! Pieces of the naive Azure Firewall references shared by the property tests of firewall
//! policies (`properties.rs`) and of classic rules (`firewall_classic_properties.rs`): what an
//! address item and an application-rule target FQDN mean, as Microsoft documents them, and a
//! weighted choice for generators.

#![allow(dead_code)] // each test file uses its own subset

use proptest::prelude::*;
use std::net::Ipv4Addr;

/// The IP groups both tests' firewalls hold (`g{i}`: `azurerm_ip_group.g{i}`, ARM
/// `ipGroups/g{i}`): their address items. Group 3 holds private ranges only.
pub const IP_GROUPS: &[&[&str]] = &[
    &["10.0.0.0/29"],
    &["10.0.0.8/30", "192.168.0.0/24"],
    &["20.0.0.0/24", "10.1.2.0/24"],
    &["10.1.0.0/16", "172.16.0.0/12"],
];

/// Draw from `items` in proportion to their weights.
pub fn weighted<T: Clone + std::fmt::Debug + 'static>(
    items: &[(usize, T)],
) -> impl Strategy<Value = T> {
    prop::sample::select(
        items
            .iter()
            .flat_map(|(w, t)| std::iter::repeat_n(t.clone(), *w))
            .collect::<Vec<_>>(),
    )
}

/// Is `ip` in an address item as written in a firewall rule (`*`, an address, a CIDR, or a
/// range `a-b`)?
pub fn fw_item_contains(item: &str, ip: Ipv4Addr) -> bool {
    if item == "*" {
        return true;
    }
    if let Some((a, b)) = item.split_once('-') {
        let (a, b): (Ipv4Addr, Ipv4Addr) = (a.parse().unwrap(), b.parse().unwrap());
        return a <= ip && ip <= b;
    }
    match item.parse::<ipnet::Ipv4Net>() {
        Ok(n) => n.contains(&ip),
        Err(_) => item.parse::<Ipv4Addr>().unwrap() == ip,
    }
}

/// An application rule's target FQDN against a host name: `*` matches every name,
/// `*.contoso.com` every name below contoso.com at any depth but not contoso.com itself,
/// anything else the name itself, case-insensitively
/// (https://learn.microsoft.com/azure/firewall/firewall-faq, "How do wildcards work in target
/// URLs and target FQDNs in application rules?").
pub fn reference_fqdn_match(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    if p == "*" {
        return true;
    }
    match p.strip_prefix("*.") {
        Some(domain) => h.ends_with(&format!(".{domain}")),
        None => p == h,
    }
}
