//! Excerpts: the few lines of an input that a diagnostic shows, clipped and redacted.
//!
//! Every source text a diagnostic prints goes through [`Excerpt::build`]:
//!
//! * **short**: the lines around the labels (plus `context` lines), each clipped to a window of
//!   [`MAX_LINE`] bytes around the label, so a single-line `terraform show -json` plan of
//!   megabytes prints one short line, never the whole document;
//! * **redacted**: an input that parsed masks its sensitive values ([`Redaction::Spans`]); an
//!   input that did not parse, or whose secrets are not known, masks every string value and keeps
//!   only the structure (keys, punctuation, numbers, literals) up to the place parsing failed, and
//!   only punctuation, numbers and literals after it ([`Redaction::Values`]). A mask never keeps
//!   the length of what it hides;
//! * **located**: the excerpt is a miette [`SourceCode`] that reports the real line and column of
//!   the file for every span (in characters, as the JSON report does), so the header of a
//!   diagnostic reads `plan.json:1:24837` for a minified plan and an editor jumps to the place.

use crate::source::SourceFile;
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::ops::Range;

/// Longest stretch of one source line an excerpt shows, in bytes.
pub const MAX_LINE: usize = 100;
/// Bytes shown before the first label on a clipped line.
const LEAD: usize = 32;
/// Most lines an excerpt shows.
const MAX_LINES: usize = 40;
/// What a masked sensitive value shows.
pub const SENSITIVE: &str = "(sensitive)";
/// What a masked string or word shows.
const HIDDEN: &str = "…";

/// What to hide in an excerpt.
#[derive(Debug, Clone, Copy)]
pub enum Redaction<'a> {
    /// A document that parsed and whose sensitive values are known: these byte ranges are masked.
    Spans(&'a [Range<usize>]),
    /// A JSON document that may hold secrets it does not mark (it did not parse, or it is not a
    /// kind whose secrets we know): every string value is masked; keys that look like names are
    /// kept. Beyond `valid_until` (where parsing failed) the structure is not known: every string
    /// and every word that is not a JSON number or literal is masked.
    Values { valid_until: usize },
}

/// One piece of a shown line: source bytes shown as they are, or replaced by a mask or marker.
#[derive(Debug, Clone)]
struct Piece {
    /// Range in [`Excerpt::text`].
    shown: Range<usize>,
    /// Range in the source.
    orig: Range<usize>,
    /// Characters of the source range (for columns).
    orig_chars: usize,
    verbatim: bool,
}

#[derive(Debug, Clone)]
struct ShownLine {
    /// Range in [`Excerpt::text`] (without the newline).
    shown: Range<usize>,
    /// 0-based line of the source.
    line: usize,
    /// 0-based column (characters) of the first source character the line shows.
    col: usize,
    /// The source range the line shows.
    orig: Range<usize>,
    pieces: Vec<Piece>,
}

/// A clipped, redacted window of a source text; see the module documentation.
#[derive(Debug, Clone)]
pub struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ShownLine>,
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    memrchr_newline(&text.as_bytes()[..at]).map_or(0, |i| i + 1)
}

fn memrchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

/// End of the line holding byte `at` (the offset of its newline, or the text's end).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

impl Excerpt {
    /// The lines of `text` holding `focus` (byte ranges of the labels), with `context` lines
    /// before and after, clipped and redacted. `name` is the file name shown in the header.
    pub fn build(
        name: &str,
        text: &str,
        focus: &[Range<usize>],
        redaction: Redaction<'_>,
        context: usize,
    ) -> Excerpt {
        Self::build_in(name, text, None, focus, redaction, context)
    }

    /// [`Excerpt::build`] for a file of the source map: its line index and character table
    /// find lines and columns without walking the text, so an excerpt of a plan written on one
    /// line of tens of MB costs the window it shows, not the line.
    pub fn build_for(
        file: &SourceFile,
        focus: &[Range<usize>],
        redaction: Redaction<'_>,
        context: usize,
    ) -> Excerpt {
        Self::build_in(
            &file.name,
            &file.text,
            Some(file),
            focus,
            redaction,
            context,
        )
    }

    fn build_in(
        name: &str,
        text: &str,
        index: Option<&SourceFile>,
        focus: &[Range<usize>],
        redaction: Redaction<'_>,
        context: usize,
    ) -> Excerpt {
        let line_start = |at: usize| match index {
            Some(f) => f.line_bounds(f.line_of(at)).start,
            None => line_start(text, at),
        };
        let line_end = |at: usize| match index {
            Some(f) => f.line_bounds(f.line_of(at)).end,
            None => line_end(text, at),
        };
        let mut ex = Excerpt {
            name: name.to_string(),
            text: String::new(),
            lines: vec![],
        };
        let lo = focus
            .iter()
            .map(|r| r.start)
            .min()
            .unwrap_or(0)
            .min(text.len());
        let hi = focus
            .iter()
            .map(|r| r.start.max(r.end.saturating_sub(1)))
            .max()
            .unwrap_or(lo)
            .clamp(lo, text.len());
        // 0-based number of the line holding `lo`
        let first_focus_line = match index {
            Some(f) => f.line_of(lo),
            None => text.as_bytes()[..lo]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        };
        // walk back `context` lines
        let mut start = line_start(lo);
        let mut first_line = first_focus_line;
        for _ in 0..context {
            if start == 0 {
                break;
            }
            start = line_start(start - 1);
            first_line -= 1;
        }
        // the line ranges to show
        let mut ranges = vec![];
        let mut at = start;
        let mut past_focus = 0;
        loop {
            let end = line_end(at);
            ranges.push(at..end);
            if end >= hi {
                past_focus += 1;
            }
            if end >= text.len() || past_focus > context || ranges.len() >= MAX_LINES {
                break;
            }
            at = end + 1;
        }
        let tokens = match redaction {
            Redaction::Values { valid_until } => {
                let to = ranges.last().map_or(0, |r| r.end);
                json_tokens(text, start, to, valid_until)
            }
            Redaction::Spans(_) => vec![],
        };
        for (i, r) in ranges.into_iter().enumerate() {
            ex.push_line(text, index, r, first_line + i, focus, redaction, &tokens);
        }
        // miette draws no label at the very end of a source: a label at the end of the last
        // shown line gets a newline after it
        if ex.lines.last().is_some_and(|l| hi >= l.orig.end) {
            ex.text.push('\n');
        }
        ex
    }

    /// The excerpt of a source that is not shown at all (no location): an empty text.
    pub fn empty(name: &str) -> Excerpt {
        Excerpt {
            name: name.to_string(),
            text: String::new(),
            lines: vec![],
        }
    }

    /// The displayed text (for tests and for callers that print it themselves).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    #[allow(clippy::too_many_arguments)]
    fn push_line(
        &mut self,
        text: &str,
        index: Option<&SourceFile>,
        r: Range<usize>,
        line: usize,
        focus: &[Range<usize>],
        redaction: Redaction<'_>,
        tokens: &[Token],
    ) {
        // trailing blanks (and a CR) are not shown
        let end = r.start + text[r.clone()].trim_end().len();
        // the window of the line to show
        let anchor = focus
            .iter()
            .map(|f| f.start)
            .filter(|&s| s >= r.start && s <= end)
            .min();
        let (ws, we) = if end - r.start <= MAX_LINE {
            (r.start, end)
        } else {
            let ws = match anchor {
                Some(a) => a.saturating_sub(LEAD).max(r.start),
                None => r.start,
            };
            let ws = floor_boundary(text, ws).max(r.start);
            (ws, ceil_boundary(text, (ws + MAX_LINE).min(end)))
        };
        if !self.lines.is_empty() {
            self.text.push('\n');
        }
        let shown_start = self.text.len();
        let col = match index {
            Some(f) => f.char_count(r.start, ws),
            None => text[r.start..ws].chars().count(),
        };
        let mut pieces = vec![];
        if ws > r.start {
            self.marker(ws, &mut pieces);
        }
        let masks = masks_in(text, ws, we, redaction, tokens);
        let mut at = ws;
        for (m, replacement) in masks {
            if m.start > at {
                self.verbatim(text, at..m.start, &mut pieces);
            }
            let s = self.text.len();
            self.text.push_str(&replacement);
            pieces.push(Piece {
                shown: s..self.text.len(),
                orig: m.clone(),
                orig_chars: text[m.clone()].chars().count(),
                verbatim: false,
            });
            at = m.end;
        }
        if we > at {
            self.verbatim(text, at..we, &mut pieces);
        }
        if we < end {
            self.marker(we, &mut pieces);
        }
        self.lines.push(ShownLine {
            shown: shown_start..self.text.len(),
            line,
            col,
            orig: ws..we,
            pieces,
        });
    }

    fn verbatim(&mut self, text: &str, r: Range<usize>, pieces: &mut Vec<Piece>) {
        let s = self.text.len();
        // tabs and other control characters would shift miette's underlines
        for c in text[r.clone()].chars() {
            self.text.push(if c.is_control() { ' ' } else { c });
        }
        pieces.push(Piece {
            shown: s..self.text.len(),
            orig_chars: text[r.clone()].chars().count(),
            orig: r,
            verbatim: true,
        });
    }

    fn marker(&mut self, at: usize, pieces: &mut Vec<Piece>) {
        let s = self.text.len();
        self.text.push_str(HIDDEN);
        pieces.push(Piece {
            shown: s..self.text.len(),
            orig: at..at,
            orig_chars: 0,
            verbatim: false,
        });
    }

    /// Where a source byte range is shown, when the excerpt shows it (clamped to the shown
    /// part of its line).
    pub fn map(&self, orig: Range<usize>) -> Option<Range<usize>> {
        let line = self.lines.iter().find(|l| {
            let (a, b) = line_orig(l);
            orig.start >= a && orig.start <= b
        })?;
        let start = map_offset(line, orig.start, false);
        let end = if orig.end <= line_orig(line).1 {
            map_offset(line, orig.end, true)
        } else {
            line.shown.end
        };
        Some(start..end.max(start))
    }

    /// 0-based line and column (characters) in the source of a byte offset of the shown text.
    fn position(&self, at: usize) -> (usize, usize) {
        let Some(line) = self
            .lines
            .iter()
            .find(|l| at <= l.shown.end)
            .or(self.lines.last())
        else {
            return (0, 0);
        };
        let mut col = line.col;
        for p in &line.pieces {
            if p.shown.end <= at {
                col += p.orig_chars;
            } else if p.shown.start < at && p.verbatim {
                col += self.text[p.shown.start..at].chars().count();
            }
        }
        (line.line, col)
    }
}

fn line_orig(l: &ShownLine) -> (usize, usize) {
    (l.orig.start, l.orig.end)
}

fn map_offset(line: &ShownLine, o: usize, is_end: bool) -> usize {
    for p in &line.pieces {
        let inside = if is_end {
            o > p.orig.start && o <= p.orig.end
        } else {
            o >= p.orig.start && o < p.orig.end
        };
        if inside {
            return if p.verbatim {
                p.shown.start + (o - p.orig.start)
            } else if is_end {
                p.shown.end
            } else {
                p.shown.start
            };
        }
    }
    if o <= line_orig(line).0 {
        line.shown.start
    } else {
        line.shown.end
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let (line, column) = self.position(inner.span().offset());
        // like miette's own sources, the line count runs from the start of the file (miette
        // merges the contexts of nearby labels by it)
        let first = self.lines.first().map_or(0, |l| l.line);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            first + inner.line_count(),
        )))
    }
}

// ------------------------------------------------------------------------------- redaction

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// An object key, in a place where the document is known to be valid JSON.
    Key,
    /// A string value, or any string where the structure is not known.
    Str,
    /// A word outside strings that parsed (number, `true`, `false`, `null`).
    Word,
    /// A word where the structure is not known.
    LooseWord,
}

#[derive(Debug, Clone)]
struct Token {
    range: Range<usize>,
    kind: TokenKind,
}

/// The strings and words of `text` that overlap `from..to`, classified by the JSON structure
/// read from the start of the text. Strings end at their closing quote or at the end of the line.
fn json_tokens(text: &str, from: usize, to: usize, valid_until: usize) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = vec![];
    // container stack (true: object) and whether an object expects a key next
    let mut stack: Vec<bool> = vec![];
    let mut expect_key = false;
    let mut i = 0;
    while i < to.min(b.len()) {
        let c = b[i];
        match c {
            b'"' => {
                let s = i;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let closed = i < b.len() && b[i] == b'"';
                if closed {
                    i += 1;
                }
                let i2 = i.min(b.len());
                let key = closed && i2 <= valid_until && expect_key && stack.last() == Some(&true);
                if i2 > from {
                    out.push(Token {
                        range: s..i2,
                        kind: if key { TokenKind::Key } else { TokenKind::Str },
                    });
                }
                i = i2;
            }
            b'{' => {
                stack.push(true);
                expect_key = true;
                i += 1;
            }
            b'[' => {
                stack.push(false);
                expect_key = false;
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = stack.last() == Some(&true);
                i += 1;
            }
            b':' => {
                expect_key = false;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                let s = i;
                while i < b.len()
                    && !matches!(
                        b[i],
                        b'"' | b'{'
                            | b'}'
                            | b'['
                            | b']'
                            | b','
                            | b':'
                            | b' '
                            | b'\t'
                            | b'\r'
                            | b'\n'
                    )
                {
                    i += 1;
                }
                if i > from {
                    out.push(Token {
                        range: s..i,
                        kind: if i <= valid_until {
                            TokenKind::Word
                        } else {
                            TokenKind::LooseWord
                        },
                    });
                }
            }
        }
    }
    out
}

/// A key worth showing: a name, not data.
fn name_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'$' | b'@'))
}

/// A word JSON allows outside strings (a literal or the start of one, or a short number: a long
/// one may be a secret whose quotes were lost).
fn json_word(s: &str) -> bool {
    let literal = ["true", "false", "null"].iter().any(|l| l.starts_with(s));
    let number = s.len() <= 6
        && s.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'));
    literal || number
}

/// The masks of the window `ws..we` (source ranges in order, with their replacement).
fn masks_in(
    text: &str,
    ws: usize,
    we: usize,
    redaction: Redaction<'_>,
    tokens: &[Token],
) -> Vec<(Range<usize>, String)> {
    let mut out: Vec<(Range<usize>, String)> = vec![];
    match redaction {
        Redaction::Spans(spans) => {
            for s in spans {
                let a = s.start.max(ws);
                let b = s.end.min(we);
                if a >= b {
                    continue;
                }
                // keep the indentation of a masked block's inner lines
                let lead = text[a..b].len() - text[a..b].trim_start().len();
                let a = a + lead;
                if a >= b {
                    continue;
                }
                let quoted = text.as_bytes()[a] == b'"';
                let rep = if quoted && a == s.start && b == s.end {
                    format!("\"{SENSITIVE}\"")
                } else {
                    SENSITIVE.to_string()
                };
                out.push((ceil_boundary(text, a)..ceil_boundary(text, b), rep));
            }
        }
        Redaction::Values { .. } => {
            for t in tokens {
                let a = t.range.start.max(ws);
                let b = t.range.end.min(we);
                if a >= b {
                    continue;
                }
                let whole = a == t.range.start && b == t.range.end;
                let rep = match t.kind {
                    TokenKind::Key if whole && name_like(&text[a + 1..b - 1]) => continue,
                    TokenKind::Word => continue,
                    TokenKind::LooseWord if whole && json_word(&text[a..b]) => continue,
                    TokenKind::Key | TokenKind::Str => {
                        let open = a == t.range.start;
                        let close = b == t.range.end
                            && b - t.range.start >= 2
                            && text.as_bytes()[b - 1] == b'"';
                        match (open, close) {
                            (true, true) => format!("\"{HIDDEN}\""),
                            (true, false) => format!("\"{HIDDEN}"),
                            // the end of a string cut by the window: the line's marker shows it
                            (false, true) => "\"".to_string(),
                            (false, false) => HIDDEN.to_string(),
                        }
                    }
                    TokenKind::LooseWord => HIDDEN.to_string(),
                };
                out.push((ceil_boundary(text, a)..ceil_boundary(text, b), rep));
            }
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    // merge overlaps (sensitive ranges may nest)
    let mut merged: Vec<(Range<usize>, String)> = vec![];
    for (r, rep) in out {
        match merged.last_mut() {
            Some((last, _)) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push((r, rep)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::SourceCode;

    fn values(text: &str, at: usize, valid_until: usize) -> Excerpt {
        Excerpt::build(
            "f.json",
            text,
            std::slice::from_ref(&(at..at + 1)),
            Redaction::Values { valid_until },
            1,
        )
    }

    #[test]
    fn values_mode_keeps_keys_and_structure_and_hides_every_string_value() {
        let text = "{\n  \"name\": \"aks\",\n  \"kube_admin_config_raw\": \"apiVersion: v1 secret\",\n  \"n\": 3, \"ok\": true\n}\n";
        let at = text.find("3,").unwrap();
        let ex = values(text, at, text.len());
        assert_eq!(
            ex.text(),
            "  \"kube_admin_config_raw\": \"…\",\n  \"n\": 3, \"ok\": true\n}"
        );
        assert!(!ex.text().contains("secret"));
    }

    #[test]
    fn beyond_the_parse_error_only_punctuation_numbers_and_literals_remain() {
        // a quote lost: the secret is a bare word, and later strings may be keys in appearance
        let text = r#"{"password": S3CR3T-value", "x": "y": 12, tru"#;
        let at = text.find("S3CR3T").unwrap();
        let ex = values(text, at, at);
        assert!(!ex.text().contains("S3CR3T"), "{}", ex.text());
        assert!(!ex.text().contains("value"), "{}", ex.text());
        assert!(!ex.text().contains("\"x\""), "{}", ex.text());
        assert!(ex.text().starts_with("{\"password\": …"), "{}", ex.text());
        // quotes pair up wrongly after the error: the rest of the line is one hidden string
        let text = r#"{"password": S3CR3T-value, 12, tru"#;
        let at = text.find("S3CR3T").unwrap();
        let ex = values(text, at, at);
        assert_eq!(ex.text(), "{\"password\": …, 12, tru");
        // long numbers beyond the error may be secrets in lost quotes
        let text = r#"{"pin": 12345678"#;
        let ex = values(text, 7, 7);
        assert_eq!(ex.text(), "{\"pin\": …");
    }

    #[test]
    fn truncated_strings_and_keys_are_hidden() {
        let text = r#"{"a": {"kube_config_raw": "abc-secr"#;
        let ex = values(text, text.len() - 1, text.len());
        assert!(!ex.text().contains("secr"), "{}", ex.text());
        let text = r#"{"a": {"kube_conf"#;
        let ex = values(text, text.len() - 1, text.len());
        assert!(!ex.text().contains("kube_conf"), "{}", ex.text());
    }

    #[test]
    fn masks_do_not_keep_the_length() {
        let secret = "x".repeat(57);
        let text = format!("{{\"a\": \"{secret}\", \"b\": 1}}");
        let s = text.find(&secret).unwrap() - 1;
        let masked = s..s + secret.len() + 2;
        let spans = std::slice::from_ref(&masked);
        let ex = Excerpt::build("f", &text, &[], Redaction::Spans(spans), 1);
        assert_eq!(ex.text(), "{\"a\": \"(sensitive)\", \"b\": 1}");
        let ex = values(&text, 0, text.len());
        assert_eq!(ex.text(), "{\"a\": \"…\", \"b\": 1}");
    }

    #[test]
    fn long_lines_are_clipped_around_the_label_with_real_line_and_column() {
        let mut text = String::from("[command]terraform show -json tfplan\n{");
        for i in 0..2000 {
            text.push_str(&format!("\"k{i}\": {i}, "));
        }
        text.push_str("\"z\": tru }");
        let at = text.find("tru ").unwrap();
        let ex = Excerpt::build(
            "plan.json",
            &text,
            std::slice::from_ref(&(at..at + 3)),
            Redaction::Values { valid_until: at },
            1,
        );
        for l in ex.text().lines() {
            assert!(l.chars().count() <= MAX_LINE + 2, "{l}");
        }
        let span = ex.map(at..at + 3).unwrap();
        assert_eq!(&ex.text()[span.clone()], "tru");
        let c = ex.read_span(&(span.start, 3).into(), 0, 0).unwrap();
        let line_start = text[..at].rfind('\n').unwrap() + 1;
        assert_eq!(c.line(), 1);
        assert_eq!(c.column(), at - line_start);
        assert_eq!(c.name(), Some("plan.json"));
    }

    #[test]
    fn columns_count_the_source_behind_masks() {
        let text = "{\"a\": \"secret-secret\", \"b\": tru}";
        let at = text.find("tru").unwrap();
        let ex = values(text, at, at);
        let span = ex.map(at..at + 3).unwrap();
        let c = ex.read_span(&(span.start, 3).into(), 0, 0).unwrap();
        assert_eq!((c.line(), c.column()), (0, at));
    }

    /// The indexed build (source map files) shows exactly what the walking build shows.
    #[test]
    fn indexed_build_equals_the_walking_build() {
        let mut long = String::from("{\"a\": [");
        for i in 0..20_000 {
            long.push_str(if i % 5 == 0 { "\"é€x\"," } else { "1," });
        }
        long.push_str("2]}\n{\"b\": \"tail\"}\n");
        let multi: String = (0..200).map(|i| format!("line {i} é\n")).collect();
        for text in [
            long,
            multi,
            "no newline at all".to_string(),
            "\n\n\n".to_string(),
        ] {
            let file = SourceFile::new("f".into(), text.clone());
            let n = text.len();
            for focus in [0..1, n / 2..n / 2 + 1, n.saturating_sub(1)..n, n / 3..n / 2] {
                let focus: Vec<Range<usize>> = [focus]
                    .into_iter()
                    .map(|r| {
                        let f = |x: usize| {
                            (0..=x)
                                .rev()
                                .find(|&i| text.is_char_boundary(i))
                                .unwrap_or(0)
                        };
                        f(r.start)..f(r.end)
                    })
                    .collect();
                for context in [0, 1, 3] {
                    let spans = vec![];
                    let a = Excerpt::build("f", &text, &focus, Redaction::Spans(&spans), context);
                    let b = Excerpt::build_for(&file, &focus, Redaction::Spans(&spans), context);
                    assert_eq!(a.text(), b.text(), "{focus:?} {context}");
                    assert_eq!(format!("{:?}", a.lines), format!("{:?}", b.lines));
                }
            }
        }
    }
}
