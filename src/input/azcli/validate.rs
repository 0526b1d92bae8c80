//! What az itself checks before it sends a request: required arguments (argparse), the
//! argument validators of `_validators.py`, and the checks of the managed cluster and agent pool
//! decorators. Each failure carries az's own message and the span of the argument it is about.
//! Only rules az applies are here; what the AKS API rejects later is the analyses' business.

use super::parse::{Arg, CommandLine};
use std::net::IpAddr;
use std::ops::Range;

/// A command az rejects: its message, where, and what to do.
#[derive(Debug, Clone)]
pub struct AzError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl AzError {
    pub fn at(span: Range<usize>, message: impl Into<String>) -> AzError {
        AzError {
            message: message.into(),
            span,
            help: None,
        }
    }
    pub fn help(mut self, h: impl Into<String>) -> AzError {
        self.help = Some(h.into());
        self
    }
}

pub type Checked<T = ()> = Result<T, AzError>;

/// argparse: `the following arguments are required: --resource-group/-g, --name/-n`.
pub fn required(cl: &CommandLine, names: &[&str]) -> Checked {
    let missing: Vec<String> = names
        .iter()
        .filter(|n| cl.get(n).is_none_or(|a| a.values.is_empty()))
        .map(|n| {
            cl.command
                .table()
                .iter()
                .find(|s| s.name() == *n)
                .map(|s| s.display())
                .unwrap_or_else(|| n.to_string())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AzError::at(
        cl.head.clone(),
        format!(
            "the following arguments are required: {}",
            missing.join(", ")
        ),
    ))
}

/// msrestazure's `is_valid_resource_id`: `/subscriptions/<id>/resourceGroups/<rg>/providers/
/// <namespace>/<type>/<name>[/<type>/<name>…]`.
pub fn is_valid_resource_id(s: &str) -> bool {
    let parts: Vec<&str> = s.trim_end_matches('/').split('/').collect();
    parts.len() >= 9
        && parts[0].is_empty()
        && parts[1].eq_ignore_ascii_case("subscriptions")
        && !parts[2].is_empty()
        && parts[3].eq_ignore_ascii_case("resourcegroups")
        && !parts[4].is_empty()
        && parts[5].eq_ignore_ascii_case("providers")
        && (parts.len() - 6) % 2 == 1
        && parts[6..].iter().all(|p| !p.is_empty())
}

/// `_validate_subnet_id` and its siblings: `--x is not a valid Azure resource ID.`
pub fn resource_id(cl: &CommandLine, name: &str) -> Checked {
    match cl.get(name) {
        Some(a) if !a.value().is_empty() && !is_valid_resource_id(a.value()) => Err(AzError::at(
            a.span.clone(),
            format!("{name} is not a valid Azure resource ID."),
        )
        .help(
            "give the full id: /subscriptions/<subscription>/resourceGroups/<group>/providers/<namespace>/<type>/<name>",
        )),
        _ => Ok(()),
    }
}

/// argparse `type=int`: `argument --x: invalid int value: 'v'`.
pub fn int(cl: &CommandLine, name: &str) -> Checked<Option<i64>> {
    let Some(a) = cl.get(name) else {
        return Ok(None);
    };
    match a.value().trim().parse::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(AzError::at(
            a.span.clone(),
            format!(
                "argument {}: invalid int value: '{}'",
                a.spec.map(|s| s.display()).unwrap_or_default(),
                a.value()
            ),
        )),
    }
}

/// A range check of an integer argument, with az's message.
pub fn int_in(cl: &CommandLine, name: &str, lo: i64, hi: i64, message: &str) -> Checked {
    if let Some(v) = int(cl, name)? {
        if v < lo || v > hi {
            return Err(AzError::at(
                cl.get(name).map(|a| a.span.clone()).unwrap_or_default(),
                message,
            ));
        }
    }
    Ok(())
}

/// `validate_load_balancer_outbound_ports` (az's messages name the flag `--load-balancer-allocated-ports`).
pub fn outbound_ports(cl: &CommandLine) -> Checked {
    let name = "--load-balancer-outbound-ports";
    if let Some(v) = int(cl, name)? {
        let span = cl.get(name).map(|a| a.span.clone()).unwrap_or_default();
        if v % 8 != 0 {
            return Err(AzError::at(
                span,
                "--load-balancer-allocated-ports must be a multiple of 8",
            ));
        }
        if !(0..=64000).contains(&v) {
            return Err(AzError::at(
                span,
                "--load-balancer-allocated-ports must be in the range [0,64000]",
            ));
        }
    }
    Ok(())
}

/// `validate_k8s_version`: `1.30`, `1.30.3`, optionally with a leading `v`.
pub fn kubernetes_version(cl: &CommandLine) -> Checked<Option<(u32, u32)>> {
    let Some(a) = cl.get("--kubernetes-version") else {
        return Ok(None);
    };
    let v = a.value();
    if v.is_empty() {
        return Ok(None);
    }
    let bare = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let parts: Vec<&str> = bare.split('.').collect();
    let ok = (parts.len() == 2 || parts.len() == 3)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(AzError::at(
            a.span.clone(),
            "--kubernetes-version should be the full version number or major.minor version number, such as \"1.7.12\" or \"1.7\"",
        ));
    }
    let major = parts[0].parse().unwrap_or(0);
    let minor = parts[1].parse().unwrap_or(0);
    Ok(Some((major, minor)))
}

/// `validate_linux_host_name` for the cluster name.
pub fn cluster_name(a: &Arg) -> Checked {
    let n = a.value();
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = !n.is_empty()
        && n.len() <= 63
        && n.chars().all(ok_char)
        && edge(n.chars().next())
        && edge(n.chars().last());
    if ok {
        Ok(())
    } else {
        Err(AzError::at(
            a.span.clone(),
            "--name cannot exceed 63 characters and can only contain letters, numbers, underscores (_) or dashes (-).",
        ))
    }
}

/// `_validate_nodepool_name`.
pub fn nodepool_name(a: &Arg) -> Checked {
    let n = a.value();
    if n.is_empty() {
        return Ok(());
    }
    if n.chars().count() > 12 {
        return Err(AzError::at(
            a.span.clone(),
            "--nodepool-name can contain at most 12 characters",
        ));
    }
    if !n.chars().all(|c| c.is_alphanumeric()) {
        return Err(AzError::at(
            a.span.clone(),
            "--nodepool-name should contain only alphanumeric characters",
        ));
    }
    Ok(())
}

/// `validate_network_policy`.
pub fn network_policy(cl: &CommandLine) -> Checked {
    match cl.get("--network-policy") {
        Some(a) if a.value().chars().any(|c| c.is_uppercase()) => Err(AzError::at(
            a.span.clone(),
            "--network-policy should be provided in lowercase",
        )),
        _ => Ok(()),
    }
}

/// Python's `ip_network(s).is_global` for IPv4 (not private, reserved or shared address space).
fn ipv4_is_global(net: &ipnet::Ipv4Net) -> bool {
    const NOT_GLOBAL: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/29",
        "192.0.0.170/31",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "255.255.255.255/32",
    ];
    !NOT_GLOBAL.iter().any(|p| {
        p.parse::<ipnet::Ipv4Net>()
            .is_ok_and(|r| r.contains(net) || net.contains(&r))
    })
}

/// `validate_ip_ranges` for `--api-server-authorized-ip-ranges` (Python's `ip_network` is
/// strict: host bits must be zero).
pub fn authorized_ip_ranges(cl: &CommandLine) -> Checked {
    let Some(a) = cl.get("--api-server-authorized-ip-ranges") else {
        return Ok(());
    };
    if a.value().is_empty() {
        return Ok(());
    }
    let items = cl.comma_items(a);
    let n = items.len();
    for (ip, span) in &items {
        if ip == "0.0.0.0/32" {
            if n > 1 {
                return Err(AzError::at(
                    a.span.clone(),
                    "Setting --api-server-authorized-ip-ranges to 0.0.0.0/32 is not allowed with other IP ranges.Refer to https://aka.ms/aks/whitelist for more details",
                ));
            }
            continue;
        }
        if ip.is_empty() {
            if n > 1 {
                return Err(AzError::at(
                    a.span.clone(),
                    "--api-server-authorized-ip-ranges cannot be disabled and simultaneously enabled",
                ));
            }
            continue;
        }
        let parsed: Option<ipnet::IpNet> = ip
            .parse::<ipnet::IpNet>()
            .ok()
            .filter(|n| n.trunc() == *n)
            .or_else(|| ip.parse::<IpAddr>().ok().map(ipnet::IpNet::from));
        match parsed {
            Some(ipnet::IpNet::V4(v4)) => {
                if !ipv4_is_global(&v4) {
                    return Err(AzError::at(
                        span.clone(),
                        "--api-server-authorized-ip-ranges must be global non-reserved addresses or CIDRs",
                    ));
                }
            }
            Some(ipnet::IpNet::V6(_)) => {
                return Err(AzError::at(
                    span.clone(),
                    "--api-server-authorized-ip-ranges cannot be IPv6 addresses",
                ));
            }
            None => {
                return Err(AzError::at(
                    span.clone(),
                    "--api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parse::{AzCommand, parse};
    use super::*;

    fn cl(s: &str) -> CommandLine {
        let w: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        parse(AzCommand::AksCreate, &w).unwrap()
    }

    #[test]
    fn resource_ids() {
        assert!(is_valid_resource_id(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n"
        ));
        assert!(is_valid_resource_id(
            "/subscriptions/s/resourcegroups/g/providers/Microsoft.Network/privateDnsZones/privatelink.westeurope.azmk8s.io"
        ));
        assert!(!is_valid_resource_id("subnet1"));
        assert!(!is_valid_resource_id(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets"
        ));
        let e = resource_id(&cl("--vnet-subnet-id mysubnet"), "--vnet-subnet-id").unwrap_err();
        assert_eq!(
            e.message,
            "--vnet-subnet-id is not a valid Azure resource ID."
        );
    }

    #[test]
    fn authorized_ranges_as_az_checks_them() {
        assert!(
            authorized_ip_ranges(&cl(
                "--api-server-authorized-ip-ranges 20.1.2.3,20.0.0.0/16"
            ))
            .is_ok()
        );
        assert!(authorized_ip_ranges(&cl("--api-server-authorized-ip-ranges 0.0.0.0/32")).is_ok());
        let e = |s| authorized_ip_ranges(&cl(s)).unwrap_err().message;
        assert!(e("--api-server-authorized-ip-ranges 10.0.0.0/8").contains("global non-reserved"));
        assert!(e("--api-server-authorized-ip-ranges 20.1.2.3/16").contains("list of IPv4"));
        assert!(e("--api-server-authorized-ip-ranges 0.0.0.0/32,20.1.2.3").contains("0.0.0.0/32"));
        assert!(e("--api-server-authorized-ip-ranges 2001:db8::/32").contains("IPv6"));
    }

    #[test]
    fn numbers_versions_and_names() {
        assert!(
            outbound_ports(&cl("--load-balancer-outbound-ports 12"))
                .unwrap_err()
                .message
                .contains("multiple of 8")
        );
        assert!(outbound_ports(&cl("--load-balancer-outbound-ports 64008")).is_err());
        assert!(
            int(
                &cl("--load-balancer-outbound-ports x"),
                "--load-balancer-outbound-ports"
            )
            .is_err()
        );
        assert_eq!(
            kubernetes_version(&cl("-k v1.29.4")).unwrap(),
            Some((1, 29))
        );
        assert!(kubernetes_version(&cl("-k 1.x")).is_err());
        let c = cl("-n my_aks-1 --nodepool-name pool-1");
        assert!(cluster_name(c.get("--name").unwrap()).is_ok());
        assert!(nodepool_name(c.get("--nodepool-name").unwrap()).is_err());
        assert!(network_policy(&cl("--network-policy Calico")).is_err());
        let e = required(&cl("-n x"), &["--resource-group", "--name"]).unwrap_err();
        assert_eq!(
            e.message,
            "the following arguments are required: --resource-group/-g"
        );
    }
}
