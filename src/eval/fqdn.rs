//! FQDN matching as Azure Firewall does it.
//!
//! Application rules (target FQDNs, FQDN tags, the host part of target URLs) accept a wildcard
//! on the left only:
//!
//! * `*` alone matches every name;
//! * `*.contoso.com` matches every name *below* `contoso.com`, at any depth (`a.contoso.com`,
//!   `a.b.contoso.com`) but **not** the apex `contoso.com`;
//! * `*contoso.com` (no dot after the star) is a plain suffix match: it matches `contoso.com` and
//!   `mycontoso.com` as well as `a.contoso.com` (not in the Microsoft FAQ, which documents only
//!   `*.contoso.com`; taken from a published test of Azure Firewall: "asterisks on the left-most
//!   side mean literally anything to the left matches");
//! * anything else is an exact, case-insensitive comparison (a trailing dot is ignored).
//!
//! Network rules' `destination_fqdns` have no wildcard support: see [`network_fqdn_matches`].
//!
//! The *host* being tested may itself be a wildcard requirement (`*.data.mcr.microsoft.com`: the
//! node contacts some name below `data.mcr.microsoft.com`, which one is not known statically).
//! Such a host is matched only by a pattern that covers *every* name it stands for:
//! `*.data.mcr.microsoft.com`, `*.mcr.microsoft.com`, `*.microsoft.com` or `*`; never by an exact
//! name.
//!
//! Catalogue patterns (FQDN tag contents in `policies/fqdn-tags.toml`) may contain placeholder
//! labels in angle brackets (`*.hcp.<region>.azmk8s.io`): a placeholder stands for exactly one
//! label. Rules written by users never contain them (Azure rejects `<`), so supporting them here
//! costs nothing.

use std::borrow::Cow;

/// Lower-case, trimmed, without a trailing dot.
pub fn normalize(name: &str) -> String {
    norm(name).into_owned()
}

/// [`normalize`], borrowing when the name is already normalized (the common case).
fn norm(name: &str) -> Cow<'_, str> {
    let t = name.trim();
    let t = t.strip_suffix('.').unwrap_or(t);
    if t.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// Is `name` a wildcard (`*` or `*.`/`*` prefix)?
pub fn is_wildcard(name: &str) -> bool {
    name.trim_start().starts_with('*')
}

/// Is `pattern` a valid application-rule FQDN pattern (wildcard only as the first character)?
pub fn is_valid_pattern(pattern: &str) -> bool {
    let p = norm(pattern);
    if p.is_empty() {
        return false;
    }
    let rest = p.strip_prefix('*').unwrap_or(&p);
    !rest.contains('*') && !rest.contains(char::is_whitespace)
}

fn is_placeholder(label: &str) -> bool {
    label.len() >= 2 && label.starts_with('<') && label.ends_with('>')
}

/// Compare one label: a placeholder in the pattern matches any label; a placeholder in the host
/// (an unsubstituted catalogue name) matches only a placeholder.
fn label_eq(pattern: &str, host: &str) -> bool {
    is_placeholder(pattern) || pattern == host
}

/// Number of dot-separated labels.
fn label_count(name: &str) -> usize {
    name.bytes().filter(|&b| b == b'.').count() + 1
}

/// Are the labels of `pat` the last labels of `host` (compared from the TLD on)?
fn suffix_labels_match(pat: &str, host: &str) -> bool {
    label_count(pat) <= label_count(host)
        && pat
            .rsplit('.')
            .zip(host.rsplit('.'))
            .all(|(p, h)| label_eq(p, h))
}

/// Does the application-rule pattern `pattern` match `host` (a name, or a wildcard requirement
/// `*.suffix` that must be covered entirely)? Case-insensitive. An invalid pattern (a star that
/// is not the first character) matches nothing, as Azure would reject it.
pub fn pattern_matches(pattern: &str, host: &str) -> bool {
    let p = norm(pattern);
    let h = norm(host);
    // the common cases first, without counting labels: no placeholder anywhere, a host without
    // wildcard, and a pattern that is a name or `*.` a name (the same answers as below)
    if !h.is_empty() && !h.contains(['*', '<']) && !p.contains('<') {
        let (exact, rest) = match p.strip_prefix("*.") {
            Some(rest) => (false, rest),
            None => (true, &*p),
        };
        if !rest.is_empty() && !rest.contains('*') && !rest.contains(char::is_whitespace) {
            return if exact {
                h == p
            } else {
                // strictly below `rest`: `x.rest`
                h.len() > rest.len()
                    && h.ends_with(rest)
                    && h.as_bytes()[h.len() - rest.len() - 1] == b'.'
            };
        }
    }
    general_match(&p, &h)
}

/// [`pattern_matches`] for every case, on normalized names.
fn general_match(p: &str, h: &str) -> bool {
    if p.is_empty() || h.is_empty() || !is_valid_pattern(p) {
        return false;
    }
    if p == "*" {
        return true;
    }
    // The host as (wildcard?, the name without its wildcard label).
    let (host_wild, host_rest) = match h.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None if h == "*" => return false, // only `*` covers "any name"
        None if h.starts_with('*') => {
            // `*foo.com` as a requirement: names ending in `foo.com`; only a pattern that is a
            // suffix of it (or `*`) covers them all.
            return p
                .strip_prefix('*')
                .is_some_and(|ps| !ps.starts_with('.') && h[1..].ends_with(ps));
        }
        None => (false, h),
    };

    if let Some(p_rest) = p.strip_prefix("*.") {
        // every name strictly below p_rest
        if host_wild {
            // names below host_rest are all below p_rest iff host_rest is p_rest or below it
            suffix_labels_match(p_rest, host_rest)
        } else {
            label_count(host_rest) > label_count(p_rest) && suffix_labels_match(p_rest, host_rest)
        }
    } else if let Some(p_suffix) = p.strip_prefix('*') {
        // plain string suffix
        if host_wild {
            // every `x.host_rest` ends with p_suffix iff `.host_rest` does
            host_rest.ends_with(p_suffix) || p_suffix.strip_prefix('.') == Some(host_rest)
        } else {
            host_rest.ends_with(p_suffix)
        }
    } else {
        if host_wild {
            return false;
        }
        label_count(p) == label_count(host_rest) && suffix_labels_match(p, host_rest)
    }
}

/// Network-rule FQDN match: exact, case-insensitive; no wildcard support (a wildcard entry matches
/// nothing), and a wildcard requirement host is never covered by a single name.
pub fn network_fqdn_matches(fqdn: &str, host: &str) -> bool {
    let f = norm(fqdn);
    let h = norm(host);
    !f.is_empty() && !f.contains('*') && !h.contains('*') && f == h
}

/// The host part of a target URL (`https://www.contoso.com/path` -> `www.contoso.com`,
/// `*.contoso.com/a/*` -> `*.contoso.com`).
pub fn url_host(url: &str) -> String {
    let u = url.trim();
    let u = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => u,
    };
    let end = u.find(['/', '?', '#']).unwrap_or(u.len());
    let hostport = &u[..end];
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => hostport,
    };
    normalize(host)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_cases_answer_as_the_general_rule() {
        let names = [
            "",
            "*",
            "*.",
            ".",
            "a",
            "A.B",
            "b.c",
            "a.b.c",
            "x.a.b.c",
            "xb.c",
            ".b.c",
            "a..b.c",
            "*.b.c",
            "*.a.b.c",
            "*b.c",
            "**.b.c",
            "*.b*.c",
            "a b.c",
            "*.<region>.c",
            "<x>.b.c",
            "b.c.",
            " a.b.c ",
            "*.B.C",
            "*.*",
        ];
        for p in names {
            for h in names {
                assert_eq!(
                    pattern_matches(p, h),
                    general_match(&norm(p), &norm(h)),
                    "pattern {p:?}, host {h:?}"
                );
            }
        }
    }

    use super::*;

    #[test]
    fn wildcard_table() {
        let table: &[(&str, &str, bool)] = &[
            // exact
            ("mcr.microsoft.com", "mcr.microsoft.com", true),
            ("MCR.Microsoft.com", "mcr.microsoft.COM", true),
            ("mcr.microsoft.com.", "mcr.microsoft.com", true),
            ("mcr.microsoft.com", "x.mcr.microsoft.com", false),
            ("mcr.microsoft.com", "microsoft.com", false),
            // leading *. : subdomains at any depth, not the apex
            ("*.contoso.com", "a.contoso.com", true),
            ("*.contoso.com", "a.b.c.contoso.com", true),
            ("*.contoso.com", "contoso.com", false),
            ("*.contoso.com", "notcontoso.com", false),
            ("*.Contoso.COM", "WWW.contoso.com", true),
            // plain suffix
            ("*contoso.com", "contoso.com", true),
            ("*contoso.com", "mycontoso.com", true),
            ("*contoso.com", "a.contoso.com", true),
            ("*contoso.com", "contoso.org", false),
            // lone star
            ("*", "anything.example", true),
            ("*", "*.data.mcr.microsoft.com", true),
            // requirement hosts that are wildcards
            ("*.data.mcr.microsoft.com", "*.data.mcr.microsoft.com", true),
            ("*.mcr.microsoft.com", "*.data.mcr.microsoft.com", true),
            ("*.microsoft.com", "*.data.mcr.microsoft.com", true),
            ("data.mcr.microsoft.com", "*.data.mcr.microsoft.com", false),
            (
                "westeurope.data.mcr.microsoft.com",
                "*.data.mcr.microsoft.com",
                false,
            ),
            (
                "*.eastus.data.mcr.microsoft.com",
                "*.data.mcr.microsoft.com",
                false,
            ),
            ("*.windows.net", "*.data.mcr.microsoft.com", false),
            ("*microsoft.com", "*.data.mcr.microsoft.com", true),
            ("*.microsoft.com", "*microsoft.com", false),
            // invalid patterns match nothing
            ("mcr.*.com", "mcr.microsoft.com", false),
            ("", "mcr.microsoft.com", false),
            ("**", "mcr.microsoft.com", false),
            // placeholders in catalogue patterns stand for one label
            (
                "*.hcp.<region>.azmk8s.io",
                "x.hcp.westeurope.azmk8s.io",
                true,
            ),
            (
                "*.hcp.<region>.azmk8s.io",
                "*.hcp.westeurope.azmk8s.io",
                true,
            ),
            ("*.hcp.<region>.azmk8s.io", "x.hcp.a.b.azmk8s.io", false),
            (
                "*.hcp.<region>.azmk8s.io",
                "hcp.westeurope.azmk8s.io",
                false,
            ),
        ];
        for (p, h, want) in table {
            assert_eq!(pattern_matches(p, h), *want, "pattern {p:?} host {h:?}");
        }
    }

    #[test]
    fn network_fqdns_are_exact() {
        assert!(network_fqdn_matches("ntp.ubuntu.com", "NTP.ubuntu.com."));
        assert!(!network_fqdn_matches("*.ubuntu.com", "ntp.ubuntu.com"));
        assert!(!network_fqdn_matches(
            "data.mcr.microsoft.com",
            "*.data.mcr.microsoft.com"
        ));
        assert!(!network_fqdn_matches("", ""));
    }

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("https://www.Contoso.com/a/b"), "www.contoso.com");
        assert_eq!(url_host("www.contoso.com:8443/x"), "www.contoso.com");
        assert_eq!(url_host("*.contoso.com/*"), "*.contoso.com");
        assert_eq!(url_host("contoso.com"), "contoso.com");
    }

    #[test]
    fn validity() {
        assert!(is_valid_pattern("*.a.com"));
        assert!(is_valid_pattern("*a.com"));
        assert!(!is_valid_pattern("a.*.com"));
        assert!(!is_valid_pattern("a b.com"));
        assert!(is_wildcard("*.a.com"));
        assert!(!is_wildcard("a.com"));
    }
}
