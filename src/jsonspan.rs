//! JSON pointer -> byte span, from the bytes of the text, without building a tree.
//!
//! A [`JsonIndex`] records, for each container it has scanned, where its members or items start
//! and end. The first resolution scans the document once and indexes its first levels (the
//! members of the root and the items of its arrays: a plan's `resource_changes`, a template's
//! `resources`); deeper containers are scanned when a pointer first goes through them, and only
//! they. So a report resolves any number of locations, in any number of calls, for about one
//! pass over each file, and the index is small (a few entries per resource).
//!
//! The scanner accepts what the readers accept: strict JSON, plus the `//` and `/* */`
//! comments and trailing commas of hand-written ARM templates, and a leading byte order mark.
//! A pointer that leads nowhere, or into text that is not well-formed, resolves to `None`.

use std::collections::HashMap;
use std::ops::Range;

/// Resolve each RFC 6901 pointer to the byte range of the value it designates. Unparseable text or
/// a pointer that leads nowhere gives `None` for that pointer.
pub fn resolve_pointers(text: &str, pointers: &[String]) -> Vec<Option<Range<usize>>> {
    let mut index = JsonIndex::default();
    pointers
        .iter()
        .map(|p| index.resolve(text, p, false))
        .collect()
}

/// Like [`resolve_pointers`], but for labels: a pointer to an object that has a `"name"` string
/// member resolves to that name (one line that identifies the element: an NSG rule, a route, a
/// rule collection), and any other object or array to its opening bracket, so a diagnostic
/// underlines one line instead of a whole block.
pub fn resolve_label_pointers(text: &str, pointers: &[String]) -> Vec<Option<Range<usize>>> {
    let mut index = JsonIndex::default();
    pointers
        .iter()
        .map(|p| index.resolve(text, p, true))
        .collect()
}

/// Containers this deep (the root is 0) are indexed while their parent is scanned; deeper ones
/// when a pointer first goes through them.
const EAGER_DEPTH: usize = 2;
/// Nesting beyond this is not followed (the readers refuse such documents anyway).
const MAX_DEPTH: usize = 512;

/// The members of one scanned container.
#[derive(Debug, Clone)]
enum Members {
    /// Key (the string's content, without quotes, possibly escaped) and value, in text order.
    Object(Vec<(Range<usize>, Range<usize>)>),
    Array(Vec<Range<usize>>),
}

/// What is known of one JSON text's layout; see the module documentation. The index is only
/// valid for the text it was built from.
#[derive(Debug, Default, Clone)]
pub struct JsonIndex {
    /// Scanned containers by the offset of their opening bracket.
    containers: HashMap<usize, Members>,
    /// The root value's range (`None` before the first resolution; `Some(None)` when the text
    /// is not well-formed there).
    root: Option<Option<Range<usize>>>,
}

impl JsonIndex {
    /// The span of the value at `pointer` in `text` (the text this index belongs to); for a
    /// `label`, the span [`resolve_label_pointers`] describes.
    pub fn resolve(&mut self, text: &str, pointer: &str, label: bool) -> Option<Range<usize>> {
        let b = text.as_bytes();
        let root = match &self.root {
            Some(r) => r.clone()?,
            None => {
                let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
                let start = skip_ws(b, bom);
                let r = self.value(b, start, 0).map(|end| start..end);
                self.root = Some(r.clone());
                r?
            }
        };
        let mut cur = root;
        if !pointer.is_empty() {
            for raw in pointer.strip_prefix('/')?.split('/') {
                let seg = unescape(raw);
                cur = self.member(b, cur.start, &seg)?;
            }
        }
        if label {
            match b[cur.start] {
                b'{' => {
                    if let Some(name) = self.member(b, cur.start, "name") {
                        if b[name.start] == b'"' {
                            return Some(name);
                        }
                    }
                    return Some(cur.start..cur.start + 1);
                }
                b'[' => return Some(cur.start..cur.start + 1),
                _ => {}
            }
        }
        Some(cur)
    }

    /// The value of member `seg` (a key, or an index of an array) of the container at `start`.
    fn member(&mut self, b: &[u8], start: usize, seg: &str) -> Option<Range<usize>> {
        if !self.containers.contains_key(&start) {
            if !matches!(b.get(start), Some(b'{' | b'[')) {
                return None;
            }
            // a container deeper than the eager levels, reached for the first time
            self.index(b, start, EAGER_DEPTH)?;
        }
        match self.containers.get(&start)? {
            Members::Array(items) => items.get(seg.parse::<usize>().ok()?).cloned(),
            // the last of duplicate keys, as the readers (serde_json) keep it
            Members::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| key_is(b, k.clone(), seg))
                .map(|(_, v)| v.clone()),
        }
    }

    /// Scan the value starting at `i` (no whitespace before it); its end. Containers at
    /// `depth <= EAGER_DEPTH` are indexed.
    fn value(&mut self, b: &[u8], i: usize, depth: usize) -> Option<usize> {
        match *b.get(i)? {
            b'"' => string_end(b, i),
            b'{' | b'[' if depth <= EAGER_DEPTH => self.index(b, i, depth),
            b'{' | b'[' => skip_container(b, i),
            _ => scalar_end(b, i),
        }
    }

    /// Scan and index the container at `i`; its end.
    fn index(&mut self, b: &[u8], i: usize, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let object = b[i] == b'{';
        let close = if object { b'}' } else { b']' };
        let mut keys: Vec<(Range<usize>, Range<usize>)> = vec![];
        let mut items: Vec<Range<usize>> = vec![];
        let mut p = skip_ws(b, i + 1);
        loop {
            match *b.get(p)? {
                c if c == close => break,
                // a leading or doubled comma (tolerated, as trailing commas are)
                b',' => {
                    p = skip_ws(b, p + 1);
                    continue;
                }
                _ => {}
            }
            if object {
                if b[p] != b'"' {
                    return None;
                }
                let kend = string_end(b, p)?;
                let colon = skip_ws(b, kend);
                if b.get(colon) != Some(&b':') {
                    return None;
                }
                let vstart = skip_ws(b, colon + 1);
                let vend = self.value(b, vstart, depth + 1)?;
                keys.push((p + 1..kend - 1, vstart..vend));
                p = skip_ws(b, vend);
            } else {
                let vend = self.value(b, p, depth + 1)?;
                items.push(p..vend);
                p = skip_ws(b, vend);
            }
            match *b.get(p)? {
                b',' => p = skip_ws(b, p + 1),
                c if c == close => {}
                _ => return None,
            }
        }
        let members = if object {
            Members::Object(keys)
        } else {
            Members::Array(items)
        };
        self.containers.insert(i, members);
        Some(p + 1)
    }
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Whether the key whose raw content is `b[k]` equals `seg`.
fn key_is(b: &[u8], k: Range<usize>, seg: &str) -> bool {
    let raw = &b[k.clone()];
    if !raw.contains(&b'\\') {
        return raw == seg.as_bytes();
    }
    // an escaped key: decode it as JSON does
    let quoted = &b[k.start - 1..k.end + 1];
    std::str::from_utf8(quoted)
        .ok()
        .and_then(|s| serde_json::from_str::<String>(s).ok())
        .is_some_and(|s| s == seg)
}

/// Skip whitespace and comments from `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            _ => break,
        }
    }
    i
}

/// The end of the string whose opening quote is at `i` (after its closing quote).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut p = i + 1;
    loop {
        // most strings hold no escape: find the next quote or backslash
        let off = memchr::memchr2(b'"', b'\\', b.get(p..)?)?;
        p += off;
        if b[p] == b'"' {
            return Some(p + 1);
        }
        p += 2;
    }
}

/// The end of a number or literal starting at `i`.
fn scalar_end(b: &[u8], i: usize) -> Option<usize> {
    let mut p = i;
    while p < b.len()
        && !matches!(
            b[p],
            b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n' | b'/' | b':'
        )
    {
        p += 1;
    }
    (p > i).then_some(p)
}

/// The end of the container at `i`, without indexing it.
fn skip_container(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut p = i;
    while p < b.len() {
        match b[p] {
            b'"' => {
                p = string_end(b, p)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(p + 1);
                }
            }
            b'/' if matches!(b.get(p + 1), Some(b'/' | b'*')) => {
                p = skip_ws(b, p);
                continue;
            }
            _ => {}
        }
        p += 1;
    }
    None
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

    #[test]
    fn deep_pointers_escapes_comments_and_trailing_commas() {
        let text = "\u{feff}{ // a template\n \"a\\\"b\": {\"x\": [ /* c */ {\"d\": {\"e\": [1, 2, {\"f\": \"]}\\\"\"}]}},],},\n \"s/t\": 0 }";
        let r = resolve_pointers(
            text,
            &[
                "/a\"b/x/0/d/e/2/f".into(),
                "/s~1t".into(),
                "/a\"b/x/1".into(),
                "/a\"b/x/0/d/e/1".into(),
                "/nope".into(),
                "/s~1t/0".into(),
            ],
        );
        assert_eq!(&text[r[0].clone().unwrap()], "\"]}\\\"\"");
        assert_eq!(&text[r[1].clone().unwrap()], "0");
        assert_eq!(r[2], None);
        assert_eq!(&text[r[3].clone().unwrap()], "2");
        assert_eq!(r[4], None);
        assert_eq!(r[5], None);
    }

    #[test]
    fn duplicate_keys_resolve_to_the_last_as_the_readers_read_it() {
        let text = r#"{"a": 1, "a": 2}"#;
        let r = resolve_pointers(text, &["/a".into()]);
        assert_eq!(&text[r[0].clone().unwrap()], "2");
    }

    #[test]
    fn malformed_text_resolves_nothing_and_never_panics() {
        for text in [
            "",
            "{",
            "{\"a\": [1, 2",
            "{\"a\" 1}",
            "[1 2]",
            "\"abc",
            "{\"a\": }",
            "}",
            "[[[[",
            "{\"a\": {\"b\": \"\\",
        ] {
            let r = resolve_pointers(text, &["/a".into(), "/a/b".into(), "/0".into()]);
            assert!(r.iter().all(Option::is_none), "{text:?}: {r:?}");
        }
    }

    /// One index answers pointers given over many calls, each container scanned once.
    #[test]
    fn one_index_serves_later_pointers() {
        let items: Vec<String> = (0..50)
            .map(|i| format!("{{\"name\": \"r{i}\", \"v\": {{\"w\": [{i}]}}}}"))
            .collect();
        let text = format!("{{\"resource_changes\": [{}]}}", items.join(","));
        let mut index = JsonIndex::default();
        for i in (0..50).rev() {
            let r = index
                .resolve(&text, &format!("/resource_changes/{i}/v/w/0"), false)
                .unwrap();
            assert_eq!(&text[r], i.to_string());
            let l = index
                .resolve(&text, &format!("/resource_changes/{i}"), true)
                .unwrap();
            assert_eq!(&text[l], format!("\"r{i}\""));
        }
    }
}
