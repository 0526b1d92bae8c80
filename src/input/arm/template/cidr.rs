//! `parseCidr`, `cidrSubnet` and `cidrHost` (Microsoft's "CIDR functions for ARM templates").
//!
//! Unlike Terraform's `cidrsubnet(prefix, newbits, netnum)`, ARM's second argument is the new
//! prefix *length*; and `cidrHost` counts from the first *usable* address (`cidrHost(
//! '10.144.3.0/24', 0)` is `10.144.3.1`), where IPv4 reserves the network address and IPv6 does
//! not (`parseCidr` of an IPv6 range has `firstUsable` = `network` and no `broadcast`).

use super::eval::EvalError;
use super::value::{Obj, Val};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

type R = Result<Val, EvalError>;

fn net_arg(name: &str, v: &Val) -> Result<IpNet, EvalError> {
    let s = v.as_str().ok_or_else(|| {
        EvalError::runtime(format!(
            "{name}() expects a CIDR string, not a value of type {}",
            v.type_name()
        ))
    })?;
    s.trim()
        .parse::<IpNet>()
        .map(|n| n.trunc())
        .map_err(|_| EvalError::runtime(format!("{name}(): '{s}' is not in CIDR notation")))
}

fn int_arg(name: &str, v: &Val) -> Result<i64, EvalError> {
    match v {
        Val::Int(i) => Ok(*i),
        other => Err(EvalError::runtime(format!(
            "{name}() expects an integer, not a value of type {}",
            other.type_name()
        ))),
    }
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(v6: bool, x: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(x))
    } else {
        IpAddr::V4(Ipv4Addr::from(x as u32))
    }
}

fn check_args(name: &str, a: &[Val], n: usize) -> Result<Option<Val>, EvalError> {
    if a.len() != n {
        return Err(EvalError::invalid(format!(
            "{name}() takes {n} argument(s), not {}",
            a.len()
        )));
    }
    Ok(a.iter().find(|v| v.is_unknown()).cloned())
}

/// (first usable, last usable) of a network.
fn usable(net: &IpNet) -> (u128, u128) {
    let (lo, hi) = (to_u128(net.network()), to_u128(net.broadcast()));
    match net {
        IpNet::V4(n) if n.prefix_len() < 31 => (lo + 1, hi - 1),
        _ => (lo, hi),
    }
}

pub fn parse_cidr(name: &str, a: &[Val]) -> R {
    if let Some(u) = check_args(name, a, 1)? {
        return Ok(u);
    }
    let net = net_arg(name, &a[0])?;
    let v6 = matches!(net, IpNet::V6(_));
    let (first, last) = usable(&net);
    let mut o = Obj::new();
    o.insert("network".into(), Val::str(net.network().to_string()));
    o.insert("netmask".into(), Val::str(net.netmask().to_string()));
    if !v6 {
        o.insert("broadcast".into(), Val::str(net.broadcast().to_string()));
    }
    o.insert(
        "firstUsable".into(),
        Val::str(from_u128(v6, first).to_string()),
    );
    o.insert(
        "lastUsable".into(),
        Val::str(from_u128(v6, last).to_string()),
    );
    o.insert("cidr".into(), Val::Int(net.prefix_len() as i64));
    Ok(Val::Object(o))
}

pub fn cidr_subnet(name: &str, a: &[Val]) -> R {
    if let Some(u) = check_args(name, a, 3)? {
        return Ok(u);
    }
    let net = net_arg(name, &a[0])?;
    let new_len = int_arg(name, &a[1])?;
    let index = int_arg(name, &a[2])?;
    let max = net.max_prefix_len() as i64;
    if new_len < net.prefix_len() as i64 || new_len > max {
        return Err(EvalError::runtime(format!(
            "{name}(): the new prefix length {new_len} must be between {} and {max}",
            net.prefix_len()
        )));
    }
    let count_bits = (new_len - net.prefix_len() as i64) as u32;
    if index < 0 || (count_bits < 127 && index as u128 >= (1u128 << count_bits)) {
        return Err(EvalError::runtime(format!(
            "{name}(): index {index} is out of range: {} has {} subnets of /{new_len}",
            net,
            if count_bits < 64 {
                (1u128 << count_bits).to_string()
            } else {
                format!("2^{count_bits}")
            }
        )));
    }
    let host_bits = (max - new_len) as u32;
    let start = to_u128(net.network()) + ((index as u128) << host_bits);
    let v6 = matches!(net, IpNet::V6(_));
    let sub = IpNet::new(from_u128(v6, start), new_len as u8)
        .map_err(|e| EvalError::runtime(format!("{name}(): {e}")))?;
    Ok(Val::str(sub.to_string()))
}

pub fn cidr_host(name: &str, a: &[Val]) -> R {
    if let Some(u) = check_args(name, a, 2)? {
        return Ok(u);
    }
    let net = net_arg(name, &a[0])?;
    let index = int_arg(name, &a[1])?;
    let (first, last) = usable(&net);
    let v6 = matches!(net, IpNet::V6(_));
    if index < 0 || first + index as u128 > last {
        return Err(EvalError::runtime(format!(
            "{name}(): host index {index} is outside the usable addresses of {net}"
        )));
    }
    Ok(Val::str(from_u128(v6, first + index as u128).to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::eval::testenv::*;
    use serde_json::json;

    fn j(s: &str) -> serde_json::Value {
        json(&TestEnv::default(), s)
    }

    /// The examples of Microsoft's CIDR functions reference page.
    #[test]
    fn documented_examples() {
        assert_eq!(
            j("[parseCidr('10.144.0.0/20')]"),
            json!({"network": "10.144.0.0", "netmask": "255.255.240.0", "broadcast": "10.144.15.255",
                   "firstUsable": "10.144.0.1", "lastUsable": "10.144.15.254", "cidr": 20})
        );
        assert_eq!(
            j("[parseCidr('fdad:3236:5555::/48')]"),
            json!({"network": "fdad:3236:5555::", "netmask": "ffff:ffff:ffff::",
                   "firstUsable": "fdad:3236:5555::", "lastUsable": "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff", "cidr": 48})
        );
        assert_eq!(
            j("[cidrSubnet('10.144.0.0/20', 24, 2)]"),
            json!("10.144.2.0/24")
        );
        assert_eq!(j("[cidrHost('10.144.3.0/24', 0)]"), json!("10.144.3.1"));
        assert_eq!(
            j(
                "[map(range(0, 3), lambda('i', cidrSubnet('10.144.0.0/20', 24, lambdaVariables('i'))))]"
            ),
            json!(["10.144.0.0/24", "10.144.1.0/24", "10.144.2.0/24"])
        );
        assert_eq!(
            j("[cidrSubnet('fdad:3236:5555::/48', 52, 1)]"),
            json!("fdad:3236:5555:1000::/52")
        );
    }

    #[test]
    fn out_of_range_is_an_error() {
        let e = TestEnv::default();
        assert!(
            ev_err(&e, "[cidrSubnet('10.0.0.0/24', 16, 0)]")
                .message
                .contains("between")
        );
        assert!(
            ev_err(&e, "[cidrSubnet('10.0.0.0/24', 26, 4)]")
                .message
                .contains("out of range")
        );
        assert!(
            ev_err(&e, "[cidrHost('10.0.0.0/30', 2)]")
                .message
                .contains("usable")
        );
        assert!(
            ev_err(&e, "[parseCidr('10.0.0.0')]")
                .message
                .contains("CIDR")
        );
    }
}
