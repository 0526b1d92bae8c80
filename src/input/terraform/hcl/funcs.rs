//! Terraform's built-in functions that network code uses, over [`Val`]: unknown arguments give
//! unknown results (with the argument's reason and references), and the semantics follow
//! Terraform's (`cidrsubnet` and friends as hashicorp/go-cty-funcs/cidr; `format` as Go's fmt
//! verbs Terraform accepts). `try` and `can` are not here: their arguments must not be evaluated
//! first (see `eval.rs`).

use super::value::{Kind, Val};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

/// Every function name this module implements.
pub(crate) const NAMES: &[&str] = &[
    "abs",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "ceil",
    "chomp",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "endswith",
    "flatten",
    "floor",
    "format",
    "formatlist",
    "index",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "max",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "range",
    "replace",
    "reverse",
    "sensitive",
    "setunion",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "substr",
    "sum",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "upper",
    "values",
    "zipmap",
];

/// Functions that handle unknown arguments themselves (their result may be partly known).
const STRUCTURAL: &[&str] = &[
    "coalesce",
    "coalescelist",
    "concat",
    "element",
    "flatten",
    "keys",
    "length",
    "lookup",
    "merge",
    "nonsensitive",
    "one",
    "sensitive",
    "tolist",
    "tomap",
    "toset",
    "values",
];

/// Call function `name` (which must be in [`NAMES`]).
pub(crate) fn call(name: &str, args: Vec<Val>) -> Result<Val, String> {
    if !STRUCTURAL.contains(&name) {
        if let Some(u) = args.iter().find(|a| a.has_unknown()) {
            let refs: Vec<&Val> = args.iter().collect();
            return Ok(Val::unknown_from(u, &refs));
        }
        if let Some(n) = args.iter().position(Val::is_null) {
            if !matches!(name, "coalesce" | "jsonencode" | "compact" | "format") {
                return Err(format!("argument {} of {name}() is null", n + 1));
            }
        }
    }
    let all: Vec<&Val> = args.iter().collect();
    let derive = |k: Kind| Val::derived(k, &all);
    let str_arg = |i: usize| -> Result<String, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs at least {} argument(s)", i + 1))?
            .as_string()
    };
    let num_arg = |i: usize| -> Result<f64, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs at least {} argument(s)", i + 1))?
            .as_num()
    };
    let int_arg = |i: usize| -> Result<i64, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs at least {} argument(s)", i + 1))?
            .as_int()
    };
    let arg = |i: usize| -> Result<&Val, String> {
        args.get(i)
            .ok_or_else(|| format!("{name}() needs at least {} argument(s)", i + 1))
    };
    let out = match name {
        // ---------------------------------------------------------------- network
        "cidrsubnet" => derive(Kind::Str(
            cidrsubnet(&str_arg(0)?, int_arg(1)?, int_arg(2)?)?.to_string(),
        )),
        "cidrhost" => derive(Kind::Str(cidrhost(&str_arg(0)?, int_arg(1)?)?.to_string())),
        "cidrnetmask" => {
            let net = parse_cidr(&str_arg(0)?)?;
            match net {
                IpNet::V4(n) => derive(Kind::Str(n.netmask().to_string())),
                IpNet::V6(_) => return Err("cidrnetmask() only supports IPv4 prefixes".into()),
            }
        }
        "cidrsubnets" => {
            let base = str_arg(0)?;
            let bits = args[1..]
                .iter()
                .map(Val::as_int)
                .collect::<Result<Vec<_>, _>>()?;
            let nets = cidrsubnets(&base, &bits)?;
            derive(Kind::List(Rc::new(
                nets.into_iter().map(|n| Val::str(n.to_string())).collect(),
            )))
        }
        // ---------------------------------------------------------------- strings
        "format" => derive(Kind::Str(format(&str_arg(0)?, &args[1..])?)),
        "formatlist" => {
            let f = str_arg(0)?;
            let rest = &args[1..];
            let n = rest
                .iter()
                .filter_map(|a| a.as_list().ok().map(<[Val]>::len))
                .max();
            let Some(n) = n else {
                return Ok(derive(Kind::List(Rc::new(vec![Val::str(format(
                    &f, rest,
                )?)]))));
            };
            let mut out = Vec::new();
            for i in 0..n {
                let row: Vec<Val> = rest
                    .iter()
                    .map(|a| match &a.kind {
                        Kind::List(l) => l.get(i).cloned().ok_or_else(|| {
                            "formatlist() lists must all have the same length".to_string()
                        }),
                        _ => Ok(a.clone()),
                    })
                    .collect::<Result<_, _>>()?;
                out.push(Val::str(format(&f, &row)?));
            }
            derive(Kind::List(Rc::new(out)))
        }
        "join" => {
            let sep = str_arg(0)?;
            let mut parts = Vec::new();
            for l in &args[1..] {
                for x in l.as_list()? {
                    parts.push(x.as_string()?);
                }
            }
            derive(Kind::Str(parts.join(&sep)))
        }
        "split" => {
            let sep = str_arg(0)?;
            let s = str_arg(1)?;
            let parts: Vec<Val> = if sep.is_empty() {
                s.chars().map(|c| Val::str(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(Val::str).collect()
            };
            derive(Kind::List(Rc::new(parts)))
        }
        "replace" => {
            let s = str_arg(0)?;
            let from = str_arg(1)?;
            let to = str_arg(2)?;
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                return Err("replace() with a regular expression is not supported".into());
            }
            derive(Kind::Str(s.replace(&from, &to)))
        }
        "lower" => derive(Kind::Str(str_arg(0)?.to_lowercase())),
        "upper" => derive(Kind::Str(str_arg(0)?.to_uppercase())),
        "title" => {
            let s = str_arg(0)?;
            let mut out = String::new();
            let mut start = true;
            for c in s.chars() {
                if start && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = c.is_whitespace();
            }
            derive(Kind::Str(out))
        }
        "trimspace" => derive(Kind::Str(str_arg(0)?.trim().to_string())),
        "chomp" => derive(Kind::Str(
            str_arg(0)?.trim_end_matches(['\n', '\r']).to_string(),
        )),
        "trim" => {
            let s = str_arg(0)?;
            let cut = str_arg(1)?;
            derive(Kind::Str(s.trim_matches(|c| cut.contains(c)).to_string()))
        }
        "trimprefix" => {
            let s = str_arg(0)?;
            let p = str_arg(1)?;
            derive(Kind::Str(s.strip_prefix(&p).unwrap_or(&s).to_string()))
        }
        "trimsuffix" => {
            let s = str_arg(0)?;
            let p = str_arg(1)?;
            derive(Kind::Str(s.strip_suffix(&p).unwrap_or(&s).to_string()))
        }
        "startswith" => derive(Kind::Bool(str_arg(0)?.starts_with(&str_arg(1)?))),
        "endswith" => derive(Kind::Bool(str_arg(0)?.ends_with(&str_arg(1)?))),
        "strcontains" => derive(Kind::Bool(str_arg(0)?.contains(&str_arg(1)?))),
        "substr" => {
            let s: Vec<char> = str_arg(0)?.chars().collect();
            let off = int_arg(1)?;
            let len = int_arg(2)?;
            let n = s.len() as i64;
            let start = if off < 0 {
                (n + off).max(0)
            } else {
                off.min(n)
            } as usize;
            let end = if len < 0 {
                s.len()
            } else {
                start.saturating_add(len as usize).min(s.len())
            };
            derive(Kind::Str(s[start..end].iter().collect()))
        }
        "tostring" => match &arg(0)?.kind {
            Kind::Str(_) | Kind::Num(_) | Kind::Bool(_) => derive(Kind::Str(arg(0)?.as_string()?)),
            _ => return Err(format!("tostring() of a {}", arg(0)?.type_name())),
        },
        "tonumber" => derive(Kind::Num(num_arg(0)?)),
        "base64encode" => derive(Kind::Str(base64_encode(str_arg(0)?.as_bytes()))),
        "base64decode" => {
            let bytes = base64_decode(&str_arg(0)?)
                .ok_or("base64decode(): the argument is not valid base64")?;
            derive(Kind::Str(
                String::from_utf8(bytes).map_err(|_| "base64decode(): the result is not UTF-8")?,
            ))
        }
        "tobool" => derive(Kind::Bool(arg(0)?.as_bool()?)),
        "jsonencode" => derive(Kind::Str(
            serde_json::to_string(&arg(0)?.to_json()).map_err(|e| e.to_string())?,
        )),
        "jsondecode" => {
            let j: serde_json::Value =
                serde_json::from_str(&str_arg(0)?).map_err(|e| format!("jsondecode(): {e}"))?;
            let mut v = Val::from_json(&j);
            v.absorb(arg(0)?);
            v
        }
        // ---------------------------------------------------------------- numbers
        "abs" => derive(Kind::Num(num_arg(0)?.abs())),
        "ceil" => derive(Kind::Num(num_arg(0)?.ceil())),
        "floor" => derive(Kind::Num(num_arg(0)?.floor())),
        "max" | "min" => {
            let nums = numbers(&args)?;
            if nums.is_empty() {
                return Err(format!("{name}() needs at least one number"));
            }
            let r = if name == "max" {
                nums.iter().copied().fold(f64::MIN, f64::max)
            } else {
                nums.iter().copied().fold(f64::MAX, f64::min)
            };
            derive(Kind::Num(r))
        }
        "sum" => derive(Kind::Num(
            arg(0)?
                .as_list()?
                .iter()
                .map(Val::as_num)
                .sum::<Result<f64, _>>()?,
        )),
        "range" => {
            let nums = args
                .iter()
                .map(Val::as_num)
                .collect::<Result<Vec<_>, _>>()?;
            let (start, end, step) = match nums.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s, e] => (*s, *e, if s <= e { 1.0 } else { -1.0 }),
                [s, e, st] => (*s, *e, *st),
                _ => return Err("range() takes one to three numbers".into()),
            };
            if step == 0.0 {
                return Err("range() step must not be zero".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(Val::num(x));
                x += step;
                if out.len() > 100_000 {
                    return Err("range() would produce more than 100,000 elements".into());
                }
            }
            derive(Kind::List(Rc::new(out)))
        }
        // ---------------------------------------------------------------- collections
        "length" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::List(l) => derive(Kind::Num(l.len() as f64)),
                Kind::Map(m) => derive(Kind::Num(m.len() as f64)),
                Kind::Str(s) => derive(Kind::Num(s.chars().count() as f64)),
                Kind::Unknown(_) => Val::unknown_from(a, &[]),
                _ => return Err(format!("length() of a {}", a.type_name())),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for a in &args {
                match &a.kind {
                    Kind::List(l) => out.extend(l.iter().cloned()),
                    Kind::Unknown(_) => return Ok(Val::unknown_from(a, &all)),
                    _ => return Err(format!("concat() of a {}", a.type_name())),
                }
            }
            Val::list(out)
        }
        "flatten" => {
            let a = arg(0)?;
            let mut out = Vec::new();
            if let Some(u) = flatten_into(a, &mut out)? {
                return Ok(Val::unknown_from(&u, &[]));
            }
            Val::list(out)
        }
        "distinct" => {
            let mut out: Vec<Val> = Vec::new();
            for x in arg(0)?.as_list()? {
                if !out.iter().any(|y| y.equals(x) == Some(true)) {
                    out.push(x.clone());
                }
            }
            Val::list(out)
        }
        "compact" => {
            let out = arg(0)?
                .as_list()?
                .iter()
                .filter(|x| !x.is_null() && !matches!(&x.kind, Kind::Str(s) if s.is_empty()))
                .cloned()
                .collect();
            Val::list(out)
        }
        "reverse" => {
            let mut l = arg(0)?.as_list()?.to_vec();
            l.reverse();
            Val::list(l)
        }
        "sort" => {
            let mut l = arg(0)?
                .as_list()?
                .iter()
                .map(Val::as_string)
                .collect::<Result<Vec<_>, _>>()?;
            l.sort();
            derive(Kind::List(Rc::new(l.into_iter().map(Val::str).collect())))
        }
        "slice" => {
            let l = arg(0)?.as_list()?;
            let (a, b) = (int_arg(1)?, int_arg(2)?);
            if a < 0 || b < a || b as usize > l.len() {
                return Err(format!("slice() indexes {a}..{b} out of range"));
            }
            Val::list(l[a as usize..b as usize].to_vec())
        }
        "keys" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::Map(m) => Val::list(m.keys().map(|k| Val::str(k.clone())).collect()),
                Kind::Unknown(_) => Val::unknown_from(a, &[]),
                _ => return Err(format!("keys() of a {}", a.type_name())),
            }
        }
        "values" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::Map(m) => Val::list(m.values().cloned().collect()),
                Kind::Unknown(_) => Val::unknown_from(a, &[]),
                _ => return Err(format!("values() of a {}", a.type_name())),
            }
        }
        "zipmap" => {
            let ks = arg(0)?.as_list()?;
            let vs = arg(1)?.as_list()?;
            if ks.len() != vs.len() {
                return Err("zipmap() lists have different lengths".into());
            }
            let mut m = BTreeMap::new();
            for (k, v) in ks.iter().zip(vs) {
                m.insert(k.as_string()?, v.clone());
            }
            Val::map(m)
        }
        "merge" => {
            let mut m = BTreeMap::new();
            for a in &args {
                match &a.kind {
                    Kind::Map(x) => {
                        for (k, v) in x.iter() {
                            m.insert(k.clone(), v.clone());
                        }
                    }
                    Kind::Null => {}
                    Kind::Unknown(_) => return Ok(Val::unknown_from(a, &all)),
                    _ => return Err(format!("merge() of a {}", a.type_name())),
                }
            }
            Val::map(m)
        }
        "lookup" => {
            let m = arg(0)?;
            let k = arg(1)?;
            if m.is_unknown() || k.is_unknown() {
                let cause = if m.is_unknown() { m } else { k };
                return Ok(Val::unknown_from(cause, &[]));
            }
            let key = k.as_string()?;
            match m.as_map()?.get(&key) {
                Some(v) => v.clone(),
                None => match args.get(2) {
                    Some(d) => d.clone(),
                    None => return Err(format!("lookup(): no key `{key}` and no default")),
                },
            }
        }
        "element" => {
            let l = arg(0)?;
            let i = arg(1)?;
            if l.is_unknown() || i.is_unknown() {
                let cause = if l.is_unknown() { l } else { i };
                return Ok(Val::unknown_from(cause, &[]));
            }
            let l = l.as_list()?;
            if l.is_empty() {
                return Err("element() of an empty list".into());
            }
            let i = i.as_int()?;
            if i < 0 {
                return Err("element() index must not be negative".into());
            }
            l[i as usize % l.len()].clone()
        }
        "index" => {
            let l = arg(0)?.as_list()?;
            let x = arg(1)?;
            match l.iter().position(|y| y.equals(x) == Some(true)) {
                Some(i) => derive(Kind::Num(i as f64)),
                None => return Err("index(): the value is not in the list".into()),
            }
        }
        "contains" => {
            let l = arg(0)?.as_list()?;
            let x = arg(1)?;
            derive(Kind::Bool(l.iter().any(|y| y.equals(x) == Some(true))))
        }
        "coalesce" => {
            for a in &args {
                match &a.kind {
                    Kind::Unknown(_) => return Ok(Val::unknown_from(a, &all)),
                    Kind::Null => {}
                    Kind::Str(s) if s.is_empty() => {}
                    _ => return Ok(a.clone()),
                }
            }
            return Err("coalesce(): every argument is null or empty".into());
        }
        "coalescelist" => {
            for a in &args {
                match &a.kind {
                    Kind::Unknown(_) => return Ok(Val::unknown_from(a, &all)),
                    Kind::List(l) if l.is_empty() => {}
                    Kind::List(_) => return Ok(a.clone()),
                    _ => return Err(format!("coalescelist() of a {}", a.type_name())),
                }
            }
            return Err("coalescelist(): every list is empty".into());
        }
        "one" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::List(l) if l.is_empty() => Val::null(),
                Kind::List(l) if l.len() == 1 => l[0].clone(),
                Kind::List(l) => return Err(format!("one() of a list of {} elements", l.len())),
                Kind::Null => Val::null(),
                Kind::Unknown(_) => Val::unknown_from(a, &[]),
                _ => return Err(format!("one() of a {}", a.type_name())),
            }
        }
        "alltrue" | "anytrue" => {
            let l = arg(0)?
                .as_list()?
                .iter()
                .map(Val::as_bool)
                .collect::<Result<Vec<_>, _>>()?;
            derive(Kind::Bool(if name == "alltrue" {
                l.iter().all(|b| *b)
            } else {
                l.iter().any(|b| *b)
            }))
        }
        "setunion" => {
            let mut out: Vec<Val> = Vec::new();
            for a in &args {
                for x in a.as_list()? {
                    if !out.iter().any(|y| y.equals(x) == Some(true)) {
                        out.push(x.clone());
                    }
                }
            }
            Val::list(sorted_set(out))
        }
        "tolist" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::List(_) | Kind::Unknown(_) => a.clone(),
                _ => return Err(format!("tolist() of a {}", a.type_name())),
            }
        }
        "toset" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::List(l) => {
                    if l.iter().any(Val::is_unknown) {
                        let u = l
                            .iter()
                            .find(|x| x.is_unknown())
                            .cloned()
                            .unwrap_or_default_unknown();
                        return Ok(Val::unknown_from(&u, &[a]));
                    }
                    let mut out: Vec<Val> = Vec::new();
                    for x in l.iter() {
                        if !out.iter().any(|y| y.equals(x) == Some(true)) {
                            out.push(x.clone());
                        }
                    }
                    let mut v = Val::list(sorted_set(out));
                    v.absorb(a);
                    v
                }
                Kind::Unknown(_) => a.clone(),
                _ => return Err(format!("toset() of a {}", a.type_name())),
            }
        }
        "tomap" => {
            let a = arg(0)?;
            match &a.kind {
                Kind::Map(_) | Kind::Unknown(_) => a.clone(),
                _ => return Err(format!("tomap() of a {}", a.type_name())),
            }
        }
        "sensitive" => {
            let mut v = arg(0)?.clone();
            v.mark_sensitive();
            v
        }
        "nonsensitive" => arg(0)?.clone(),
        _ => return Err(format!("function {name}() is not supported")),
    };
    Ok(out)
}

trait OrUnknown {
    fn unwrap_or_default_unknown(self) -> Val;
}
impl OrUnknown for Option<Val> {
    fn unwrap_or_default_unknown(self) -> Val {
        self.unwrap_or_else(|| Val::unknown("unknown"))
    }
}

/// A set of strings iterates in lexical order in Terraform; other sets keep their order here.
fn sorted_set(mut v: Vec<Val>) -> Vec<Val> {
    if v.iter().all(|x| matches!(x.kind, Kind::Str(_))) {
        v.sort_by(|a, b| match (&a.kind, &b.kind) {
            (Kind::Str(x), Kind::Str(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    }
    v
}

fn numbers(args: &[Val]) -> Result<Vec<f64>, String> {
    let mut out = Vec::new();
    for a in args {
        match &a.kind {
            Kind::List(l) => {
                for x in l.iter() {
                    out.push(x.as_num()?);
                }
            }
            _ => out.push(a.as_num()?),
        }
    }
    Ok(out)
}

/// Flatten nested lists into `out`; an unknown nested list is returned.
fn flatten_into(v: &Val, out: &mut Vec<Val>) -> Result<Option<Val>, String> {
    match &v.kind {
        Kind::List(l) => {
            for x in l.iter() {
                match &x.kind {
                    Kind::List(_) => {
                        if let Some(u) = flatten_into(x, out)? {
                            return Ok(Some(u));
                        }
                    }
                    Kind::Unknown(_) => return Ok(Some(x.clone())),
                    _ => out.push(x.clone()),
                }
            }
            Ok(None)
        }
        Kind::Unknown(_) => Ok(Some(v.clone())),
        _ => Err(format!("flatten() of a {}", v.type_name())),
    }
}

// -------------------------------------------------------------------- base64

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// -------------------------------------------------------------------- format

/// Go-style formatting as Terraform's `format`: `%s %d %v %t %q %f %x %X %o %b %e %%`, with
/// flags (`-`, `0`, `+`, ` `), width and precision.
pub(crate) fn format(f: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    let mut next = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i < chars.len() && chars[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let mut left = false;
        let mut zero = false;
        let mut plus = false;
        let mut space = false;
        while i < chars.len() && "-0+ #".contains(chars[i]) {
            match chars[i] {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                _ => {}
            }
            i += 1;
        }
        // explicit argument index `%[2]s`
        if i < chars.len() && chars[i] == '[' {
            let start = i + 1;
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            let n: usize = chars[start..i.min(chars.len())]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "format(): bad argument index".to_string())?;
            next = n.saturating_sub(1);
            i += 1;
        }
        let mut width = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            width.push(chars[i]);
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                p.push(chars[i]);
                i += 1;
            }
            prec = Some(p.parse().unwrap_or(usize::MAX));
            if prec.is_some_and(|p| p > 4096) {
                return Err("format(): precision too large".into());
            }
        }
        let Some(&verb) = chars.get(i) else {
            return Err("format(): the format ends in the middle of a verb".into());
        };
        i += 1;
        let a = args
            .get(next)
            .ok_or_else(|| format!("format(): not enough arguments for `%{verb}`"))?;
        next += 1;
        let text = match verb {
            's' => {
                let s = a.as_string()?;
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'v' => match &a.kind {
                Kind::Str(_) | Kind::Num(_) | Kind::Bool(_) => a.as_string()?,
                _ => serde_json::to_string(&a.to_json()).map_err(|e| e.to_string())?,
            },
            'q' => serde_json::to_string(&a.as_string()?).map_err(|e| e.to_string())?,
            't' => a.as_bool()?.to_string(),
            'd' => {
                let n = a.as_int()?;
                let mut s = n.abs().to_string();
                if n < 0 {
                    s.insert(0, '-');
                } else if plus {
                    s.insert(0, '+');
                } else if space {
                    s.insert(0, ' ');
                }
                s
            }
            'f' | 'F' => {
                let n = a.as_num()?;
                let s = format!("{:.*}", prec.unwrap_or(6), n);
                if plus && n >= 0.0 { format!("+{s}") } else { s }
            }
            'e' => format!("{:.*e}", prec.unwrap_or(6), a.as_num()?),
            'x' => format!("{:x}", a.as_int()?),
            'X' => format!("{:X}", a.as_int()?),
            'o' => format!("{:o}", a.as_int()?),
            'b' => format!("{:b}", a.as_int()?),
            other => return Err(format!("format(): unsupported verb `%{other}`")),
        };
        // a width beyond any real use is an error, not a huge allocation
        let w: usize = width.parse().unwrap_or(0);
        if w > 4096 {
            return Err(format!("format(): width {w} is too large"));
        }
        let n = text.chars().count();
        if n < w {
            let pad = w - n;
            if left {
                out.push_str(&text);
                out.extend(std::iter::repeat_n(' ', pad));
            } else if zero && matches!(verb, 'd' | 'f' | 'F' | 'x' | 'X' | 'o' | 'b') {
                let (sign, digits) = match text.chars().next() {
                    Some(c @ ('-' | '+' | ' ')) => (c.to_string(), text[1..].to_string()),
                    _ => (String::new(), text.clone()),
                };
                out.push_str(&sign);
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(&digits);
            } else {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&text);
            }
        } else {
            out.push_str(&text);
        }
    }
    Ok(out)
}

// -------------------------------------------------------------------- CIDR

/// Parse an IP prefix as Terraform does: IPv4 octets with leading zeros are decimal.
pub(crate) fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    let (addr, len) = t
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not a CIDR prefix (address/length)"))?;
    let len: u8 = len
        .parse()
        .map_err(|_| format!("`{s}` has an invalid prefix length"))?;
    let ip = parse_ip(addr).ok_or_else(|| format!("`{s}` has an invalid address"))?;
    IpNet::new(ip, len).map_err(|_| format!("`{s}` has an invalid prefix length"))
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        o[i] = p.parse::<u16>().ok().filter(|x| *x <= 255)? as u8;
    }
    Some(IpAddr::V4(Ipv4Addr::from(o)))
}

fn bits(net: &IpNet) -> u8 {
    match net {
        IpNet::V4(_) => 32,
        IpNet::V6(_) => 128,
    }
}

fn addr_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn make_net(v4: bool, addr: u128, len: u8) -> IpNet {
    if v4 {
        IpNet::V4(Ipv4Net::new(Ipv4Addr::from(addr as u32), len).expect("valid length"))
    } else {
        IpNet::V6(Ipv6Net::new(Ipv6Addr::from(addr), len).expect("valid length"))
    }
}

fn make_ip(v4: bool, addr: u128) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(addr as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(addr))
    }
}

/// `cidrsubnet(prefix, newbits, netnum)`.
pub(crate) fn cidrsubnet(prefix: &str, newbits: i64, netnum: i64) -> Result<IpNet, String> {
    let net = parse_cidr(prefix)?;
    let max = bits(&net);
    if newbits < 0 || newbits > (max - net.prefix_len()) as i64 {
        return Err(format!(
            "cidrsubnet(): {newbits} new bits do not fit in {prefix} (at most {})",
            max - net.prefix_len()
        ));
    }
    let new_len = net.prefix_len() + newbits as u8;
    if netnum < 0 || (newbits < 127 && (netnum as u128) >= (1u128 << newbits)) {
        return Err(format!(
            "cidrsubnet(): network number {netnum} does not fit in {newbits} bits"
        ));
    }
    let host_bits = (max - new_len) as u32;
    let base = addr_u128(net.network());
    let shifted = (netnum as u128).checked_shl(host_bits).unwrap_or(0);
    Ok(make_net(
        matches!(net, IpNet::V4(_)),
        base | shifted,
        new_len,
    ))
}

/// `cidrhost(prefix, hostnum)`; a negative number counts from the end of the range.
pub(crate) fn cidrhost(prefix: &str, hostnum: i64) -> Result<IpAddr, String> {
    let net = parse_cidr(prefix)?;
    let host_bits = (bits(&net) - net.prefix_len()) as u32;
    let size: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    };
    let off: u128 = if hostnum < 0 {
        let back = hostnum.unsigned_abs() as u128;
        if back > size {
            return Err(format!(
                "cidrhost(): host number {hostnum} is out of range for {prefix}"
            ));
        }
        size - back
    } else {
        let h = hostnum as u128;
        if h >= size {
            return Err(format!(
                "cidrhost(): host number {hostnum} is out of range for {prefix}"
            ));
        }
        h
    };
    Ok(make_ip(
        matches!(net, IpNet::V4(_)),
        addr_u128(net.network()) + off,
    ))
}

/// `cidrsubnets(prefix, newbits...)`: consecutive subnets, each aligned to its own size.
pub(crate) fn cidrsubnets(prefix: &str, newbits: &[i64]) -> Result<Vec<IpNet>, String> {
    let net = parse_cidr(prefix)?;
    let max = bits(&net);
    let v4 = matches!(net, IpNet::V4(_));
    let base = addr_u128(net.network());
    let end = addr_u128(net.broadcast());
    let mut next = base;
    let mut out = Vec::new();
    for &nb in newbits {
        if nb < 1 || nb > (max - net.prefix_len()) as i64 {
            return Err(format!(
                "cidrsubnets(): {nb} new bits do not fit in {prefix}"
            ));
        }
        let len = net.prefix_len() + nb as u8;
        let host_bits = (max - len) as u32;
        let size: u128 = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
        let start = next.div_ceil(size).checked_mul(size).filter(|s| {
            *s >= next && *s <= end && s.checked_add(size - 1).is_some_and(|e| e <= end)
        });
        let Some(start) = start else {
            return Err(format!(
                "cidrsubnets(): not enough address space in {prefix} for the requested subnets"
            ));
        };
        out.push(make_net(v4, start, len));
        next = start.saturating_add(size);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val {
        Val::str(x)
    }
    fn n(x: f64) -> Val {
        Val::num(x)
    }
    fn text(v: Val) -> String {
        v.as_string().expect("string")
    }
    fn strings(v: Val) -> Vec<String> {
        v.as_list()
            .expect("list")
            .iter()
            .map(|x| x.as_string().expect("string"))
            .collect()
    }

    // Test vectors: developer.hashicorp.com/terraform/language/functions/cidrhost, cidrsubnet,
    // cidrsubnets, cidrnetmask.
    #[test]
    fn cidr_functions_match_terraforms_examples() {
        assert_eq!(
            text(call("cidrhost", vec![s("10.12.112.0/20"), n(16.0)]).unwrap()),
            "10.12.112.16"
        );
        assert_eq!(
            text(call("cidrhost", vec![s("10.12.112.0/20"), n(268.0)]).unwrap()),
            "10.12.113.12"
        );
        assert_eq!(
            text(call("cidrhost", vec![s("10.0.0.0/8"), n(-2.0)]).unwrap()),
            "10.255.255.254"
        );
        assert_eq!(
            text(
                call(
                    "cidrhost",
                    vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]
                )
                .unwrap()
            ),
            "fd00:fd12:3456:7890::22"
        );
        assert_eq!(
            text(call("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)]).unwrap()),
            "172.18.0.0/16"
        );
        assert_eq!(
            text(call("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)]).unwrap()),
            "10.1.2.240/28"
        );
        assert_eq!(
            text(
                call(
                    "cidrsubnet",
                    vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
                )
                .unwrap()
            ),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(
            strings(
                call(
                    "cidrsubnets",
                    vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
                )
                .unwrap()
            ),
            [
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]
        );
        assert_eq!(
            text(call("cidrnetmask", vec![s("172.16.0.0/12")]).unwrap()),
            "255.240.0.0"
        );
        // leading zeros are decimal, not octal
        assert_eq!(
            text(call("cidrhost", vec![s("010.0.0.0/8"), n(1.0)]).unwrap()),
            "10.0.0.1"
        );
        assert!(call("cidrsubnet", vec![s("10.0.0.0/24"), n(4.0), n(16.0)]).is_err());
        assert!(call("cidrhost", vec![s("10.0.0.0/30"), n(4.0)]).is_err());
        // the end of the IPv6 space: no overflow
        assert_eq!(
            strings(call("cidrsubnets", vec![s("ffff::/16"), n(1.0), n(1.0)]).unwrap()),
            ["ffff::/17", "ffff:8000::/17"]
        );
        assert!(call("cidrsubnets", vec![s("ffff::/16"), n(1.0), n(1.0), n(1.0)]).is_err());
        assert!(call("cidrsubnet", vec![s("::/0"), n(128.0), n(5.0)]).is_ok());
        assert!(call("cidrsubnet", vec![s("not-a-cidr"), n(4.0), n(1.0)]).is_err());
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            text(call("format", vec![s("rt-%s-%03d"), s("weu"), n(7.0)]).unwrap()),
            "rt-weu-007"
        );
        assert_eq!(
            text(
                call(
                    "format",
                    vec![
                        s("%v|%q|%t|%.2f|%-4s|"),
                        n(1.0),
                        s("a"),
                        Val::bool(true),
                        n(1.5),
                        s("x")
                    ]
                )
                .unwrap()
            ),
            "1|\"a\"|true|1.50|x   |"
        );
        assert_eq!(
            strings(
                call(
                    "formatlist",
                    vec![s("%s-%s"), Val::list(vec![s("a"), s("b")]), s("x")]
                )
                .unwrap()
            ),
            ["a-x", "b-x"]
        );
        assert_eq!(
            text(call("join", vec![s(","), Val::list(vec![s("a"), n(1.0)])]).unwrap()),
            "a,1"
        );
        assert_eq!(
            strings(call("split", vec![s(","), s("a,b")]).unwrap()),
            ["a", "b"]
        );
        assert_eq!(
            text(call("replace", vec![s("a-b-c"), s("-"), s("_")]).unwrap()),
            "a_b_c"
        );
        assert_eq!(text(call("lower", vec![s("AbC")]).unwrap()), "abc");
        assert_eq!(text(call("upper", vec![s("AbC")]).unwrap()), "ABC");
        assert_eq!(text(call("trimspace", vec![s("  x \n")]).unwrap()), "x");
        assert_eq!(
            text(call("substr", vec![s("hello"), n(1.0), n(3.0)]).unwrap()),
            "ell"
        );
        assert_eq!(text(call("tostring", vec![n(5.0)]).unwrap()), "5");
        assert_eq!(
            call("tonumber", vec![s("42")]).unwrap().as_num().unwrap(),
            42.0
        );
        assert!(
            call("startswith", vec![s("hello"), s("he")])
                .unwrap()
                .as_bool()
                .unwrap()
        );
        assert!(
            call("endswith", vec![s("hello"), s("lo")])
                .unwrap()
                .as_bool()
                .unwrap()
        );
        assert_eq!(
            text(
                call(
                    "jsonencode",
                    vec![Val::map(
                        [("b".to_string(), n(1.0)), ("a".to_string(), s("x"))].into()
                    )]
                )
                .unwrap()
            ),
            r#"{"a":"x","b":1}"#
        );
        let d = call("jsondecode", vec![s(r#"{"a":[1,"x"]}"#)]).unwrap();
        assert_eq!(d.as_map().unwrap()["a"].as_list().unwrap().len(), 2);
        assert!(call("replace", vec![s("a"), s("/a/"), s("b")]).is_err());
        // sizes from the configuration are bounded
        assert!(call("format", vec![s("%999999999d"), n(1.0)]).is_err());
        assert!(call("format", vec![s("%.999999999f"), n(1.0)]).is_err());
        assert_eq!(
            text(call("substr", vec![s("abc"), n(1.0), n(9.0e18)]).unwrap()),
            "bc"
        );
        // RFC 4648 test vectors
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(text(call("base64encode", vec![s(plain)]).unwrap()), enc);
            assert_eq!(text(call("base64decode", vec![s(enc)]).unwrap()), plain);
        }
        assert!(call("base64decode", vec![s("!!")]).is_err());
    }

    #[test]
    fn collection_functions() {
        let l = |xs: &[&str]| Val::list(xs.iter().map(|x| s(x)).collect());
        let m = |xs: &[(&str, Val)]| {
            Val::map(xs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
        };
        assert_eq!(
            strings(call("concat", vec![l(&["a"]), l(&["b", "c"])]).unwrap()),
            ["a", "b", "c"]
        );
        assert_eq!(
            strings(
                call(
                    "flatten",
                    vec![Val::list(vec![l(&["a"]), Val::list(vec![l(&["b"])])])]
                )
                .unwrap()
            ),
            ["a", "b"]
        );
        assert_eq!(
            strings(call("distinct", vec![l(&["a", "b", "a"])]).unwrap()),
            ["a", "b"]
        );
        assert_eq!(
            strings(call("toset", vec![l(&["b", "a", "b"])]).unwrap()),
            ["a", "b"]
        );
        let mm = m(&[("x", s("1")), ("y", s("2"))]);
        assert_eq!(strings(call("keys", vec![mm.clone()]).unwrap()), ["x", "y"]);
        assert_eq!(
            strings(call("values", vec![mm.clone()]).unwrap()),
            ["1", "2"]
        );
        assert_eq!(text(call("lookup", vec![mm.clone(), s("y")]).unwrap()), "2");
        assert_eq!(
            text(call("lookup", vec![mm.clone(), s("z"), s("d")]).unwrap()),
            "d"
        );
        let merged = call("merge", vec![mm.clone(), m(&[("y", s("3"))])]).unwrap();
        assert_eq!(text(merged.as_map().unwrap()["y"].clone()), "3");
        let z = call("zipmap", vec![l(&["a", "b"]), l(&["1", "2"])]).unwrap();
        assert_eq!(text(z.as_map().unwrap()["b"].clone()), "2");
        assert_eq!(
            text(call("element", vec![l(&["a", "b"]), n(3.0)]).unwrap()),
            "b"
        );
        assert_eq!(
            call("index", vec![l(&["a", "b"]), s("b")])
                .unwrap()
                .as_num()
                .unwrap(),
            1.0
        );
        assert_eq!(
            call("length", vec![l(&["a", "b"])])
                .unwrap()
                .as_num()
                .unwrap(),
            2.0
        );
        assert!(
            call("contains", vec![l(&["a", "b"]), s("b")])
                .unwrap()
                .as_bool()
                .unwrap()
        );
        assert_eq!(
            text(call("coalesce", vec![Val::null(), s(""), s("x")]).unwrap()),
            "x"
        );
        assert_eq!(
            strings(call("coalescelist", vec![l(&[]), l(&["y"])]).unwrap()),
            ["y"]
        );
        assert_eq!(text(call("one", vec![l(&["only"])]).unwrap()), "only");
        assert!(call("one", vec![l(&[])]).unwrap().is_null());
        assert!(call("one", vec![l(&["a", "b"])]).is_err());
        assert_eq!(
            call("sum", vec![Val::list(vec![n(1.0), n(2.5)])])
                .unwrap()
                .as_num()
                .unwrap(),
            3.5
        );
        assert_eq!(
            call("max", vec![n(1.0), n(9.0), n(3.0)])
                .unwrap()
                .as_num()
                .unwrap(),
            9.0
        );
        assert_eq!(
            call("min", vec![n(1.0), n(9.0), n(3.0)])
                .unwrap()
                .as_num()
                .unwrap(),
            1.0
        );
        assert_eq!(
            call("range", vec![n(3.0)])
                .unwrap()
                .as_list()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            call("range", vec![n(1.0), n(10.0), n(4.0)])
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(|x| x.as_num().unwrap())
                .collect::<Vec<_>>(),
            [1.0, 5.0, 9.0]
        );
        assert!(call("tolist", vec![l(&["a"])]).unwrap().as_list().is_ok());
        assert!(call("tomap", vec![mm]).unwrap().as_map().is_ok());
    }

    #[test]
    fn unknown_arguments_give_unknown_results() {
        let u = Val::unknown("var.hub_cidr has no value");
        let r = call("cidrsubnet", vec![u.clone(), n(4.0), n(1.0)]).unwrap();
        assert_eq!(r.first_unknown(), Some("var.hub_cidr has no value"));
        // a list with an unknown element keeps its known length and parts
        let l = Val::list(vec![Val::str("a"), u.clone()]);
        assert_eq!(
            call("length", vec![l.clone()]).unwrap().as_num().unwrap(),
            2.0
        );
        let c = call("concat", vec![l.clone(), Val::list(vec![Val::str("b")])]).unwrap();
        assert_eq!(c.as_list().unwrap().len(), 3);
        assert!(call("join", vec![s(","), l]).unwrap().is_unknown());
        assert!(call("coalesce", vec![u, s("x")]).unwrap().is_unknown());
    }
}
