//! Address ranges of rule sources and destinations, and the split of a node subnet at every
//! source boundary the rules use.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Range {
    pub(super) v6: bool,
    pub(super) lo: u128,
    pub(super) hi: u128,
}

pub(super) fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

impl Range {
    pub(super) fn of_net(n: &IpNet) -> Range {
        let (v6, lo) = ip_bits(n.network());
        let (_, hi) = ip_bits(n.broadcast());
        Range { v6, lo, hi }
    }
    pub(super) fn parse_span(s: &str) -> Option<Range> {
        let (a, b) = s.split_once('-')?;
        let (v6a, lo) = ip_bits(a.trim().parse().ok()?);
        let (v6b, hi) = ip_bits(b.trim().parse().ok()?);
        (v6a == v6b && lo <= hi).then_some(Range { v6: v6a, lo, hi })
    }
    pub(super) fn contains(&self, o: &Range) -> bool {
        self.v6 == o.v6 && self.lo <= o.lo && o.hi <= self.hi
    }
    pub(super) fn overlaps(&self, o: &Range) -> bool {
        self.v6 == o.v6 && self.lo <= o.hi && o.lo <= self.hi
    }
    pub(super) fn contains_ip(&self, ip: IpAddr) -> bool {
        let (v6, x) = ip_bits(ip);
        self.v6 == v6 && self.lo <= x && x <= self.hi
    }
    /// The range as CIDR blocks.
    pub(super) fn cidrs(&self) -> Vec<IpNet> {
        let bits: u32 = if self.v6 { 128 } else { 32 };
        let mut out = vec![];
        let mut lo = self.lo;
        loop {
            let mut k = if lo == 0 {
                bits
            } else {
                lo.trailing_zeros().min(bits)
            };
            let end = loop {
                let end = if k >= 128 {
                    (lo == 0).then_some(u128::MAX)
                } else {
                    lo.checked_add((1u128 << k) - 1)
                };
                match end {
                    Some(e) if e <= self.hi => break e,
                    _ => k -= 1,
                }
            };
            let prefix = (bits - k) as u8;
            let net = if self.v6 {
                IpNet::new(IpAddr::V6(Ipv6Addr::from(lo)), prefix).ok()
            } else {
                IpNet::new(IpAddr::V4(Ipv4Addr::from(lo as u32)), prefix).ok()
            };
            out.extend(net);
            if end >= self.hi {
                break;
            }
            lo = end + 1;
        }
        out
    }
}

pub(super) fn show_ranges(ranges: &[Range]) -> String {
    let mut all: Vec<String> = ranges
        .iter()
        .flat_map(|r| r.cidrs())
        .map(|n| n.to_string())
        .collect();
    if all.len() > 6 {
        let more = all.len() - 6;
        all.truncate(6);
        all.push(format!("and {more} more"));
    }
    all.join(", ")
}

/// Non-public address space: RFC 1918, RFC 6598, loopback, link-local, multicast, "this"
/// network, ULA, IPv6 link-local. A destination host's IPs are public, so they are never in
/// these.
pub(super) fn is_nonpublic_prefix(n: &IpNet) -> bool {
    const BLOCKS: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "0.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    ];
    static RANGES: std::sync::LazyLock<Vec<Range>> = std::sync::LazyLock::new(|| {
        BLOCKS
            .iter()
            .filter_map(|b| b.parse::<IpNet>().ok())
            .map(|b| Range::of_net(&b))
            .collect()
    });
    let r = Range::of_net(n);
    RANGES.iter().any(|b| b.contains(&r))
}

pub(super) fn is_everything(n: &IpNet) -> bool {
    n.prefix_len() == 0
}

/// Split the node subnet at every source boundary the rules use (`cuts`, from
/// [`source_cuts`]), so that each part is either entirely inside or entirely outside every rule
/// source. A source range cuts a prefix where it starts or ends (+1) strictly inside it.
pub(super) fn partition(cuts: &[Vec<u128>; 2], prefixes: &[IpNet]) -> Vec<Range> {
    let mut parts = vec![];
    for p in prefixes {
        let whole = Range::of_net(p);
        let list = &cuts[usize::from(whole.v6)];
        let from = list.partition_point(|&c| c <= whole.lo);
        let to = list.partition_point(|&c| c <= whole.hi);
        let starts: Vec<u128> = std::iter::once(whole.lo)
            .chain(list[from..to].iter().copied())
            .collect();
        for (i, lo) in starts.iter().enumerate() {
            let hi = starts.get(i + 1).map_or(whole.hi, |next| next - 1);
            parts.push(Range {
                v6: whole.v6,
                lo: *lo,
                hi,
            });
        }
    }
    parts
}

/// Merge adjacent ranges.
pub(super) fn merge_ranges(mut rs: Vec<Range>) -> Vec<Range> {
    rs.sort();
    let mut out: Vec<Range> = vec![];
    for r in rs {
        if let Some(last) = out.last_mut() {
            if last.v6 == r.v6 && last.hi.checked_add(1) == Some(r.lo) {
                last.hi = r.hi;
                continue;
            }
        }
        out.push(r);
    }
    out
}
