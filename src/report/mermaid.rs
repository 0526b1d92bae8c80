//! Mermaid flowcharts of a path (subnet → NSG rule → route → peering → firewall → Internet / DNS
//! server), with the hop that decided the verdict marked: for the GitHub step summary, pull
//! request comments (`--format markdown`) and `explain --format mermaid`. GitHub renders
//! ` ```mermaid ` blocks in Markdown.

use crate::eval::{Hop, HopKind, Verdict};
use crate::source::SourceMap;
use std::fmt::Write as _;

/// Text safe inside a quoted Mermaid label (`["..."]`): quotes and angle brackets as entity
/// codes, `#` too (it starts an entity code), no line breaks, at most `max` characters.
fn label_text(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn kind_text(k: HopKind) -> &'static str {
    match k {
        HopKind::Subnet => "subnet",
        HopKind::NsgRule => "NSG rule",
        HopKind::Route => "route",
        HopKind::Peering => "peering",
        HopKind::Firewall => "firewall",
        HopKind::FirewallRule => "firewall rule",
        HopKind::Appliance => "appliance",
        HopKind::Gateway => "gateway",
        HopKind::NatGateway => "NAT gateway",
        HopKind::LoadBalancer => "load balancer",
        HopKind::PublicIp => "public IP",
        HopKind::Internet => "Internet",
        HopKind::Destination => "destination",
        HopKind::Dns => "DNS",
        HopKind::Proxy => "HTTP proxy",
        HopKind::Return => "way back",
    }
}

/// The hop that decided the path's verdict: the first hop with a `blocked` or `unknown` verdict,
/// else the last hop with any verdict.
pub fn deciding_hop(hops: &[Hop]) -> Option<usize> {
    hops.iter()
        .position(|h| matches!(h.verdict, Some(Verdict::Blocked | Verdict::Unknown)))
        .or_else(|| hops.iter().rposition(|h| h.verdict.is_some()))
}

/// A `flowchart TD` (without the Markdown fence) of the hops, each node titled by its kind and
/// described by its hop line and source location; the deciding hop is drawn red (blocked), amber
/// (unknown) or green (reachable). A `destination` (`mcr.microsoft.com:443/https`) ends the
/// chart, joined by a crossed edge when blocked and a dotted one when unknown.
pub fn flowchart(
    hops: &[Hop],
    sources: &mut SourceMap,
    verdict: Option<Verdict>,
    destination: Option<&str>,
) -> String {
    sources.prepare_labels(hops.iter().filter_map(|h| h.origin.as_ref()));
    let mut out = String::from("flowchart TD\n");
    let decided = deciding_hop(hops);
    for (i, h) in hops.iter().enumerate() {
        let loc = h
            .origin
            .as_ref()
            .and_then(|o| {
                let file = o.file?;
                let name = sources.get(file).name.clone();
                Some(match sources.locate_label(o) {
                    Some(l) => format!("{name}:{}", l.line),
                    None => name,
                })
            })
            .map(|l| format!("<br/><small>{}</small>", label_text(&l, 120)))
            .unwrap_or_default();
        let verdict = h
            .verdict
            .map(|v| format!(" [{}]", v.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  h{i}[\"<b>{}</b>{verdict}<br/>{}{loc}\"]",
            kind_text(h.kind),
            label_text(&h.description, 200)
        );
        if i > 0 {
            let _ = writeln!(out, "  h{} --> h{i}", i - 1);
        }
    }
    if let (Some(d), false) = (destination, hops.is_empty()) {
        let last = hops.len() - 1;
        let edge = match verdict {
            Some(Verdict::Blocked) => "-. blocked .-x",
            Some(Verdict::Unknown) => "-. unknown .->",
            _ => "-->",
        };
        let _ = writeln!(
            out,
            "  h{last} {edge} dest([\"<b>endpoint</b><br/>{}\"])",
            label_text(d, 200)
        );
    }
    if let Some(i) = decided {
        let class = match hops[i].verdict.or(verdict) {
            Some(Verdict::Blocked) => "blocked",
            Some(Verdict::Unknown) => "unknown",
            _ => "reachable",
        };
        let _ = writeln!(out, "  class h{i} {class}");
    }
    out.push_str("  classDef blocked fill:#fdd,stroke:#c00,stroke-width:3px,color:#000\n");
    out.push_str("  classDef unknown fill:#fff3c4,stroke:#b80,stroke-width:3px,color:#000\n");
    out.push_str("  classDef reachable fill:#dfd,stroke:#080,stroke-width:2px,color:#000\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_the_deciding_hop_is_marked() {
        let hops = vec![
            Hop::new(HopKind::Subnet, "subnet azurerm_subnet.nodes[\"a\"]", None),
            Hop::new(HopKind::NsgRule, "rule deny-all <100> # x", None)
                .with_verdict(Verdict::Blocked),
            Hop::new(HopKind::Internet, "Internet", None),
        ];
        let mut sources = SourceMap::new();
        let chart = flowchart(
            &hops,
            &mut sources,
            Some(Verdict::Blocked),
            Some("mcr.microsoft.com:443/https"),
        );
        assert!(chart.starts_with("flowchart TD\n"));
        assert!(chart.contains("azurerm_subnet.nodes[#quot;a#quot;]"));
        assert!(chart.contains("#lt;100#gt; #35; x"));
        assert!(chart.contains("h0 --> h1") && chart.contains("h1 --> h2"));
        assert!(chart.contains("class h1 blocked"));
        assert!(chart.contains(
            "h2 -. blocked .-x dest([\"<b>endpoint</b><br/>mcr.microsoft.com:443/https\"])"
        ));
        // no raw quote inside a label: each node line has exactly the two delimiting quotes
        for l in chart
            .lines()
            .filter(|l| l.trim_start().starts_with('h') && l.contains('[') && !l.contains("dest("))
        {
            assert_eq!(l.matches('"').count(), 2, "{l}");
        }
    }
}
