//! A cursor over one ARM resource's JSON: case-insensitive property names (ARM treats them so;
//! `az` output and hand-written templates vary the capitalisation: `privateIPAddress`,
//! `privateIpAddress`), the `properties` envelope of the REST shape or the hoisted properties of
//! `az` output, three-valued reads, and the JSON pointer of every value read, so that each model
//! field records where it came from.

use crate::input::arm::template::value::REFERS_MARKER;
use crate::model::{IpSymbol, Known, Ref, ResourceId};
use crate::source::{Loc, Origin, joined, ptr_seg};
use serde_json::Value;

/// The marker a front end writes for a value it cannot know (an ARM template expression that
/// depends on deployment-time state): `{"$unknown": "reason"}`, anywhere a value may stand.
pub const UNKNOWN_MARKER: &str = "$unknown";

/// Cursor at one value of a resource (absent values keep the path they would have).
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    v: Option<&'a Value>,
    /// JSON pointer of this value in the source (the resource's pointer extended).
    ptr: Option<String>,
    /// The resource's origin (file, address; `loc` is the resource object).
    base: &'a Origin,
    /// Property path for messages: `properties.securityRules[2].priority`.
    pub path: String,
    /// The resource, as messages name it.
    pub what: &'a str,
}

impl<'a> Node<'a> {
    /// The cursor at a resource object whose origin is `base`.
    pub(crate) fn root(v: &'a Value, base: &'a Origin, what: &'a str) -> Node<'a> {
        let ptr = match &base.loc {
            Loc::Pointer(p) => Some(p.clone()),
            _ => None,
        };
        Node {
            v: Some(v),
            ptr,
            base,
            path: String::new(),
            what,
        }
    }

    pub(crate) fn raw(&self) -> Option<&'a Value> {
        self.v
    }

    /// Present and not `null`.
    pub(crate) fn exists(&self) -> bool {
        !matches!(self.v, None | Some(Value::Null))
    }

    /// The value is the front end's "unknown" marker; its reason.
    pub(crate) fn unknown_marker(&self) -> Option<String> {
        let o = self.v?.as_object()?;
        let r = o.get(UNKNOWN_MARKER)?;
        Some(
            r.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} is not known before deployment", self.label())),
        )
    }

    /// What an unknown value stands for, when the front end says which resource property it
    /// reads (`{"$unknown": …, "$refers": {"id", "path"}}`, written by the template evaluator
    /// and the what-if reader): a firewall's private IP, a public IP's address, ….
    pub(crate) fn ip_symbol(&self) -> Option<IpSymbol> {
        let o = self.v?.as_object()?;
        o.get(UNKNOWN_MARKER)?;
        let r = crate::input::arm::template::value::refers_from_json(o.get(REFERS_MARKER)?)?;
        let path = crate::input::arm::template::value::path_text(&r.path).to_ascii_lowercase();
        let id = ResourceId::new(r.id.to_string());
        let rtype = crate::input::arm::type_from_id(id.as_str())?.to_ascii_lowercase();
        let key = Ref::Id(id);
        Some(match rtype.as_str() {
            "microsoft.network/azurefirewalls"
                if path.contains("ipconfigurations") && path.ends_with("privateipaddress") =>
            {
                IpSymbol::FirewallPrivateIp(key)
            }
            "microsoft.network/azurefirewalls" if path.contains("hubipaddresses") => {
                IpSymbol::FirewallPrivateIp(key)
            }
            "microsoft.network/publicipaddresses" if path.ends_with("ipaddress") => {
                IpSymbol::PublicIp(key)
            }
            "microsoft.network/publicipprefixes" if path.ends_with("ipprefix") => {
                IpSymbol::PublicIpPrefix(key)
            }
            "microsoft.network/dnsresolvers/inboundendpoints" if path.contains("ipaddress") => {
                IpSymbol::ResolverInboundEndpoint(key)
            }
            "microsoft.network/networkinterfaces" if path.contains("ipaddress") => {
                IpSymbol::NetworkInterface(key)
            }
            _ => IpSymbol::Other(format!("{} of {}", path, key.display())),
        })
    }

    /// `what.path`, for messages.
    pub(crate) fn label(&self) -> String {
        if self.path.is_empty() {
            self.what.to_string()
        } else {
            format!("{}.{}", self.what, self.path)
        }
    }

    fn child(&self, v: Option<&'a Value>, seg: &str, path: String) -> Node<'a> {
        Node {
            v,
            ptr: self.ptr.as_ref().map(|p| joined(p, '/', &ptr_seg(seg))),
            base: self.base,
            path,
            what: self.what,
        }
    }

    /// Member `key` of an object, matched case-insensitively (an exact match first).
    pub(crate) fn get(&self, key: &str) -> Node<'a> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            joined(&self.path, '.', key)
        };
        let Some(Value::Object(m)) = self.v else {
            return self.child(None, key, path);
        };
        if let Some(v) = m.get(key) {
            return self.child(Some(v), key, path);
        }
        match m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((k, v)) => self.child(Some(v), k, path),
            None => self.child(None, key, path),
        }
    }

    /// A resource property: `properties.<key>` in the REST shape; the member itself when the
    /// object has no `properties` object (`az` output hoists properties to the top level).
    pub(crate) fn prop(&self, key: &str) -> Node<'a> {
        let p = self.get("properties");
        if matches!(p.v, Some(Value::Object(_))) {
            p.get(key)
        } else {
            self.get(key)
        }
    }

    /// The items of an array (none for anything else).
    pub(crate) fn items(&self) -> Vec<Node<'a>> {
        match self.v {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut n = itoa::Buffer::new();
                    let i = n.format(i);
                    let mut path = joined(&self.path, '[', i);
                    path.push(']');
                    self.child(Some(v), i, path)
                })
                .collect(),
            _ => vec![],
        }
    }

    /// Where this value is; when it is absent, the nearest enclosing value that is present
    /// (pointers into a file must lead somewhere to be shown).
    pub(crate) fn origin(&self) -> Origin {
        let mut o = self.base.clone();
        if let Some(p) = &self.ptr {
            o.loc = Loc::Pointer(p.clone());
        }
        o
    }

    /// Where this value is when present, else `fallback`.
    pub(crate) fn origin_or(&self, fallback: &Origin) -> Origin {
        if self.v.is_some() {
            self.origin()
        } else {
            fallback.clone()
        }
    }

    fn unexpected(&self, want: &str) -> String {
        let shown = match self.v {
            Some(v) => {
                let s = v.to_string();
                if s.len() > 60 {
                    let mut cut = 60;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    format!("{}…", &s[..cut])
                } else {
                    s
                }
            }
            None => "absent".into(),
        };
        format!("{} is `{shown}`, not {want}", self.label())
    }

    /// A string (numbers are read as their text, for tolerance).
    pub(crate) fn str(&self) -> Known<String> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        match self.v {
            None | Some(Value::Null) => Known::Absent,
            Some(Value::String(s)) => Known::Known(s.clone()),
            Some(Value::Number(n)) => Known::Known(n.to_string()),
            Some(_) => Known::Unknown(self.unexpected("a string")),
        }
    }

    /// A boolean; the strings `true`/`false`/`Enabled`/`Disabled` too (firewall
    /// `additionalProperties` hold strings).
    pub(crate) fn bool(&self) -> Known<bool> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        match self.v {
            None | Some(Value::Null) => Known::Absent,
            Some(Value::Bool(b)) => Known::Known(*b),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "enabled" => Known::Known(true),
                "false" | "disabled" => Known::Known(false),
                _ => Known::Unknown(self.unexpected("true or false")),
            },
            Some(_) => Known::Unknown(self.unexpected("true or false")),
        }
    }

    /// A non-negative integer (numeric strings too: `"translatedPort": "8443"`).
    pub(crate) fn u64(&self) -> Known<u64> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        match self.v {
            None | Some(Value::Null) => Known::Absent,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(x) => Known::Known(x),
                None => Known::Unknown(self.unexpected("a non-negative integer")),
            },
            Some(Value::String(s)) => match s.trim().parse::<u64>() {
                Ok(x) => Known::Known(x),
                Err(_) => Known::Unknown(self.unexpected("a non-negative integer")),
            },
            Some(_) => Known::Unknown(self.unexpected("a non-negative integer")),
        }
    }

    pub(crate) fn u32(&self) -> Known<u32> {
        match self.u64() {
            Known::Known(x) => match u32::try_from(x) {
                Ok(v) => Known::Known(v),
                Err(_) => Known::Unknown(self.unexpected("a 32-bit integer")),
            },
            Known::Unknown(r) => Known::Unknown(r),
            Known::Absent => Known::Absent,
        }
    }

    /// A list of strings; a single string is a list of one. Items that are not strings make the
    /// whole list unknown (a partial list could hide the item that matters).
    pub(crate) fn strings(&self) -> Known<Vec<String>> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        match self.v {
            None | Some(Value::Null) => Known::Absent,
            Some(Value::String(s)) => Known::Known(vec![s.clone()]),
            Some(Value::Array(_)) => {
                let mut out = vec![];
                for it in self.items() {
                    match it.str() {
                        Known::Known(s) => out.push(s),
                        Known::Absent => {}
                        Known::Unknown(r) => return Known::Unknown(r),
                    }
                }
                Known::Known(out)
            }
            Some(_) => Known::Unknown(self.unexpected("a list of strings")),
        }
    }

    /// A strings list that is never unknown: an unknown list gives none (for lists whose items
    /// only add matches, the caller records the unknown otherwise).
    pub(crate) fn strings_or_empty(&self) -> Vec<String> {
        self.strings().into_known().unwrap_or_default()
    }

    /// A reference to another resource: `{"id": "…"}` (sub-resource) or the id string itself.
    pub(crate) fn id_ref(&self) -> Known<Ref> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        let s = match self.v {
            Some(Value::Object(_)) => self.get("id").str(),
            _ => self.str(),
        };
        match s {
            Known::Known(s) if ResourceId::looks_like_id(&s) => Known::Known(Ref::id(s)),
            Known::Known(s) if s.is_empty() => Known::Absent,
            Known::Known(s) => Known::Unknown(format!(
                "{} is `{s}`, not an Azure resource id",
                self.label()
            )),
            Known::Unknown(r) => Known::Unknown(r),
            Known::Absent => Known::Absent,
        }
    }

    /// References of a list of sub-resources (`[{"id": …}, …]`); items that are not ids are
    /// skipped.
    pub(crate) fn id_refs(&self) -> Known<Vec<Ref>> {
        if let Some(r) = self.unknown_marker() {
            return Known::Unknown(r);
        }
        match self.v {
            None | Some(Value::Null) => Known::Absent,
            Some(Value::Array(_)) => {
                let mut out = vec![];
                for it in self.items() {
                    match it.id_ref() {
                        Known::Known(r) => {
                            if !out.contains(&r) {
                                out.push(r)
                            }
                        }
                        Known::Unknown(r) => return Known::Unknown(r),
                        Known::Absent => {}
                    }
                }
                Known::Known(out)
            }
            Some(_) => Known::Unknown(self.unexpected("a list of resource ids")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use serde_json::json;

    fn origin() -> Origin {
        Origin::new(FileId(0), "r", Loc::Pointer("/value/0".into()))
    }

    #[test]
    fn properties_envelope_or_hoisted_and_case_insensitive() {
        let o = origin();
        let rest = json!({"id": "x", "properties": {"privateIPAddress": "10.0.0.4"}});
        let az = json!({"id": "x", "privateIpAddress": "10.0.0.4"});
        let r = Node::root(&rest, &o, "fw");
        let a = Node::root(&az, &o, "fw");
        assert_eq!(
            r.prop("privateIPAddress").str(),
            Known::Known("10.0.0.4".into())
        );
        assert_eq!(
            a.prop("privateIPAddress").str(),
            Known::Known("10.0.0.4".into())
        );
        // pointers keep the spelling of the file
        assert_eq!(
            r.prop("privateIpAddress").origin().loc,
            Loc::Pointer("/value/0/properties/privateIPAddress".into())
        );
        assert_eq!(
            a.prop("privateIPAddress").origin().loc,
            Loc::Pointer("/value/0/privateIpAddress".into())
        );
    }

    #[test]
    fn pointers_escape_their_segments_and_paths_name_items() {
        let o = origin();
        let v = json!({"properties": {"a/b": {"c~d": [1, {"e": 2}]}}});
        let r = Node::root(&v, &o, "x");
        let e = &r.prop("a/b").get("c~d").items()[1].get("e");
        assert_eq!(
            e.origin().loc,
            Loc::Pointer("/value/0/properties/a~1b/c~0d/1/e".into())
        );
        assert_eq!(e.path, "properties.a/b.c~d[1].e");
        assert_eq!(e.label(), "x.properties.a/b.c~d[1].e");
        assert_eq!(e.u64(), Known::Known(2));
    }

    #[test]
    fn three_valued_reads() {
        let o = origin();
        let v = json!({
            "a": null, "b": "Enabled", "c": {"$unknown": "depends on reference('x')"},
            "d": [1, 2], "e": "8443", "f": {"id": "/subscriptions/s/resourceGroups/g/providers/P/t/n"},
            "g": {"id": "not-an-id"}, "h": "a~b/c"
        });
        let n = Node::root(&v, &o, "res");
        assert_eq!(n.get("a").str(), Known::Absent);
        assert_eq!(n.get("zz").bool(), Known::Absent);
        assert_eq!(n.get("b").bool(), Known::Known(true));
        assert_eq!(
            n.get("c").u32(),
            Known::Unknown("depends on reference('x')".into())
        );
        assert!(n.get("d").str().is_unknown());
        assert_eq!(
            n.get("d").strings(),
            Known::Known(vec!["1".into(), "2".into()])
        );
        assert_eq!(n.get("e").u32(), Known::Known(8443));
        assert!(n.get("f").id_ref().is_known());
        assert!(n.get("g").id_ref().is_unknown());
        let o2 = Node::root(&v, &o, "res").get("h").origin();
        assert_eq!(o2.loc, Loc::Pointer("/value/0/h".into()));
    }
}
