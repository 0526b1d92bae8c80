//! Names in firewall rules that Azure does not know (a typo matches nothing): FQDN tags,
//! protocols, service tags, with the closest known name.

use super::prepared::{prepared, rule_name};
use crate::model::{AddressMatch, Firewall, FirewallRule, Model, NetProtocol};
use crate::policy::fqdn_tags::FqdnTagCatalogue;
use crate::source::Origin;
use serde::Serialize;

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

pub(super) const KNOWN_APP_PROTOCOLS: &[&str] = &["Http", "Https", "Mssql"];
pub(super) const KNOWN_NET_PROTOCOLS: &[&str] = &["TCP", "UDP", "ICMP", "Any"];

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
                    for (j, t) in a.fqdn_tags.iter().enumerate() {
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
                            origin: a.fqdn_tag_origins.get(j).unwrap_or(&a.origin).clone(),
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

pub(super) fn push_net_protocols(
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
pub(super) fn closest_within(value: &str, known: &[&str], limit: Option<usize>) -> Option<String> {
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
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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
