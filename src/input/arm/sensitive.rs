//! Secrets in ARM resource JSON: properties that hold credentials (a cluster's service principal
//! secret, a Windows admin password, keys, connection strings, a proxy URL with a password).
//! ARM GET responses leave most of them out, but files written by hand or by other tools may
//! not: they are masked in the excerpts findings show and never written to snapshots.

use crate::source::ptr_seg;
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
    if matches!(v, Value::Null | Value::Bool(_)) {
        return false;
    }
    let b = name.as_bytes();
    SECRET_MEMBERS.iter().any(|m| m.eq_ignore_ascii_case(name))
        || (b.len() >= 5
            && b[b.len() - 5..].eq_ignore_ascii_case(b"proxy")
            && v.as_str().is_some_and(url_with_credentials))
}

/// Values nested deeper than this are masked whole rather than read (parsed JSON is nested at
/// most 128 deep; evaluated templates could be deeper).
const MAX_DEPTH: usize = 256;

/// Pointers of the secrets in `v`, whose pointer is `ptr` (restored on return); one pointer
/// string is extended and cut back as the walk goes, a new one made only for a secret.
fn walk(v: &Value, ptr: &mut String, out: &mut Vec<String>, depth: usize) {
    let deep = depth > MAX_DEPTH;
    match v {
        Value::Object(_) | Value::Array(_) if deep => out.push(ptr.clone()),
        Value::Object(o) => {
            for (k, x) in o {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&ptr_seg(k));
                if is_secret(k, x) {
                    out.push(ptr.clone());
                } else {
                    walk(x, ptr, out, depth + 1);
                }
                ptr.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(itoa::Buffer::new().format(i));
                walk(x, ptr, out, depth + 1);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

/// JSON pointers of the secret values in a document.
pub fn sensitive_pointers(root: &Value) -> Vec<String> {
    let mut out = vec![];
    walk(root, &mut String::new(), &mut out, 0);
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
    fn escaped_names_non_ascii_names_and_deep_values() {
        let v = json!({"a/b": [{"c~d": {"Password": "p"}}], "ñproxy": "http://u:p@h/", "é": "x"});
        let mut found = sensitive_pointers(&v);
        found.sort();
        assert_eq!(found, vec!["/a~1b/0/c~0d/Password", "/ñproxy"]);
        // a secret deeper than the walk reads is masked with what holds it
        let mut deep = json!({"secret": "s"});
        for _ in 0..300 {
            deep = json!([deep]);
        }
        let found = sensitive_pointers(&json!({"x": deep}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("/x/0/0/") && found[0].len() < 2 + 2 * 300,
            "{found:?}"
        );
    }

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
