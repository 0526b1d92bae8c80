//! Where a deployment goes (subscription, resource group, location, name) and the functions
//! that read it or build resource ids: `resourceGroup()`, `subscription()`, `tenant()`,
//! `managementGroup()`, `deployment()`, `environment()`, `resourceId()`,
//! `subscriptionResourceId()`, `tenantResourceId()`, `extensionResourceId()`,
//! `managementGroupResourceId()`.
//!
//! When the subscription or resource group is not given (`--subscription`,
//! `--resource-group`), ids use the placeholders [`SUBSCRIPTION_PLACEHOLDER`] and
//! [`RESOURCE_GROUP_PLACEHOLDER`]: ids stay consistent within the deployment (so a subnet still
//! finds its NSG), the placeholders say what is missing, and functions that would hash them
//! (`uniqueString`, `guid`) give an unknown value instead of a wrong name.

use super::eval::EvalError;
use super::value::{Obj, Unknown, Val};
use crate::model::Cloud;

/// Stands for the subscription id when it is not given.
pub const SUBSCRIPTION_PLACEHOLDER: &str = "{subscription-id}";
/// Stands for the resource group name when it is not given.
pub const RESOURCE_GROUP_PLACEHOLDER: &str = "{resource-group}";

/// Which placeholder a text contains, named for messages.
pub fn placeholder_in(s: &str) -> Option<&'static str> {
    if s.contains(SUBSCRIPTION_PLACEHOLDER) {
        Some("the subscription id")
    } else if s.contains(RESOURCE_GROUP_PLACEHOLDER) {
        Some("the resource group name")
    } else {
        None
    }
}

/// The command-line flag that gives what a placeholder stands for.
pub fn placeholder_flag(what: &str) -> &'static str {
    if what.contains("subscription") {
        "--subscription"
    } else {
        "--resource-group"
    }
}

/// The level a template deploys at (its `$schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    ResourceGroup,
    Subscription,
    ManagementGroup,
    Tenant,
}

impl Level {
    pub fn from_schema(schema: &str) -> Level {
        let s = schema.to_ascii_lowercase();
        if s.contains("subscriptiondeploymenttemplate") {
            Level::Subscription
        } else if s.contains("managementgroupdeploymenttemplate") {
            Level::ManagementGroup
        } else if s.contains("tenantdeploymenttemplate") {
            Level::Tenant
        } else {
            Level::ResourceGroup
        }
    }
}

/// The deployment a template's expressions are evaluated for.
#[derive(Debug, Clone)]
pub struct Context {
    pub level: Level,
    /// `None`: not given (ids use [`SUBSCRIPTION_PLACEHOLDER`]).
    pub subscription_id: Option<String>,
    /// The resource group (at resource group level). `None`: not given.
    pub resource_group: Option<String>,
    pub management_group: Option<String>,
    /// The resource group's location (or the deployment's, above resource group level).
    pub location: Option<String>,
    pub deployment_name: String,
    pub cloud: Cloud,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            level: Level::ResourceGroup,
            subscription_id: None,
            resource_group: None,
            management_group: None,
            location: None,
            deployment_name: "deployment".into(),
            cloud: Cloud::Public,
        }
    }
}

impl Context {
    pub fn subscription(&self) -> &str {
        self.subscription_id
            .as_deref()
            .unwrap_or(SUBSCRIPTION_PLACEHOLDER)
    }
    pub fn group(&self) -> &str {
        self.resource_group
            .as_deref()
            .unwrap_or(RESOURCE_GROUP_PLACEHOLDER)
    }
    /// The id prefix resources deployed here get (`/subscriptions/…/resourceGroups/…`).
    pub fn scope_id(&self) -> String {
        match self.level {
            Level::ResourceGroup => format!(
                "/subscriptions/{}/resourceGroups/{}",
                self.subscription(),
                self.group()
            ),
            Level::Subscription => format!("/subscriptions/{}", self.subscription()),
            Level::ManagementGroup => format!(
                "/providers/Microsoft.Management/managementGroups/{}",
                self.management_group
                    .as_deref()
                    .unwrap_or("{management-group}")
            ),
            Level::Tenant => String::new(),
        }
    }
    fn location_val(&self, of: &str) -> Val {
        match &self.location {
            Some(l) => Val::str(l.clone()),
            None => Val::unknown(format!("the {of} location is not given (pass --location)")),
        }
    }
}

/// The id of a resource of `rtype` (`Microsoft.Network/virtualNetworks/subnets`) named `names`
/// (one per type segment after the namespace; names holding `/` are split) under `prefix`.
pub fn resource_id(prefix: &str, rtype: &str, names: &[&str]) -> Result<String, String> {
    let segs: Vec<&str> = rtype.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() < 2 {
        return Err(format!(
            "'{rtype}' is not a resource type (expected Namespace/type, like Microsoft.Network/virtualNetworks)"
        ));
    }
    let names: Vec<&str> = names
        .iter()
        .flat_map(|n| n.split('/'))
        .filter(|s| !s.is_empty())
        .collect();
    if names.len() != segs.len() - 1 {
        return Err(format!(
            "the type {rtype} needs {} name(s), but {} {} given",
            segs.len() - 1,
            names.len(),
            if names.len() == 1 { "is" } else { "are" }
        ));
    }
    // the resource group type itself is not under a provider
    if segs[0].eq_ignore_ascii_case("Microsoft.Resources")
        && segs[1].eq_ignore_ascii_case("resourceGroups")
        && segs.len() == 2
    {
        return Ok(format!("{prefix}/resourceGroups/{}", names[0]));
    }
    let mut id = format!("{prefix}/providers/{}", segs[0]);
    for (t, n) in segs[1..].iter().zip(&names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Ok(id)
}

type R = Result<Val, EvalError>;

/// Call a scope function by lower-case name. `None`: not one of them.
pub fn call(lname: &str, name: &str, args: &[Val], ctx: &Context) -> Option<R> {
    let r = match lname {
        "resourceid"
        | "subscriptionresourceid"
        | "tenantresourceid"
        | "extensionresourceid"
        | "managementgroupresourceid" => id_function(lname, name, args, ctx),
        "resourcegroup" => resource_group(ctx),
        "subscription" => Ok(subscription(ctx)),
        "tenant" => Ok(Val::Object(Obj::from_entries(vec![
            (
                "tenantId".into(),
                Val::unknown("the tenant id is known only at deployment"),
            ),
            (
                "displayName".into(),
                Val::unknown("the tenant name is known only at deployment"),
            ),
        ]))),
        "managementgroup" => Ok(Val::Object(Obj::from_entries(vec![
            (
                "name".into(),
                match &ctx.management_group {
                    Some(m) => Val::str(m.clone()),
                    None => Val::unknown("the management group is not given"),
                },
            ),
            (
                "id".into(),
                match &ctx.management_group {
                    Some(m) => Val::str(format!(
                        "/providers/Microsoft.Management/managementGroups/{m}"
                    )),
                    None => Val::unknown("the management group is not given"),
                },
            ),
        ]))),
        "deployment" => Ok(deployment(ctx)),
        "environment" => Ok(environment(ctx.cloud)),
        _ => return None,
    };
    Some(r)
}

fn resource_group(ctx: &Context) -> R {
    if ctx.level != Level::ResourceGroup {
        return Err(EvalError::invalid(
            "resourceGroup() cannot be used in a template deployed above resource group level",
        ));
    }
    let id = ctx.scope_id();
    let mut o = Obj::new();
    o.insert("id".into(), Val::str(id));
    o.insert("name".into(), Val::str(ctx.group().to_string()));
    o.insert(
        "type".into(),
        Val::str("Microsoft.Resources/resourceGroups"),
    );
    o.insert("location".into(), ctx.location_val("resource group's"));
    o.insert(
        "tags".into(),
        Val::unknown("the resource group's tags are known only at deployment"),
    );
    o.insert(
        "managedBy".into(),
        Val::unknown("the resource group's managedBy is known only at deployment"),
    );
    o.insert(
        "properties".into(),
        Val::Object(Obj::from_entries(vec![(
            "provisioningState".into(),
            Val::str("Succeeded"),
        )])),
    );
    Ok(Val::Object(o))
}

fn subscription(ctx: &Context) -> Val {
    Val::Object(Obj::from_entries(vec![
        (
            "id".into(),
            Val::str(format!("/subscriptions/{}", ctx.subscription())),
        ),
        (
            "subscriptionId".into(),
            Val::str(ctx.subscription().to_string()),
        ),
        (
            "tenantId".into(),
            Val::unknown("the tenant id is known only at deployment"),
        ),
        (
            "displayName".into(),
            Val::unknown("the subscription's name is known only at deployment"),
        ),
    ]))
}

fn deployment(ctx: &Context) -> Val {
    let mut o = Obj::new();
    o.insert("name".into(), Val::str(ctx.deployment_name.clone()));
    o.insert(
        "properties".into(),
        Val::Object(Obj::from_entries(vec![(
            "templateLink".into(),
            Val::unknown("how the template is linked is known only at deployment"),
        )])),
    );
    if ctx.level != Level::ResourceGroup {
        o.insert("location".into(), ctx.location_val("deployment's"));
    }
    Val::Object(o)
}

/// `environment()`: the cloud's endpoints and DNS suffixes (Microsoft's `environment` function
/// reference; China and US Government values from their cloud documentation).
pub fn environment(cloud: Cloud) -> Val {
    let (name, login, rm, graph, portal, storage, kv, sql, acr) = match cloud {
        Cloud::Public => (
            "AzureCloud",
            "https://login.microsoftonline.com/",
            "https://management.azure.com/",
            "https://graph.windows.net/",
            "https://portal.azure.com",
            "core.windows.net",
            ".vault.azure.net",
            ".database.windows.net",
            ".azurecr.io",
        ),
        Cloud::China => (
            "AzureChinaCloud",
            "https://login.chinacloudapi.cn/",
            "https://management.chinacloudapi.cn/",
            "https://graph.chinacloudapi.cn/",
            "https://portal.azure.cn",
            "core.chinacloudapi.cn",
            ".vault.azure.cn",
            ".database.chinacloudapi.cn",
            ".azurecr.cn",
        ),
        Cloud::UsGov => (
            "AzureUSGovernment",
            "https://login.microsoftonline.us/",
            "https://management.usgovcloudapi.net/",
            "https://graph.windows.net/",
            "https://portal.azure.us",
            "core.usgovcloudapi.net",
            ".vault.usgovcloudapi.net",
            ".database.usgovcloudapi.net",
            ".azurecr.us",
        ),
    };
    let s = |x: &str| Val::str(x);
    Val::Object(Obj::from_entries(vec![
        ("name".into(), s(name)),
        ("graph".into(), s(graph)),
        ("portal".into(), s(portal)),
        ("graphAudience".into(), s(graph)),
        ("resourceManager".into(), s(rm)),
        (
            "authentication".into(),
            Val::Object(Obj::from_entries(vec![
                ("loginEndpoint".into(), s(login)),
                (
                    "audiences".into(),
                    Val::Array(vec![
                        s(rm),
                        s(&rm.replace("management.", "management.core.")),
                    ]),
                ),
                ("tenant".into(), s("common")),
                ("identityProvider".into(), s("AAD")),
            ])),
        ),
        (
            "suffixes".into(),
            Val::Object(Obj::from_entries(vec![
                ("storage".into(), s(storage)),
                ("keyvaultDns".into(), s(kv)),
                ("sqlServerHostname".into(), s(sql)),
                ("acrLoginServer".into(), s(acr)),
            ])),
        ),
    ]))
}

/// The string arguments, or the first unknown one.
fn texts<'a>(name: &str, args: &'a [Val]) -> Result<Result<Vec<&'a str>, Unknown>, EvalError> {
    let mut out = vec![];
    for a in args {
        match a {
            Val::Str(s) => out.push(s.as_str()),
            Val::Unknown(u) => return Ok(Err(u.clone())),
            other => {
                return Err(EvalError::runtime(format!(
                    "{name}() expects strings, not a value of type {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(Ok(out))
}

/// A resource type argument: `Namespace/type[/child]`.
fn is_type(s: &str) -> bool {
    let mut parts = s.split('/');
    matches!(parts.next(), Some(ns) if ns.contains('.')) && parts.next().is_some()
}

fn id_function(lname: &str, name: &str, args: &[Val], ctx: &Context) -> R {
    let a = match texts(name, args)? {
        Ok(a) => a,
        Err(u) => return Ok(Val::Unknown(u)),
    };
    let invalid = |m: String| EvalError::invalid(format!("{name}(): {m}"));
    let (prefix, rest) = match lname {
        "resourceid" => {
            let Some(ti) = a.iter().position(|s| is_type(s)) else {
                return Err(invalid("no resource type argument (Namespace/type)".into()));
            };
            let prefix = match (ti, ctx.level) {
                (0, Level::ResourceGroup) => ctx.scope_id(),
                (0, _) => format!("/subscriptions/{}", ctx.subscription()),
                (1, _) => format!(
                    "/subscriptions/{}/resourceGroups/{}",
                    ctx.subscription(),
                    a[0]
                ),
                (2, _) => format!("/subscriptions/{}/resourceGroups/{}", a[0], a[1]),
                _ => {
                    return Err(invalid(
                        "at most a subscription id and a resource group name come before the type"
                            .into(),
                    ));
                }
            };
            (prefix, &a[ti..])
        }
        "subscriptionresourceid" => {
            let Some(ti) = a.iter().position(|s| is_type(s)) else {
                return Err(invalid("no resource type argument (Namespace/type)".into()));
            };
            let prefix = match ti {
                0 => format!("/subscriptions/{}", ctx.subscription()),
                1 => format!("/subscriptions/{}", a[0]),
                _ => {
                    return Err(invalid(
                        "at most a subscription id comes before the type".into(),
                    ));
                }
            };
            (prefix, &a[ti..])
        }
        "managementgroupresourceid" => {
            let Some(ti) = a.iter().position(|s| is_type(s)) else {
                return Err(invalid("no resource type argument (Namespace/type)".into()));
            };
            let mg = match ti {
                0 => ctx
                    .management_group
                    .clone()
                    .unwrap_or_else(|| "{management-group}".into()),
                1 => a[0].to_string(),
                _ => {
                    return Err(invalid(
                        "at most a management group comes before the type".into(),
                    ));
                }
            };
            (
                format!("/providers/Microsoft.Management/managementGroups/{mg}"),
                &a[ti..],
            )
        }
        "tenantresourceid" => (String::new(), &a[..]),
        _ => {
            // extensionResourceId(resourceId, type, names...)
            let Some((base, rest)) = a.split_first() else {
                return Err(invalid("the base resource id is missing".into()));
            };
            (base.trim_end_matches('/').to_string(), rest)
        }
    };
    let Some((rtype, names)) = rest.split_first() else {
        return Err(invalid("the resource type is missing".into()));
    };
    resource_id(&prefix, rtype, names)
        .map(Val::Str)
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::super::eval::testenv::*;
    use super::*;
    use serde_json::json;

    fn given() -> TestEnv {
        TestEnv {
            ctx: Context {
                subscription_id: Some("00000000-0000-0000-0000-000000000001".into()),
                resource_group: Some("rg-spoke".into()),
                location: Some("westeurope".into()),
                ..Context::default()
            },
            ..TestEnv::default()
        }
    }

    #[test]
    fn resource_ids() {
        let e = given();
        assert_eq!(
            json(
                &e,
                "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'nodes')]"
            ),
            json!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"
            )
        );
        assert_eq!(
            json(
                &e,
                "[resourceId('rg-hub', 'Microsoft.Network/azureFirewalls', 'fw')]"
            ),
            json!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hub/providers/Microsoft.Network/azureFirewalls/fw"
            )
        );
        assert_eq!(
            json(
                &e,
                "[resourceId('sub2', 'rg-hub', 'Microsoft.Network/azureFirewalls', 'fw')]"
            ),
            json!(
                "/subscriptions/sub2/resourceGroups/rg-hub/providers/Microsoft.Network/azureFirewalls/fw"
            )
        );
        assert_eq!(
            json(
                &e,
                "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]"
            ),
            json!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/abc"
            )
        );
        assert_eq!(
            json(
                &e,
                "[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]"
            ),
            json!("/providers/Microsoft.Management/managementGroups/mg")
        );
        assert_eq!(
            json(
                &e,
                "[extensionResourceId(resourceId('Microsoft.Network/virtualNetworks', 'v'), 'Microsoft.Authorization/roleAssignments', 'r')]"
            ),
            json!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/roleAssignments/r"
            )
        );
        // a slash-joined child name
        assert_eq!(
            json(
                &e,
                "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet/nodes')]"
            ),
            json(
                &e,
                "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'nodes')]"
            ),
        );
        let err = ev_err(
            &e,
            "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]",
        );
        assert!(err.message.contains("needs 2 name(s)"), "{err:?}");
    }

    #[test]
    fn scope_functions() {
        let e = given();
        assert_eq!(json(&e, "[resourceGroup().name]"), json!("rg-spoke"));
        assert_eq!(json(&e, "[resourceGroup().location]"), json!("westeurope"));
        assert_eq!(
            json(&e, "[subscription().id]"),
            json!("/subscriptions/00000000-0000-0000-0000-000000000001")
        );
        assert_eq!(
            json(&e, "[uniqueString(resourceGroup().id)]"),
            json!(super::super::hash::unique_string(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-spoke"
            ))
        );
        assert_eq!(
            json(&e, "[environment().suffixes.storage]"),
            json!("core.windows.net")
        );
        assert_eq!(json(&e, "[deployment().name]"), json!("deployment"));
    }

    #[test]
    fn placeholders_when_not_given() {
        let e = TestEnv::default();
        assert_eq!(
            json(&e, "[resourceId('Microsoft.Network/virtualNetworks', 'v')]"),
            json!(
                "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Network/virtualNetworks/v"
            )
        );
        let Val::Unknown(u) = ev(&e, "[resourceGroup().location]") else {
            panic!()
        };
        assert!(u.reason.contains("--location"));
    }
}
