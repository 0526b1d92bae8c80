//! Every text a finding can point into, and where model elements came from.
//!
//! Loaders record an [`Origin`] for each element: the file, the resource address, and a location
//! that is either a byte span (HCL, which hcl-edit gives us) or a JSON pointer (plan / ARM JSON),
//! resolved to a byte span lazily, once per file, when a report needs it.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FileId(pub u32);

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Loc {
    #[default]
    None,
    /// Byte range in the file.
    Span(Range<usize>),
    /// RFC 6901 JSON pointer into a JSON file (`/resource_changes/3/change/after/security_rule/0`).
    Pointer(String),
}

/// `s` escaped as one JSON pointer reference token (RFC 6901 §3): each `~` as `~0`, each `/` as
/// `~1`. The same bytes as `s.replace('~', "~0").replace('/', "~1")` (where the order matters:
/// `~` first, or the `~` of `~1` would be escaped again), in one pass; borrowed when `s` holds
/// neither character, as nearly every key does.
pub fn ptr_seg(s: &str) -> Cow<'_, str> {
    if !s.contains(['~', '/']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `base`, `sep` and `tail` in one allocation, with room for a closing `]`: the readers'
/// cursors extend a pointer (`/`) or a path (`.`, `[`) once per value read, where `format!` was
/// a tenth of loading a large plan and a quarter of reading a large ARM file.
pub fn joined(base: &str, sep: char, tail: &str) -> String {
    let mut s = String::with_capacity(base.len() + 2 + tail.len());
    s.push_str(base);
    s.push(sep);
    s.push_str(tail);
    s
}

/// Where a model element (or one of its fields) came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Origin {
    pub file: Option<FileId>,
    /// Resource address (Terraform address, ARM resource id, or `az` show name), shared by the
    /// origins of one resource's parts.
    pub address: Option<Arc<str>>,
    pub loc: Loc,
}

impl Origin {
    pub fn new(file: FileId, address: impl Into<Arc<str>>, loc: Loc) -> Self {
        Origin {
            file: Some(file),
            address: Some(address.into()),
            loc,
        }
    }
    pub fn none() -> Self {
        Origin::default()
    }
    /// Same file and address, JSON pointer extended by `suffix` (`"security_rule/2"`). For span
    /// locations the span is kept (the caller should set a precise span when it has one).
    pub fn child(&self, suffix: &str) -> Origin {
        let loc = match &self.loc {
            Loc::Pointer(p) => {
                let mut p = p.clone();
                // `/` in `suffix` separates segments, so a segment never holds one: only its
                // `~`s are escaped
                for seg in suffix.split('/').filter(|s| !s.is_empty()) {
                    p.push('/');
                    p.push_str(&ptr_seg(seg));
                }
                Loc::Pointer(p)
            }
            other => other.clone(),
        };
        Origin {
            file: self.file,
            address: self.address.clone(),
            loc,
        }
    }
    pub fn with_address(mut self, address: impl Into<Arc<str>>) -> Origin {
        self.address = Some(address.into());
        self
    }
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display name (the path as the user gave it, or `<stdin>`).
    pub name: String,
    pub text: Arc<String>,
    /// Byte offsets of line starts.
    line_starts: Vec<usize>,
    /// For texts that are not pure ASCII: how many UTF-8 continuation bytes precede each block
    /// of [`BLOCK`] bytes, so that a column is counted in characters without walking the line
    /// from its start (a `terraform show -json` plan is one line of up to hundreds of MB).
    /// Built on first use.
    continuation: std::sync::OnceLock<Option<Vec<usize>>>,
}

/// Block size of [`SourceFile::continuation`].
const BLOCK: usize = 4096;

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl SourceFile {
    pub fn new(name: String, text: String) -> Self {
        Self::shared(name, Arc::new(text))
    }
    /// [`SourceFile::new`] of a text the caller keeps a handle to.
    pub fn shared(name: String, text: Arc<String>) -> Self {
        let mut line_starts = vec![0];
        // match_indices searches with memchr: fast on 100 MB single-line plans
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text,
            line_starts,
            continuation: std::sync::OnceLock::new(),
        }
    }
    /// 0-based number of the line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }
    /// Byte range of 0-based line `line`, without its newline.
    pub fn line_bounds(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line.min(self.line_starts.len() - 1)];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        start..end
    }
    /// Number of characters in `text[start..end]` (both on character boundaries).
    pub(crate) fn char_count(&self, start: usize, end: usize) -> usize {
        let table = self.continuation.get_or_init(|| {
            if self.text.is_ascii() {
                return None;
            }
            let mut before = Vec::with_capacity(self.text.len() / BLOCK + 1);
            let mut n = 0;
            for block in self.text.as_bytes().chunks(BLOCK) {
                before.push(n);
                n += block.iter().filter(|&&b| is_continuation(b)).count();
            }
            Some(before)
        });
        let Some(before) = table else {
            return end - start; // ASCII: one byte, one character
        };
        let bytes = self.text.as_bytes();
        // continuation bytes in text[..x]
        let upto = |x: usize| {
            let k = x / BLOCK;
            before.get(k).copied().unwrap_or(0)
                + bytes[k * BLOCK..x]
                    .iter()
                    .filter(|&&b| is_continuation(b))
                    .count()
        };
        (end - start) - (upto(end) - upto(start))
    }
    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = if self.text.is_char_boundary(start) && self.text.is_char_boundary(offset) {
            self.char_count(start, offset)
        } else {
            offset - start
        };
        (line + 1, col + 1)
    }
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
    pub fn longest_line(&self) -> usize {
        let mut max = 0;
        for w in self.line_starts.windows(2) {
            max = max.max(w[1] - w[0]);
        }
        max.max(self.text.len() - self.line_starts.last().copied().unwrap_or(0))
    }
}

/// A location resolved for output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    pub file: FileId,
    pub span: Range<usize>,
    pub line: usize,
    pub column: usize,
}

/// `Clone` copies the texts (shared, `Arc`) and whatever locations were already resolved: the
/// benchmarks of `tests/bench/check.rs` render each report from a copy taken before any
/// resolution, so that resolving locations is measured every time.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    pointer_cache: HashMap<(FileId, String), Option<Range<usize>>>,
    /// Per JSON file, what is known of its layout: each file is scanned about once, however many
    /// times pointers into it are resolved (`explain` resolves some for every trace).
    json_index: HashMap<FileId, crate::jsonspan::JsonIndex>,
    /// Locations of sensitive values per file (masked in excerpts).
    sensitive: HashMap<FileId, Vec<Loc>>,
    /// The same, resolved to byte ranges.
    masked: HashMap<FileId, Arc<Vec<Range<usize>>>>,
    /// Where the value shown at a span is written, when that is elsewhere (a Terraform
    /// variable's default used by a resource attribute): reports show both.
    related: HashMap<(FileId, Range<usize>), Vec<Related>>,
    /// JSON pointers of a file that are shown elsewhere: a plan's nodes at the `.tf` spans of
    /// the configuration it was made from (pointer -> origin; a pointer without an entry takes
    /// its nearest ancestor's).
    redirects: HashMap<FileId, HashMap<String, Origin>>,
}

/// Where what is shown at a span comes from, and the label saying so.
type Related = (Origin, String);

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, name: impl Into<String>, text: String) -> FileId {
        self.add_shared(name, Arc::new(text))
    }
    /// [`SourceMap::add`] of a text the caller keeps a handle to (readers whose values borrow it).
    pub fn add_shared(&mut self, name: impl Into<String>, text: Arc<String>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::shared(name.into(), text));
        id
    }
    /// Record that what is shown at `used` (a span) comes from `from`, as `text` says ("the
    /// value is written here").
    pub fn relate(&mut self, used: Origin, from: Origin, text: &str) {
        if let (Some(f), Loc::Span(r)) = (used.file, &used.loc) {
            let list = self.related.entry((f, r.clone())).or_default();
            if !list.iter().any(|(o, _)| o == &from) {
                list.push((from, text.to_string()));
            }
        }
    }

    /// Where what is shown at `origin` comes from, when that is elsewhere, with a label text;
    /// for a redirected plan location, the plan location itself.
    pub fn related(&mut self, origin: &Origin) -> Vec<Related> {
        let shown = match self.redirected(origin) {
            Some(target) => {
                let mut out = Vec::new();
                if let (Some(f), Loc::Pointer(p)) = (origin.file, &origin.loc) {
                    if let Some(r) = self.pointer_span(f, p, true) {
                        let plan = Origin {
                            file: Some(f),
                            address: origin.address.clone(),
                            loc: Loc::Span(r),
                        };
                        out.push((plan, "in the plan".to_string()));
                    }
                }
                out.extend(self.related(&target));
                return out;
            }
            None => origin,
        };
        match (shown.file, &shown.loc) {
            (Some(f), Loc::Span(r)) => self
                .related
                .get(&(f, r.clone()))
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Show the JSON pointers of `file` at other origins (see [`SourceMap::locate`]).
    pub fn redirect(&mut self, file: FileId, map: HashMap<String, Origin>) {
        self.redirects.entry(file).or_default().extend(map);
    }

    /// Where a pointer origin is shown instead, when its file is redirected.
    fn redirected(&self, origin: &Origin) -> Option<Origin> {
        let (Some(f), Loc::Pointer(p)) = (origin.file, &origin.loc) else {
            return None;
        };
        let map = self.redirects.get(&f)?;
        let mut q = p.as_str();
        loop {
            if let Some(o) = map.get(q) {
                let mut o = o.clone();
                o.address = origin.address.clone().or(o.address);
                return Some(o);
            }
            q = &q[..q.rfind('/')?];
            if q.is_empty() {
                return None;
            }
        }
    }

    /// Mark locations of `file` as sensitive: excerpts ([`SourceMap::excerpt`]) mask them.
    pub fn mark_sensitive(&mut self, file: FileId, locs: Vec<Loc>) {
        self.masked.remove(&file);
        self.sensitive.entry(file).or_default().extend(locs);
    }

    /// The byte ranges of the sensitive values of a file (pointers resolved once per file).
    pub fn sensitive_spans(&mut self, file: FileId) -> Arc<Vec<Range<usize>>> {
        if let Some(t) = self.masked.get(&file) {
            return t.clone();
        }
        let text = self.get(file).text.clone();
        let locs = self.sensitive.get(&file).cloned().unwrap_or_default();
        let pointers: Vec<String> = locs
            .iter()
            .filter_map(|l| match l {
                Loc::Pointer(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let mut spans: Vec<Range<usize>> = locs
            .iter()
            .filter_map(|l| match l {
                Loc::Span(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        if !pointers.is_empty() {
            let index = self.json_index.entry(file).or_default();
            spans.extend(
                pointers
                    .iter()
                    .filter_map(|p| index.resolve(&text, p, false)),
            );
        }
        spans.sort_by_key(|r| r.start);
        let spans = Arc::new(spans);
        self.masked.insert(file, spans.clone());
        spans
    }

    /// The excerpt of `file` a diagnostic shows for labels at `focus` (byte ranges): the lines
    /// around them, clipped, with every sensitive value masked (see [`crate::excerpt`]).
    pub fn excerpt(
        &mut self,
        file: FileId,
        focus: &[Range<usize>],
        context: usize,
    ) -> crate::excerpt::Excerpt {
        let spans = self.sensitive_spans(file);
        let f = self.get(file);
        crate::excerpt::Excerpt::build_for(
            f,
            focus,
            crate::excerpt::Redaction::Spans(&spans),
            context,
        )
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Resolve the JSON pointers of many origins at once. Each JSON file is scanned about once
    /// over every call (its [`crate::jsonspan::JsonIndex`] is kept).
    /// Spans are whole values (see [`SourceMap::locate`]).
    pub fn prepare<'a>(&mut self, origins: impl IntoIterator<Item = &'a Origin>) {
        self.prepare_as(origins, false)
    }

    /// Like [`SourceMap::prepare`], for [`SourceMap::locate_label`].
    pub fn prepare_labels<'a>(&mut self, origins: impl IntoIterator<Item = &'a Origin>) {
        self.prepare_as(origins, true)
    }

    fn prepare_as<'a>(&mut self, origins: impl IntoIterator<Item = &'a Origin>, label: bool) {
        let mut wanted: HashMap<FileId, Vec<String>> = HashMap::new();
        for o in origins {
            if let (Some(f), Loc::Pointer(p)) = (o.file, &o.loc) {
                if !self.pointer_cache.contains_key(&(f, cache_key(p, label))) {
                    wanted.entry(f).or_default().push(p.clone());
                }
            }
        }
        for (file, pointers) in wanted {
            let text = self.get(file).text.clone();
            let index = self.json_index.entry(file).or_default();
            for p in pointers {
                let r = index.resolve(&text, &p, label);
                self.pointer_cache.insert((file, cache_key(&p, label)), r);
            }
        }
    }

    /// Resolve an origin to a file position: the whole value it designates (pointers resolved
    /// from the file's kept index; `prepare` is not needed, only convenient).
    pub fn locate(&mut self, origin: &Origin) -> Option<Located> {
        self.locate_as(origin, false)
    }

    /// Resolve an origin to a one-line position for a diagnostic label: an object with a `name`
    /// resolves to that name, other objects and arrays to their opening bracket.
    pub fn locate_label(&mut self, origin: &Origin) -> Option<Located> {
        self.locate_as(origin, true)
    }

    fn locate_as(&mut self, origin: &Origin, label: bool) -> Option<Located> {
        if let Some(target) = self.redirected(origin) {
            return self.locate_as(&target, label);
        }
        let file = origin.file?;
        let span = match &origin.loc {
            Loc::None => return None,
            Loc::Span(r) => r.clone(),
            Loc::Pointer(p) => self.pointer_span(file, p, label)?,
        };
        let (line, column) = self.get(file).line_col(span.start);
        Some(Located {
            file,
            span,
            line,
            column,
        })
    }
}

impl SourceMap {
    /// The span a JSON pointer of `file` resolves to (cached).
    fn pointer_span(&mut self, file: FileId, p: &str, label: bool) -> Option<Range<usize>> {
        let key = (file, cache_key(p, label));
        if !self.pointer_cache.contains_key(&key) {
            let o = Origin {
                file: Some(file),
                address: None,
                loc: Loc::Pointer(p.to_string()),
            };
            self.prepare_as(std::iter::once(&o), label);
        }
        self.pointer_cache.get(&key).cloned().flatten()
    }
}

fn cache_key(pointer: &str, label: bool) -> String {
    if label {
        format!("label:{pointer}")
    } else {
        pointer.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns are counted in characters, as the straightforward walk from the line start does.
    #[test]
    fn columns_count_characters_across_blocks() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(if i % 7 == 0 { "é€\u{1F600}" } else { "ab" });
            if i % 1000 == 999 {
                text.push('\n');
            }
        }
        let f = SourceFile::new("t".into(), text.clone());
        let ascii = SourceFile::new("a".into(), "x".repeat(10_000) + "\ny");
        for offset in (0..text.len()).step_by(97).chain([text.len()]) {
            let before = &text.as_bytes()[..offset];
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = text
                .get(line_start..offset)
                .map_or(offset - line_start, |s| s.chars().count());
            assert_eq!(f.line_col(offset), (line, col + 1), "offset {offset}");
        }
        assert_eq!(ascii.line_col(9_999), (1, 10_000));
        assert_eq!(ascii.line_col(10_001), (2, 1));
    }

    #[test]
    fn ptr_seg_escapes_tilde_then_slash() {
        assert!(matches!(ptr_seg("plain"), Cow::Borrowed("plain")));
        assert!(matches!(ptr_seg(""), Cow::Borrowed("")));
        assert_eq!(ptr_seg("a~/b"), "a~0~1b");
        assert_eq!(ptr_seg("~1"), "~01");
        assert_eq!(ptr_seg("/~"), "~1~0");
        assert_eq!(ptr_seg("ñ/é~"), "ñ~1é~0");
        for s in ["a~/b", "~1", "//~~", "x/y~z", "ñ/é~", "no escape"] {
            assert_eq!(ptr_seg(s), s.replace('~', "~0").replace('/', "~1"));
        }
    }
}
