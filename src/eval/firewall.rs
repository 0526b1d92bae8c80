//! Azure Firewall rule evaluation (classic rule collections and Firewall Policy).
//!
//! Processing model (learn.microsoft.com/azure/firewall/rule-processing, policy-rule-sets;
//! `aks-network-requirements.md` section 6):
//!
//! * Which rules: a firewall with a policy uses the rule collection groups of that policy and of
//!   its ancestors (`base_policy`); parent groups are processed before child groups whatever
//!   their priority numbers. A firewall without a policy uses its classic rule collections.
//! * Order: DNAT collections first (inbound only: not applied to egress flows, noted), then all
//!   network collections, then all application collections. Within a type: group priority, then
//!   collection priority, lower first. Within a collection rules have no order: any matching rule
//!   applies the collection's action. The first matching collection decides; a network rule match
//!   ends processing. Application rules apply to HTTP/HTTPS flows only. No match: default deny.
//! * Three-valued matching: a rule whose match cannot be decided statically (unknown IP group,
//!   host IPs vs a CIDR, web categories, FQDN tag contents...) is a *maybe*. A definite match
//!   decides only if no earlier maybe has a different action; otherwise the result is `unknown`,
//!   naming the undecidable rule. Collections or groups with unknown priority may sit anywhere in
//!   their pass: they make the result `unknown` when their position matters.
//! * The node subnet is split at every source boundary that rules use: a rule whose source
//!   covers only part of the subnet decides only for that part; when parts get different
//!   verdicts the subnet's verdict is the worst one (some nodes cannot provision).
//! * Threat intelligence in `Deny` mode is noted, never turned into a verdict.
//!
//! The firewall's built-in infrastructure rule collection (platform image repository storage,
//! managed-disk status storage, Azure diagnostics) is not modelled: AKS endpoints are not in it.
//!
//! Cost: a policy may hold tens of thousands of rules and a check sends thousands of flows
//! through it. The rule set is prepared once per firewall of a finished model (`Prepared`,
//! kept in [`Model::derived`]): processing order, policy chain, the cut points of every rule
//! source, the DNS proxy setting. For each destination (a flow without its source) the rules
//! whose destination part can match are found once (usually a handful); a flow then tests only
//! those rules' sources, per part of the node subnet. Rules skipped this way match nothing for
//! the destination whatever the source, so the decisions are those of a full scan.

use super::flow::AppProto;
use super::fqdn;
use super::{Destination, Flow, Hop, HopKind, Protocol, Verdict};
use crate::model::{
    AddressMatch, AppProtocol, ApplicationRule, Firewall, FirewallPolicy, FirewallRule, FwAction,
    IpGroup, Known, Model, NetProtocol, NetworkRule, Ref, RuleCollection, RuleCollectionKind,
};
use crate::policy::fqdn_tags::{FqdnTagCatalogue, TagCover};
use crate::source::Origin;
use ipnet::IpNet;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// What the firewall does with a flow.
#[derive(Debug, Clone)]
pub struct FirewallDecision {
    pub verdict: Verdict,
    /// One sentence: which rule matched (group / collection / rule), or default deny, or why
    /// undecidable.
    pub reason: String,
    /// Hops to append to the path trace (firewall, rule collection group, collection, rule).
    pub hops: Vec<Hop>,
    /// The deciding rule (or collection) for findings' labels.
    pub rule_origin: Option<Origin>,
    /// Display name of the deciding rule, `group/collection/rule`.
    pub rule: Option<String>,
    /// Remarks beside the verdict, for findings: FQDN network rules that match nothing because
    /// DNS proxy is off, rules whose source covers only part of the node subnet, threat
    /// intelligence in Deny mode, DNAT collections not applied to egress.
    pub notes: Vec<FirewallNote>,
}

/// A remark about the firewall configuration met while deciding a flow.
#[derive(Debug, Clone, Serialize)]
pub struct FirewallNote {
    pub kind: FirewallNoteKind,
    pub message: String,
    /// The rule (or firewall / policy) the note is about.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirewallNoteKind {
    /// A network rule lists the flow's host in `destination_fqdns`, but DNS proxy is off: the
    /// rule matches nothing.
    FqdnNetworkRuleWithoutDnsProxy,
    /// A rule's source covers only part of the node subnet; the rest of the nodes are not
    /// covered by it.
    PartialSourceCoverage,
    /// Threat intelligence mode `Deny`: may drop allowed traffic to known-malicious destinations.
    ThreatIntelDeny,
    /// DNAT rule collections exist; they apply to inbound traffic only.
    DnatNotApplied,
}

impl FirewallDecision {
    fn unknown(model: &Model, firewall: &Firewall, reason: String) -> FirewallDecision {
        FirewallDecision {
            verdict: Verdict::Unknown,
            hops: vec![
                Hop::new(
                    HopKind::Firewall,
                    firewall_label(model, firewall),
                    Some(firewall.meta.origin.clone()),
                )
                .with_verdict(Verdict::Unknown),
            ],
            reason,
            rule_origin: None,
            rule: None,
            notes: vec![],
        }
    }
}

fn firewall_label(model: &Model, firewall: &Firewall) -> String {
    match &firewall.policy {
        Known::Known(r) => {
            let p = model
                .firewall_policy(r)
                .map_or_else(|| r.display(), |p| p.meta.address().to_string());
            format!("{} (policy {p})", firewall.meta.address())
        }
        Known::Unknown(_) => format!("{} (policy unknown)", firewall.meta.address()),
        Known::Absent => format!("{} (classic rules)", firewall.meta.address()),
    }
}

// ------------------------------------------------------------------ public helpers

/// Is DNS proxy enabled for this firewall? With a policy: the policy's setting, inherited from
/// the parent policy chain when the policy does not set it; without a policy: the firewall's own
/// (classic) setting. Off when nobody sets it (Azure's default).
pub fn dns_proxy_enabled(model: &Model, firewall: &Firewall) -> Known<bool> {
    match &firewall.policy {
        Known::Absent => firewall.dns_proxy.clone().or_default_value(false),
        Known::Unknown(r) => Known::Unknown(format!(
            "the firewall policy of {} is unknown ({r})",
            firewall.meta.address()
        )),
        Known::Known(r) => match policy_chain(model, r) {
            Err(e) => Known::Unknown(e),
            Ok(chain) => {
                // chain is root first; the child's own setting wins
                for p in chain.iter().rev() {
                    match &p.dns_proxy {
                        Known::Known(v) => return Known::Known(*v),
                        Known::Unknown(why) => {
                            return Known::Unknown(format!(
                                "DNS proxy setting of {} is unknown ({why})",
                                p.meta.address()
                            ));
                        }
                        Known::Absent => {}
                    }
                }
                Known::Known(false)
            }
        },
    }
}

/// Network rules of this firewall that list FQDNs while DNS proxy is off (they match nothing),
/// independent of any flow: one [`FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy`] note per
/// rule. Empty when DNS proxy is on or its setting is unknown.
pub fn fqdn_network_rules_without_dns_proxy(
    model: &Model,
    firewall: &Firewall,
) -> Vec<FirewallNote> {
    if dns_proxy_enabled(model, firewall) != Known::Known(false) {
        return vec![];
    }
    let prep = prepared(model, firewall);
    let entries = prep.view(model, firewall);
    let mut out = vec![];
    for e in &entries {
        for rule in &e.coll.rules {
            if let FirewallRule::Network(n) = rule {
                if n.destination_fqdns.is_empty() {
                    continue;
                }
                out.push(FirewallNote {
                    kind: FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy,
                    message: format!(
                        "network rule {} lists {}, but DNS proxy is not enabled: FQDNs in network rules match nothing without it",
                        e.rule_path(rule_name(rule)),
                        n.destination_fqdns.join(", ")
                    ),
                    origin: Some(n.origin.clone()),
                });
            }
        }
    }
    out
}

/// A value in a firewall rule that Azure does not know (a typo): it matches nothing.
#[derive(Debug, Clone, Serialize)]
pub struct UnknownName {
    /// `fqdn_tag`, `protocol` or `service_tag`.
    pub kind: &'static str,
    pub value: String,
    /// The closest known name, when one is close enough to be the intended one.
    pub closest: Option<String>,
    /// The rule the value is written in.
    #[serde(skip)]
    pub origin: Origin,
    /// `group/collection/rule` (classic: `collection/rule`).
    pub rule: String,
}

/// Service tags accepted as network-rule destinations, by base name (a regional suffix such as
/// `.westeurope` is not checked). **Not exhaustive**: Azure adds tags regularly, so a name that
/// is not listed is reported by [`unknown_names`] only when it is within a small edit distance
/// of a listed one (a likely typo).
pub const KNOWN_SERVICE_TAGS: &[&str] = &[
    "ActionGroup",
    "ApiManagement",
    "AppConfiguration",
    "AppService",
    "AppServiceManagement",
    "AzureActiveDirectory",
    "AzureActiveDirectoryDomainServices",
    "AzureAdvancedThreatProtection",
    "AzureArcInfrastructure",
    "AzureAttestation",
    "AzureBackup",
    "AzureBotService",
    "AzureCloud",
    "AzureCognitiveSearch",
    "AzureConnectors",
    "AzureContainerAppsService",
    "AzureContainerRegistry",
    "AzureCosmosDB",
    "AzureDatabricks",
    "AzureDataExplorerManagement",
    "AzureDataLake",
    "AzureDevOps",
    "AzureDigitalTwins",
    "AzureEventGrid",
    "AzureFrontDoor",
    "AzureHealthcareAPIs",
    "AzureInformationProtection",
    "AzureIoTHub",
    "AzureKeyVault",
    "AzureLoadBalancer",
    "AzureMachineLearning",
    "AzureManagedGrafana",
    "AzureMonitor",
    "AzureOpenDatasets",
    "AzurePlatformDNS",
    "AzurePlatformIMDS",
    "AzurePlatformLKM",
    "AzureResourceManager",
    "AzureSentinel",
    "AzureSignalR",
    "AzureSiteRecovery",
    "AzureSphere",
    "AzureSpringCloud",
    "AzureStack",
    "AzureTrafficManager",
    "AzureUpdateDelivery",
    "AzureWebPubSub",
    "BatchNodeManagement",
    "ChaosStudio",
    "CognitiveServicesFrontend",
    "CognitiveServicesManagement",
    "DataFactory",
    "DataFactoryManagement",
    "EventHub",
    "GatewayManager",
    "GuestAndHybridManagement",
    "HDInsight",
    "Internet",
    "LogicApps",
    "LogicAppsManagement",
    "MicrosoftCloudAppSecurity",
    "MicrosoftContainerRegistry",
    "MicrosoftDefenderForEndpoint",
    "Office365",
    "PowerBI",
    "PowerPlatformInfra",
    "PowerPlatformPlex",
    "PowerQueryOnline",
    "SCCservice",
    "ServiceBus",
    "ServiceFabric",
    "Sql",
    "SqlManagement",
    "Storage",
    "StorageSyncService",
    "VirtualNetwork",
    "WindowsAdminCenter",
    "WindowsVirtualDesktop",
];

const KNOWN_APP_PROTOCOLS: &[&str] = &["Http", "Https", "Mssql"];
const KNOWN_NET_PROTOCOLS: &[&str] = &["TCP", "UDP", "ICMP", "Any"];

/// Names in the firewall's rules that Azure does not know: FQDN tags not in the catalogue,
/// protocol values that are not `Http`/`Https`/`Mssql` (application) or `TCP`/`UDP`/`ICMP`/`Any`
/// (network, NAT), and destination service tags that look like a typo of a known tag. Such a
/// value matches nothing in Azure.
pub fn unknown_names(model: &Model, firewall: &Firewall) -> Vec<UnknownName> {
    let cat = FqdnTagCatalogue::builtin();
    let prep = prepared(model, firewall);
    let entries = prep.view(model, firewall);
    let mut out = Vec::new();
    for e in &entries {
        for rule in &e.coll.rules {
            // `group/collection/rule`, built only for a rule that has an unknown name
            let rname_cell = std::cell::OnceCell::new();
            let rname = || {
                rname_cell
                    .get_or_init(|| e.rule_path(rule_name(rule)))
                    .clone()
            };
            match rule {
                FirewallRule::Application(a) => {
                    for t in &a.fqdn_tags {
                        if cat.lookup(t).is_some() {
                            continue;
                        }
                        let family = cat.in_family(t);
                        let closest =
                            cat.by_doc_spelling(t).map(|x| x.name.clone()).or_else(|| {
                                // Azure adds Office 365 tags on its own: an unlisted family name
                                // is flagged only when it is very close to a listed one.
                                let limit = if family { Some(2) } else { None };
                                closest_within(t, &cat.known_names(), limit)
                            });
                        if closest.is_none() && family {
                            continue; // possibly a newer Office 365 tag
                        }
                        out.push(UnknownName {
                            kind: "fqdn_tag",
                            value: t.clone(),
                            closest,
                            origin: a.origin.clone(),
                            rule: rname(),
                        });
                    }
                    for p in &a.protocols {
                        if let Err(text) = &p.protocol {
                            out.push(UnknownName {
                                kind: "protocol",
                                value: text.clone(),
                                closest: closest_name(text, KNOWN_APP_PROTOCOLS),
                                origin: a.origin.clone(),
                                rule: rname(),
                            });
                        }
                    }
                }
                FirewallRule::Network(n) => {
                    push_net_protocols(&mut out, &n.protocols, &n.origin, &rname);
                    for d in &n.destination_addresses {
                        if let AddressMatch::Tag(t) = d {
                            let base = t.split('.').next().unwrap_or(t);
                            if KNOWN_SERVICE_TAGS
                                .iter()
                                .any(|k| k.eq_ignore_ascii_case(base))
                            {
                                continue;
                            }
                            if let Some(c) = closest_name(base, KNOWN_SERVICE_TAGS) {
                                let suffix = &t[base.len()..];
                                out.push(UnknownName {
                                    kind: "service_tag",
                                    value: t.clone(),
                                    closest: Some(format!("{c}{suffix}")),
                                    origin: n.origin.clone(),
                                    rule: rname(),
                                });
                            }
                        }
                    }
                }
                FirewallRule::Nat(n) => {
                    push_net_protocols(&mut out, &n.protocols, &n.origin, &rname);
                }
            }
        }
    }
    out
}

fn push_net_protocols(
    out: &mut Vec<UnknownName>,
    ps: &[NetProtocol],
    origin: &Origin,
    rule: &dyn Fn() -> String,
) {
    for p in ps {
        if let NetProtocol::Other(text) = p {
            out.push(UnknownName {
                kind: "protocol",
                value: text.clone(),
                closest: closest_name(text, KNOWN_NET_PROTOCOLS),
                origin: origin.clone(),
                rule: rule(),
            });
        }
    }
}

/// The known name closest to `value` (case-insensitive optimal-string-alignment distance), if it
/// is close enough to be a typo: distance at most 2, or a quarter of the longer name. Written
/// here rather than pulling `strsim` for one 20-line function.
pub fn closest_name(value: &str, known: &[&str]) -> Option<String> {
    closest_within(value, known, None)
}

/// [`closest_name`] with an optional fixed distance limit.
fn closest_within(value: &str, known: &[&str], limit: Option<usize>) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let d = edit_distance(&v, &k.to_ascii_lowercase());
        let limit =
            limit.unwrap_or_else(|| 2usize.max(v.chars().count().max(k.chars().count()) / 4));
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k.to_string())
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

// ------------------------------------------------------------------ rule set

/// The policy and its ancestors, root first. Errors: unknown or missing base policy, cycle.
fn policy_chain<'a>(model: &'a Model, r: &Ref) -> Result<Vec<&'a FirewallPolicy>, String> {
    let mut p = model
        .firewall_policy(r)
        .ok_or_else(|| format!("firewall policy {} is not in the input", r.display()))?;
    let mut chain: Vec<&FirewallPolicy> = vec![];
    loop {
        if chain.iter().any(|q| q.meta.same_resource(&p.meta)) {
            return Err(format!(
                "the base_policy chain of firewall policy {} loops back to {}",
                r.display(),
                p.meta.address()
            ));
        }
        chain.push(p);
        match &p.base_policy {
            Known::Absent => break,
            Known::Unknown(why) => {
                return Err(format!(
                    "the parent policy (base_policy) of {} is unknown ({why}); its rules come first",
                    p.meta.address()
                ));
            }
            Known::Known(b) => {
                p = model.firewall_policy(b).ok_or_else(|| {
                    format!(
                        "the parent policy {} of {} is not in the input; its rules come first",
                        b.display(),
                        p.meta.address()
                    )
                })?;
            }
        }
    }
    chain.reverse();
    Ok(chain)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pass {
    Network,
    Application,
}

/// Where a rule collection lives: the firewall's classic collections, or a rule collection
/// group of the model (group index, collection index).
#[derive(Debug, Clone, Copy)]
enum CollRef {
    Classic(usize),
    Group(usize, usize),
}

/// One rule collection's place in the processing order (what [`Entry`] shows of it).
struct EntryInfo {
    pass: Pass,
    /// Position of the owning policy in the inheritance chain (root = 0); classic = 0.
    depth: usize,
    /// Identity of the owning group (classic collections share one pseudo-group).
    group_idx: usize,
    group_prio: Option<u32>,
    /// `group (priority N)` for display, `None` for classic rules.
    group_label: Option<String>,
    group_name: Option<String>,
    coll: CollRef,
    coll_prio: Option<u32>,
    /// Set when the group's policy reference is unknown: the group may not belong here.
    membership: Option<String>,
}

/// One rule collection, with everything that decides its place in the processing order.
struct Entry<'a> {
    info: &'a EntryInfo,
    coll: &'a RuleCollection,
}

impl std::ops::Deref for Entry<'_> {
    type Target = EntryInfo;
    fn deref(&self) -> &EntryInfo {
        self.info
    }
}

impl Entry<'_> {
    fn coll_name(&self) -> String {
        match &self.coll.name {
            Known::Known(n) => n.clone(),
            _ => "(unnamed collection)".into(),
        }
    }
    fn action(&self) -> Option<FwAction> {
        self.coll.action.known().copied()
    }
    fn rule_path(&self, rule: String) -> String {
        match &self.group_name {
            Some(g) => format!("{g}/{}/{rule}", self.coll_name()),
            None => format!("{}/{rule}", self.coll_name()),
        }
    }
    fn describe(&self, rule: &str) -> String {
        let prio = match self.coll_prio {
            Some(p) => format!("priority {p}"),
            None => "priority unknown".into(),
        };
        let action = match self.coll.action {
            Known::Known(FwAction::Allow) => "Allow",
            Known::Known(FwAction::Deny) => "Deny",
            Known::Known(FwAction::Dnat) => "DNAT",
            _ => "action unknown",
        };
        let kind = match self.pass {
            Pass::Network => "network",
            Pass::Application => "application",
        };
        let coll = format!(
            "{kind} rule collection {} ({prio}, {action}) / rule {rule}",
            self.coll_name()
        );
        match &self.group_label {
            Some(g) => format!("rule collection group {g} / {coll}"),
            None => coll,
        }
    }
}

impl EntryInfo {
    /// Can this collection come before `other` in processing order (unknown priorities taken
    /// at their most favourable for `self`)? Ties are ambiguous and count as "can".
    fn can_precede(&self, other: &EntryInfo) -> bool {
        if self.pass != other.pass {
            return self.pass < other.pass;
        }
        if self.depth != other.depth {
            return self.depth < other.depth;
        }
        if self.group_idx != other.group_idx {
            return match (self.group_prio, other.group_prio) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            };
        }
        match (self.coll_prio, other.coll_prio) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        }
    }
    fn sort_key(&self) -> (Pass, usize, u64, usize, u64) {
        let unk = u64::from(u32::MAX) + 1;
        (
            self.pass,
            self.depth,
            self.group_prio.map_or(unk, u64::from),
            self.group_idx,
            self.coll_prio.map_or(unk, u64::from),
        )
    }
}

/// A firewall's rule set, prepared once and reused for every flow: the collections in
/// processing order, the policy chain, the cut points of the rules' sources, the DNS proxy
/// setting, and (filled per destination) which rules can match a destination at all. Kept in
/// the model's derived data for firewalls of a finished model (see [`Model::derived`]).
struct Prepared {
    entries: Vec<EntryInfo>,
    /// Indices into `model.firewall_policies`, root first.
    chain: Vec<usize>,
    nat_collections: usize,
    group_count: usize,
    /// Why the rule set cannot be determined.
    error: Option<String>,
    /// Starts and ends (+1) of every source range the rules use, sorted, per family (IPv4,
    /// IPv6): where the node subnet is split.
    cuts: [Vec<u128>; 2],
    dns_proxy: Known<bool>,
    /// Per destination (everything of a flow but its source): the rules whose destination part
    /// can match.
    by_destination: Mutex<HashMap<String, Arc<DestMatches>>>,
}

/// The firewall's prepared rule set: shared through the model's derived data when `firewall`
/// is an element of a finished model, else prepared for this use.
fn prepared(model: &Model, firewall: &Firewall) -> Arc<Prepared> {
    crate::model::element_index(&model.firewalls, firewall)
        .and_then(|i| model.derived("firewall", i, || prepare(model, firewall)))
        .unwrap_or_else(|| Arc::new(prepare(model, firewall)))
}

fn collection<'a>(
    model: &'a Model,
    firewall: &'a Firewall,
    r: CollRef,
) -> Option<&'a RuleCollection> {
    match r {
        CollRef::Classic(c) => firewall.collections.get(c),
        CollRef::Group(g, c) => model.rule_collection_groups.get(g)?.collections.get(c),
    }
}

impl Prepared {
    /// The collections in processing order, over the model's elements.
    fn view<'a>(&'a self, model: &'a Model, firewall: &'a Firewall) -> Vec<Entry<'a>> {
        self.entries
            .iter()
            .filter_map(|info| {
                collection(model, firewall, info.coll).map(|coll| Entry { info, coll })
            })
            .collect()
    }

    /// The rules that can match the destination of `ctx.flow`, computed once per destination.
    fn dest_matches(&self, ctx: &Ctx<'_>, firewall: &Firewall) -> Arc<DestMatches> {
        let f = ctx.flow;
        let key = format!(
            "{:?}|{:?}|{:?}|{}|{:?}",
            f.destination, f.destination_tags, f.protocol, f.port, f.app_protocol
        );
        let found = self
            .by_destination
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(d) = found {
            return d;
        }
        let d = Arc::new(dest_matches(ctx, self, firewall));
        if let Ok(mut m) = self.by_destination.lock() {
            m.entry(key).or_insert_with(|| d.clone());
        }
        d
    }
}

fn prepare(model: &Model, firewall: &Firewall) -> Prepared {
    let mut p = Prepared {
        entries: vec![],
        chain: vec![],
        nat_collections: 0,
        group_count: 0,
        error: None,
        cuts: [vec![], vec![]],
        dns_proxy: dns_proxy_enabled(model, firewall),
        by_destination: Mutex::new(HashMap::new()),
    };
    match &firewall.policy {
        Known::Absent => {
            for (ci, c) in firewall.collections.iter().enumerate() {
                push_collection(
                    &mut p,
                    c,
                    CollRef::Classic(ci),
                    0,
                    0,
                    Some(0),
                    None,
                    None,
                    None,
                );
            }
        }
        Known::Unknown(why) => {
            p.error = Some(format!(
                "the firewall policy of {} is unknown ({why})",
                firewall.meta.address()
            ));
        }
        Known::Known(r) => {
            let chain = match policy_chain(model, r) {
                Ok(c) => {
                    p.error = missing_listed_group(model, &c);
                    c
                }
                Err(e) => {
                    p.error = Some(e);
                    // keep the child policy's own groups for name checks
                    model.firewall_policy(r).into_iter().collect()
                }
            };
            let child_depth = chain.len().saturating_sub(1);
            for (gi, g) in model.rule_collection_groups.iter().enumerate() {
                let (depth, membership) = match &g.policy {
                    Known::Known(gr) => {
                        let Some(gp) = model.firewall_policy(gr) else {
                            continue;
                        };
                        match chain.iter().position(|p| p.meta.same_resource(&gp.meta)) {
                            Some(d) => (d, None),
                            None => continue,
                        }
                    }
                    Known::Unknown(why) => (
                        child_depth,
                        Some(format!(
                            "the policy of rule collection group {} is unknown ({why})",
                            g.meta.address()
                        )),
                    ),
                    Known::Absent => continue,
                };
                p.group_count += 1;
                let gname = g.meta.display_name();
                let glabel = match &g.priority {
                    Known::Known(p) => format!("{gname} (priority {p})"),
                    _ => format!("{gname} (priority unknown)"),
                };
                for (ci, c) in g.collections.iter().enumerate() {
                    push_collection(
                        &mut p,
                        c,
                        CollRef::Group(gi, ci),
                        depth,
                        gi + 1,
                        g.priority.known().copied(),
                        Some(glabel.clone()),
                        Some(gname.clone()),
                        membership.clone(),
                    );
                }
            }
            p.chain = chain
                .iter()
                .filter_map(|q| {
                    model
                        .firewall_policies
                        .iter()
                        .position(|x| std::ptr::eq(x, *q))
                })
                .collect();
        }
    }
    p.entries.sort_by_key(|e| e.sort_key());
    p.cuts = source_cuts(model, firewall, &p.entries);
    p
}

/// A rule collection group that a policy of the chain lists but the model does not hold: its
/// rules are not known, so no decision is.
fn missing_listed_group(model: &Model, chain: &[&FirewallPolicy]) -> Option<String> {
    for p in chain {
        let Known::Known(listed) = &p.rule_collection_groups else {
            continue;
        };
        for g in listed {
            if model.rule_collection_group(g).is_none() {
                return Some(format!(
                    "rule collection group {} of firewall policy {} is not in the inputs",
                    g.display(),
                    p.meta.address()
                ));
            }
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn push_collection(
    p: &mut Prepared,
    c: &RuleCollection,
    coll: CollRef,
    depth: usize,
    group_idx: usize,
    group_prio: Option<u32>,
    group_label: Option<String>,
    group_name: Option<String>,
    membership: Option<String>,
) {
    let pass = match c.kind {
        RuleCollectionKind::Network => Pass::Network,
        RuleCollectionKind::Application => Pass::Application,
        RuleCollectionKind::Nat => {
            p.nat_collections += 1;
            Pass::Network // kept for name checks; never evaluated for egress
        }
    };
    p.entries.push(EntryInfo {
        pass,
        depth,
        group_idx,
        group_prio,
        group_label,
        group_name,
        coll,
        coll_prio: c.priority.known().copied(),
        membership,
    });
}

fn rule_name(rule: &FirewallRule) -> String {
    let n = match rule {
        FirewallRule::Application(r) => &r.name,
        FirewallRule::Network(r) => &r.name,
        FirewallRule::Nat(r) => &r.name,
    };
    match n {
        Known::Known(n) => n.clone(),
        _ => "(unnamed rule)".into(),
    }
}

fn rule_origin(rule: &FirewallRule) -> &Origin {
    match rule {
        FirewallRule::Application(r) => &r.origin,
        FirewallRule::Network(r) => &r.origin,
        FirewallRule::Nat(r) => &r.origin,
    }
}

// ------------------------------------------------------------------ three-valued matching

#[derive(Debug, Clone, PartialEq, Eq)]
enum M {
    No,
    Maybe(String),
    Yes,
}

impl M {
    fn or(self, other: M) -> M {
        match (self, other) {
            (M::Yes, _) | (_, M::Yes) => M::Yes,
            (M::Maybe(r), _) | (_, M::Maybe(r)) => M::Maybe(r),
            _ => M::No,
        }
    }
}

fn any_of(items: impl IntoIterator<Item = M>) -> M {
    items.into_iter().fold(M::No, M::or)
}

// ------------------------------------------------------------------ address ranges

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    v6: bool,
    lo: u128,
    hi: u128,
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

impl Range {
    fn of_net(n: &IpNet) -> Range {
        let (v6, lo) = ip_bits(n.network());
        let (_, hi) = ip_bits(n.broadcast());
        Range { v6, lo, hi }
    }
    fn parse_span(s: &str) -> Option<Range> {
        let (a, b) = s.split_once('-')?;
        let (v6a, lo) = ip_bits(a.trim().parse().ok()?);
        let (v6b, hi) = ip_bits(b.trim().parse().ok()?);
        (v6a == v6b && lo <= hi).then_some(Range { v6: v6a, lo, hi })
    }
    fn contains(&self, o: &Range) -> bool {
        self.v6 == o.v6 && self.lo <= o.lo && o.hi <= self.hi
    }
    fn overlaps(&self, o: &Range) -> bool {
        self.v6 == o.v6 && self.lo <= o.hi && o.lo <= self.hi
    }
    fn contains_ip(&self, ip: IpAddr) -> bool {
        let (v6, x) = ip_bits(ip);
        self.v6 == v6 && self.lo <= x && x <= self.hi
    }
    /// The range as CIDR blocks.
    fn cidrs(&self) -> Vec<IpNet> {
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

fn show_ranges(ranges: &[Range]) -> String {
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
fn is_nonpublic_prefix(n: &IpNet) -> bool {
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

fn is_everything(n: &IpNet) -> bool {
    n.prefix_len() == 0
}

// ------------------------------------------------------------------ evaluation context

struct Ctx<'a> {
    model: &'a Model,
    flow: &'a Flow,
    dns_proxy: Known<bool>,
    tags: &'static FqdnTagCatalogue,
}

/// The part of the node subnet being evaluated.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Part(Range),
    /// The subnet's prefixes are not known.
    Unknown,
}

/// A network rule FQDN that matches the flow's host but for DNS proxy: rule name, FQDN, rule.
type FqdnMiss = (String, String, Origin);

/// Everything a rule match found besides the verdict, for notes.
#[derive(Default)]
struct Side {
    fqdn_without_proxy: Vec<FqdnMiss>,
}

fn lookup_ip_group<'a>(model: &'a Model, r: &Ref) -> Result<&'a IpGroup, String> {
    model
        .ip_group(r)
        .ok_or_else(|| format!("IP group {} is not in the input", r.display()))
}

/// One item of a rule's source, with IP groups resolved (see [`compile_source`]).
enum SourceItem {
    Any,
    Range(Range),
    /// Undecidable whatever the node subnet (unknown addresses, missing IP group).
    Maybe(String),
}

/// A rule's source addresses and IP groups as a list of items, in order. Service tags, ASGs
/// and unparseable items are not valid firewall sources: they match nothing and are left out.
fn compile_source(model: &Model, addrs: &[AddressMatch], groups: &[Ref]) -> Vec<SourceItem> {
    let mut out = vec![];
    let push = |a: &AddressMatch, out: &mut Vec<SourceItem>| match a {
        AddressMatch::Any => out.push(SourceItem::Any),
        AddressMatch::Prefix(n) => out.push(SourceItem::Range(Range::of_net(n))),
        AddressMatch::Invalid(s) => out.extend(Range::parse_span(s).map(SourceItem::Range)),
        AddressMatch::Unknown(why) => out.push(SourceItem::Maybe(format!(
            "the source addresses are not known: {why}"
        ))),
        AddressMatch::Tag(_) | AddressMatch::Asg(_) => {}
    };
    for a in addrs {
        push(a, &mut out);
    }
    for g in groups {
        match lookup_ip_group(model, g) {
            Err(e) => out.push(SourceItem::Maybe(e)),
            Ok(grp) => match &grp.cidrs {
                Known::Known(list) => list.iter().for_each(|a| push(a, &mut out)),
                Known::Unknown(why) => out.push(SourceItem::Maybe(format!(
                    "the addresses of IP group {} are unknown ({why})",
                    grp.meta.address()
                ))),
                Known::Absent => {}
            },
        }
    }
    out
}

/// Does a rule's source (compiled by [`compile_source`]) match the part `scope` of the node
/// subnet? Any item that matches decides; otherwise the first undecidable item gives the
/// reason.
fn source_match(items: &[SourceItem], scope: Scope) -> M {
    let mut maybe: Option<&str> = None;
    for it in items {
        let why = match (it, scope) {
            (SourceItem::Any, _) => return M::Yes,
            (SourceItem::Maybe(r), _) => r.as_str(),
            (SourceItem::Range(_), Scope::Unknown) => {
                "the node subnet's address prefixes are unknown"
            }
            (SourceItem::Range(r), Scope::Part(p)) if r.contains(&p) => return M::Yes,
            (SourceItem::Range(r), Scope::Part(p)) if r.overlaps(&p) => {
                "the source covers part of this address range"
            }
            (SourceItem::Range(_), Scope::Part(_)) => continue,
        };
        maybe.get_or_insert(why);
    }
    maybe.map_or(M::No, |r| M::Maybe(r.to_string()))
}

/// Is the flow's destination in service tag `tag` (a network-rule destination)?
fn tag_match(flow: &Flow, tag: &str) -> M {
    let t = tag.trim();
    let lt = t.to_ascii_lowercase();
    for ft in flow
        .destination_tags
        .iter()
        .map(String::as_str)
        .chain(match &flow.destination {
            Destination::Tag(x) => Some(x.as_str()),
            _ => None,
        })
    {
        let lf = ft.to_ascii_lowercase();
        if lf == lt || lf.starts_with(&format!("{lt}.")) {
            // same tag, or the flow's tag is a regional part of the rule's tag
            return M::Yes;
        }
        if lt.starts_with(&format!("{lf}.")) {
            return M::Maybe(format!(
                "{t} is a regional part of {ft}: whether it holds the destination's addresses is not known statically"
            ));
        }
    }
    if let Destination::Ip(ip) = &flow.destination {
        if !crate::eval::servicetags::is_public_ip(ip) {
            return M::No;
        }
        return M::Maybe(format!(
            "whether {ip} is in service tag {t} is not known statically"
        ));
    }
    if lt == "azurecloud" || lt.starts_with("azurecloud.") {
        return M::Maybe(format!(
            "{t} may contain the addresses of {}; they are not known statically",
            dest_label(flow)
        ));
    }
    M::No
}

fn dest_label(flow: &Flow) -> String {
    match &flow.destination {
        Destination::Host(h) => h.clone(),
        Destination::Ip(ip) => ip.to_string(),
        Destination::Tag(t) => format!("service tag {t}"),
        Destination::AnyPublic => "the public destination".into(),
    }
}

/// A destination address item of a network rule (or a Premium application rule).
fn dest_address_match(flow: &Flow, a: &AddressMatch) -> M {
    match a {
        AddressMatch::Any => M::Yes,
        AddressMatch::Tag(t) => tag_match(flow, t),
        AddressMatch::Asg(_) => M::No,
        AddressMatch::Prefix(n) => dest_range_match(flow, Range::of_net(n), Some(n)),
        AddressMatch::Invalid(s) => match Range::parse_span(s) {
            Some(r) => dest_range_match(flow, r, None),
            None => M::No,
        },
        AddressMatch::Unknown(why) => {
            M::Maybe(format!("the destination addresses are not known: {why}"))
        }
    }
}

fn dest_range_match(flow: &Flow, r: Range, net: Option<&IpNet>) -> M {
    match &flow.destination {
        Destination::Ip(ip) => {
            if r.contains_ip(*ip) {
                M::Yes
            } else {
                M::No
            }
        }
        _ => {
            if net.is_some_and(is_everything) && !r.v6 {
                return M::Yes;
            }
            let nets = r.cidrs();
            if !nets.is_empty() && nets.iter().all(is_nonpublic_prefix) {
                return M::No; // public destinations are never in private space
            }
            M::Maybe(format!(
                "the addresses of {} are not known statically; the rule lists {}",
                dest_label(flow),
                show_ranges(&[r])
            ))
        }
    }
}

/// The destination part of a network rule's match (protocol, port, destination addresses, IP
/// groups and FQDNs): everything but the source. FQDNs that would match but for DNS proxy are
/// pushed to `side`.
fn network_rule_dest(ctx: &Ctx<'_>, r: &NetworkRule, side: &mut Vec<FqdnMiss>) -> M {
    let flow = ctx.flow;
    let proto = any_of(r.protocols.iter().map(|p| match (p, flow.protocol) {
        (NetProtocol::Any, _) => M::Yes,
        (NetProtocol::Tcp, Protocol::Tcp) | (NetProtocol::Udp, Protocol::Udp) => M::Yes,
        _ => M::No,
    }));
    let port = if r.destination_ports.iter().any(|p| p.contains(flow.port)) {
        M::Yes
    } else {
        M::No
    };
    if proto == M::No || port == M::No {
        return M::No;
    }
    let mut dest = any_of(
        r.destination_addresses
            .iter()
            .map(|a| dest_address_match(flow, a)),
    );
    for g in &r.destination_ip_groups {
        if dest == M::Yes {
            break;
        }
        let gm = match lookup_ip_group(ctx.model, g) {
            Err(e) => M::Maybe(e),
            Ok(grp) => match &grp.cidrs {
                Known::Known(list) => any_of(list.iter().map(|a| dest_address_match(flow, a))),
                Known::Unknown(why) => M::Maybe(format!(
                    "the addresses of IP group {} are unknown ({why})",
                    grp.meta.address()
                )),
                Known::Absent => M::No,
            },
        };
        dest = dest.or(gm);
    }
    for f in &r.destination_fqdns {
        if dest == M::Yes {
            break;
        }
        let fm = match &flow.destination {
            Destination::Host(h) if fqdn::network_fqdn_matches(f, h) => match &ctx.dns_proxy {
                Known::Known(true) => M::Yes,
                Known::Known(false) | Known::Absent => {
                    side.push((rule_display(&r.name), f.clone(), r.origin.clone()));
                    M::No
                }
                Known::Unknown(why) => M::Maybe(format!(
                    "FQDNs in network rules need DNS proxy, whose setting is unknown ({why})"
                )),
            },
            Destination::Ip(ip) if ctx.dns_proxy != Known::Known(false) => M::Maybe(format!(
                "FQDN {f} may resolve to {ip}; resolution is not known statically"
            )),
            _ => M::No,
        };
        dest = dest.or(fm);
    }
    dest
}

fn rule_display(n: &Known<String>) -> String {
    match n {
        Known::Known(n) => n.clone(),
        _ => "(unnamed rule)".into(),
    }
}

/// The destination part of an application rule's match (protocol, port, FQDNs, FQDN tags,
/// URLs, addresses, web categories): everything but the source.
fn app_rule_dest(ctx: &Ctx<'_>, r: &ApplicationRule) -> M {
    let flow = ctx.flow;
    let Some(ap) = flow.app_protocol else {
        return M::No;
    };
    if flow.protocol != Protocol::Tcp {
        return M::No;
    }
    let proto_ok = r.protocols.iter().any(|p| {
        p.port == flow.port
            && matches!(
                (&p.protocol, ap),
                (Ok(AppProtocol::Http), AppProto::Http) | (Ok(AppProtocol::Https), AppProto::Https)
            )
    });
    if !proto_ok {
        return M::No;
    }
    let mut dest = M::No;
    match &flow.destination {
        Destination::Host(h) => {
            if r.target_fqdns.iter().any(|p| fqdn::pattern_matches(p, h)) {
                dest = M::Yes;
            }
            for t in &r.fqdn_tags {
                if dest == M::Yes {
                    break;
                }
                let tm = match ctx.tags.lookup(t) {
                    None => M::No, // unknown tag name: matches nothing (reported by unknown_names)
                    Some(tag) => match tag.covers(h) {
                        TagCover::Yes(_) => M::Yes,
                        TagCover::Maybe(why) => M::Maybe(why),
                        TagCover::No => M::No,
                    },
                };
                dest = dest.or(tm);
            }
            for u in &r.target_urls {
                let uh = fqdn::url_host(u);
                if fqdn::pattern_matches(&uh, h) {
                    dest = dest.or(M::Maybe(format!(
                        "target URL {u} also matches on the URL path (TLS inspection), which is not evaluated"
                    )));
                }
            }
        }
        Destination::Ip(ip) => {
            let ips = ip.to_string();
            if r.target_fqdns.iter().any(|p| p.trim() == "*") {
                dest = M::Yes;
            } else if r.target_fqdns.iter().any(|p| fqdn::normalize(p) == ips) {
                dest = M::Maybe(format!(
                    "an application rule naming {ips} matches on the Host header / SNI, which is not known statically"
                ));
            }
        }
        Destination::Tag(_) | Destination::AnyPublic => {
            if r.target_fqdns.iter().any(|p| p.trim() == "*") {
                dest = M::Yes;
            }
        }
    }
    if dest != M::Yes && !r.destination_addresses.is_empty() {
        dest = dest.or(any_of(
            r.destination_addresses
                .iter()
                .map(|a| dest_address_match(flow, a)),
        ));
    }
    if dest != M::Yes && !r.web_categories.is_empty() {
        dest = dest.or(M::Maybe(format!(
            "web category membership ({}) is not known statically",
            r.web_categories.join(", ")
        )));
    }
    dest
}

/// A rule's source, compiled.
fn rule_source(model: &Model, rule: &FirewallRule) -> Vec<SourceItem> {
    match rule {
        FirewallRule::Application(r) => {
            compile_source(model, &r.source_addresses, &r.source_ip_groups)
        }
        FirewallRule::Network(r) => compile_source(model, &r.source_addresses, &r.source_ip_groups),
        FirewallRule::Nat(_) => vec![],
    }
}

/// A rule whose destination part may match a destination (or that lists the destination's
/// host as an FQDN while DNS proxy is off).
struct Candidate {
    /// Index in the rule set's entries.
    entry: usize,
    /// Index in the collection's rules.
    rule: usize,
    /// The destination part of the match.
    dest: M,
    /// The rule's source (empty when `dest` is `No`: not needed).
    source: Vec<SourceItem>,
    /// FQDNs that match only with DNS proxy on.
    side: Vec<FqdnMiss>,
}

/// The candidates for one destination, in processing order (entry, then rule): every other
/// rule cannot match it, whatever the source.
struct DestMatches {
    candidates: Vec<Candidate>,
}

fn dest_matches(ctx: &Ctx<'_>, prep: &Prepared, firewall: &Firewall) -> DestMatches {
    let mut candidates = vec![];
    for (ei, info) in prep.entries.iter().enumerate() {
        let Some(coll) = collection(ctx.model, firewall, info.coll) else {
            continue;
        };
        if coll.kind == RuleCollectionKind::Nat {
            continue;
        }
        for (ri, rule) in coll.rules.iter().enumerate() {
            let mut side = vec![];
            let dest = match (info.pass, rule) {
                (Pass::Network, FirewallRule::Network(r)) => network_rule_dest(ctx, r, &mut side),
                (Pass::Application, FirewallRule::Application(r)) => app_rule_dest(ctx, r),
                _ => M::No,
            };
            if dest != M::No || !side.is_empty() {
                let source = if dest == M::No {
                    vec![]
                } else {
                    rule_source(ctx.model, rule)
                };
                candidates.push(Candidate {
                    entry: ei,
                    rule: ri,
                    dest,
                    source,
                    side,
                });
            }
        }
    }
    DestMatches { candidates }
}

// ------------------------------------------------------------------ deciding one part

/// A collection that matches (or may match) the flow.
struct Hit<'e, 'a> {
    entry: &'e Entry<'a>,
    definite: bool,
    rule: &'a FirewallRule,
    maybe_reason: Option<String>,
}

impl Hit<'_, '_> {
    fn path(&self) -> String {
        self.entry.rule_path(rule_name(self.rule))
    }
    fn describe(&self) -> String {
        self.entry.describe(&rule_name(self.rule))
    }
    fn rule_origin(&self) -> Origin {
        rule_origin(self.rule).clone()
    }
}

/// Does collection `e` match (or may it match) the flow from `scope`? `candidates` are the
/// collection's rules that can match the destination, in rule order; the others cannot match.
/// Rules are tried in order until one matches definitely.
fn collection_hit<'e, 'a>(
    e: &'e Entry<'a>,
    candidates: &[Candidate],
    scope: Scope,
    side: &mut Side,
) -> Option<Hit<'e, 'a>> {
    if e.coll.kind == RuleCollectionKind::Nat {
        return None;
    }
    let mut maybe: Option<Hit<'e, 'a>> = None;
    for c in candidates {
        side.fqdn_without_proxy.extend(c.side.iter().cloned());
        let Some(rule) = e.coll.rules.get(c.rule) else {
            continue;
        };
        // `dest.and(source)`, cloning the destination's reason only when it is the result
        let m = match &c.dest {
            M::No => continue,
            M::Yes => source_match(&c.source, scope),
            M::Maybe(r) => match source_match(&c.source, scope) {
                M::No => M::No,
                _ => M::Maybe(r.clone()),
            },
        };
        let why = match m {
            M::No => continue,
            M::Yes => match &e.membership {
                None => {
                    return Some(Hit {
                        entry: e,
                        definite: true,
                        rule,
                        maybe_reason: None,
                    });
                }
                Some(why) => why.clone(),
            },
            M::Maybe(why) => why,
        };
        if maybe.is_none() {
            maybe = Some(Hit {
                entry: e,
                definite: false,
                rule,
                maybe_reason: Some(why),
            });
        }
    }
    maybe
}

/// The decision for one part of the node subnet.
#[derive(Debug, Clone)]
struct PartDecision {
    verdict: Verdict,
    /// Identity of the decider, to merge equal parts: the rule path or "default deny".
    decider: String,
    reason: String,
    hop: Hop,
    rule_origin: Option<Origin>,
    rule: Option<String>,
    allow: bool,
}

/// Decide one part of the node subnet. `runs`: the collections that have candidates for the
/// flow's destination, in processing order, with their candidates.
fn decide_part(runs: &[(Entry<'_>, &[Candidate])], scope: Scope, side: &mut Side) -> PartDecision {
    let mut hits: Vec<Hit<'_, '_>> = vec![];
    for (e, run) in runs {
        hits.extend(collection_hit(e, run, scope, side));
    }
    // A hit can decide if it can come before every definite hit.
    let definite: Vec<&Hit<'_, '_>> = hits.iter().filter(|y| y.definite).collect();
    let winners: Vec<&Hit<'_, '_>> = hits
        .iter()
        .filter(|x| {
            definite
                .iter()
                .all(|y| std::ptr::eq(*x, *y) || x.entry.can_precede(y.entry))
        })
        .collect();
    let default_possible = !hits.iter().any(|h| h.definite);

    let mut actions: BTreeSet<Option<u8>> = winners
        .iter()
        .map(|h| h.entry.action().map(action_code))
        .collect();
    if default_possible {
        actions.insert(Some(action_code(FwAction::Deny)));
    }
    let decisive = actions.len() == 1 && !actions.contains(&None);

    if decisive {
        // the first definite winner in processing order, else default deny
        if let Some(h) = winners.iter().find(|h| h.definite) {
            let allow = h.entry.action() == Some(FwAction::Allow);
            let verdict = if allow {
                Verdict::Reachable
            } else {
                Verdict::Blocked
            };
            let verb = if allow { "allowed" } else { "denied" };
            let mut reason = format!("{verb} by {}", h.describe());
            let others: Vec<String> = winners
                .iter()
                .filter(|w| !w.definite)
                .map(|w| w.path())
                .collect();
            if !others.is_empty() {
                reason.push_str(&format!(
                    " (undecidable rules before it have the same action: {})",
                    others.join(", ")
                ));
            }
            return PartDecision {
                verdict,
                decider: h.path(),
                hop: Hop::new(HopKind::FirewallRule, h.describe(), Some(h.rule_origin()))
                    .with_verdict(verdict),
                reason,
                rule_origin: Some(h.rule_origin()),
                rule: Some(h.path()),
                allow,
            };
        }
        let mut reason = "no rule allows it: default deny".to_string();
        let maybes: Vec<String> = winners.iter().map(|w| w.path()).collect();
        if !maybes.is_empty() {
            reason.push_str(&format!(
                " (rules that may match also deny it: {})",
                maybes.join(", ")
            ));
        }
        return PartDecision {
            verdict: Verdict::Blocked,
            decider: "default deny".into(),
            hop: Hop::new(
                HopKind::FirewallRule,
                "default deny (no rule collection allows the flow)",
                None,
            )
            .with_verdict(Verdict::Blocked),
            reason,
            rule_origin: None,
            rule: None,
            allow: false,
        };
    }

    // Undecidable: name the rules whose match or position cannot be decided.
    let undecided: Vec<&&Hit<'_, '_>> = winners
        .iter()
        .filter(|h| !h.definite || h.entry.action().is_none() || has_unknown_position(h.entry))
        .collect();
    let first = undecided.first().copied().or(winners.first());
    let mut parts: Vec<String> = undecided
        .iter()
        .map(|h| {
            let act = match h.entry.action() {
                Some(FwAction::Allow) => "Allow",
                Some(FwAction::Deny) => "Deny",
                Some(FwAction::Dnat) => "DNAT",
                None => "unknown action",
            };
            let why = if let Some(r) = &h.maybe_reason {
                format!("may match: {r}")
            } else if h.entry.action().is_none() {
                "matches, but the collection's action is unknown".to_string()
            } else {
                "matches, but its processing position is unknown (priority unknown)".to_string()
            };
            format!("{} ({act}) {why}", h.path())
        })
        .collect();
    let decided: Vec<String> = winners
        .iter()
        .filter(|h| h.definite && !undecided.iter().any(|u| std::ptr::eq(**u, **h)))
        .map(|h| {
            let act = if h.entry.action() == Some(FwAction::Allow) {
                "allows"
            } else {
                "denies"
            };
            format!("{} {act} it", h.path())
        })
        .collect();
    if undecided.is_empty() && decided.len() > 1 {
        // only definite matches with known priorities: equal priorities, order undefined
        parts.push(format!(
            "rule collections with equal priorities disagree and their order is not defined: {}",
            decided.join(", ")
        ));
    } else {
        parts.extend(decided.into_iter().map(|d| format!("otherwise {d}")));
    }
    if default_possible {
        parts.push("otherwise no rule allows it (default deny)".into());
    }
    let reason = format!("undecidable: {}", parts.join("; "));
    let (hop, origin, rule, decider) = match first {
        Some(h) => (
            Hop::new(
                HopKind::FirewallRule,
                format!("{} (undecidable)", h.describe()),
                Some(h.rule_origin()),
            )
            .with_verdict(Verdict::Unknown),
            Some(h.rule_origin()),
            Some(h.path()),
            format!("undecidable {}", h.path()),
        ),
        None => (
            Hop::new(HopKind::FirewallRule, "undecidable", None).with_verdict(Verdict::Unknown),
            None,
            None,
            "undecidable".into(),
        ),
    };
    PartDecision {
        verdict: Verdict::Unknown,
        decider,
        reason,
        hop,
        rule_origin: origin,
        rule,
        allow: false,
    }
}

fn has_unknown_position(e: &Entry<'_>) -> bool {
    e.coll_prio.is_none() || e.group_prio.is_none()
}

fn action_code(a: FwAction) -> u8 {
    match a {
        FwAction::Allow => 0,
        FwAction::Deny => 1,
        FwAction::Dnat => 2,
    }
}

// ------------------------------------------------------------------ subnet partition

/// Every start and end (+1) of a source range the rules use (addresses and IP groups), sorted
/// and deduplicated, IPv4 first then IPv6: where node subnets are split.
fn source_cuts(model: &Model, firewall: &Firewall, entries: &[EntryInfo]) -> [Vec<u128>; 2] {
    let mut cuts: [Vec<u128>; 2] = [vec![], vec![]];
    let mut add = |a: &AddressMatch| {
        let b = match a {
            AddressMatch::Prefix(n) => Range::of_net(n),
            AddressMatch::Invalid(s) => match Range::parse_span(s) {
                Some(r) => r,
                None => return,
            },
            _ => return,
        };
        let list = &mut cuts[usize::from(b.v6)];
        list.push(b.lo);
        list.extend(b.hi.checked_add(1));
    };
    for info in entries {
        let Some(coll) = collection(model, firewall, info.coll) else {
            continue;
        };
        for rule in &coll.rules {
            let (addrs, groups) = match rule {
                FirewallRule::Application(r) => (&r.source_addresses, &r.source_ip_groups),
                FirewallRule::Network(r) => (&r.source_addresses, &r.source_ip_groups),
                FirewallRule::Nat(_) => continue,
            };
            addrs.iter().for_each(&mut add);
            for g in groups {
                if let Some(Known::Known(list)) = model.ip_group(g).map(|g| &g.cidrs) {
                    list.iter().for_each(&mut add);
                }
            }
        }
    }
    for list in &mut cuts {
        list.sort_unstable();
        list.dedup();
    }
    cuts
}

/// Split the node subnet at every source boundary the rules use (`cuts`, from
/// [`source_cuts`]), so that each part is either entirely inside or entirely outside every rule
/// source. A source range cuts a prefix where it starts or ends (+1) strictly inside it.
fn partition(cuts: &[Vec<u128>; 2], prefixes: &[IpNet]) -> Vec<Range> {
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
fn merge_ranges(mut rs: Vec<Range>) -> Vec<Range> {
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

// ------------------------------------------------------------------ entry point

fn append_note(reason: &mut String, msg: &str) {
    if !reason.ends_with('.') {
        reason.push('.');
    }
    reason.push_str(" Note: ");
    reason.push_str(msg);
    reason.push('.');
}

/// Decide a flow that the route table sends to `firewall`.
pub fn evaluate(model: &Model, firewall: &Firewall, flow: &Flow) -> FirewallDecision {
    let prep = prepared(model, firewall);
    if let Some(err) = &prep.error {
        return FirewallDecision::unknown(
            model,
            firewall,
            format!(
                "the rules of {} cannot be determined: {err}",
                firewall.meta.address()
            ),
        );
    }
    let ctx = Ctx {
        model,
        flow,
        dns_proxy: prep.dns_proxy.clone(),
        tags: FqdnTagCatalogue::builtin(),
    };
    let dest = prep.dest_matches(&ctx, firewall);
    // the collections that may match the destination, with their candidate rules
    let runs: Vec<(Entry<'_>, &[Candidate])> = dest
        .candidates
        .chunk_by(|a, b| a.entry == b.entry)
        .filter_map(|run| {
            let info = prep.entries.get(run[0].entry)?;
            let coll = collection(model, firewall, info.coll)?;
            Some((Entry { info, coll }, run))
        })
        .collect();
    let chain: Vec<&FirewallPolicy> = prep
        .chain
        .iter()
        .filter_map(|&i| model.firewall_policies.get(i))
        .collect();
    let mut notes = vec![];
    if prep.nat_collections > 0 {
        notes.push(FirewallNote {
            kind: FirewallNoteKind::DnatNotApplied,
            message: format!(
                "{} DNAT rule collection(s) apply to inbound traffic only; not evaluated for this egress flow",
                prep.nat_collections
            ),
            origin: None,
        });
    }

    // Decide each part of the node subnet.
    let mut side = Side::default();
    let mut decided: Vec<(Option<Range>, PartDecision)> = vec![];
    if flow.source_prefixes.is_empty() {
        decided.push((None, decide_part(&runs, Scope::Unknown, &mut side)));
    } else {
        for part in partition(&prep.cuts, &flow.source_prefixes) {
            decided.push((Some(part), decide_part(&runs, Scope::Part(part), &mut side)));
        }
    }

    // Group parts by decider (keeping first-seen order).
    let mut groups: Vec<(PartDecision, Vec<Range>)> = vec![];
    for (range, d) in decided {
        match groups.iter_mut().find(|(g, _)| g.decider == d.decider) {
            Some((_, rs)) => rs.extend(range),
            None => groups.push((d, range.into_iter().collect())),
        }
    }
    let verdict = groups
        .iter()
        .map(|(d, _)| d.verdict)
        .max()
        .unwrap_or(Verdict::Unknown);

    let mut hops = vec![
        Hop::new(
            HopKind::Firewall,
            firewall_label(model, firewall),
            Some(firewall.meta.origin.clone()),
        )
        .with_verdict(verdict),
    ];
    let (mut reason, rule_origin, rule);
    if groups.len() == 1 {
        let (d, _) = groups.remove(0);
        hops.push(d.hop);
        reason = d.reason;
        rule_origin = d.rule_origin;
        rule = d.rule;
    } else {
        let mixed = groups.iter().any(|(d, _)| d.verdict != verdict);
        let prefixes = flow
            .source_prefixes
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut sentences = vec![];
        for (d, rs) in &groups {
            let rs = merge_ranges(rs.clone());
            sentences.push(format!("for {}: {}", show_ranges(&rs), d.reason));
            if mixed && d.allow {
                notes.push(FirewallNote {
                    kind: FirewallNoteKind::PartialSourceCoverage,
                    message: format!(
                        "the source of {} covers only part of the node subnet {prefixes} ({})",
                        d.rule.as_deref().unwrap_or("the allowing rule"),
                        show_ranges(&rs)
                    ),
                    origin: d.rule_origin.clone(),
                });
            }
        }
        reason = if mixed {
            format!(
                "the firewall treats parts of the node subnet {prefixes} differently: {}",
                sentences.join("; ")
            )
        } else {
            sentences.join("; ")
        };
        // Point at the partially covering allow rule when that is the story, otherwise at the
        // worst part's decider.
        let worst = groups
            .iter()
            .find(|(d, _)| d.verdict == verdict)
            .map(|(d, _)| d.clone());
        let partial = groups.iter().find(|(d, _)| mixed && d.allow);
        match (partial, &worst) {
            (Some((p, _)), Some(w)) if w.rule_origin.is_none() => {
                rule_origin = p.rule_origin.clone();
                rule = p.rule.clone();
            }
            (_, Some(w)) => {
                rule_origin = w.rule_origin.clone();
                rule = w.rule.clone();
            }
            _ => {
                rule_origin = None;
                rule = None;
            }
        }
        for (d, _) in groups {
            hops.push(d.hop);
        }
    }

    if firewall.policy.is_known() && prep.group_count == 0 && verdict == Verdict::Blocked {
        reason.push_str(" (the firewall policy has no rule collection groups in the input)");
    }

    // FQDN network rules that would have matched without DNS proxy off.
    let mut seen = BTreeSet::new();
    for (rname, f, origin) in side.fqdn_without_proxy {
        if !seen.insert((rname.clone(), f.clone())) {
            continue;
        }
        let msg = format!(
            "network rule {rname} lists {f}, but DNS proxy is not enabled on {}: FQDNs in network rules match nothing without it",
            if chain.is_empty() {
                firewall.meta.address().to_string()
            } else {
                chain
                    .last()
                    .map(|p| p.meta.address().to_string())
                    .unwrap_or_default()
            }
        );
        if verdict != Verdict::Reachable {
            append_note(&mut reason, &msg);
        }
        notes.push(FirewallNote {
            kind: FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy,
            message: msg,
            origin: Some(origin),
        });
    }

    // Threat intelligence.
    let ti_deny = |m: &Known<String>| m.known().is_some_and(|s| s.eq_ignore_ascii_case("deny"));
    let ti_origin = if chain.is_empty() {
        ti_deny(&firewall.threat_intel_mode).then(|| firewall.meta.origin.clone())
    } else {
        chain
            .iter()
            .find(|p| ti_deny(&p.threat_intel_mode))
            .map(|p| p.meta.origin.clone())
    };
    if let Some(origin) = ti_origin {
        let msg = "threat intelligence mode is Deny: it can drop allowed traffic to known-malicious addresses and FQDNs (Microsoft endpoints are not affected)".to_string();
        if verdict != Verdict::Blocked {
            append_note(&mut reason, &msg);
        }
        notes.push(FirewallNote {
            kind: FirewallNoteKind::ThreatIntelDeny,
            message: msg,
            origin: Some(origin),
        });
    }

    FirewallDecision {
        verdict,
        reason,
        hops,
        rule_origin,
        rule,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Protocol;
    use crate::model::{
        AppProtocolPort, FirewallPolicy, IpGroup, Meta, PortRange, RuleCollectionGroup,
    };

    // ---------------------------------------------------------- builders

    fn meta(key: &str) -> Meta {
        let mut m = Meta::new(key, Origin::none().with_address(key));
        m.name = Known::Known(key.rsplit('.').next().unwrap_or(key).to_string());
        m
    }

    fn firewall(policy: Option<&str>) -> Firewall {
        Firewall {
            meta: meta("azurerm_firewall.hub"),
            subnet: Known::Absent,
            private_ip: Known::Absent,
            public_ips: vec![],
            policy: policy.map(Ref::key).into(),
            dns_proxy: Known::Absent,
            dns_servers: vec![],
            threat_intel_mode: Known::Absent,
            sku_tier: Known::Absent,
            collections: vec![],
        }
    }

    fn policy(key: &str, base: Option<&str>, dns_proxy: Known<bool>) -> FirewallPolicy {
        FirewallPolicy {
            meta: meta(key),
            base_policy: base.map(Ref::key).into(),
            dns_proxy,
            dns_servers: vec![],
            threat_intel_mode: Known::Absent,
            sku_tier: Known::Absent,
            rule_collection_groups: Known::Absent,
        }
    }

    fn group(
        key: &str,
        policy: &str,
        prio: Known<u32>,
        cs: Vec<RuleCollection>,
    ) -> RuleCollectionGroup {
        RuleCollectionGroup {
            meta: meta(key),
            policy: Known::Known(Ref::key(policy)),
            priority: prio,
            collections: cs,
        }
    }

    fn coll(
        name: &str,
        kind: RuleCollectionKind,
        prio: Known<u32>,
        action: FwAction,
        rules: Vec<FirewallRule>,
    ) -> RuleCollection {
        RuleCollection {
            name: Known::Known(name.into()),
            origin: Origin::none().with_address(format!("coll {name}")),
            kind,
            priority: prio,
            action: Known::Known(action),
            rules,
        }
    }

    fn app_coll(
        name: &str,
        prio: u32,
        action: FwAction,
        rules: Vec<FirewallRule>,
    ) -> RuleCollection {
        coll(
            name,
            RuleCollectionKind::Application,
            Known::Known(prio),
            action,
            rules,
        )
    }

    fn net_coll(
        name: &str,
        prio: u32,
        action: FwAction,
        rules: Vec<FirewallRule>,
    ) -> RuleCollection {
        coll(
            name,
            RuleCollectionKind::Network,
            Known::Known(prio),
            action,
            rules,
        )
    }

    fn addrs(xs: &[&str]) -> Vec<AddressMatch> {
        xs.iter().map(|s| AddressMatch::parse(s)).collect()
    }

    fn app_rule(name: &str, src: &[&str], fqdns: &[&str], tags: &[&str]) -> ApplicationRule {
        ApplicationRule {
            name: Known::Known(name.into()),
            origin: Origin::none().with_address(format!("rule {name}")),
            protocols: vec![
                AppProtocolPort {
                    protocol: Ok(AppProtocol::Http),
                    port: 80,
                },
                AppProtocolPort {
                    protocol: Ok(AppProtocol::Https),
                    port: 443,
                },
            ],
            source_addresses: addrs(src),
            source_ip_groups: vec![],
            target_fqdns: fqdns.iter().map(|s| s.to_string()).collect(),
            fqdn_tags: tags.iter().map(|s| s.to_string()).collect(),
            destination_addresses: vec![],
            web_categories: vec![],
            target_urls: vec![],
            terminate_tls: false,
        }
    }

    fn app(name: &str, fqdns: &[&str]) -> FirewallRule {
        FirewallRule::Application(app_rule(name, &["*"], fqdns, &[]))
    }

    fn net_rule(
        name: &str,
        protos: &[NetProtocol],
        src: &[&str],
        dst: &[&str],
        fqdns: &[&str],
        ports: &[&str],
    ) -> NetworkRule {
        NetworkRule {
            name: Known::Known(name.into()),
            origin: Origin::none().with_address(format!("rule {name}")),
            protocols: protos.to_vec(),
            source_addresses: addrs(src),
            source_ip_groups: vec![],
            destination_addresses: addrs(dst),
            destination_ip_groups: vec![],
            destination_fqdns: fqdns.iter().map(|s| s.to_string()).collect(),
            destination_ports: ports.iter().filter_map(|p| PortRange::parse(p)).collect(),
        }
    }

    fn net(name: &str, proto: NetProtocol, dst: &[&str], ports: &[&str]) -> FirewallRule {
        FirewallRule::Network(net_rule(name, &[proto], &["*"], dst, &[], ports))
    }

    /// A model with one policy `azurerm_firewall_policy.hub` holding one group `grp` (priority 200).
    fn policy_model(colls: Vec<RuleCollection>) -> (Model, Firewall) {
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("azurerm_firewall_policy.hub", None, Known::Absent));
        m.rule_collection_groups.push(group(
            "azurerm_firewall_policy_rule_collection_group.grp",
            "azurerm_firewall_policy.hub",
            Known::Known(200),
            colls,
        ));
        let fw = firewall(Some("azurerm_firewall_policy.hub"));
        m.firewalls.push(fw.clone());
        m.finish();
        (m, fw)
    }

    const NODES: &str = "10.240.0.0/16";

    fn https(host: &str) -> Flow {
        Flow {
            source_prefixes: vec![NODES.parse().unwrap()],
            destination: Destination::Host(host.into()),
            destination_tags: vec![],
            protocol: Protocol::Tcp,
            port: 443,
            app_protocol: Some(AppProto::Https),
        }
    }

    fn udp(dst: Destination, port: u16) -> Flow {
        Flow {
            source_prefixes: vec![NODES.parse().unwrap()],
            destination: dst,
            destination_tags: vec![],
            protocol: Protocol::Udp,
            port,
            app_protocol: None,
        }
    }

    fn tcp(dst: Destination, port: u16, tags: &[&str]) -> Flow {
        Flow {
            source_prefixes: vec![NODES.parse().unwrap()],
            destination: dst,
            destination_tags: tags.iter().map(|s| s.to_string()).collect(),
            protocol: Protocol::Tcp,
            port,
            app_protocol: None,
        }
    }

    // ---------------------------------------------------------- application rules

    #[test]
    fn aks_fqdn_tag_allows_core_hosts() {
        let rule =
            FirewallRule::Application(app_rule("aks", &["*"], &[], &["AzureKubernetesService"]));
        let (m, fw) = policy_model(vec![app_coll("aks-app", 100, FwAction::Allow, vec![rule])]);
        for h in [
            "mcr.microsoft.com",
            "*.data.mcr.microsoft.com",
            "management.azure.com",
            "login.microsoftonline.com",
            "packages.microsoft.com",
            "packages.aks.azure.com",
        ] {
            let d = evaluate(&m, &fw, &https(h));
            assert_eq!(d.verdict, Verdict::Reachable, "{h}: {}", d.reason);
            assert_eq!(d.rule.as_deref(), Some("grp/aks-app/aks"));
            assert_eq!(d.hops.len(), 2);
            assert_eq!(d.hops[0].kind, HopKind::Firewall);
            assert!(
                d.hops[0]
                    .description
                    .contains("policy azurerm_firewall_policy.hub")
            );
            assert_eq!(d.hops[1].kind, HopKind::FirewallRule);
            assert!(
                d.hops[1]
                    .description
                    .contains("rule collection group grp (priority 200)"),
                "{}",
                d.hops[1].description
            );
            assert!(
                d.hops[1]
                    .description
                    .contains("aks-app (priority 100, Allow) / rule aks")
            );
        }
        // not in the tag: default deny
        let d = evaluate(&m, &fw, &https("ifconfig.me"));
        assert_eq!(d.verdict, Verdict::Blocked);
        // optional OS-update host: undocumented in the tag
        let mut f = https("snapshot.ubuntu.com");
        f.app_protocol = Some(AppProto::Https);
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
        // a tag whose contents are unknown
        let rule = FirewallRule::Application(app_rule("wu", &["*"], &[], &["WindowsUpdate"]));
        let (m, fw) = policy_model(vec![app_coll("c", 100, FwAction::Allow, vec![rule])]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
        assert!(d.reason.contains("WindowsUpdate"), "{}", d.reason);
    }

    #[test]
    fn allowlist_missing_management_denies_only_management() {
        let (m, fw) = policy_model(vec![app_coll(
            "aks",
            100,
            FwAction::Allow,
            vec![app(
                "core",
                &[
                    "mcr.microsoft.com",
                    "*.data.mcr.microsoft.com",
                    "login.microsoftonline.com",
                ],
            )],
        )]);
        let d = evaluate(&m, &fw, &https("management.azure.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
        assert!(
            d.reason.contains("no rule allows it: default deny"),
            "{}",
            d.reason
        );
        assert!(d.rule.is_none() && d.rule_origin.is_none());
        assert_eq!(
            d.hops.last().map(|h| h.description.as_str()),
            Some("default deny (no rule collection allows the flow)")
        );
        for h in [
            "mcr.microsoft.com",
            "westeurope.data.mcr.microsoft.com",
            "*.data.mcr.microsoft.com",
            "login.microsoftonline.com",
        ] {
            assert_eq!(
                evaluate(&m, &fw, &https(h)).verdict,
                Verdict::Reachable,
                "{h}"
            );
        }
    }

    #[test]
    fn wildcard_requirement_hosts() {
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![app("r", &["*.mcr.microsoft.com"])],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("*.data.mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Blocked,
            "apex is not covered"
        );
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![app("r", &["westeurope.data.mcr.microsoft.com"])],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("*.data.mcr.microsoft.com")).verdict,
            Verdict::Blocked
        );
    }

    #[test]
    fn app_protocol_and_port_must_match() {
        let mut r = app_rule("r", &["*"], &["mcr.microsoft.com"], &[]);
        r.protocols = vec![AppProtocolPort {
            protocol: Ok(AppProtocol::Http),
            port: 443,
        }];
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(r)],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Blocked
        );
        let mut r = app_rule("r", &["*"], &["mcr.microsoft.com"], &[]);
        r.protocols = vec![AppProtocolPort {
            protocol: Err("Htps".into()),
            port: 443,
        }];
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(r)],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Blocked
        );
        // a TCP 443 flow without an application protocol never meets application rules
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![app("r", &["*"])],
        )]);
        let mut f = https("mcr.microsoft.com");
        f.app_protocol = None;
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Blocked);
    }

    #[test]
    fn web_categories_and_urls_are_undecidable() {
        let mut r = app_rule("cat", &["*"], &[], &[]);
        r.web_categories = vec!["ComputersAndTechnology".into()];
        let (m, fw) = policy_model(vec![app_coll(
            "cats",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(r.clone())],
        )]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("web category"), "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/cats/cat"));
        // a maybe-Allow followed by a definite Allow: same action, decided
        let (m, fw) = policy_model(vec![
            app_coll(
                "cats",
                100,
                FwAction::Allow,
                vec![FirewallRule::Application(r.clone())],
            ),
            app_coll(
                "mcr",
                200,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            ),
        ]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/mcr/mcr"));
        // a maybe-Deny before a definite Allow: undecidable
        let (m, fw) = policy_model(vec![
            app_coll(
                "cats",
                100,
                FwAction::Deny,
                vec![FirewallRule::Application(r)],
            ),
            app_coll(
                "mcr",
                200,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            ),
        ]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(
            d.reason.contains("grp/cats/cat (Deny) may match"),
            "{}",
            d.reason
        );
        // target URL with the same host: maybe; with another host: no match
        let mut u = app_rule("url", &["*"], &[], &[]);
        u.target_urls = vec!["mcr.microsoft.com/v2/".into()];
        let (m, fw) = policy_model(vec![app_coll(
            "u",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(u)],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Unknown
        );
        assert_eq!(
            evaluate(&m, &fw, &https("login.microsoftonline.com")).verdict,
            Verdict::Blocked
        );
    }

    // ---------------------------------------------------------- ordering

    #[test]
    fn collection_priority_decides() {
        let deny = app_coll("deny-all", 100, FwAction::Deny, vec![app("all", &["*"])]);
        let allow = app_coll(
            "allow-mcr",
            200,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        );
        let (m, fw) = policy_model(vec![allow.clone(), deny.clone()]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.rule.as_deref(), Some("grp/deny-all/all"));
        assert!(d.reason.starts_with("denied by"), "{}", d.reason);

        let mut deny = deny;
        deny.priority = Known::Known(300);
        let (m, fw) = policy_model(vec![deny, allow]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable);
        assert_eq!(d.rule.as_deref(), Some("grp/allow-mcr/mcr"));
    }

    #[test]
    fn group_priority_comes_before_collection_priority() {
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("azurerm_firewall_policy.hub", None, Known::Absent));
        m.rule_collection_groups.push(group(
            "g.deny",
            "azurerm_firewall_policy.hub",
            Known::Known(300),
            vec![app_coll(
                "deny",
                100,
                FwAction::Deny,
                vec![app("all", &["*"])],
            )],
        ));
        m.rule_collection_groups.push(group(
            "g.allow",
            "azurerm_firewall_policy.hub",
            Known::Known(200),
            vec![app_coll(
                "allow",
                4000,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            )],
        ));
        let fw = firewall(Some("azurerm_firewall_policy.hub"));
        m.finish();
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("allow/allow/mcr"));
    }

    #[test]
    fn parent_policy_groups_come_first() {
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("p.parent", None, Known::Absent));
        m.firewall_policies
            .push(policy("p.child", Some("p.parent"), Known::Absent));
        m.rule_collection_groups.push(group(
            "g.parent",
            "p.parent",
            Known::Known(60000),
            vec![app_coll(
                "deny",
                60000,
                FwAction::Deny,
                vec![app("all", &["*"])],
            )],
        ));
        m.rule_collection_groups.push(group(
            "g.child",
            "p.child",
            Known::Known(100),
            vec![app_coll(
                "allow",
                100,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            )],
        ));
        let fw = firewall(Some("p.child"));
        m.finish();
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("parent/deny/all"));
        // groups of an unrelated policy are ignored
        let mut m2 = m.clone();
        m2.firewall_policies
            .push(policy("p.other", None, Known::Absent));
        m2.rule_collection_groups[0].policy = Known::Known(Ref::key("p.other"));
        m2.finish();
        assert_eq!(
            evaluate(&m2, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn policy_chain_problems_are_unknown() {
        // cycle
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("p.a", Some("p.b"), Known::Absent));
        m.firewall_policies
            .push(policy("p.b", Some("p.a"), Known::Absent));
        m.finish();
        let d = evaluate(&m, &firewall(Some("p.a")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("loops"), "{}", d.reason);
        // missing policy
        let d = evaluate(
            &m,
            &firewall(Some("p.missing")),
            &https("mcr.microsoft.com"),
        );
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("not in the input"), "{}", d.reason);
        // unknown policy reference
        let mut fw = firewall(None);
        fw.policy = Known::unknown("known after apply");
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        // unknown parent
        let mut m = Model::new();
        let mut p = policy("p.c", None, Known::Absent);
        p.base_policy = Known::unknown("known after apply");
        m.firewall_policies.push(p);
        let d = evaluate(&m, &firewall(Some("p.c")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("parent policy"), "{}", d.reason);
    }

    #[test]
    fn a_listed_group_outside_the_model_makes_decisions_unknown() {
        let mut m = Model::new();
        let mut p = policy("p.listed", None, Known::Absent);
        p.rule_collection_groups = Known::Known(vec![Ref::id(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/firewallPolicies/p/ruleCollectionGroups/elsewhere",
        )]);
        m.firewall_policies.push(p);
        m.finish();
        let d = evaluate(&m, &firewall(Some("p.listed")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
        assert!(d.reason.contains("elsewhere"), "{}", d.reason);
        // the listed group present: decided (default deny here)
        let mut m2 = m.clone();
        let mut g = group("g.elsewhere", "p.listed", Known::Known(100), vec![]);
        g.meta.id = Some(crate::model::ResourceId::new(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/firewallPolicies/p/ruleCollectionGroups/elsewhere",
        ));
        m2.rule_collection_groups.push(g);
        m2.finish();
        let d = evaluate(
            &m2,
            &firewall(Some("p.listed")),
            &https("mcr.microsoft.com"),
        );
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
    }

    #[test]
    fn policy_without_groups_default_denies() {
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("p.empty", None, Known::Absent));
        let d = evaluate(&m, &firewall(Some("p.empty")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
        assert!(
            d.reason.contains("no rule collection groups"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn unknown_priority_makes_ordering_undecidable() {
        let mut deny = app_coll("deny", 100, FwAction::Deny, vec![app("all", &["*"])]);
        deny.priority = Known::unknown("var.prio");
        let allow = app_coll(
            "allow",
            200,
            FwAction::Allow,
            vec![app("mcr", &["mcr.microsoft.com"])],
        );
        let (m, fw) = policy_model(vec![deny.clone(), allow.clone()]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
        assert!(d.reason.contains("priority unknown"), "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/deny/all"));
        // it does not matter when the unknown-priority collection does not match
        assert_eq!(
            evaluate(&m, &fw, &https("management.azure.com")).verdict,
            Verdict::Blocked
        );
        // nor when it has the same action as the decider
        let mut allow2 = app_coll("allow2", 1, FwAction::Allow, vec![app("all", &["*"])]);
        allow2.priority = Known::unknown("var.prio");
        let (m, fw) = policy_model(vec![allow2, allow.clone()]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
        // a lone unknown-priority Allow that matches decides
        let mut allow3 = allow;
        allow3.priority = Known::unknown("var.prio");
        let (m, fw) = policy_model(vec![allow3]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
        // unknown group priority vs another group
        let mut m = Model::new();
        m.firewall_policies.push(policy("p", None, Known::Absent));
        m.rule_collection_groups.push(group(
            "g1",
            "p",
            Known::unknown("x"),
            vec![app_coll(
                "deny",
                100,
                FwAction::Deny,
                vec![app("all", &["*"])],
            )],
        ));
        m.rule_collection_groups.push(group(
            "g2",
            "p",
            Known::Known(200),
            vec![app_coll(
                "allow",
                100,
                FwAction::Allow,
                vec![app("all", &["*"])],
            )],
        ));
        m.finish();
        assert_eq!(
            evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com")).verdict,
            Verdict::Unknown
        );
    }

    #[test]
    fn equal_priorities_that_disagree_are_undecidable() {
        let mut m = Model::new();
        m.firewall_policies.push(policy("p", None, Known::Absent));
        for (g, action) in [("g1", FwAction::Deny), ("g2", FwAction::Allow)] {
            m.rule_collection_groups.push(group(
                g,
                "p",
                Known::Known(200),
                vec![app_coll("c", 100, action, vec![app("all", &["*"])])],
            ));
        }
        m.finish();
        let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("equal priorities"), "{}", d.reason);
        // same action: no ambiguity
        m.rule_collection_groups[0].collections[0].action = Known::Known(FwAction::Allow);
        m.finish();
        let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable);
        // a collection action that is unknown
        m.rule_collection_groups[0].collections[0].action = Known::unknown("var.action");
        m.finish();
        let d = evaluate(&m, &firewall(Some("p")), &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("action is unknown"), "{}", d.reason);
    }

    // ---------------------------------------------------------- network rules

    #[test]
    fn network_match_ends_processing() {
        // network Deny wins over an application Allow whatever the priorities
        let (m, fw) = policy_model(vec![
            app_coll(
                "allow-app",
                100,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            ),
            net_coll(
                "deny-net",
                4000,
                FwAction::Deny,
                vec![net("https-out", NetProtocol::Tcp, &["*"], &["443"])],
            ),
        ]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/deny-net/https-out"));
        assert!(
            d.hops[1]
                .description
                .contains("network rule collection deny-net")
        );
        // network Allow wins over an application Deny
        let (m, fw) = policy_model(vec![
            app_coll("deny-app", 100, FwAction::Deny, vec![app("all", &["*"])]),
            net_coll(
                "allow-net",
                4000,
                FwAction::Allow,
                vec![net("https-out", NetProtocol::Any, &["*"], &["443"])],
            ),
        ]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn udp_only_via_network_rules() {
        let ntp = Destination::Host("ntp.ubuntu.com".into());
        let (m, fw) = policy_model(vec![app_coll(
            "all",
            100,
            FwAction::Allow,
            vec![app("all", &["*"])],
        )]);
        let d = evaluate(&m, &fw, &udp(ntp.clone(), 123));
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
        let (m, fw) = policy_model(vec![
            app_coll("all", 100, FwAction::Allow, vec![app("all", &["*"])]),
            net_coll(
                "ntp",
                300,
                FwAction::Allow,
                vec![net("ntp", NetProtocol::Udp, &["*"], &["123"])],
            ),
        ]);
        assert_eq!(
            evaluate(&m, &fw, &udp(ntp.clone(), 123)).verdict,
            Verdict::Reachable
        );
        // TCP-only or ICMP rules do not carry UDP; Any does
        for (p, want) in [
            (NetProtocol::Tcp, Verdict::Blocked),
            (NetProtocol::Icmp, Verdict::Blocked),
            (NetProtocol::Other("UPD".into()), Verdict::Blocked),
            (NetProtocol::Any, Verdict::Reachable),
        ] {
            let (m, fw) = policy_model(vec![net_coll(
                "n",
                100,
                FwAction::Allow,
                vec![net("n", p.clone(), &["*"], &["100-200"])],
            )]);
            assert_eq!(
                evaluate(&m, &fw, &udp(ntp.clone(), 123)).verdict,
                want,
                "{p:?}"
            );
        }
        // wrong port
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("n", NetProtocol::Udp, &["*"], &["124"])],
        )]);
        assert_eq!(evaluate(&m, &fw, &udp(ntp, 123)).verdict, Verdict::Blocked);
    }

    #[test]
    fn network_destinations() {
        let host = https("mcr.microsoft.com");
        // private CIDR never holds a public host
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("n", NetProtocol::Tcp, &["10.0.0.0/8"], &["443"])],
        )]);
        assert_eq!(evaluate(&m, &fw, &host).verdict, Verdict::Blocked);
        // a public CIDR might
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("n", NetProtocol::Tcp, &["20.0.0.0/8"], &["443"])],
        )]);
        let d = evaluate(&m, &fw, &host);
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("not known statically"), "{}", d.reason);
        // 0.0.0.0/0 covers it
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("n", NetProtocol::Tcp, &["0.0.0.0/0"], &["443"])],
        )]);
        assert_eq!(evaluate(&m, &fw, &host).verdict, Verdict::Reachable);
        // IP destinations are compared exactly
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net(
                "dns",
                NetProtocol::Udp,
                &["10.0.0.4", "10.0.0.5"],
                &["53"],
            )],
        )]);
        assert_eq!(
            evaluate(
                &m,
                &fw,
                &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
            )
            .verdict,
            Verdict::Reachable
        );
        assert_eq!(
            evaluate(
                &m,
                &fw,
                &udp(Destination::Ip("10.0.0.6".parse().unwrap()), 53)
            )
            .verdict,
            Verdict::Blocked
        );
        // address ranges
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net(
                "dns",
                NetProtocol::Udp,
                &["10.0.0.1-10.0.0.9"],
                &["53"],
            )],
        )]);
        assert_eq!(
            evaluate(
                &m,
                &fw,
                &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
            )
            .verdict,
            Verdict::Reachable
        );
    }

    #[test]
    fn service_tag_destinations() {
        let rule = net(
            "tunnel",
            NetProtocol::Tcp,
            &["AzureCloud.westeurope"],
            &["9000"],
        );
        let (m, fw) = policy_model(vec![net_coll("aks-net", 100, FwAction::Allow, vec![rule])]);
        // the requirement names the tag
        let f = tcp(Destination::AnyPublic, 9000, &["AzureCloud.westeurope"]);
        let d = evaluate(&m, &fw, &f);
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        let f = tcp(Destination::Tag("azurecloud.WestEurope".into()), 9000, &[]);
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Reachable);
        // not listed: AzureCloud may or may not contain it
        let f = tcp(Destination::AnyPublic, 9000, &[]);
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
        // wrong port
        let f = tcp(Destination::AnyPublic, 9001, &["AzureCloud.westeurope"]);
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Blocked);
        // a specific service tag that the requirement does not list does not match
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net("mon", NetProtocol::Tcp, &["AzureMonitor"], &["443"])],
        )]);
        let d = evaluate(&m, &fw, &https("management.azure.com"));
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
        let mut f = https("mcr.microsoft.com");
        f.destination_tags = vec!["MicrosoftContainerRegistry".into()];
        let (m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![net(
                "mcr",
                NetProtocol::Tcp,
                &["MicrosoftContainerRegistry.westeurope"],
                &["443"],
            )],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &f).verdict,
            Verdict::Unknown,
            "regional part of the tag"
        );
    }

    #[test]
    fn fqdn_network_rules_need_dns_proxy() {
        let ntp = || {
            FirewallRule::Network(net_rule(
                "ntp",
                &[NetProtocol::Udp],
                &["*"],
                &[],
                &["ntp.ubuntu.com"],
                &["123"],
            ))
        };
        let flow = udp(Destination::Host("ntp.ubuntu.com".into()), 123);
        // off (default)
        let (m, fw) = policy_model(vec![net_coll("n", 100, FwAction::Allow, vec![ntp()])]);
        assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(false));
        let d = evaluate(&m, &fw, &flow);
        assert_eq!(d.verdict, Verdict::Blocked);
        assert!(
            d.notes
                .iter()
                .any(|n| n.kind == FirewallNoteKind::FqdnNetworkRuleWithoutDnsProxy)
        );
        assert!(d.reason.contains("DNS proxy"), "{}", d.reason);
        // inherited from the parent policy
        let mut m = Model::new();
        m.firewall_policies
            .push(policy("p.parent", None, Known::Known(true)));
        m.firewall_policies
            .push(policy("p.child", Some("p.parent"), Known::Absent));
        m.rule_collection_groups.push(group(
            "g",
            "p.child",
            Known::Known(100),
            vec![net_coll("n", 100, FwAction::Allow, vec![ntp()])],
        ));
        m.finish();
        let fw = firewall(Some("p.child"));
        assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(true));
        let d = evaluate(&m, &fw, &flow);
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert!(d.notes.is_empty());
        // the child overrides
        m.firewall_policies[1].dns_proxy = Known::Known(false);
        m.finish();
        assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
        // unknown setting
        m.firewall_policies[1].dns_proxy = Known::unknown("var.dns");
        m.finish();
        assert!(dns_proxy_enabled(&m, &fw).is_unknown());
        assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Unknown);
        // no wildcards in network-rule FQDNs
        m.firewall_policies[1].dns_proxy = Known::Known(true);
        m.rule_collection_groups[0].collections[0].rules = vec![FirewallRule::Network(net_rule(
            "ntp",
            &[NetProtocol::Udp],
            &["*"],
            &[],
            &["*.ubuntu.com"],
            &["123"],
        ))];
        m.finish();
        assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
    }

    #[test]
    fn static_fqdn_network_rule_check() {
        let ntp = FirewallRule::Network(net_rule(
            "ntp",
            &[NetProtocol::Udp],
            &["*"],
            &[],
            &["ntp.ubuntu.com"],
            &["123"],
        ));
        let other = net("web", NetProtocol::Tcp, &["*"], &["443"]);
        let (mut m, fw) = policy_model(vec![net_coll("n", 100, FwAction::Allow, vec![ntp, other])]);
        let notes = fqdn_network_rules_without_dns_proxy(&m, &fw);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].message.contains("grp/n/ntp"),
            "{}",
            notes[0].message
        );
        m.firewall_policies[0].dns_proxy = Known::Known(true);
        m.finish();
        assert!(fqdn_network_rules_without_dns_proxy(&m, &fw).is_empty());
    }

    #[test]
    fn classic_dns_proxy_setting() {
        let mut fw = firewall(None);
        fw.collections = vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![FirewallRule::Network(net_rule(
                "ntp",
                &[NetProtocol::Udp],
                &["*"],
                &[],
                &["ntp.ubuntu.com"],
                &["123"],
            ))],
        )];
        let m = Model::new();
        let flow = udp(Destination::Host("ntp.ubuntu.com".into()), 123);
        assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Blocked);
        fw.dns_proxy = Known::Known(true);
        assert_eq!(dns_proxy_enabled(&m, &fw), Known::Known(true));
        assert_eq!(evaluate(&m, &fw, &flow).verdict, Verdict::Reachable);
    }

    // ---------------------------------------------------------- sources

    #[test]
    fn sources_must_cover_the_node_subnet() {
        let rule = |src: &[&str]| {
            FirewallRule::Application(app_rule("mcr", src, &["mcr.microsoft.com"], &[]))
        };
        // another subnet entirely
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![rule(&["10.0.0.0/24"])],
        )]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
        assert!(d.notes.is_empty());
        // a wider source covers it
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![rule(&["10.0.0.0/8"])],
        )]);
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
        // partial coverage
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![rule(&["10.240.0.0/17"])],
        )]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked, "{}", d.reason);
        assert!(d.reason.contains("10.240.128.0/17"), "{}", d.reason);
        assert!(d.reason.contains("default deny"), "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("grp/c/mcr"));
        let note = d
            .notes
            .iter()
            .find(|n| n.kind == FirewallNoteKind::PartialSourceCoverage)
            .expect("partial note");
        assert!(note.message.contains("10.240.0.0/17"), "{}", note.message);
        // two rules that together cover it
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![
                rule(&["10.240.0.0/17"]),
                rule(&["10.240.128.0-10.240.255.255"]),
            ],
        )]);
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert!(d.notes.is_empty());
        // unknown subnet prefixes
        let (m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![rule(&["10.240.0.0/16"])],
        )]);
        let mut f = https("mcr.microsoft.com");
        f.source_prefixes.clear();
        assert_eq!(evaluate(&m, &fw, &f).verdict, Verdict::Unknown);
    }

    #[test]
    fn ip_groups() {
        let mut r = app_rule("mcr", &[], &["mcr.microsoft.com"], &[]);
        r.source_ip_groups = vec![Ref::key("azurerm_ip_group.nodes")];
        let (mut m, fw) = policy_model(vec![app_coll(
            "c",
            100,
            FwAction::Allow,
            vec![FirewallRule::Application(r)],
        )]);
        // missing group
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.reason.contains("azurerm_ip_group.nodes"), "{}", d.reason);
        // known group
        m.ip_groups.push(IpGroup {
            meta: meta("azurerm_ip_group.nodes"),
            cidrs: Known::Known(addrs(&["10.240.0.0/16", "10.241.0.0/16"])),
        });
        m.finish();
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Reachable
        );
        // known group covering half
        m.ip_groups[0].cidrs = Known::Known(addrs(&["10.240.0.0/17"]));
        m.finish();
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Blocked
        );
        // unknown contents
        m.ip_groups[0].cidrs = Known::unknown("known after apply");
        m.finish();
        assert_eq!(
            evaluate(&m, &fw, &https("mcr.microsoft.com")).verdict,
            Verdict::Unknown
        );
        // destination IP group
        let mut n = net_rule("dns", &[NetProtocol::Udp], &["*"], &[], &[], &["53"]);
        n.destination_ip_groups = vec![Ref::key("azurerm_ip_group.dns")];
        let (mut m, fw) = policy_model(vec![net_coll(
            "n",
            100,
            FwAction::Allow,
            vec![FirewallRule::Network(n)],
        )]);
        m.ip_groups.push(IpGroup {
            meta: meta("azurerm_ip_group.dns"),
            cidrs: Known::Known(addrs(&["10.0.0.4"])),
        });
        m.finish();
        assert_eq!(
            evaluate(
                &m,
                &fw,
                &udp(Destination::Ip("10.0.0.4".parse().unwrap()), 53)
            )
            .verdict,
            Verdict::Reachable
        );
    }

    // ---------------------------------------------------------- classic, notes, names

    #[test]
    fn classic_collections_without_policy() {
        let mut fw = firewall(None);
        fw.collections = vec![
            app_coll(
                "aks",
                200,
                FwAction::Allow,
                vec![FirewallRule::Application(app_rule(
                    "aks",
                    &["10.240.0.0/16"],
                    &[],
                    &["AzureKubernetesService"],
                ))],
            ),
            app_coll(
                "deny-login",
                100,
                FwAction::Deny,
                vec![app("login", &["login.microsoftonline.com"])],
            ),
        ];
        let m = Model::new();
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable, "{}", d.reason);
        assert_eq!(d.rule.as_deref(), Some("aks/aks"));
        assert!(d.hops[0].description.contains("classic rules"));
        assert!(!d.hops[1].description.contains("rule collection group"));
        let d = evaluate(&m, &fw, &https("login.microsoftonline.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
        assert_eq!(d.rule.as_deref(), Some("deny-login/login"));
    }

    #[test]
    fn threat_intel_and_dnat_are_notes() {
        let (mut m, mut fw) = policy_model(vec![
            app_coll(
                "c",
                100,
                FwAction::Allow,
                vec![app("mcr", &["mcr.microsoft.com"])],
            ),
            coll(
                "dnat",
                RuleCollectionKind::Nat,
                Known::Known(100),
                FwAction::Dnat,
                vec![],
            ),
        ]);
        m.firewall_policies[0].threat_intel_mode = Known::Known("Deny".into());
        m.finish();
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Reachable);
        assert!(
            d.reason.contains("threat intelligence mode is Deny"),
            "{}",
            d.reason
        );
        assert!(
            d.notes
                .iter()
                .any(|n| n.kind == FirewallNoteKind::ThreatIntelDeny)
        );
        assert!(
            d.notes
                .iter()
                .any(|n| n.kind == FirewallNoteKind::DnatNotApplied)
        );
        // classic firewall setting
        fw.policy = Known::Absent;
        fw.threat_intel_mode = Known::Known("Alert".into());
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert!(
            !d.notes
                .iter()
                .any(|n| n.kind == FirewallNoteKind::ThreatIntelDeny)
        );
    }

    #[test]
    fn typos_are_reported_with_suggestions() {
        let mut bad = app_rule(
            "aks",
            &["*"],
            &[],
            &[
                "AzureKubernetesServices",
                "AzureHDInsight",
                "Office365.Exchange.Allow.NotRequired",
            ],
        );
        bad.protocols = vec![AppProtocolPort {
            protocol: Err("Htps".into()),
            port: 443,
        }];
        let n1 = net_rule(
            "n",
            &[NetProtocol::Other("TPC".into())],
            &["*"],
            &["AzureMonitr", "AzureCloud.westeurope", "SomethingNew"],
            &[],
            &["443"],
        );
        let (m, fw) = policy_model(vec![
            app_coll(
                "app",
                100,
                FwAction::Allow,
                vec![FirewallRule::Application(bad)],
            ),
            net_coll("net", 100, FwAction::Allow, vec![FirewallRule::Network(n1)]),
        ]);
        let names = unknown_names(&m, &fw);
        let find = |v: &str| names.iter().find(|u| u.value == v);
        let t = find("AzureKubernetesServices").expect("tag typo");
        assert_eq!(t.kind, "fqdn_tag");
        assert_eq!(t.closest.as_deref(), Some("AzureKubernetesService"));
        assert_eq!(t.rule, "grp/app/aks");
        assert_eq!(t.origin.address.as_deref(), Some("rule aks"));
        assert_eq!(
            find("AzureHDInsight").and_then(|u| u.closest.as_deref()),
            Some("HDInsight")
        );
        assert!(
            find("Office365.Exchange.Allow.NotRequired").is_none(),
            "family member"
        );
        let p = find("Htps").expect("protocol typo");
        assert_eq!((p.kind, p.closest.as_deref()), ("protocol", Some("Https")));
        assert_eq!(find("TPC").and_then(|u| u.closest.as_deref()), Some("TCP"));
        let s = find("AzureMonitr").expect("service tag typo");
        assert_eq!(
            (s.kind, s.closest.as_deref()),
            ("service_tag", Some("AzureMonitor"))
        );
        assert!(find("AzureCloud.westeurope").is_none());
        assert!(
            find("SomethingNew").is_none(),
            "not exhaustive: only typos are reported"
        );
        assert_eq!(names.len(), 5, "{names:?}");
        // and the misspelled tag allows nothing
        let d = evaluate(&m, &fw, &https("mcr.microsoft.com"));
        assert_eq!(d.verdict, Verdict::Blocked);
    }

    #[test]
    fn closest_name_limits() {
        assert_eq!(
            closest_name("Htps", KNOWN_APP_PROTOCOLS).as_deref(),
            Some("Https")
        );
        assert_eq!(
            closest_name("https", KNOWN_APP_PROTOCOLS).as_deref(),
            Some("Https")
        );
        assert_eq!(closest_name("Gopher", KNOWN_APP_PROTOCOLS), None);
        assert_eq!(closest_name("", KNOWN_APP_PROTOCOLS), None);
        assert_eq!(edit_distance("tcp", "tpc"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn range_cidrs() {
        let r = Range::parse_span("10.240.128.0-10.240.255.255").unwrap();
        assert_eq!(show_ranges(&[r]), "10.240.128.0/17");
        let r = Range::parse_span("10.0.0.1-10.0.0.6").unwrap();
        assert_eq!(
            show_ranges(&[r]),
            "10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32"
        );
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert_eq!(Range::of_net(&all).cidrs(), vec![all]);
        let all6: IpNet = "::/0".parse().unwrap();
        assert_eq!(Range::of_net(&all6).cidrs(), vec![all6]);
        assert!(Range::parse_span("10.0.0.9-10.0.0.1").is_none());
        assert!(Range::parse_span("10.0.0.1-::1").is_none());
    }

    /// A firewall of a finished model keeps its prepared rule set and per-destination matches
    /// across flows; the decisions are the ones an unprepared evaluation makes, whatever the
    /// order of the flows (destinations, ports, protocols and sources that differ must not share
    /// a cached answer).
    #[test]
    fn prepared_rule_sets_decide_like_fresh_ones() {
        let mut partial = app_rule("contoso", &["10.240.0.0/17"], &["*.contoso.com"], &[]);
        partial.protocols.truncate(1); // Http 80 only
        let mut grouped = app_rule("mcr", &[], &["mcr.microsoft.com"], &[]);
        grouped.source_ip_groups = vec![Ref::key("azurerm_ip_group.nodes")];
        let mut fqdn = net_rule(
            "sql",
            &[NetProtocol::Tcp],
            &["*"],
            &[],
            &["x.contoso.com"],
            &["443"],
        );
        fqdn.destination_ip_groups = vec![Ref::key("azurerm_ip_group.dst")];
        let colls = vec![
            net_coll(
                "net",
                100,
                FwAction::Allow,
                vec![
                    FirewallRule::Network(fqdn),
                    net("tunnel", NetProtocol::Udp, &["AzureCloud"], &["1194"]),
                    net("db", NetProtocol::Tcp, &["10.1.0.0/16"], &["1433"]),
                ],
            ),
            app_coll(
                "deny-wu",
                150,
                FwAction::Deny,
                vec![FirewallRule::Application(app_rule(
                    "wu",
                    &["10.241.0.0/24"],
                    &[],
                    &["WindowsUpdate"],
                ))],
            ),
            app_coll(
                "allow",
                200,
                FwAction::Allow,
                vec![
                    FirewallRule::Application(partial),
                    FirewallRule::Application(grouped),
                ],
            ),
        ];
        let (mut m, fw) = policy_model(colls);
        m.ip_groups.push(IpGroup {
            meta: meta("azurerm_ip_group.nodes"),
            cidrs: Known::Known(addrs(&["10.240.0.0/16"])),
        });
        m.ip_groups.push(IpGroup {
            meta: meta("azurerm_ip_group.dst"),
            cidrs: Known::Known(addrs(&["10.9.0.0/16"])),
        });
        m.finish();
        let with_source = |mut f: Flow, src: &[&str]| {
            f.source_prefixes = src.iter().map(|s| s.parse().unwrap()).collect();
            f
        };
        let mut http = https("a.contoso.com");
        http.port = 80;
        http.app_protocol = Some(AppProto::Http);
        let mut flows = vec![];
        for src in [&[NODES][..], &["10.241.0.0/24"], &[]] {
            for f in [
                https("mcr.microsoft.com"),
                https("x.contoso.com"),
                https("a.contoso.com"),
                http.clone(),
                https("*.data.mcr.microsoft.com"),
                tcp(Destination::Ip("10.1.2.3".parse().unwrap()), 1433, &[]),
                tcp(Destination::Ip("10.1.2.3".parse().unwrap()), 1434, &[]),
                tcp(Destination::Ip("10.9.0.9".parse().unwrap()), 443, &[]),
                udp(Destination::Tag("AzureCloud.westeurope".into()), 1194),
                tcp(Destination::Tag("AzureCloud.westeurope".into()), 1194, &[]),
            ] {
                flows.push(with_source(f, src));
            }
        }
        let fresh: Vec<String> = flows
            .iter()
            .map(|f| format!("{:?}", evaluate(&m, &fw, f)))
            .collect();
        // the model's own firewall: prepared once, reused (twice over, in two orders)
        let prepared = &m.firewalls[0];
        for order in [false, true] {
            for i in 0..flows.len() {
                let i = if order { flows.len() - 1 - i } else { i };
                assert_eq!(
                    format!("{:?}", evaluate(&m, prepared, &flows[i])),
                    fresh[i],
                    "flow {}",
                    flows[i].describe()
                );
            }
        }
        // the decisions are not all alike (the cache could not hide behind one answer)
        assert!(fresh.iter().any(|d| d.contains("Reachable")), "{fresh:?}");
        assert!(fresh.iter().any(|d| d.contains("Blocked")), "{fresh:?}");
        assert!(fresh.iter().any(|d| d.contains("Unknown")), "{fresh:?}");
        assert!(fresh.iter().any(|d| d.contains("DNS proxy")), "{fresh:?}");
        assert!(
            fresh.iter().any(|d| d.contains("PartialSourceCoverage")),
            "{fresh:?}"
        );
    }
}
