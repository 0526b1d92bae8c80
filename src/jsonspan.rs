//! JSON pointer -> byte span, using jsonc-parser's AST (which keeps byte ranges and tolerates the
//! comments found in hand-written ARM templates).

use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;
use std::ops::Range;

/// Resolve each RFC 6901 pointer to the byte range of the value it designates. Unparseable text or
/// a pointer that leads nowhere gives `None` for that pointer.
pub fn resolve_pointers(text: &str, pointers: &[String]) -> Vec<Option<Range<usize>>> {
    resolve(text, pointers, false)
}

/// Like [`resolve_pointers`], but for labels: a pointer to an object that has a `"name"` string
/// member resolves to that name (one line that identifies the element: an NSG rule, a route, a
/// rule collection), and any other object or array to its opening bracket, so a diagnostic
/// underlines one line instead of a whole block.
pub fn resolve_label_pointers(text: &str, pointers: &[String]) -> Vec<Option<Range<usize>>> {
    resolve(text, pointers, true)
}

fn resolve(text: &str, pointers: &[String], label: bool) -> Vec<Option<Range<usize>>> {
    // a leading UTF-8 byte order mark is skipped; spans stay offsets into `text`
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    resolve_in(&text[bom..], pointers, label)
        .into_iter()
        .map(|r| r.map(|r| r.start + bom..r.end + bom))
        .collect()
}

fn resolve_in(text: &str, pointers: &[String], label: bool) -> Vec<Option<Range<usize>>> {
    let parsed = jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions::default(),
    );
    let Ok(parsed) = parsed else {
        return vec![None; pointers.len()];
    };
    let Some(root) = parsed.value.as_ref() else {
        return vec![None; pointers.len()];
    };
    pointers.iter().map(|p| walk(root, p, label)).collect()
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

fn walk(root: &Value<'_>, pointer: &str, label: bool) -> Option<Range<usize>> {
    let mut cur = root;
    let segments = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?.split('/')),
    };
    for raw in segments.into_iter().flatten() {
        let seg = unescape(raw);
        cur = match cur {
            Value::Object(obj) => {
                let prop = obj.properties.iter().find(|p| p.name.as_str() == seg)?;
                &prop.value
            }
            Value::Array(arr) => {
                let i: usize = seg.parse().ok()?;
                arr.elements.get(i)?
            }
            _ => return None,
        };
    }
    if label {
        match cur {
            Value::Object(obj) => {
                if let Some(p) = obj.properties.iter().find(|p| p.name.as_str() == "name") {
                    if matches!(p.value, Value::StringLit(_)) {
                        let r = p.value.range();
                        return Some(r.start..r.end);
                    }
                }
                let r = cur.range();
                return Some(r.start..r.start + 1);
            }
            Value::Array(_) => {
                let r = cur.range();
                return Some(r.start..r.start + 1);
            }
            _ => {}
        }
    }
    let r = cur.range();
    Some(r.start..r.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_pointers_are_one_line() {
        let text = "{\n  \"r\": {\n    \"access\": \"Deny\",\n    \"name\": \"deny-all\"\n  },\n  \"o\": {\"a\": 1}\n}";
        let r = resolve_label_pointers(text, &["/r".into(), "/o".into()]);
        assert_eq!(&text[r[0].clone().unwrap()], "\"deny-all\"");
        assert_eq!(&text[r[1].clone().unwrap()], "{");
        let full = resolve_pointers(text, &["/r".into()]);
        assert!(text[full[0].clone().unwrap()].contains("access"));
    }

    #[test]
    fn resolves_nested_pointer() {
        let text = "{\n  \"a\": [1, {\"b\": \"x/y\"}],\n  \"c~d\": true\n}";
        let r = resolve_pointers(
            text,
            &["/a/1/b".into(), "/c~0d".into(), "/a/5".into(), "".into()],
        );
        assert_eq!(&text[r[0].clone().unwrap()], "\"x/y\"");
        assert_eq!(&text[r[1].clone().unwrap()], "true");
        assert_eq!(r[2], None);
        assert_eq!(r[3].clone().unwrap(), 0..text.len());
    }
}
