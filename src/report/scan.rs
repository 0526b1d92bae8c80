//! The estate table of `scan`: one row per node pool of every cluster (cluster, pool, verdict,
//! top finding), from the one report. A pool fails when an error finding is about it or about
//! its cluster; it is unknown when a required endpoint's verdict is not proven (or a finding
//! about it is undecided); it passes otherwise.

use super::{Finding, Report, Severity};
use crate::eval::Verdict;

/// A pool's verdict in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoolVerdict {
    Fail,
    Unknown,
    Pass,
}

impl PoolVerdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            PoolVerdict::Fail => "fail",
            PoolVerdict::Unknown => "unknown",
            PoolVerdict::Pass => "pass",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct PoolRow {
    pub cluster: String,
    /// `None` for a cluster without node pools in the inputs.
    pub pool: Option<String>,
    pub verdict: PoolVerdict,
    /// The most severe finding about the pool or its cluster (the report's order).
    pub top: Option<(String, String)>,
}

fn about(f: &Finding, cluster: &str, pool: Option<&str>) -> bool {
    f.cluster.as_deref() == Some(cluster)
        && (f.node_pool.is_none() || pool.is_some_and(|p| f.node_pool.as_deref() == Some(p)))
}

/// The rows, in the report's cluster and pool order.
pub fn rows(report: &Report) -> Vec<PoolRow> {
    let mut out = vec![];
    for c in &report.clusters {
        let pools: Vec<Option<&super::PoolReport>> = if c.node_pools.is_empty() {
            vec![None]
        } else {
            c.node_pools.iter().map(Some).collect()
        };
        for p in pools {
            let pname = p.map(|p| p.name.as_str());
            let findings: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| about(f, &c.address, pname))
                .collect();
            let required = p
                .map(|p| p.egress.iter().filter(|e| e.required).collect::<Vec<_>>())
                .unwrap_or_default();
            let verdict = if findings.iter().any(|f| f.severity == Severity::Error)
                || required.iter().any(|e| e.verdict == Verdict::Blocked)
            {
                PoolVerdict::Fail
            } else if p.is_none()
                || required.iter().any(|e| e.verdict != Verdict::Reachable)
                || findings.iter().any(|f| f.verdict == Some(Verdict::Unknown))
            {
                PoolVerdict::Unknown
            } else {
                PoolVerdict::Pass
            };
            out.push(PoolRow {
                cluster: c.address.clone(),
                pool: pname.map(str::to_string),
                verdict,
                top: findings
                    .first()
                    .map(|f| (f.rule.clone(), f.message.clone())),
            });
        }
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The table as text, `width` columns wide, with a summary line.
pub fn render(report: &Report, width: usize) -> String {
    let rows = rows(report);
    let cw = rows
        .iter()
        .map(|r| r.cluster.chars().count())
        .chain(std::iter::once("CLUSTER".len()))
        .max()
        .unwrap_or(7)
        .min(60);
    let pw = rows
        .iter()
        .map(|r| r.pool.as_deref().unwrap_or("-").chars().count())
        .chain(std::iter::once("POOL".len()))
        .max()
        .unwrap_or(4);
    let mut s = format!(
        "{:<cw$}  {:<pw$}  {:<7}  TOP FINDING\n",
        "CLUSTER", "POOL", "VERDICT"
    );
    let room = width.saturating_sub(cw + pw + 7 + 6).max(20);
    for r in &rows {
        let top = match &r.top {
            Some((rule, msg)) => clip(&format!("{rule} {msg}"), room),
            None => "-".to_string(),
        };
        s.push_str(&format!(
            "{:<cw$}  {:<pw$}  {:<7}  {top}\n",
            clip(&r.cluster, cw),
            r.pool.as_deref().unwrap_or("-"),
            r.verdict.as_str()
        ));
    }
    let count = |v: PoolVerdict| {
        rows.iter()
            .filter(|r| r.pool.is_some() && r.verdict == v)
            .count()
    };
    let empty = rows.iter().filter(|r| r.pool.is_none()).count();
    s.push_str(&format!(
        "\n{} cluster(s), {} node pool(s): {} fail, {} unknown, {} pass{}\n",
        report.clusters.len(),
        rows.iter().filter(|r| r.pool.is_some()).count(),
        count(PoolVerdict::Fail),
        count(PoolVerdict::Unknown),
        count(PoolVerdict::Pass),
        if empty > 0 {
            format!("; {empty} cluster(s) without node pools")
        } else {
            String::new()
        }
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ClusterReport, EgressResult, PoolReport};

    fn egress(verdict: Verdict) -> EgressResult {
        EgressResult {
            host: "mcr.microsoft.com".into(),
            port: 443,
            protocol: "tcp".into(),
            app_protocol: Some("https".into()),
            required: true,
            verdict,
            reason: String::new(),
            path: vec![],
        }
    }

    fn pool(name: &str, v: Verdict) -> PoolReport {
        PoolReport {
            name: name.into(),
            subnet: None,
            egress: vec![egress(v)],
        }
    }

    #[test]
    fn one_row_per_pool_with_its_worst_finding() {
        let report = Report {
            clusters: vec![
                ClusterReport {
                    address: "rg/managedClusters/a".into(),
                    name: "a".into(),
                    node_pools: vec![
                        pool("system", Verdict::Reachable),
                        pool("np2", Verdict::Blocked),
                    ],
                },
                ClusterReport {
                    address: "rg/managedClusters/b".into(),
                    name: "b".into(),
                    node_pools: vec![pool("system", Verdict::Unknown)],
                },
                ClusterReport {
                    address: "rg/managedClusters/c".into(),
                    name: "c".into(),
                    node_pools: vec![],
                },
            ],
            findings: vec![
                Finding::new("NSG001", Severity::Error, "NSG rule denies")
                    .at_pool("rg/managedClusters/a", "np2"),
                Finding::new("EGR001", Severity::Warning, "cannot be proven")
                    .at_pool("rg/managedClusters/b", "system"),
            ],
            suppressed: vec![],
        };
        let r = rows(&report);
        let v: Vec<(&str, &str)> = r
            .iter()
            .map(|r| (r.pool.as_deref().unwrap_or("-"), r.verdict.as_str()))
            .collect();
        assert_eq!(
            v,
            [
                ("system", "pass"),
                ("np2", "fail"),
                ("system", "unknown"),
                ("-", "unknown")
            ]
        );
        assert_eq!(r[1].top.as_ref().unwrap().0, "NSG001");
        assert!(r[0].top.is_none());
        let text = render(&report, 100);
        assert!(text.contains("3 cluster(s), 3 node pool(s): 1 fail, 1 unknown, 1 pass; 1 cluster(s) without node pools"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    }
}
