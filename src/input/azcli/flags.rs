//! The Azure CLI's own arguments of `az aks create` and `az aks nodepool add`, as azure-cli
//! declares them (`src/azure-cli/azure/cli/command_modules/acs/_params.py` and the signatures of
//! `aks_create` / `aks_agentpool_add` in `custom.py`), plus the global arguments every `az`
//! command takes. A parameter without an explicit option list gets `--its-name`; a parameter
//! whose default is a boolean, or that is declared `action='store_true'`, is a switch; `nargs`
//! parameters (`zones_type`, `tags_type`, labels) take space-separated values.

/// How many values a flag takes (argparse's `nargs` and actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// `action='store_true'`: no value.
    Switch,
    /// One value (`--flag value` or `--flag=value`).
    One,
    /// `nargs='+'`: one or more space-separated values.
    OneOrMore,
    /// `nargs='*'`: zero or more space-separated values.
    Any,
    /// `nargs='?'` (three-state flags such as `--enable-syslog [true|false]`): an optional value.
    Optional,
}

/// One argument of an `az` command.
#[derive(Debug)]
pub struct FlagSpec {
    /// Long forms; the first is the canonical name the model builder asks for.
    pub names: &'static [&'static str],
    /// Short forms (`g` for `-g`).
    pub short: &'static [char],
    pub arity: Arity,
    /// The value is a secret: it never enters the command-line source shown in diagnostics.
    pub secret: bool,
    /// `get_enum_type` choices (matched case-insensitively, as az does).
    pub choices: &'static [&'static str],
}

impl FlagSpec {
    /// The canonical long name (`--vnet-subnet-id`).
    pub fn name(&self) -> &'static str {
        self.names[0]
    }
    /// How az prints the argument in its errors: `--resource-group/-g`.
    pub fn display(&self) -> String {
        let mut s = self.names.join("/");
        for c in self.short {
            s.push_str(&format!("/-{c}"));
        }
        s
    }
}

const fn f(names: &'static [&'static str], short: &'static [char], arity: Arity) -> FlagSpec {
    FlagSpec {
        names,
        short,
        arity,
        secret: false,
        choices: &[],
    }
}

const fn choice(names: &'static [&'static str], choices: &'static [&'static str]) -> FlagSpec {
    FlagSpec {
        names,
        short: &[],
        arity: Arity::One,
        secret: false,
        choices,
    }
}

const fn secret(names: &'static [&'static str]) -> FlagSpec {
    FlagSpec {
        names,
        short: &[],
        arity: Arity::One,
        secret: true,
        choices: &[],
    }
}

use Arity::{Any, One, OneOrMore, Optional, Switch};

/// Arguments of every `az` command (knack / azure-cli core).
pub static GLOBAL: &[FlagSpec] = &[
    f(&["--subscription"], &[], One),
    f(&["--output"], &['o'], One),
    f(&["--query"], &[], One),
    f(&["--only-show-errors"], &[], Switch),
    f(&["--debug"], &[], Switch),
    f(&["--verbose"], &[], Switch),
    f(&["--help"], &['h'], Switch),
];

pub const OUTBOUND_TYPES: &[&str] = &[
    "loadBalancer",
    "userDefinedRouting",
    "managedNATGateway",
    "userAssignedNATGateway",
    "none",
    // aks-preview
    "block",
    "managedNATGatewayV2",
];
const NETWORK_PLUGINS: &[&str] = &["azure", "kubenet", "none"];
const NETWORK_PLUGIN_MODES: &[&str] = &["overlay"];
const NETWORK_DATAPLANES: &[&str] = &["azure", "cilium"];
const LB_SKUS: &[&str] = &["basic", "standard"];
const BACKEND_POOL_TYPES: &[&str] = &["nodeIP", "nodeIPConfiguration"];
const ARTIFACT_SOURCES: &[&str] = &["Direct", "Cache"];
const OS_SKUS_CREATE: &[&str] = &[
    "AzureLinux",
    "AzureLinux3",
    "Ubuntu",
    "CBLMariner",
    "Mariner",
    "Ubuntu2204",
    "Ubuntu2404",
];
const OS_SKUS_ADD: &[&str] = &[
    "AzureLinux",
    "AzureLinux3",
    "Ubuntu",
    "CBLMariner",
    "Mariner",
    "Ubuntu2204",
    "Ubuntu2404",
    "Windows2019",
    "Windows2022",
    "Windows2025",
    "WindowsAnnual",
];
const POD_IP_ALLOCATION_MODES: &[&str] = &["DynamicIndividual", "StaticBlock"];
const NRG_LOCKDOWN: &[&str] = &["ReadOnly", "Unrestricted"];
const NODE_MODES: &[&str] = &["System", "User", "Gateway"];

/// `az aks create`.
pub static AKS_CREATE: &[FlagSpec] = &[
    // managed cluster
    f(&["--resource-group"], &['g'], One),
    f(&["--name"], &['n'], One),
    f(&["--location"], &['l'], One),
    f(&["--kubernetes-version"], &['k'], One),
    f(&["--tags"], &[], Any),
    f(&["--dns-name-prefix"], &['p'], One),
    f(&["--node-osdisk-diskencryptionset-id"], &['d'], One),
    f(&["--disable-local-accounts"], &[], Switch),
    f(&["--disable-rbac"], &[], Switch),
    f(&["--edge-zone"], &[], One),
    f(&["--admin-username"], &['u'], One),
    f(&["--generate-ssh-keys"], &[], Switch),
    f(&["--ssh-key-value"], &[], One),
    f(&["--no-ssh-key"], &['x'], Switch),
    // networking
    f(&["--pod-cidr"], &[], One),
    f(&["--service-cidr"], &[], One),
    f(&["--dns-service-ip"], &[], One),
    f(&["--docker-bridge-address"], &[], One),
    f(&["--ip-families"], &[], One),
    f(&["--pod-cidrs"], &[], One),
    f(&["--service-cidrs"], &[], One),
    choice(&["--load-balancer-sku"], LB_SKUS),
    f(&["--load-balancer-managed-outbound-ip-count"], &[], One),
    f(&["--load-balancer-managed-outbound-ipv6-count"], &[], One),
    f(&["--load-balancer-outbound-ips"], &[], One),
    f(&["--load-balancer-outbound-ip-prefixes"], &[], One),
    f(&["--load-balancer-outbound-ports"], &[], One),
    f(&["--load-balancer-idle-timeout"], &[], One),
    choice(&["--load-balancer-backend-pool-type"], BACKEND_POOL_TYPES),
    f(&["--nat-gateway-managed-outbound-ip-count"], &[], One),
    f(&["--nat-gateway-idle-timeout"], &[], One),
    // aks-preview: managedNATGatewayV2
    f(&["--nat-gateway-managed-outbound-ipv6-count"], &[], One),
    f(&["--nat-gateway-outbound-ips"], &[], One),
    f(&["--nat-gateway-outbound-ip-prefixes"], &[], One),
    choice(&["--outbound-type"], OUTBOUND_TYPES),
    choice(&["--network-plugin"], NETWORK_PLUGINS),
    choice(&["--network-plugin-mode"], NETWORK_PLUGIN_MODES),
    f(&["--network-policy"], &[], One),
    choice(&["--network-dataplane"], NETWORK_DATAPLANES),
    f(&["--pod-subnet-id"], &[], One),
    f(&["--vnet-subnet-id"], &[], One),
    choice(&["--pod-ip-allocation-mode"], POD_IP_ALLOCATION_MODES),
    f(&["--enable-private-cluster"], &[], Switch),
    f(&["--private-dns-zone"], &[], One),
    f(&["--fqdn-subdomain"], &[], One),
    f(&["--disable-public-fqdn"], &[], Switch),
    f(&["--api-server-authorized-ip-ranges"], &[], One),
    f(&["--enable-apiserver-vnet-integration"], &[], Switch),
    f(&["--apiserver-subnet-id"], &[], One),
    f(&["--http-proxy-config"], &[], One),
    f(&["--enable-node-public-ip"], &[], Switch),
    f(&["--node-public-ip-prefix-id"], &[], One),
    f(&["--node-public-ip-tags"], &[], Any),
    choice(&["--bootstrap-artifact-source"], ARTIFACT_SOURCES),
    f(&["--bootstrap-container-registry-resource-id"], &[], One),
    choice(&["--nrg-lockdown-restriction-level"], NRG_LOCKDOWN),
    f(&["--enable-acns"], &[], Switch),
    f(&["--disable-acns-observability"], &[], Switch),
    f(&["--disable-acns-security"], &[], Switch),
    f(&["--acns-advanced-networkpolicies"], &[], One),
    f(&["--enable-static-egress-gateway"], &[], Switch),
    // cluster settings without a network effect
    f(&["--auto-upgrade-channel"], &[], One),
    f(&["--node-os-upgrade-channel"], &[], One),
    f(
        &["--cluster-autoscaler-profile", "--ca-profile"],
        &[],
        OneOrMore,
    ),
    f(&["--sku"], &[], One),
    f(&["--tier"], &[], One),
    f(&["--service-principal"], &[], One),
    secret(&["--client-secret"]),
    f(&["--enable-managed-identity"], &[], Switch),
    f(&["--assign-identity"], &[], One),
    f(&["--assign-kubelet-identity"], &[], One),
    f(&["--enable-aad"], &[], Switch),
    f(&["--enable-azure-rbac"], &[], Switch),
    f(&["--aad-admin-group-object-ids"], &[], One),
    f(&["--aad-tenant-id"], &[], One),
    f(&["--enable-oidc-issuer"], &[], Switch),
    f(&["--windows-admin-username"], &[], One),
    secret(&["--windows-admin-password"]),
    f(&["--enable-ahub"], &[], Switch),
    f(&["--enable-windows-gmsa"], &[], Switch),
    f(&["--gmsa-dns-server"], &[], One),
    f(&["--gmsa-root-domain-name"], &[], One),
    f(&["--attach-acr"], &[], One),
    f(&["--skip-subnet-role-assignment"], &[], Switch),
    f(&["--node-resource-group"], &[], One),
    f(&["--k8s-support-plan"], &[], One),
    f(&["--enable-defender"], &[], Switch),
    f(&["--defender-config"], &[], One),
    f(&["--disable-disk-driver"], &[], Switch),
    f(&["--disable-file-driver"], &[], Switch),
    f(&["--enable-blob-driver"], &[], Switch),
    f(&["--enable-workload-identity"], &[], Switch),
    f(&["--disable-snapshot-controller"], &[], Switch),
    f(&["--enable-azure-keyvault-kms"], &[], Switch),
    f(&["--azure-keyvault-kms-key-id"], &[], One),
    f(&["--azure-keyvault-kms-key-vault-network-access"], &[], One),
    f(&["--azure-keyvault-kms-key-vault-resource-id"], &[], One),
    f(&["--enable-image-cleaner"], &[], Switch),
    f(&["--image-cleaner-interval-hours"], &[], One),
    f(&["--enable-keda"], &[], Switch),
    f(&["--enable-vpa"], &[], Switch),
    f(&["--custom-ca-trust-certificates", "--ca-certs"], &[], One),
    f(&["--disable-run-command"], &[], Switch),
    // add-ons
    f(&["--enable-addons"], &['a'], One),
    f(&["--workspace-resource-id"], &[], One),
    f(&["--enable-msi-auth-for-monitoring"], &[], Optional),
    f(&["--enable-syslog"], &[], Optional),
    f(&["--data-collection-settings"], &[], One),
    f(&["--ampls-resource-id"], &[], One),
    f(&["--enable-high-log-scale-mode"], &[], Optional),
    f(&["--aci-subnet-name"], &[], One),
    f(&["--appgw-name"], &[], One),
    f(&["--appgw-subnet-cidr"], &[], One),
    f(&["--appgw-id"], &[], One),
    f(&["--appgw-subnet-id"], &[], One),
    f(&["--appgw-watch-namespace"], &[], One),
    f(&["--enable-sgxquotehelper"], &[], Switch),
    f(&["--enable-secret-rotation"], &[], Switch),
    f(&["--rotation-poll-interval"], &[], One),
    f(&["--enable-app-routing"], &[], Switch),
    f(&["--enable-ai-toolchain-operator"], &[], Switch),
    f(
        &["--app-routing-default-nginx-controller", "--ardnc"],
        &[],
        One,
    ),
    // the default node pool
    f(&["--nodepool-name"], &[], One),
    f(&["--node-vm-size"], &['s'], One),
    f(&["--vm-sizes"], &[], One),
    choice(&["--os-sku"], OS_SKUS_CREATE),
    f(&["--snapshot-id"], &[], One),
    f(&["--enable-cluster-autoscaler"], &[], Switch),
    f(&["--min-count"], &[], One),
    f(&["--max-count"], &[], One),
    f(&["--node-count"], &['c'], One),
    f(&["--nodepool-tags"], &[], Any),
    f(&["--nodepool-labels"], &[], Any),
    f(&["--nodepool-taints"], &[], One),
    f(&["--nodepool-allowed-host-ports"], &[], OneOrMore),
    f(&["--nodepool-asg-ids"], &[], OneOrMore),
    f(&["--node-osdisk-type"], &[], One),
    f(&["--node-osdisk-size"], &[], One),
    f(&["--vm-set-type"], &[], One),
    f(&["--zones"], &['z'], OneOrMore),
    f(&["--ppg"], &[], One),
    f(&["--max-pods"], &['m'], One),
    f(&["--enable-encryption-at-host"], &[], Switch),
    f(&["--enable-ultra-ssd"], &[], Switch),
    f(&["--enable-fips-image"], &[], Switch),
    f(&["--kubelet-config"], &[], One),
    f(&["--linux-os-config"], &[], One),
    f(&["--host-group-id"], &[], One),
    f(&["--crg-id"], &[], One),
    f(&["--gpu-instance-profile"], &[], One),
    f(&["--message-of-the-day"], &[], One),
    f(&["--workload-runtime"], &[], One),
    // service mesh, monitoring, storage
    f(
        &["--enable-azure-service-mesh", "--enable-asm"],
        &[],
        Switch,
    ),
    f(&["--revision"], &[], One),
    f(&["--enable-azure-monitor-metrics"], &[], Switch),
    f(&["--azure-monitor-workspace-resource-id"], &[], One),
    f(&["--ksm-metric-labels-allow-list"], &[], One),
    f(&["--ksm-metric-annotations-allow-list"], &[], One),
    f(&["--grafana-resource-id"], &[], One),
    f(&["--enable-windows-recording-rules"], &[], Switch),
    f(&["--enable-azure-container-storage"], &[], Optional),
    f(&["--container-storage-version"], &[], One),
    f(&["--storage-pool-name"], &[], One),
    f(&["--storage-pool-size"], &[], One),
    f(&["--storage-pool-sku"], &[], One),
    f(&["--storage-pool-option"], &[], One),
    f(&["--ephemeral-disk-volume-type"], &[], One),
    f(&["--ephemeral-disk-nvme-perf-tier"], &[], One),
    // misc
    f(&["--yes"], &['y'], Switch),
    f(&["--no-wait"], &[], Switch),
    f(&["--aks-custom-headers"], &[], One),
    f(&["--if-match"], &[], One),
    f(&["--if-none-match"], &[], One),
    f(&["--enable-cost-analysis"], &[], Switch),
    f(&["--enable-vtpm"], &[], Switch),
    f(&["--enable-secure-boot"], &[], Switch),
    f(&["--node-provisioning-mode"], &[], One),
    f(&["--node-provisioning-default-pools"], &[], One),
];

/// `az aks nodepool add`.
pub static AKS_NODEPOOL_ADD: &[FlagSpec] = &[
    f(&["--resource-group"], &['g'], One),
    f(&["--cluster-name"], &[], One),
    f(&["--nodepool-name", "--name"], &['n'], One),
    f(&["--kubernetes-version"], &['k'], One),
    f(&["--node-vm-size"], &['s'], One),
    f(&["--vm-sizes"], &[], One),
    f(&["--vm-set-type"], &[], One),
    f(&["--os-type"], &[], One),
    choice(&["--os-sku"], OS_SKUS_ADD),
    f(&["--snapshot-id"], &[], One),
    f(&["--vnet-subnet-id"], &[], One),
    f(&["--pod-subnet-id"], &[], One),
    choice(&["--pod-ip-allocation-mode"], POD_IP_ALLOCATION_MODES),
    f(&["--enable-node-public-ip"], &[], Switch),
    f(&["--node-public-ip-prefix-id"], &[], One),
    f(&["--node-public-ip-tags"], &[], Any),
    f(&["--enable-cluster-autoscaler"], &['e'], Switch),
    f(&["--min-count"], &[], One),
    f(&["--max-count"], &[], One),
    f(&["--node-count"], &['c'], One),
    f(&["--priority"], &[], One),
    f(&["--eviction-policy"], &[], One),
    f(&["--spot-max-price"], &[], One),
    f(&["--labels"], &[], Any),
    f(&["--tags"], &[], Any),
    f(&["--node-taints"], &[], One),
    f(&["--message-of-the-day"], &[], One),
    f(&["--node-osdisk-type"], &[], One),
    f(&["--node-osdisk-size"], &[], One),
    f(&["--max-surge"], &[], One),
    f(&["--max-unavailable"], &[], One),
    f(&["--drain-timeout"], &[], One),
    f(&["--node-soak-duration"], &[], One),
    f(&["--undrainable-node-behavior"], &[], One),
    choice(&["--mode"], NODE_MODES),
    f(&["--scale-down-mode"], &[], One),
    f(&["--max-pods"], &['m'], One),
    f(&["--zones"], &['z'], OneOrMore),
    f(&["--ppg"], &[], One),
    f(&["--enable-encryption-at-host"], &[], Switch),
    f(&["--enable-ultra-ssd"], &[], Switch),
    f(&["--enable-fips-image"], &[], Switch),
    f(&["--disable-windows-outbound-nat"], &[], Switch),
    f(&["--kubelet-config"], &[], One),
    f(&["--linux-os-config"], &[], One),
    f(&["--host-group-id"], &[], One),
    f(&["--crg-id"], &[], One),
    f(&["--gpu-instance-profile"], &[], One),
    f(&["--allowed-host-ports"], &[], OneOrMore),
    f(&["--asg-ids"], &[], OneOrMore),
    f(&["--enable-vtpm"], &[], Switch),
    f(&["--enable-secure-boot"], &[], Switch),
    f(&["--gpu-driver"], &[], One),
    f(&["--gateway-prefix-size"], &[], One),
    f(&["--localdns-config"], &[], One),
    f(&["--workload-runtime"], &[], One),
    f(&["--no-wait"], &[], Switch),
    f(&["--aks-custom-headers"], &[], One),
    f(&["--if-match"], &[], One),
    f(&["--if-none-match"], &[], One),
];

/// The argument `written` (`--vnet-subnet-id`, `-g`) of a command's table or the global ones.
/// Long names match exactly (az disables argparse's prefix matching); short ones by character.
pub fn lookup(table: &'static [FlagSpec], written: &str) -> Option<&'static FlagSpec> {
    let all = || table.iter().chain(GLOBAL.iter());
    if written.starts_with("--") {
        return all().find(|s| s.names.contains(&written));
    }
    let mut chars = written.strip_prefix('-')?.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    all().find(|s| s.short.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_within_a_command() {
        for table in [AKS_CREATE, AKS_NODEPOOL_ADD] {
            let mut seen = std::collections::HashSet::new();
            for s in table.iter().chain(GLOBAL.iter()) {
                for n in s.names {
                    assert!(n.starts_with("--") && seen.insert(n.to_string()), "{n}");
                }
                for c in s.short {
                    assert!(seen.insert(format!("-{c}")), "-{c}");
                }
            }
        }
    }

    #[test]
    fn lookup_by_long_and_short_names() {
        assert_eq!(
            lookup(AKS_CREATE, "-g").map(|s| s.name()),
            Some("--resource-group")
        );
        assert_eq!(
            lookup(AKS_CREATE, "--ca-profile").map(|s| s.name()),
            Some("--cluster-autoscaler-profile")
        );
        assert_eq!(
            lookup(AKS_NODEPOOL_ADD, "--name").map(|s| s.name()),
            Some("--nodepool-name")
        );
        assert_eq!(lookup(AKS_CREATE, "-o").map(|s| s.name()), Some("--output"));
        // no prefix matching
        assert!(lookup(AKS_CREATE, "--vnet-subnet").is_none());
        assert!(lookup(AKS_CREATE, "-gx").is_none());
        assert_eq!(
            lookup(AKS_CREATE, "--resource-group").unwrap().display(),
            "--resource-group/-g"
        );
    }
}
