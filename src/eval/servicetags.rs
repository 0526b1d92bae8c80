//! Service tags and address classes: which tags contain which destinations.
//!
//! Azure service tag names are case-insensitive. A tag may be narrowed to a region
//! (`AzureCloud.westeurope`, `Storage.WestEurope`); the regional tag is a subset of its base tag.
//! Tag contents (the published prefixes) are not known statically, so the relations here are
//! only the ones that follow from the names: equality, base ⊇ regional, `Internet` ⊇ every
//! public address, and "`AzureCloud` covers Azure public ranges" as an undecidable relation.

use super::flow::Destination;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};

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

/// Blocks that contain no public address (see [`is_public_ip`]).
fn non_public_blocks() -> &'static [IpNet] {
    static BLOCKS: std::sync::LazyLock<Vec<IpNet>> = std::sync::LazyLock::new(|| {
        [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/4",
            "255.255.255.255/32",
            "::/128",
            "::1/128",
            "fc00::/7",
            "fe80::/10",
            "ff00::/8",
        ]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
    });
    &BLOCKS
}

/// True when every address of `net` is non-public (inside a private, shared, loopback,
/// link-local or multicast block): such a prefix can never contain a public host's address.
pub fn is_non_public_net(net: &IpNet) -> bool {
    non_public_blocks().iter().any(|b| b.contains(net))
}

/// True when `net` contains every public address of its family (`0.0.0.0/0`, `::/0`).
pub fn covers_all_public(net: &IpNet) -> bool {
    net.prefix_len() == 0
}

/// Azure-provided DNS, WireServer and load balancer probe source.
pub const AZURE_DNS_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16));
/// Instance Metadata Service.
pub const IMDS_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

/// Host platform addresses: not subject to NSG rules (unless a rule uses an `AzurePlatform*` tag)
/// nor to UDRs.
pub fn is_platform_ip(ip: &IpAddr) -> bool {
    *ip == AZURE_DNS_IP || *ip == IMDS_IP
}

/// Known service tag names (base tags). This list is **not exhaustive**: Azure publishes well over
/// a hundred tags and adds new ones; it is used to canonicalise spelling and to spot likely typos.
pub const KNOWN_TAGS: &[&str] = &[
    "Internet",
    "VirtualNetwork",
    "AzureLoadBalancer",
    "AzureCloud",
    "AzureActiveDirectory",
    "AzureActiveDirectoryDomainServices",
    "AzureResourceManager",
    "MicrosoftContainerRegistry",
    "AzureContainerRegistry",
    "AzureFrontDoor.FirstParty",
    "AzureFrontDoor.Frontend",
    "AzureFrontDoor.Backend",
    "AzureMonitor",
    "Storage",
    "StorageSyncService",
    "Sql",
    "SqlManagement",
    "AzureKeyVault",
    "EventHub",
    "ServiceBus",
    "AzureTrafficManager",
    "GatewayManager",
    "AzurePlatformDNS",
    "AzurePlatformIMDS",
    "AzurePlatformLKM",
    "ApiManagement",
    "AppService",
    "AppServiceManagement",
    "AzureBackup",
    "AzureBotService",
    "AzureCosmosDB",
    "AzureDataLake",
    "AzureEventGrid",
    "AzureMachineLearning",
    "AzureSiteRecovery",
    "AzureUpdateDelivery",
    "DataFactory",
    "GuestAndHybridManagement",
    "MicrosoftCloudAppSecurity",
    "PowerBI",
    "PowerQueryOnline",
    "WindowsVirtualDesktop",
    "AzureArcInfrastructure",
    "AzureConnectors",
    "AzureDevOps",
    "AzureSignalR",
    "HDInsight",
    "Dynamics365ForMarketing",
    "AzureIoTHub",
    "AzureOpenDatasets",
    "AzureSpringCloud",
    "AzureDigitalTwins",
    "LogicApps",
    "CognitiveServicesManagement",
    "CognitiveServicesFrontend",
    "AzureDatabricks",
    "AzureAttestation",
    "AzureSecurityCenter",
    "AzureSentinel",
    "AzurePortal",
    "AzureInformationProtection",
    "AzureManagedGrafana",
    "AzureResourceGraph",
    "AzureCommunicationServices",
    "BatchNodeManagement",
    "ActionGroup",
    "ApplicationInsightsAvailability",
    "AutonomousDevelopmentPlatform",
    "AzureAdvancedThreatProtection",
    "AzureAPIForFHIR",
    "AzureAutomation",
    "AzureDataExplorerManagement",
    "AzureHealthcareAPIs",
    "AzureWebPubSub",
    "ChaosStudio",
    "DataFactoryManagement",
    "Dynamics365BusinessCentral",
    "ElasticAFD",
    "M365ManagementActivityApi",
    "MicrosoftAzureFluidRelay",
    "MicrosoftDefenderForEndpoint",
    "MicrosoftPurviewPolicyDistribution",
    "OneDsCollector",
    "SCCservice",
    "Scuba",
    "SerialConsole",
    "ServiceFabric",
    "VideoIndexer",
];

/// Tags whose addresses are not Azure public service ranges: the VNet, the LB probe source and
/// host platform addresses.
const NON_PUBLIC_TAGS: &[&str] = &[
    "VirtualNetwork",
    "AzureLoadBalancer",
    "AzurePlatformDNS",
    "AzurePlatformIMDS",
    "AzurePlatformLKM",
];

/// Canonical spelling of a known tag (case-insensitive lookup), or `None` when not in
/// [`KNOWN_TAGS`]. Regional tags are canonicalised on their base (`storage.westeurope` ->
/// `Storage.westeurope`).
pub fn lookup_tag(name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(t) = KNOWN_TAGS.iter().find(|t| t.eq_ignore_ascii_case(name)) {
        return Some((*t).to_string());
    }
    let (base, region) = split_regional(name);
    let region = region?;
    KNOWN_TAGS
        .iter()
        .find(|t| t.eq_ignore_ascii_case(base))
        .map(|t| format!("{t}.{region}"))
}

/// Is `name` a known tag (or a regional variant of one)?
pub fn is_known_tag(name: &str) -> bool {
    lookup_tag(name).is_some()
}

/// Split a tag into base and region: `AzureCloud.westeurope` -> (`AzureCloud`,
/// `Some("westeurope")`). Tags whose own name has a dot (`AzureFrontDoor.Frontend`) are base
/// tags; their regional form would have a second dot.
pub fn split_regional(tag: &str) -> (&str, Option<&str>) {
    let tag = tag.trim();
    if KNOWN_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        return (tag, None);
    }
    match tag.rsplit_once('.') {
        Some((base, region)) if !base.is_empty() && !region.is_empty() => (base, Some(region)),
        _ => (tag, None),
    }
}

/// The base tag of a regional tag (`Storage.WestEurope` -> `Storage`); a base tag is its own base.
pub fn base_tag(tag: &str) -> &str {
    split_regional(tag).0
}

/// Case-insensitive tag equality.
pub fn tag_eq(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Normalise an Azure region name (`West Europe` -> `westeurope`).
pub fn normalize_region(r: &str) -> String {
    r.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Tags whose prefixes are Azure public ranges (contained in `AzureCloud`). Unknown names count
/// as Azure tags (every service tag other than the non-public ones is Azure public space).
pub fn is_azure_tag(tag: &str) -> bool {
    let base = base_tag(tag);
    !tag_eq(base, "Internet") && !NON_PUBLIC_TAGS.iter().any(|t| tag_eq(t, base))
}

/// Tags whose addresses are never public internet addresses.
pub fn is_non_public_tag(tag: &str) -> bool {
    NON_PUBLIC_TAGS.iter().any(|t| tag_eq(t, base_tag(tag)))
}

/// `AzureCloud` or `AzureCloud.<region>`.
pub fn is_azurecloud_tag(tag: &str) -> bool {
    tag_eq(base_tag(tag), "AzureCloud")
}

/// Three-valued relation "does a tag (in a rule or route) contain the destination's addresses".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRelation {
    /// Every address of the destination is in the tag.
    Contains,
    /// Not decidable statically; the reason says why.
    Maybe(String),
    /// The tag is a different Azure service tag than the ones known for the destination; its
    /// ranges are unlikely but not provably disjoint. Callers decide (NSGs: maybe; routes: no).
    Unrelated(String),
    /// Provably disjoint (e.g. a private destination against `Internet`).
    Disjoint,
}

/// Relation of a service tag (not `VirtualNetwork`, which depends on the VNet and is handled by
/// the NSG evaluator) to a flow destination.
///
/// * `dest_tags`: tags known to contain the destination (the flow's `destination_tags`).
/// * `location`: the cluster region, used to decide regional tags of a destination's tag.
pub fn relation(
    tag: &str,
    dest: &Destination,
    dest_tags: &[String],
    location: Option<&str>,
) -> TagRelation {
    let tag = tag.trim();
    let (base, region) = split_regional(tag);
    // Literal addresses.
    if let Destination::Ip(ip) = dest {
        if tag_eq(base, "AzurePlatformDNS") || tag_eq(base, "AzureLoadBalancer") {
            return if *ip == AZURE_DNS_IP {
                TagRelation::Contains
            } else {
                TagRelation::Disjoint
            };
        }
        if tag_eq(base, "AzurePlatformIMDS") {
            return if *ip == IMDS_IP {
                TagRelation::Contains
            } else {
                TagRelation::Disjoint
            };
        }
        if tag_eq(base, "AzurePlatformLKM") {
            return TagRelation::Disjoint;
        }
        if !is_public_ip(ip) {
            // Internet and Azure service tags contain public addresses only.
            return TagRelation::Disjoint;
        }
        if tag_eq(base, "Internet") {
            return TagRelation::Contains;
        }
    } else {
        if is_non_public_tag(tag) {
            return TagRelation::Disjoint;
        }
        if tag_eq(base, "Internet") {
            return match dest {
                Destination::Tag(t) if is_non_public_tag(t) => TagRelation::Disjoint,
                _ => TagRelation::Contains,
            };
        }
    }
    // The destination's own tag (for tag destinations) plus the catalogue's tags.
    let mut known: Vec<&str> = dest_tags.iter().map(|s| s.as_str()).collect();
    if let Destination::Tag(t) = dest {
        known.push(t.as_str());
    }
    let what = describe_dest(dest);
    // Exact match.
    if known.iter().any(|k| tag_eq(k, tag)) {
        return TagRelation::Contains;
    }
    // Base tag of a regional destination tag: contains it.
    if region.is_none() && known.iter().any(|k| tag_eq(base_tag(k), base)) {
        return TagRelation::Contains;
    }
    if let Some(region) = region {
        // Regional variant of a tag the destination belongs to.
        if let Some(k) = known
            .iter()
            .find(|k| tag_eq(k, base) || tag_eq(base_tag(k), base))
        {
            let (_, k_region) = split_regional(k);
            if let Some(kr) = k_region {
                // Both regional, different regions.
                return if normalize_region(kr) == normalize_region(region) {
                    TagRelation::Contains
                } else {
                    TagRelation::Disjoint
                };
            }
            if let Destination::Tag(_) = dest {
                return TagRelation::Maybe(format!(
                    "{tag} covers only the {region} part of {what}"
                ));
            }
            if location.is_some_and(|l| normalize_region(l) == normalize_region(region)) {
                return TagRelation::Contains;
            }
            return TagRelation::Maybe(format!(
                "{tag} is the {region} part of {k}; which region serves {what} is not known"
            ));
        }
    }
    if is_azurecloud_tag(tag) {
        let listed = if known.is_empty() {
            String::from("no service tag is known for it")
        } else {
            format!("it is known to be in {}", known.join(", "))
        };
        return TagRelation::Maybe(format!(
            "{tag} contains Azure datacenter public ranges; whether it contains {what} cannot be \
             decided statically ({listed})"
        ));
    }
    if !is_known_tag(tag) {
        return TagRelation::Maybe(format!(
            "{tag} is not a service tag this tool knows; its addresses are unknown"
        ));
    }
    let listed = if known.is_empty() {
        String::from("no service tag is known for it")
    } else {
        format!("it is known to be in {}", known.join(", "))
    };
    TagRelation::Unrelated(format!(
        "whether service tag {tag} contains {what} cannot be decided statically ({listed})"
    ))
}

pub(crate) fn describe_dest(dest: &Destination) -> String {
    match dest {
        Destination::Host(h) => h.clone(),
        Destination::Ip(ip) => ip.to_string(),
        Destination::Tag(t) => format!("service tag {t}"),
        Destination::AnyPublic => "any internet address".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn public_ip_classes() {
        assert!(is_public_ip(&"20.1.2.3".parse().unwrap()));
        assert!(!is_public_ip(&"10.1.2.3".parse().unwrap()));
        assert!(!is_public_ip(&"100.64.0.1".parse().unwrap()));
        assert!(is_public_ip(&"100.128.0.1".parse().unwrap()));
        assert!(is_non_public_net(&"10.1.0.0/16".parse().unwrap()));
        assert!(!is_non_public_net(&"8.0.0.0/8".parse().unwrap()));
        assert!(!is_non_public_net(&"0.0.0.0/0".parse().unwrap()));
    }

    #[test]
    fn lookup_is_case_insensitive_and_regional() {
        assert_eq!(lookup_tag("internet").as_deref(), Some("Internet"));
        assert_eq!(
            lookup_tag("storage.WestEurope").as_deref(),
            Some("Storage.WestEurope")
        );
        assert_eq!(
            lookup_tag("azurefrontdoor.firstparty").as_deref(),
            Some("AzureFrontDoor.FirstParty")
        );
        assert_eq!(lookup_tag("Interent"), None);
        assert_eq!(
            split_regional("AzureFrontDoor.Frontend"),
            ("AzureFrontDoor.Frontend", None)
        );
        assert_eq!(
            split_regional("AzureCloud.westeurope"),
            ("AzureCloud", Some("westeurope"))
        );
        assert_eq!(base_tag("Storage.WestEurope"), "Storage");
        assert!(is_azure_tag("Storage.WestEurope"));
        assert!(!is_azure_tag("VirtualNetwork"));
        assert!(!is_azure_tag("internet"));
        assert_eq!(normalize_region("West Europe"), "westeurope");
    }

    #[test]
    fn known_tags_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in KNOWN_TAGS {
            assert!(seen.insert(t.to_ascii_lowercase()), "duplicate tag {t}");
        }
    }

    #[test]
    fn relations() {
        let mcr = Destination::Host("mcr.microsoft.com".into());
        let t = tags(&["MicrosoftContainerRegistry", "AzureFrontDoor.FirstParty"]);
        assert_eq!(relation("Internet", &mcr, &t, None), TagRelation::Contains);
        assert_eq!(
            relation("microsoftcontainerregistry", &mcr, &t, None),
            TagRelation::Contains
        );
        assert!(matches!(
            relation("AzureCloud", &mcr, &t, None),
            TagRelation::Maybe(_)
        ));
        assert!(matches!(
            relation("MicrosoftContainerRegistry.westeurope", &mcr, &t, None),
            TagRelation::Maybe(_)
        ));
        assert_eq!(
            relation(
                "MicrosoftContainerRegistry.westeurope",
                &mcr,
                &t,
                Some("West Europe")
            ),
            TagRelation::Contains
        );
        assert!(matches!(
            relation("Storage", &mcr, &t, None),
            TagRelation::Unrelated(_)
        ));
        assert_eq!(
            relation("VirtualNetwork", &mcr, &t, None),
            TagRelation::Disjoint
        );
        let priv_ip = Destination::Ip("10.0.0.4".parse().unwrap());
        assert_eq!(
            relation("Internet", &priv_ip, &[], None),
            TagRelation::Disjoint
        );
        assert_eq!(
            relation("AzureCloud", &priv_ip, &[], None),
            TagRelation::Disjoint
        );
        let dns = Destination::Ip(AZURE_DNS_IP);
        assert_eq!(
            relation("AzurePlatformDNS", &dns, &[], None),
            TagRelation::Contains
        );
        let regional = Destination::Tag("AzureCloud.westeurope".into());
        assert_eq!(
            relation("AzureCloud", &regional, &[], None),
            TagRelation::Contains
        );
        assert_eq!(
            relation("azurecloud.WESTEUROPE", &regional, &[], None),
            TagRelation::Contains
        );
        assert_eq!(
            relation("AzureCloud.northeurope", &regional, &[], None),
            TagRelation::Disjoint
        );
        let whole = Destination::Tag("AzureCloud".into());
        assert!(matches!(
            relation("AzureCloud.westeurope", &whole, &[], None),
            TagRelation::Maybe(_)
        ));
        assert!(matches!(
            relation("Interent", &mcr, &t, None),
            TagRelation::Maybe(_)
        ));
    }
}
