//! Variable type constraints (`list(object({ name = string, cidr = optional(string, "x") }))`):
//! values given to a variable are converted to its type as Terraform does, so optional
//! attributes get their defaults and numbers given as strings become numbers.

use super::value::{Kind, Val, fmt_num};
use hcl::edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Convert `v` to the type written as `ty`. Unknown and null values stay as they are.
pub(crate) fn convert(v: Val, ty: &Expression) -> Result<Val, String> {
    if v.is_unknown() || v.is_null() {
        return Ok(v);
    }
    let Val {
        kind,
        src,
        refs,
        at,
        sensitive,
        pattern,
    } = v;
    let kind = convert_kind(kind, ty)?;
    Ok(Val {
        kind,
        src,
        refs,
        at,
        sensitive,
        pattern,
    })
}

fn type_name(k: &Kind) -> &'static str {
    Val::new(k.clone()).type_name()
}

fn convert_kind(kind: Kind, ty: &Expression) -> Result<Kind, String> {
    match ty {
        Expression::Variable(id) => primitive(kind, id.as_str()),
        // Terraform 0.11 wrote types as strings: type = "list"
        Expression::String(s) => match s.value().as_str() {
            "list" | "map" => Ok(kind),
            other => primitive(kind, other),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let arg = call.args.iter().next();
            match (name, arg) {
                ("list" | "set", Some(t)) => {
                    let Kind::List(items) = kind else {
                        return Err(format!("a {} is not a {name}", type_name(&kind)));
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for x in Rc::unwrap_or_clone(items) {
                        out.push(convert(x, t)?);
                    }
                    if name == "set" {
                        let mut uniq: Vec<Val> = Vec::new();
                        for x in out {
                            if !uniq.iter().any(|y| y.equals(&x) == Some(true)) {
                                uniq.push(x);
                            }
                        }
                        if uniq.iter().all(|x| matches!(x.kind, Kind::Str(_))) {
                            uniq.sort_by(|a, b| match (&a.kind, &b.kind) {
                                (Kind::Str(x), Kind::Str(y)) => x.cmp(y),
                                _ => std::cmp::Ordering::Equal,
                            });
                        }
                        out = uniq;
                    }
                    Ok(Kind::List(Rc::new(out)))
                }
                ("map", Some(t)) => {
                    let Kind::Map(m) = kind else {
                        return Err(format!("a {} is not a map", type_name(&kind)));
                    };
                    let mut out = BTreeMap::new();
                    for (k, x) in Rc::unwrap_or_clone(m) {
                        out.insert(k, convert(x, t)?);
                    }
                    Ok(Kind::Map(Rc::new(out)))
                }
                ("tuple", Some(Expression::Array(ts))) => {
                    let Kind::List(items) = kind else {
                        return Err(format!("a {} is not a tuple", type_name(&kind)));
                    };
                    let mut out = Vec::new();
                    for (i, x) in Rc::unwrap_or_clone(items).into_iter().enumerate() {
                        out.push(match ts.get(i) {
                            Some(t) => convert(x, t)?,
                            None => x,
                        });
                    }
                    Ok(Kind::List(Rc::new(out)))
                }
                ("object", Some(Expression::Object(attrs))) => {
                    let Kind::Map(m) = kind else {
                        return Err(format!("a {} is not an object", type_name(&kind)));
                    };
                    let mut m = Rc::unwrap_or_clone(m);
                    let mut out = BTreeMap::new();
                    for (k, ov) in attrs.iter() {
                        let Some(key) = object_key(k) else { continue };
                        let (inner, default, optional) = match ov.expr() {
                            Expression::FuncCall(c) if c.name.name.as_str() == "optional" => {
                                let mut it = c.args.iter();
                                (it.next(), it.next(), true)
                            }
                            other => (Some(other), None, false),
                        };
                        let val = match m.remove(&key) {
                            Some(x) if !(optional && x.is_null()) => x,
                            _ if optional => match default {
                                Some(d) => super::vars::constant(d, None)?,
                                None => Val::null(),
                            },
                            _ => return Err(format!("attribute `{key}` is required")),
                        };
                        let val = match inner {
                            Some(t) => convert(val, t)?,
                            None => val,
                        };
                        out.insert(key, val);
                    }
                    Ok(Kind::Map(Rc::new(out)))
                }
                _ => Ok(kind),
            }
        }
        _ => Ok(kind),
    }
}

fn object_key(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(id) => Some(id.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.value().to_string()),
        ObjectKey::Expression(Expression::Variable(id)) => Some(id.as_str().to_string()),
        _ => None,
    }
}

fn primitive(kind: Kind, ty: &str) -> Result<Kind, String> {
    match (ty, kind) {
        ("string", Kind::Num(n)) => Ok(Kind::Str(fmt_num(n))),
        ("string", Kind::Bool(b)) => Ok(Kind::Str(b.to_string())),
        ("string", k @ Kind::Str(_)) => Ok(k),
        ("string", k) => Err(format!("a {} is not a string", type_name(&k))),
        ("number", Kind::Str(s)) => s
            .trim()
            .parse::<f64>()
            .map(Kind::Num)
            .map_err(|_| format!("`{s}` is not a number")),
        ("number", k @ Kind::Num(_)) => Ok(k),
        ("number", k) => Err(format!("a {} is not a number", type_name(&k))),
        ("bool", Kind::Str(s)) if s == "true" => Ok(Kind::Bool(true)),
        ("bool", Kind::Str(s)) if s == "false" => Ok(Kind::Bool(false)),
        ("bool", k @ Kind::Bool(_)) => Ok(k),
        ("bool", k) => Err(format!("a {} is not a bool", type_name(&k))),
        (_, k) => Ok(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Expression {
        hcl::edit::parser::parse_expr(s).expect("type expression")
    }

    #[test]
    fn optional_attributes_get_defaults() {
        let t = ty(
            r#"list(object({ name = string, cidr = optional(string, "10.0.0.0/24"), nsg = optional(bool), port = number }))"#,
        );
        let v = Val::list(vec![Val::map(
            [
                ("name".to_string(), Val::str("a")),
                ("port".to_string(), Val::str("443")),
                ("extra".to_string(), Val::str("dropped")),
            ]
            .into(),
        )]);
        let c = convert(v, &t).expect("converts");
        let o = c.as_list().unwrap()[0].as_map().unwrap().clone();
        assert_eq!(o["cidr"].as_string().unwrap(), "10.0.0.0/24");
        assert!(o["nsg"].is_null());
        assert_eq!(o["port"].as_num().unwrap(), 443.0);
        assert!(!o.contains_key("extra"));
        let missing = Val::list(vec![Val::map(BTreeMap::new())]);
        assert!(convert(missing, &t).is_err());
    }

    #[test]
    fn sets_and_primitives() {
        let s = convert(
            Val::list(vec![Val::str("b"), Val::str("a"), Val::str("b")]),
            &ty("set(string)"),
        )
        .unwrap();
        assert_eq!(s.as_list().unwrap().len(), 2);
        assert_eq!(s.as_list().unwrap()[0].as_string().unwrap(), "a");
        assert_eq!(
            convert(Val::num(5.0), &ty("string"))
                .unwrap()
                .as_string()
                .unwrap(),
            "5"
        );
        assert!(convert(Val::str("x"), &ty("number")).is_err());
        assert!(
            convert(Val::unknown("u"), &ty("number"))
                .unwrap()
                .is_unknown()
        );
    }
}
