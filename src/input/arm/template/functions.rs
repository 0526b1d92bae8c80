//! The template functions that depend only on their arguments: strings, arrays, objects,
//! comparison, logic, numbers, conversions, hashes and CIDR arithmetic. Names are matched in
//! lower case by the caller. Semantics follow Microsoft's per-function reference pages (ARM
//! template functions); where Azure formats values the .NET way (`True`, `{0:D3}`), so do we.

use super::cidr;
use super::eval::EvalError;
use super::hash;
use super::scope;
use super::value::{Obj, Unknown, Val};

type R = Result<Val, EvalError>;

/// Call a built-in function by lower-case name. `None`: not a function of this table.
pub fn call(lname: &str, name: &str, args: &[Val]) -> Option<R> {
    let f: fn(&str, &[Val]) -> R = match lname {
        "true" => |_, _| Ok(Val::Bool(true)),
        "false" => |_, _| Ok(Val::Bool(false)),
        "null" => |_, _| Ok(Val::Null),
        "not" => not,
        "equals" => equals,
        "less" | "lessorequals" | "greater" | "greaterorequals" => compare,
        "add" | "sub" | "mul" | "div" | "mod" => arithmetic,
        "min" | "max" => min_max,
        "range" => range,
        "string" => string,
        "int" => int,
        "bool" => to_bool,
        "json" => json,
        "array" => array,
        "createarray" => |_, a| Ok(Val::Array(a.to_vec())),
        "createobject" => create_object,
        "concat" => concat,
        "format" => format,
        "union" => union,
        "intersection" => intersection,
        "contains" => contains,
        "empty" => empty,
        "length" => length,
        "first" | "last" => first_last,
        "take" | "skip" => take_skip,
        "split" => split,
        "join" => join,
        "replace" => replace,
        "substring" => substring,
        "indexof" | "lastindexof" => index_of,
        "tolower" | "toupper" | "trim" => case_trim,
        "startswith" | "endswith" => starts_ends,
        "padleft" => pad_left,
        "items" => items,
        "objectkeys" => object_keys,
        "tryget" => try_get,
        "shallowmerge" => shallow_merge,
        "flatten" => flatten,
        "uniquestring" => unique_string,
        "guid" => guid,
        "cidrsubnet" => cidr::cidr_subnet,
        "cidrhost" => cidr::cidr_host,
        "parsecidr" => cidr::parse_cidr,
        _ => return None,
    };
    Some(f(name, args))
}

// ------------------------------------------------------------------ helpers

fn n_args(name: &str, args: &[Val], min: usize, max: usize) -> Result<(), EvalError> {
    super::eval::check_arity(name, args.len(), min, max)
}

/// The first top-level unknown argument.
fn unknown_arg(args: &[Val]) -> Option<Val> {
    args.iter().find(|a| a.is_unknown()).cloned()
}

macro_rules! strict {
    ($args:expr) => {
        if let Some(u) = unknown_arg($args) {
            return Ok(u);
        }
    };
}

fn type_error(name: &str, what: &str, got: &Val) -> EvalError {
    EvalError::runtime(format!(
        "{name}() expects {what}, not a value of type {}",
        got.type_name()
    ))
}

fn str_arg<'a>(name: &str, v: &'a Val) -> Result<&'a str, EvalError> {
    v.as_str().ok_or_else(|| type_error(name, "a string", v))
}

fn int_arg(name: &str, v: &Val) -> Result<i64, EvalError> {
    match v {
        Val::Int(i) => Ok(*i),
        Val::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        other => Err(type_error(name, "an integer", other)),
    }
}

fn unknown_of(u: &Unknown) -> Val {
    Val::Unknown(u.clone())
}

// ------------------------------------------------------------------ logic and comparison

fn not(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    match &a[0] {
        Val::Bool(b) => Ok(Val::Bool(!b)),
        other => Err(type_error(name, "a bool", other)),
    }
}

fn equals(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    match a[0].equals(&a[1]) {
        Some(b) => Ok(Val::Bool(b)),
        None => {
            let u = a[0]
                .find_unknown()
                .or_else(|| a[1].find_unknown())
                .cloned()
                .unwrap_or_else(|| Unknown::new("a compared value is only partly known"));
            Ok(Val::Unknown(u))
        }
    }
}

fn compare(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let ord = match (&a[0], &a[1]) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Str(x), Val::Str(y)) => x.cmp(y),
        (x, y) => {
            let (fx, fy) = (num(x), num(y));
            match (fx, fy) {
                (Some(fx), Some(fy)) => fx.partial_cmp(&fy).unwrap_or(std::cmp::Ordering::Equal),
                _ => {
                    return Err(EvalError::runtime(format!(
                        "{name}() compares two integers or two strings, not {} and {}",
                        x.type_name(),
                        y.type_name()
                    )));
                }
            }
        }
    };
    use std::cmp::Ordering::*;
    let b = match name.to_ascii_lowercase().as_str() {
        "less" => ord == Less,
        "lessorequals" => ord != Greater,
        "greater" => ord == Greater,
        _ => ord != Less,
    };
    Ok(Val::Bool(b))
}

fn num(v: &Val) -> Option<f64> {
    match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        _ => None,
    }
}

// ------------------------------------------------------------------ numbers

fn arithmetic(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let (x, y) = (int_arg(name, &a[0])?, int_arg(name, &a[1])?);
    let r = match name.to_ascii_lowercase().as_str() {
        "add" => x.checked_add(y),
        "sub" => x.checked_sub(y),
        "mul" => x.checked_mul(y),
        "div" if y == 0 => return Err(EvalError::runtime("div() by zero")),
        "div" => x.checked_div(y),
        "mod" if y == 0 => return Err(EvalError::runtime("mod() by zero")),
        _ => x.checked_rem(y),
    };
    r.map(Val::Int)
        .ok_or_else(|| EvalError::runtime(format!("{name}() overflows")))
}

fn min_max(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, usize::MAX)?;
    let items: Vec<Val> = match a {
        [Val::Array(x)] => x.clone(),
        _ => a.to_vec(),
    };
    strict!(&items);
    let mut best: Option<i64> = None;
    for v in &items {
        let i = int_arg(name, v)?;
        best = Some(match best {
            None => i,
            Some(b) if name.eq_ignore_ascii_case("min") => b.min(i),
            Some(b) => b.max(i),
        });
    }
    best.map(Val::Int)
        .ok_or_else(|| EvalError::runtime(format!("{name}() of an empty array")))
}

fn range(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let (start, count) = (int_arg(name, &a[0])?, int_arg(name, &a[1])?);
    if !(0..=10_000).contains(&count) {
        return Err(EvalError::runtime(format!(
            "range() count {count} is outside 0..10000"
        )));
    }
    Ok(Val::Array(
        (0..count).map(|i| Val::Int(start + i)).collect(),
    ))
}

// ------------------------------------------------------------------ conversions

fn string(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    match a[0].to_text() {
        Ok(s) => Ok(Val::Str(s)),
        Err(u) => Ok(unknown_of(&u)),
    }
}

fn int(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    match &a[0] {
        Val::Int(i) => Ok(Val::Int(*i)),
        Val::Float(f) => Ok(Val::Int(*f as i64)),
        Val::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Val::Int)
            .map_err(|_| EvalError::runtime(format!("int(): '{s}' is not an integer"))),
        other => Err(type_error(name, "a string or a number", other)),
    }
}

fn to_bool(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    match &a[0] {
        Val::Bool(b) => Ok(Val::Bool(*b)),
        Val::Int(i) => Ok(Val::Bool(*i != 0)),
        Val::Str(s) if s.eq_ignore_ascii_case("true") => Ok(Val::Bool(true)),
        Val::Str(s) if s.eq_ignore_ascii_case("false") => Ok(Val::Bool(false)),
        other => Err(type_error(
            name,
            "'true', 'false', a bool or an integer",
            other,
        )),
    }
}

fn json(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let s = str_arg(name, &a[0])?;
    serde_json::from_str::<serde_json::Value>(s)
        .map(|v| Val::from_json(&v))
        .map_err(|e| EvalError::runtime(format!("json(): the text is not valid JSON ({e})")))
}

fn array(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    Ok(match &a[0] {
        Val::Array(x) => Val::Array(x.clone()),
        other => Val::Array(vec![other.clone()]),
    })
}

fn create_object(name: &str, a: &[Val]) -> R {
    if a.len() % 2 != 0 {
        return Err(EvalError::invalid(format!(
            "{name}() takes key/value pairs, but has {} arguments",
            a.len()
        )));
    }
    let mut o = Obj::new();
    for kv in a.chunks(2) {
        match &kv[0] {
            Val::Str(k) => o.insert(k.clone(), kv[1].clone()),
            Val::Unknown(u) => {
                return Ok(Val::Unknown(Unknown::new(format!(
                    "a property name is unknown: {}",
                    u.reason
                ))));
            }
            other => return Err(type_error(name, "string keys", other)),
        }
    }
    Ok(Val::Object(o))
}

// ------------------------------------------------------------------ strings and arrays

fn concat(name: &str, a: &[Val]) -> R {
    if a.iter().any(|v| matches!(v, Val::Array(_))) {
        let mut out = vec![];
        for v in a {
            match v {
                Val::Array(x) => out.extend(x.iter().cloned()),
                Val::Null => {}
                Val::Unknown(u) => return Ok(unknown_of(u)),
                other => {
                    return Err(type_error(
                        name,
                        "arrays (the first argument is one)",
                        other,
                    ));
                }
            }
        }
        return Ok(Val::Array(out));
    }
    let mut s = String::new();
    for v in a {
        match v {
            Val::Array(_) | Val::Object(_) => {
                return Err(type_error(name, "strings or arrays", v));
            }
            other => match other.to_text() {
                Ok(t) => s.push_str(&t),
                Err(u) => return Ok(unknown_of(&u)),
            },
        }
    }
    Ok(Val::Str(s))
}

/// .NET composite formatting: `{0}`, `{0,5}`, `{0:D3}`, `{{`.
fn format(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, usize::MAX)?;
    strict!(&a[..1]);
    let fmt = str_arg(name, &a[0])?;
    let args = &a[1..];
    let mut out = String::new();
    let mut chars = fmt.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if matches!(chars.peek(), Some((_, '{'))) => {
                chars.next();
                out.push('{');
            }
            '}' if matches!(chars.peek(), Some((_, '}'))) => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let Some(end) = fmt[i..].find('}') else {
                    return Err(EvalError::runtime(format!(
                        "format(): '{fmt}' has a '{{' without a '}}'"
                    )));
                };
                let spec = &fmt[i + 1..i + end];
                while chars.peek().is_some_and(|(j, _)| *j <= i + end) {
                    chars.next();
                }
                let (head, fspec) = match spec.split_once(':') {
                    Some((h, f)) => (h, Some(f)),
                    None => (spec, None),
                };
                let (idx, align) = match head.split_once(',') {
                    Some((x, al)) => (x, al.trim().parse::<i64>().ok()),
                    None => (head, None),
                };
                let idx: usize = idx.trim().parse().map_err(|_| {
                    EvalError::runtime(format!("format(): '{{{spec}}}' is not a valid placeholder"))
                })?;
                let Some(v) = args.get(idx) else {
                    return Err(EvalError::runtime(format!(
                        "format(): placeholder {{{idx}}} has no argument ({} given)",
                        args.len()
                    )));
                };
                let text = match format_one(v, fspec) {
                    Ok(t) => t,
                    Err(u) => return Ok(unknown_of(&u)),
                };
                match align {
                    Some(w) if w > 0 && (text.chars().count() as i64) < w => {
                        out.push_str(&" ".repeat(w as usize - text.chars().count()));
                        out.push_str(&text);
                    }
                    Some(w) if w < 0 && (text.chars().count() as i64) < -w => {
                        out.push_str(&text);
                        out.push_str(&" ".repeat((-w) as usize - text.chars().count()));
                    }
                    _ => out.push_str(&text),
                }
            }
            c => out.push(c),
        }
    }
    Ok(Val::Str(out))
}

fn format_one(v: &Val, spec: Option<&str>) -> Result<String, Unknown> {
    let (Some(spec), Val::Int(i)) = (spec, v) else {
        return v.to_text();
    };
    let (kind, digits) = spec.split_at(spec.len().min(1));
    let digits: Option<usize> = digits.parse().ok();
    Ok(match kind {
        "D" | "d" => {
            let s = i.unsigned_abs().to_string();
            let s = format!("{s:0>w$}", w = digits.unwrap_or(0));
            if *i < 0 { format!("-{s}") } else { s }
        }
        "X" => format!("{:0>w$X}", i, w = digits.unwrap_or(0)),
        "x" => format!("{:0>w$x}", i, w = digits.unwrap_or(0)),
        "N" | "n" => {
            let s = i.unsigned_abs().to_string();
            let mut grouped = String::new();
            for (k, ch) in s.chars().enumerate() {
                if k > 0 && (s.len() - k) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(ch);
            }
            let d = digits.unwrap_or(2);
            if d > 0 {
                grouped.push('.');
                grouped.push_str(&"0".repeat(d));
            }
            if *i < 0 {
                format!("-{grouped}")
            } else {
                grouped
            }
        }
        "F" | "f" => {
            let d = digits.unwrap_or(2);
            if d > 0 {
                format!("{i}.{}", "0".repeat(d))
            } else {
                i.to_string()
            }
        }
        _ => i.to_string(),
    })
}

/// Deep merge (`union` of objects) or ordered set union (`union` of arrays).
fn union(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, usize::MAX)?;
    strict!(a);
    match &a[0] {
        Val::Object(_) | Val::Null => {
            let mut out = Obj::new();
            for v in a {
                match v {
                    Val::Object(o) => merge_into(&mut out, o),
                    Val::Null => {}
                    other => return Err(type_error(name, "objects", other)),
                }
            }
            Ok(Val::Object(out))
        }
        Val::Array(_) => {
            let mut out: Vec<Val> = vec![];
            for v in a {
                match v {
                    Val::Array(x) => {
                        for item in x {
                            match out
                                .iter()
                                .map(|o| o.equals(item))
                                .find(|e| *e != Some(false))
                            {
                                Some(Some(true)) => {}
                                Some(None) => {
                                    return Ok(Val::unknown(
                                        "union() of arrays whose elements are only partly known",
                                    ));
                                }
                                _ => out.push(item.clone()),
                            }
                        }
                    }
                    Val::Null => {}
                    other => return Err(type_error(name, "arrays", other)),
                }
            }
            Ok(Val::Array(out))
        }
        other => Err(type_error(name, "objects or arrays", other)),
    }
}

fn merge_into(out: &mut Obj, o: &Obj) {
    for (k, v) in o.iter() {
        let merged = match (out.get(k), v) {
            (Some(Val::Object(old)), Val::Object(new)) => {
                let mut m = old.clone();
                merge_into(&mut m, new);
                Val::Object(m)
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
}

fn intersection(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, usize::MAX)?;
    strict!(a);
    match &a[0] {
        Val::Object(first) => {
            let mut out = Obj::new();
            'keys: for (k, v) in first.iter() {
                for other in &a[1..] {
                    let Val::Object(o) = other else {
                        return Err(type_error(name, "objects", other));
                    };
                    match o.get(k).map(|x| x.equals(v)) {
                        Some(Some(true)) => {}
                        Some(None) => {
                            return Ok(Val::unknown("intersection() of partly known objects"));
                        }
                        _ => continue 'keys,
                    }
                }
                out.insert(k.clone(), v.clone());
            }
            Ok(Val::Object(out))
        }
        Val::Array(first) => {
            let mut out: Vec<Val> = vec![];
            'items: for v in first {
                for other in &a[1..] {
                    let Val::Array(o) = other else {
                        return Err(type_error(name, "arrays", other));
                    };
                    match o.iter().map(|x| x.equals(v)).find(|e| *e != Some(false)) {
                        Some(Some(true)) => {}
                        Some(None) => {
                            return Ok(Val::unknown("intersection() of partly known arrays"));
                        }
                        _ => continue 'items,
                    }
                }
                if !out.iter().any(|x| x.equals(v) == Some(true)) {
                    out.push(v.clone());
                }
            }
            Ok(Val::Array(out))
        }
        other => Err(type_error(name, "objects or arrays", other)),
    }
}

fn contains(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    if let Val::Unknown(u) = &a[0] {
        return Ok(unknown_of(u));
    }
    match (&a[0], &a[1]) {
        (Val::Str(s), item) => match item.to_text() {
            Ok(t) => Ok(Val::Bool(s.contains(&t))),
            Err(u) => Ok(unknown_of(&u)),
        },
        (Val::Array(items), item) => {
            let mut undecided = None;
            for x in items {
                match x.equals(item) {
                    Some(true) => return Ok(Val::Bool(true)),
                    None => undecided = Some(()),
                    Some(false) => {}
                }
            }
            match undecided {
                Some(()) => Ok(Val::unknown(
                    "contains(): the array or the item is only partly known",
                )),
                None => Ok(Val::Bool(false)),
            }
        }
        (Val::Object(o), Val::Str(k)) => {
            if o.contains_key(k) {
                Ok(Val::Bool(true))
            } else if let Some(p) = &o.open {
                Ok(Val::unknown(p.reason.to_string()))
            } else {
                Ok(Val::Bool(false))
            }
        }
        (Val::Object(_), Val::Unknown(u)) => Ok(unknown_of(u)),
        (Val::Null, _) => Ok(Val::Bool(false)),
        (c, _) => Err(type_error(name, "a string, an array or an object", c)),
    }
}

fn empty(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    Ok(Val::Bool(match &a[0] {
        Val::Null => true,
        Val::Str(s) => s.is_empty(),
        Val::Array(x) => x.is_empty(),
        Val::Object(o) if o.is_empty() && o.open.is_some() => {
            return Ok(Val::unknown(
                o.open
                    .as_ref()
                    .map(|p| p.reason.to_string())
                    .unwrap_or_default(),
            ));
        }
        Val::Object(o) => o.is_empty(),
        _ => false,
    }))
}

fn length(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    match &a[0] {
        Val::Str(s) => Ok(Val::Int(s.encode_utf16().count() as i64)),
        Val::Array(x) => Ok(Val::Int(x.len() as i64)),
        Val::Object(o) if o.open.is_some() => Ok(Val::unknown(
            "length() of an object that is known only after deployment",
        )),
        Val::Object(o) => Ok(Val::Int(o.len() as i64)),
        Val::Null => Ok(Val::Int(0)),
        other => Err(type_error(name, "a string, an array or an object", other)),
    }
}

fn first_last(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let first = name.eq_ignore_ascii_case("first");
    match &a[0] {
        Val::Array(x) => Ok(if first { x.first() } else { x.last() }
            .cloned()
            .unwrap_or(Val::Null)),
        Val::Str(s) => {
            let c = if first {
                s.chars().next()
            } else {
                s.chars().last()
            };
            Ok(Val::Str(c.map(String::from).unwrap_or_default()))
        }
        Val::Null => Ok(Val::Null),
        other => Err(type_error(name, "an array or a string", other)),
    }
}

fn take_skip(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let n = int_arg(name, &a[1])?.max(0) as usize;
    let take = name.eq_ignore_ascii_case("take");
    match &a[0] {
        Val::Array(x) => {
            let n = n.min(x.len());
            Ok(Val::Array(if take {
                x[..n].to_vec()
            } else {
                x[n..].to_vec()
            }))
        }
        Val::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let n = n.min(chars.len());
            Ok(Val::Str(if take {
                chars[..n].iter().collect()
            } else {
                chars[n..].iter().collect()
            }))
        }
        Val::Null => Ok(Val::Null),
        other => Err(type_error(name, "an array or a string", other)),
    }
}

fn split(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let s = str_arg(name, &a[0])?;
    let delims: Vec<String> = match &a[1] {
        Val::Str(d) => vec![d.clone()],
        Val::Array(ds) => {
            let mut v = vec![];
            for d in ds {
                match d {
                    Val::Str(x) => v.push(x.clone()),
                    Val::Unknown(u) => return Ok(unknown_of(u)),
                    other => return Err(type_error(name, "string delimiters", other)),
                }
            }
            v
        }
        other => return Err(type_error(name, "a delimiter string or array", other)),
    };
    let delims: Vec<&str> = delims
        .iter()
        .map(String::as_str)
        .filter(|d| !d.is_empty())
        .collect();
    if delims.is_empty() {
        return Ok(Val::Array(vec![Val::str(s)]));
    }
    let mut parts = vec![];
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        if let Some(d) = delims.iter().find(|d| s[i..].starts_with(**d)) {
            parts.push(Val::str(&s[start..i]));
            i += d.len();
            start = i;
        } else {
            i += s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
    parts.push(Val::str(&s[start..]));
    Ok(Val::Array(parts))
}

fn join(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let Val::Array(items) = &a[0] else {
        return Err(type_error(name, "an array", &a[0]));
    };
    let d = str_arg(name, &a[1])?;
    let mut parts = vec![];
    for v in items {
        match v.to_text() {
            Ok(t) => parts.push(t),
            Err(u) => return Ok(unknown_of(&u)),
        }
    }
    Ok(Val::Str(parts.join(d)))
}

fn replace(name: &str, a: &[Val]) -> R {
    n_args(name, a, 3, 3)?;
    strict!(a);
    let (s, old, new) = (
        str_arg(name, &a[0])?,
        str_arg(name, &a[1])?,
        str_arg(name, &a[2])?,
    );
    if old.is_empty() {
        return Err(EvalError::runtime(
            "replace(): the text to replace is empty",
        ));
    }
    Ok(Val::Str(s.replace(old, new)))
}

fn substring(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 3)?;
    strict!(a);
    let s: Vec<char> = str_arg(name, &a[0])?.chars().collect();
    let start = int_arg(name, &a[1])?;
    let len = match a.get(2) {
        Some(v) => int_arg(name, v)?,
        None => s.len() as i64 - start,
    };
    if start < 0 || len < 0 || (start + len) as usize > s.len() {
        return Err(EvalError::runtime(format!(
            "substring(): start {start} and length {len} are outside the string of length {}",
            s.len()
        )));
    }
    Ok(Val::Str(
        s[start as usize..(start + len) as usize].iter().collect(),
    ))
}

fn index_of(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let last = name.eq_ignore_ascii_case("lastindexof");
    match &a[0] {
        Val::Str(s) => {
            let find = str_arg(name, &a[1])?;
            // case-insensitive, in characters
            let (hay, needle) = (s.to_lowercase(), find.to_lowercase());
            let at = if last {
                hay.rfind(&needle)
            } else {
                hay.find(&needle)
            };
            Ok(Val::Int(match at {
                Some(b) => hay[..b].chars().count() as i64,
                None => -1,
            }))
        }
        Val::Array(items) => {
            let mut found = -1;
            for (i, x) in items.iter().enumerate() {
                match x.equals(&a[1]) {
                    Some(true) => {
                        found = i as i64;
                        if !last {
                            break;
                        }
                    }
                    None => return Ok(Val::unknown("indexOf() in a partly known array")),
                    Some(false) => {}
                }
            }
            Ok(Val::Int(found))
        }
        other => Err(type_error(name, "a string or an array", other)),
    }
}

fn case_trim(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let s = str_arg(name, &a[0])?;
    Ok(Val::Str(match name.to_ascii_lowercase().as_str() {
        "tolower" => s.to_lowercase(),
        "toupper" => s.to_uppercase(),
        _ => s.trim().to_string(),
    }))
}

fn starts_ends(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 2)?;
    strict!(a);
    let (s, x) = (
        str_arg(name, &a[0])?.to_lowercase(),
        str_arg(name, &a[1])?.to_lowercase(),
    );
    Ok(Val::Bool(if name.eq_ignore_ascii_case("startswith") {
        s.starts_with(&x)
    } else {
        s.ends_with(&x)
    }))
}

fn pad_left(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, 3)?;
    strict!(a);
    let s = match a[0].to_text() {
        Ok(s) => s,
        Err(u) => return Ok(unknown_of(&u)),
    };
    let width = int_arg(name, &a[1])?.max(0) as usize;
    let pad = match a.get(2) {
        Some(v) => str_arg(name, v)?.chars().next().unwrap_or(' '),
        None => ' ',
    };
    let n = s.chars().count();
    Ok(Val::Str(if n >= width {
        s
    } else {
        format!("{}{s}", pad.to_string().repeat(width - n))
    }))
}

// ------------------------------------------------------------------ objects

fn items(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let Val::Object(o) = &a[0] else {
        return Err(type_error(name, "an object", &a[0]));
    };
    let mut entries: Vec<(&String, &Val)> = o.iter().collect();
    entries.sort_by(|x, y| x.0.cmp(y.0));
    Ok(Val::Array(
        entries
            .into_iter()
            .map(|(k, v)| {
                Val::Object(Obj::from_entries(vec![
                    ("key".into(), Val::str(k.clone())),
                    ("value".into(), v.clone()),
                ]))
            })
            .collect(),
    ))
}

fn object_keys(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let Val::Object(o) = &a[0] else {
        return Err(type_error(name, "an object", &a[0]));
    };
    Ok(Val::Array(
        o.iter().map(|(k, _)| Val::str(k.clone())).collect(),
    ))
}

fn try_get(name: &str, a: &[Val]) -> R {
    n_args(name, a, 2, usize::MAX)?;
    let mut cur = a[0].clone();
    for k in &a[1..] {
        cur = match (&cur, k) {
            (Val::Null, _) => return Ok(Val::Null),
            (Val::Unknown(_), _) | (_, Val::Unknown(_)) => {
                cur.index(k).map_err(EvalError::runtime)?
            }
            (Val::Object(o), Val::Str(key)) => match o.get(key) {
                Some(v) => v.clone(),
                None if o.open.is_some() => cur.prop(key).map_err(EvalError::runtime)?,
                None => return Ok(Val::Null),
            },
            (Val::Array(x), Val::Int(i)) => match usize::try_from(*i).ok().and_then(|i| x.get(i)) {
                Some(v) => v.clone(),
                None => return Ok(Val::Null),
            },
            _ => return Ok(Val::Null),
        };
    }
    Ok(cur)
}

fn shallow_merge(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let Val::Array(items) = &a[0] else {
        return Err(type_error(name, "an array of objects", &a[0]));
    };
    let mut out = Obj::new();
    for v in items {
        match v {
            Val::Object(o) => {
                for (k, x) in o.iter() {
                    out.insert(k.clone(), x.clone());
                }
            }
            Val::Unknown(u) => return Ok(unknown_of(u)),
            Val::Null => {}
            other => return Err(type_error(name, "an array of objects", other)),
        }
    }
    Ok(Val::Object(out))
}

fn flatten(name: &str, a: &[Val]) -> R {
    n_args(name, a, 1, 1)?;
    strict!(a);
    let Val::Array(items) = &a[0] else {
        return Err(type_error(name, "an array of arrays", &a[0]));
    };
    let mut out = vec![];
    for v in items {
        match v {
            Val::Array(x) => out.extend(x.iter().cloned()),
            Val::Unknown(u) => return Ok(unknown_of(u)),
            other => return Err(type_error(name, "an array of arrays", other)),
        }
    }
    Ok(Val::Array(out))
}

// ------------------------------------------------------------------ hashes

/// The joined text of hash arguments, or why it is not known.
fn hash_input(name: &str, a: &[Val]) -> Result<Result<String, Val>, EvalError> {
    n_args(name, a, 1, usize::MAX)?;
    let mut parts = vec![];
    for v in a {
        match v {
            Val::Str(s) => {
                if let Some(what) = scope::placeholder_in(s) {
                    return Ok(Err(Val::unknown(format!(
                        "{name}() hashes {what}, which is not given (pass {})",
                        scope::placeholder_flag(what)
                    ))));
                }
                parts.push(s.as_str());
            }
            Val::Unknown(u) => {
                return Ok(Err(Val::Unknown(Unknown::new(format!(
                    "{name}() of a value that is not known: {}",
                    u.reason
                )))));
            }
            other => return Err(type_error(name, "strings", other)),
        }
    }
    Ok(Ok(parts.join("-")))
}

fn unique_string(name: &str, a: &[Val]) -> R {
    Ok(match hash_input(name, a)? {
        Ok(text) => Val::Str(hash::unique_string(&text)),
        Err(u) => u,
    })
}

fn guid(name: &str, a: &[Val]) -> R {
    Ok(match hash_input(name, a)? {
        Ok(text) => Val::Str(hash::guid(&text)),
        Err(u) => u,
    })
}

#[cfg(test)]
mod tests {
    use super::super::eval::testenv::*;
    use serde_json::json;

    fn j(s: &str) -> serde_json::Value {
        json(&TestEnv::default(), s)
    }

    #[test]
    fn strings() {
        assert_eq!(j("[concat('a', 1, true())]"), json!("a1True"));
        assert_eq!(
            j("[format('{0}-{1:D3}-{{x}}', 'aks', 7)]"),
            json!("aks-007-{x}")
        );
        assert_eq!(j("[format('{0,4}|{0,-4}|', 'ab')]"), json!("  ab|ab  |"));
        assert_eq!(j("[format('{0:N0} {0:X}', 4096)]"), json!("4,096 1000"));
        assert_eq!(
            j("[string(createObject('a', 1, 'b', createArray('x')))]"),
            json!(r#"{"a":1,"b":["x"]}"#)
        );
        assert_eq!(j("[split('10.0.0.0/16', '/')]"), json!(["10.0.0.0", "16"]));
        assert_eq!(
            j("[split('a,b;c', createArray(',', ';'))]"),
            json!(["a", "b", "c"])
        );
        assert_eq!(j("[replace('a-b-c', '-', '')]"), json!("abc"));
        assert_eq!(j("[substring('abcdef', 1, 3)]"), json!("bcd"));
        assert_eq!(j("[indexOf('Microsoft.Network', 'NETWORK')]"), json!(10));
        assert_eq!(j("[lastIndexOf('a/b/c', '/')]"), json!(3));
        assert_eq!(
            j("[startsWith('AzureFirewallSubnet', 'azurefirewall')]"),
            json!(true)
        );
        assert_eq!(j("[endsWith('abc', 'BC')]"), json!(true));
        assert_eq!(j("[toLower('AbC')]"), json!("abc"));
        assert_eq!(j("[trim('  x ')]"), json!("x"));
        assert_eq!(j("[padLeft(7, 3, '0')]"), json!("007"));
        assert_eq!(j("[first('abc')]"), json!("a"));
        assert_eq!(j("[last(split('a/b/c', '/'))]"), json!("c"));
        assert_eq!(j("[take('abcdef', 3)]"), json!("abc"));
        assert_eq!(j("[skip(createArray(1, 2, 3), 1)]"), json!([2, 3]));
        assert_eq!(j("[take(createArray(1, 2, 3), 9)]"), json!([1, 2, 3]));
        assert_eq!(j("[join(createArray('a', 'b'), ',')]"), json!("a,b"));
        assert_eq!(j("[length('abc')]"), json!(3));
        assert_eq!(j("[contains('abc', 'b')]"), json!(true));
    }

    #[test]
    fn arrays_and_objects() {
        assert_eq!(
            j("[concat(createArray(1), createArray(2, 3))]"),
            json!([1, 2, 3])
        );
        assert_eq!(
            j("[union(createArray(1, 2), createArray(2, 3))]"),
            json!([1, 2, 3])
        );
        assert_eq!(
            j("[union(json('{\"a\":1,\"n\":{\"x\":1}}'), json('{\"b\":2,\"n\":{\"y\":2}}'))]"),
            json!({"a": 1, "b": 2, "n": {"x": 1, "y": 2}})
        );
        assert_eq!(
            j("[intersection(createObject('a', 1, 'b', 2), createObject('a', 1, 'b', 3))]"),
            json!({"a": 1})
        );
        assert_eq!(
            j("[intersection(createArray(1, 2, 3), createArray(3, 2))]"),
            json!([2, 3])
        );
        assert_eq!(j("[contains(createObject('Key', 1), 'key')]"), json!(true));
        assert_eq!(j("[contains(createArray('a', 'b'), 'b')]"), json!(true));
        assert_eq!(j("[empty(createObject())]"), json!(true));
        assert_eq!(j("[empty(null())]"), json!(true));
        assert_eq!(j("[empty('')]"), json!(true));
        assert_eq!(j("[empty(createArray(1))]"), json!(false));
        assert_eq!(j("[range(5, 3)]"), json!([5, 6, 7]));
        assert_eq!(
            j("[items(createObject('b', 2, 'a', 1))]"),
            json!([{"key": "a", "value": 1}, {"key": "b", "value": 2}])
        );
        assert_eq!(j("[array('x')]"), json!(["x"]));
        assert_eq!(j("[json('{\"a\": [1]}').a[0]]"), json!(1));
        assert_eq!(j("[json('null')]"), json!(null));
        assert_eq!(
            j(
                "[shallowMerge(createArray(createObject('a', createObject('x', 1)), createObject('a', createObject('y', 2))))]"
            ),
            json!({"a": {"y": 2}})
        );
        assert_eq!(
            j("[flatten(createArray(createArray(1), createArray(2, 3)))]"),
            json!([1, 2, 3])
        );
        assert_eq!(
            j("[tryGet(createObject('a', createObject('b', 1)), 'a', 'b')]"),
            json!(1)
        );
        assert_eq!(
            j("[tryGet(createObject('a', 1), 'missing', 'b')]"),
            json!(null)
        );
    }

    #[test]
    fn numbers_logic_conversions() {
        assert_eq!(j("[add(1, sub(10, mul(2, 3)))]"), json!(5));
        assert_eq!(j("[div(7, 2)]"), json!(3));
        assert_eq!(j("[mod(7, 2)]"), json!(1));
        assert_eq!(j("[max(1, 5, 3)]"), json!(5));
        assert_eq!(j("[min(createArray(4, 2))]"), json!(2));
        assert_eq!(j("[int('42')]"), json!(42));
        assert_eq!(j("[bool('True')]"), json!(true));
        assert_eq!(j("[less(1, 2)]"), json!(true));
        assert_eq!(j("[greaterOrEquals('b', 'a')]"), json!(true));
        assert_eq!(
            j("[equals(createArray(1, 'a'), createArray(1, 'a'))]"),
            json!(true)
        );
        assert_eq!(j("[equals('A', 'a')]"), json!(false));
        assert_eq!(j("[not(equals(1, 2))]"), json!(true));
    }

    #[test]
    fn hashes() {
        assert_eq!(
            j("[uniqueString('hello', 'world')]"),
            json!("a7wkljktk6wne")
        );
        assert_eq!(
            j("[guid('test')]"),
            json!("d6a5baf1-8b9b-542a-8525-2982f1f98a0c")
        );
        assert_eq!(
            j("[guid('test', 'test2', 'test3')]"),
            json!("43ca56fb-e844-5667-aabf-b316c27c09cc")
        );
        // the resource group is not given: a placeholder id, so the hash is unknown
        let v = ev(&TestEnv::default(), "[uniqueString(resourceGroup().id)]");
        let super::Val::Unknown(u) = v else {
            panic!("{v:?}")
        };
        assert!(u.reason.contains("--subscription"), "{u:?}");
    }

    #[test]
    fn runtime_errors() {
        let e = TestEnv::default();
        assert!(
            ev_err(&e, "[substring('abc', 2, 5)]")
                .message
                .contains("outside")
        );
        assert!(ev_err(&e, "[div(1, 0)]").message.contains("zero"));
        assert!(ev_err(&e, "[json('{')]").message.contains("not valid JSON"));
        assert!(
            ev_err(&e, "[format('{1}', 'a')]")
                .message
                .contains("no argument")
        );
        assert!(ev_err(&e, "[not('x')]").message.contains("bool"));
        assert!(ev_err(&e, "[createObject('a')]").message.contains("pairs"));
    }
}
