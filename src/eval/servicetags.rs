//! Service tags and address classes: which tags contain which destinations.
//! (Extended by the NSG/routing work item.)

use std::net::IpAddr;

/// Public address: not private (RFC 1918), shared (RFC 6598), loopback, link-local, multicast or
/// unspecified. Azure's `Internet` tag covers public addresses, Azure public IPs included.
pub fn is_public_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}
