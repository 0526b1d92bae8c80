//! Secrets in ARM resource JSON: properties that hold credentials (a cluster's service principal
//! secret, a Windows admin password, keys, connection strings, a proxy URL with a password).
//! ARM GET responses leave most of them out, but files written by hand or by other tools may
//! not: they are masked in the excerpts findings show and never written to snapshots.

use serde_json::Value;

/// Member names whose values are credentials (compared case-insensitively).
const SECRET_MEMBERS: &[&str] = &[
    "secret",
    "clientsecret",
    "password",
    "adminpassword",
    "sharedkey",
    "primarykey",
    "secondarykey",
    "connectionstring",
    "accesstoken",
    "token",
    "sastoken",
    "authorizationkey",
];

/// A URL with `user:password@` in its authority.
fn url_with_credentials(s: &str) -> bool {
    let rest = match s.find("://") {
        Some(p) => &s[p + 3..],
        None => s,
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    rest[..host_end].contains('@')
}

fn is_secret(name: &str, v: &Value) -> bool {
    let lower = name.to_ascii_lowercase();
    if matches!(v, Value::Null | Value::Bool(_)) {
        return false;
    }
    SECRET_MEMBERS.contains(&lower.as_str())
        || (lower.ends_with("proxy") && v.as_str().is_some_and(url_with_credentials))
}

fn seg(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn walk(v: &Value, ptr: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{ptr}/{}", seg(k));
                if is_secret(k, x) {
                    out.push(p);
                } else {
                    walk(x, &p, out, depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{ptr}/{i}"), out, depth + 1);
            }
        }
        _ => {}
    }
}

/// JSON pointers of the secret values in a document.
pub fn sensitive_pointers(root: &Value) -> Vec<String> {
    let mut out = vec![];
    walk(root, "", &mut out, 0);
    out
}

/// Remove the secret values of a resource (before it is written to a snapshot).
pub fn strip_sensitive(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|k, x| !is_secret(k, x));
            for x in o.values_mut() {
                strip_sensitive(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_sensitive),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_found_and_stripped() {
        let mut v = json!({"properties": {
            "servicePrincipalProfile": {"clientId": "c", "secret": "s3cret"},
            "windowsProfile": {"adminPassword": "p", "enableCSIProxy": true},
            "httpProxyConfig": {"httpProxy": "http://u:pw@proxy:3128/", "httpsProxy": "http://proxy:3128"}
        }});
        let mut found = sensitive_pointers(&v);
        found.sort();
        assert_eq!(
            found,
            vec![
                "/properties/httpProxyConfig/httpProxy",
                "/properties/servicePrincipalProfile/secret",
                "/properties/windowsProfile/adminPassword",
            ]
        );
        strip_sensitive(&mut v);
        let text = v.to_string();
        assert!(!text.contains("s3cret") && !text.contains("pw@"), "{text}");
        assert!(text.contains("https://proxy:3128") || text.contains("http://proxy:3128"));
        assert!(text.contains("enableCSIProxy"));
    }
}
