//! Waivers: accepted findings, applied to a finished report in one place.
//!
//! A waiver comes from the config file (`[[waiver]]`, [`WaiverScope::Match`]) or from the inputs
//! themselves (a source comment, [`WaiverScope::Located`]); both are [`Waiver`]s. Analyses never
//! see them: [`apply`] runs after [`crate::analysis::check`] and moves each finding a waiver
//! covers from `report.findings` to `report.suppressed` (kept, counted and shown by every
//! format). It also reports on the waivers themselves:
//!
//! * `WAV001` (warning): the waiver has expired; it suppresses nothing any more.
//! * `WAV002` (note): the waiver matched no finding (the problem is fixed, or the waiver is wrong).
//! * `WAV003` (note): the waiver names an endpoint, and a finding it would match is also about
//!   other endpoints; the finding stays (one root cause, one finding: it is not split).

use super::{Finding, Report, Suppressed, Suppression};
use crate::analysis::registry;
use crate::model::{Date, Model, Waiver, WaiverScope};
use crate::source::{Origin, SourceMap};
use std::collections::HashMap;

/// The environment variable that sets today's date (`YYYY-MM-DD`) for waiver expiry, instead of
/// the clock: reproducible runs and tests.
pub const TODAY_VAR: &str = "AKS_PREFLIGHT_TODAY";

/// Today's date: [`TODAY_VAR`] when set, else the system clock (UTC).
pub fn today() -> Result<Date, String> {
    if let Some(v) = std::env::var_os(TODAY_VAR) {
        let s = v.to_string_lossy();
        return parse_date(&s)
            .ok_or_else(|| format!("{TODAY_VAR}=`{s}` is not a date (expected YYYY-MM-DD)"));
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("the system clock is before 1970: {e}"))?
        .as_secs();
    Ok(civil_from_days((secs / 86_400) as i64))
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let date = Date {
        year: y.parse().ok()?,
        month: m.parse().ok()?,
        day: d.parse().ok()?,
    };
    let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
    let days = match date.month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&date.day).then_some(date)
}

/// The civil date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

/// Does `pattern` (with `*` for any run of characters) match `text`, ignoring ASCII case?
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<u8> = pattern.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let t: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
    // iterative matcher with backtracking to the last star
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// How a waiver relates to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    No,
    /// Everything matches but only some of the finding's endpoints.
    Partial,
    Full,
}

/// `host[:port]` against a finding endpoint `host:port/proto`.
fn endpoint_matches(pattern: &str, endpoint: &str) -> bool {
    let (hp, _) = endpoint.rsplit_once('/').unwrap_or((endpoint, ""));
    let (host, port) = hp.rsplit_once(':').unwrap_or((hp, ""));
    match pattern.rsplit_once(':') {
        Some((ph, pp)) if !pp.is_empty() && pp.bytes().all(|b| b.is_ascii_digit()) => {
            glob_match(ph, host) && pp == port
        }
        _ => glob_match(pattern, host),
    }
}

/// The addresses a finding is about (its labels' resources and its cluster), with the Azure ids
/// of those resources when the model knows them.
fn resources_of(f: &Finding, ids: &HashMap<&str, String>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    let addrs = f
        .labels
        .iter()
        .filter_map(|l| l.origin.address.as_deref())
        .chain(f.cluster.as_deref());
    for a in addrs {
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
        if let Some(id) = ids.get(a) {
            out.push(id.clone());
        }
    }
    out
}

fn matches(w: &Waiver, f: &Finding, ids: &HashMap<&str, String>, sources: &mut SourceMap) -> Match {
    if !w.rules.iter().any(|r| r.eq_ignore_ascii_case(&f.rule)) {
        return Match::No;
    }
    match &w.scope {
        WaiverScope::Match {
            resource,
            endpoint,
            node_pool,
        } => {
            if let Some(r) = resource {
                if !resources_of(f, ids).iter().any(|a| glob_match(r, a)) {
                    return Match::No;
                }
            }
            if let Some(p) = node_pool {
                if !f.node_pool.as_deref().is_some_and(|n| glob_match(p, n)) {
                    return Match::No;
                }
            }
            match endpoint {
                None => Match::Full,
                Some(e) => {
                    let n = f
                        .endpoints
                        .iter()
                        .filter(|x| endpoint_matches(e, x))
                        .count();
                    if n == 0 {
                        Match::No
                    } else if n == f.endpoints.len() {
                        Match::Full
                    } else {
                        Match::Partial
                    }
                }
            }
        }
        WaiverScope::Located { at } => {
            if located_inside(f.primary_origin(), at, sources) {
                Match::Full
            } else {
                Match::No
            }
        }
    }
}

/// Does the origin's location start inside `at` (same file)? Locations are compared where they
/// are shown (a plan location shown at the `.tf` line it was made from is inside that file).
fn located_inside(origin: Option<&Origin>, at: &Origin, sources: &mut SourceMap) -> bool {
    let Some(origin) = origin else { return false };
    if origin.file.is_none() || at.file.is_none() {
        return false;
    }
    let (Some(inner), Some(outer)) = (sources.locate(origin), sources.locate(at)) else {
        return false;
    };
    inner.file == outer.file
        && outer.span.start <= inner.span.start
        && inner.span.start < outer.span.end.max(outer.span.start + 1)
}

/// `NSG001 on azurerm_network_security_group.nodes (endpoint mcr.microsoft.com:443)`.
fn describe(w: &Waiver) -> String {
    let mut s = w.rules.join(", ");
    match &w.scope {
        WaiverScope::Match {
            resource,
            endpoint,
            node_pool,
        } => {
            if let Some(r) = resource {
                s.push_str(&format!(" on {r}"));
            }
            let mut extra = vec![];
            if let Some(p) = node_pool {
                extra.push(format!("node pool {p}"));
            }
            if let Some(e) = endpoint {
                extra.push(format!("endpoint {e}"));
            }
            if !extra.is_empty() {
                s.push_str(&format!(" ({})", extra.join(", ")));
            }
        }
        WaiverScope::Located { .. } => s.push_str(" (inline waiver)"),
    }
    s
}

fn wav(code: &str, message: String, w: &Waiver, label: &str) -> Finding {
    Finding::new(code, registry::severity(code), message)
        .help(registry::fix(code))
        .primary(&w.origin, label)
}

/// Apply `waivers` to `report` as of `today` (see the module documentation). Keeps the report
/// sorted. Findings about waivers (`WAV…`) are never waived themselves.
pub fn apply(
    report: &mut Report,
    model: &Model,
    waivers: &[Waiver],
    today: Date,
    sources: &mut SourceMap,
) {
    if waivers.is_empty() {
        return;
    }
    let ids = resource_ids(model);
    let expired: Vec<bool> = waivers
        .iter()
        .map(|w| w.expires.is_some_and(|d| d < today))
        .collect();
    let mut used = vec![0usize; waivers.len()];
    let mut would = vec![0usize; waivers.len()];
    let mut notes = vec![];
    let mut kept = vec![];
    for f in std::mem::take(&mut report.findings) {
        if f.rule.starts_with("WAV") {
            kept.push(f);
            continue;
        }
        let mut waived_by = None;
        for (i, w) in waivers.iter().enumerate() {
            match matches(w, &f, &ids, sources) {
                Match::No => {}
                Match::Partial => notes.push(wav(
                    "WAV003",
                    format!(
                        "waiver for {} covers only some endpoints of a {} finding ({}), so the finding is still reported",
                        describe(w),
                        f.rule,
                        f.endpoints.join(", ")
                    ),
                    w,
                    "this waiver",
                )),
                Match::Full if expired[i] => would[i] += 1,
                Match::Full => {
                    if waived_by.is_none() {
                        waived_by = Some(i);
                    }
                }
            }
        }
        match waived_by {
            Some(i) => {
                used[i] += 1;
                let w = &waivers[i];
                report.suppressed.push(Suppressed {
                    finding: f,
                    by: Suppression::Waiver {
                        reason: w.reason.clone(),
                        expires: w.expires,
                        origin: w.origin.clone(),
                        inline: matches!(w.scope, WaiverScope::Located { .. }),
                    },
                });
            }
            None => kept.push(f),
        }
    }
    report.findings = kept;
    for (i, w) in waivers.iter().enumerate() {
        if expired[i] {
            let again = match would[i] {
                0 => "it matches no finding now".to_string(),
                1 => "the finding it accepted is reported again".to_string(),
                n => format!("the {n} findings it accepted are reported again"),
            };
            report.findings.push(wav(
                "WAV001",
                format!(
                    "waiver for {} expired on {} ({again}); reason given: {}",
                    describe(w),
                    w.expires.map(|d| d.to_string()).unwrap_or_default(),
                    w.reason
                ),
                w,
                "expired waiver",
            ));
        } else if used[i] == 0 {
            report.findings.push(wav(
                "WAV002",
                format!("waiver for {} matched no finding", describe(w)),
                w,
                "unused waiver",
            ));
        }
    }
    report.findings.extend(notes);
    report.sort();
}

/// Terraform address → Azure resource id, for every model element whose id is known: a waiver
/// may name either.
fn resource_ids(model: &Model) -> HashMap<&str, String> {
    let mut out = HashMap::new();
    macro_rules! each {
        ($($field:ident),*) => { $( for e in &model.$field { add_meta(&mut out, &e.meta); } )* };
    }
    fn add_meta<'a>(out: &mut HashMap<&'a str, String>, m: &'a crate::model::Meta) {
        if let Some(id) = &m.id {
            out.insert(m.address(), id.as_str().to_string());
        }
    }
    each!(
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
        dns_resolver_inbound_endpoints
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;
    use crate::source::{FileId, Loc};

    fn date(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn dates_and_the_clock() {
        assert_eq!(civil_from_days(0), date("1970-01-01"));
        assert_eq!(civil_from_days(19_782), date("2024-02-29"));
        assert_eq!(civil_from_days(20_819), date("2027-01-01"));
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("26-01-01").is_none());
        assert!(date("2026-12-31") < date("2027-01-01"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("azurerm_subnet.*", "azurerm_subnet.nodes"));
        assert!(glob_match("*", ""));
        assert!(glob_match(
            "/SUBSCRIPTIONS/*/nsg-*",
            "/subscriptions/s/x/nsg-a"
        ));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(!glob_match("azurerm_subnet.nodes", "azurerm_subnet.nodes2"));
        assert!(endpoint_matches(
            "mcr.microsoft.com",
            "mcr.microsoft.com:443/https"
        ));
        assert!(endpoint_matches(
            "mcr.microsoft.com:443",
            "mcr.microsoft.com:443/https"
        ));
        assert!(!endpoint_matches(
            "mcr.microsoft.com:80",
            "mcr.microsoft.com:443/https"
        ));
        assert!(endpoint_matches(
            "*.data.mcr.microsoft.com",
            "*.data.mcr.microsoft.com:443/https"
        ));
    }

    fn finding(rule: &str, file: u32, span: std::ops::Range<usize>) -> Finding {
        Finding::new(rule, Severity::Error, format!("{rule} at {span:?}")).primary(
            &Origin::new(
                FileId(file),
                "azurerm_network_security_group.nodes",
                Loc::Span(span),
            ),
            "here",
        )
    }

    /// Inline waivers (what the HCL reader puts into `model.waivers`): a finding is waived when
    /// its primary location starts inside the waiver's span, in the same file.
    #[test]
    fn located_waivers_cover_their_span_only() {
        let mut sources = SourceMap::new();
        let tf = sources.add("main.tf", "x".repeat(400));
        let other = sources.add("other.tf", "y".repeat(400));
        let mut model = Model::new();
        model.waivers.push(Waiver {
            rules: vec!["NSG001".into()],
            scope: WaiverScope::Located {
                at: Origin::new(
                    tf,
                    "azurerm_network_security_group.nodes",
                    Loc::Span(100..200),
                ),
            },
            reason: "accepted in review".into(),
            expires: None,
            origin: Origin::new(
                tf,
                "azurerm_network_security_group.nodes",
                Loc::Span(80..99),
            ),
        });
        let mut report = Report {
            findings: vec![
                finding("NSG001", tf.0, 150..160),    // inside: waived
                finding("NSG001", tf.0, 250..260),    // after the block
                finding("NSG001", other.0, 150..160), // same offsets, other file
                finding("RTE001", tf.0, 150..160),    // other rule
            ],
            ..Default::default()
        };
        let waivers = model.waivers.clone();
        apply(
            &mut report,
            &model,
            &waivers,
            date("2026-01-01"),
            &mut sources,
        );
        assert_eq!(report.suppressed.len(), 1);
        let s = &report.suppressed[0];
        assert_eq!(s.finding.message, "NSG001 at 150..160");
        assert!(matches!(s.by, Suppression::Waiver { inline: true, .. }));
        assert_eq!(report.findings.len(), 3);
        assert!(report.findings.iter().all(|f| !f.rule.starts_with("WAV")));
    }

    #[test]
    fn expired_waivers_stop_suppressing_and_unused_ones_are_noted() {
        let mut sources = SourceMap::new();
        let cfg = sources.add(".aks-preflight.toml", "z".repeat(100));
        let waiver = |rule: &str, expires: Option<&str>| Waiver {
            rules: vec![rule.into()],
            scope: WaiverScope::Match {
                resource: Some("azurerm_network_security_group.*".into()),
                endpoint: None,
                node_pool: None,
            },
            reason: "r".into(),
            expires: expires.map(date),
            origin: Origin {
                file: Some(cfg),
                address: None,
                loc: Loc::Span(0..10),
            },
        };
        let waivers = vec![waiver("NSG001", Some("2026-03-31")), waiver("RTE001", None)];
        let base = Report {
            findings: vec![finding("NSG001", 0, 1..2)],
            ..Default::default()
        };
        let model = Model::new();
        // on the expiry date the waiver still holds
        let mut r = base.clone();
        apply(&mut r, &model, &waivers, date("2026-03-31"), &mut sources);
        assert_eq!(r.suppressed.len(), 1);
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["WAV002"]);
        // the day after, it does not
        let mut r = base.clone();
        apply(&mut r, &model, &waivers, date("2026-04-01"), &mut sources);
        assert!(r.suppressed.is_empty());
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["NSG001", "WAV001", "WAV002"]);
        assert!(r.findings[1].message.contains("expired on 2026-03-31"));
        assert!(
            r.findings[1]
                .message
                .contains("the finding it accepted is reported again")
        );
    }
}
