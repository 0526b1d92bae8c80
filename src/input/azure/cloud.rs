//! Azure clouds: the Resource Manager endpoint, the token scope and the Entra ID authority of the
//! public cloud and the sovereign clouds.

use crate::model::Cloud;

/// Endpoints of one cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Azure Resource Manager, without a trailing slash.
    pub resource_manager: &'static str,
    /// The scope tokens are requested for (`{audience}/.default`).
    pub scope: &'static str,
}

impl CloudEndpoints {
    pub fn of(cloud: Cloud) -> CloudEndpoints {
        match cloud {
            Cloud::Public => CloudEndpoints {
                resource_manager: "https://management.azure.com",
                scope: "https://management.azure.com/.default",
            },
            Cloud::China => CloudEndpoints {
                resource_manager: "https://management.chinacloudapi.cn",
                scope: "https://management.chinacloudapi.cn/.default",
            },
            Cloud::UsGov => CloudEndpoints {
                resource_manager: "https://management.usgovcloudapi.net",
                scope: "https://management.usgovcloudapi.net/.default",
            },
        }
    }

    /// The cloud configuration the credentials use (authority host).
    pub fn azure_core_cloud(cloud: Cloud) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration as C;
        match cloud {
            Cloud::Public => C::AzurePublic,
            Cloud::China => C::AzureChina,
            Cloud::UsGov => C::AzureGovernment,
        }
    }
}

/// The `--arm-endpoint` checked: https anywhere, plain http only on the loopback interface (a
/// local proxy or a test server), since the bearer token travels with every request.
pub fn check_endpoint(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    let (scheme, rest) = u
        .split_once("://")
        .ok_or_else(|| format!("--arm-endpoint `{url}` is not a URL (https://host[:port])"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let hostname = if host.starts_with('[') {
        host.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if hostname.is_empty() {
        return Err(format!("--arm-endpoint `{url}` has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(u.to_string()),
        "http" if matches!(hostname, "127.0.0.1" | "localhost" | "::1") => Ok(u.to_string()),
        "http" => Err(format!(
            "--arm-endpoint `{url}`: plain http is allowed only on the loopback interface \
             (127.0.0.1, ::1, localhost); the access token travels with every request"
        )),
        other => Err(format!(
            "--arm-endpoint `{url}`: unsupported scheme `{other}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_their_checks() {
        assert_eq!(
            CloudEndpoints::of(Cloud::China).resource_manager,
            "https://management.chinacloudapi.cn"
        );
        assert_eq!(
            check_endpoint("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_endpoint("http://[::1]:9").is_ok());
        assert!(check_endpoint("https://arm.proxy.corp").is_ok());
        assert!(check_endpoint("http://arm.proxy.corp").is_err());
        assert!(check_endpoint("http://127.0.0.1.evil.example").is_err());
        assert!(check_endpoint("ftp://x").is_err());
        assert!(check_endpoint("management.azure.com").is_err());
    }
}
