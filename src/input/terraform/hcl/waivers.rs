//! Inline waivers: a comment `# aks-preflight:ignore RULE[,RULE] reason="…" [expires=YYYY-MM-DD]`
//! (or `//`) above a block or attribute, or on its first or last line, waives those rules for
//! findings located inside it. A waiver without a reason, with an unknown rule, or with an
//! invalid date is an input error.

use super::files::Parsed;
use crate::analysis::registry;
use crate::error::Error;
use crate::model::{Date, Waiver, WaiverScope};
use crate::source::{FileId, Loc, Origin, SourceMap};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::{Decorate, Span};
use std::ops::Range;

const MARKER: &str = "aks-preflight:ignore";

/// The waivers written in the files of a configuration.
#[allow(clippy::result_large_err)]
pub(crate) fn collect(sources: &SourceMap, files: &[&Parsed]) -> Result<Vec<Waiver>, Error> {
    let mut out = Vec::new();
    for p in files {
        let f = sources.get(p.file);
        let text = f.text.as_str();
        if !text.contains(MARKER) {
            continue;
        }
        let mut w = Walker {
            file: p.file,
            name: &f.name,
            text,
            out: &mut out,
        };
        w.body(&p.body, "")?;
    }
    Ok(out)
}

struct Walker<'s, 'o> {
    file: FileId,
    name: &'s str,
    text: &'s str,
    out: &'o mut Vec<Waiver>,
}

impl Walker<'_, '_> {
    #[allow(clippy::result_large_err)]
    fn body(&mut self, body: &Body, addr: &str) -> Result<(), Error> {
        for s in body.iter() {
            let Some(span) = s.span() else { continue };
            let (what, inner): (String, Option<&Block>) = match s {
                Structure::Attribute(a) => (join(addr, a.key.as_str()), None),
                Structure::Block(b) => (block_addr(addr, b), Some(b)),
            };
            let d = s.decor();
            if let Some(pre) = d.prefix() {
                let at = span.start.saturating_sub(pre.len());
                self.comments(pre, at, &span, &what)?;
            }
            if let Some(suf) = d.suffix() {
                self.comments(suf, span.end, &span, &what)?;
            }
            if let Some(b) = inner {
                if let Some(pre) = b.body.decor().prefix() {
                    // the text after the opening brace, on the block's first line
                    let from = b
                        .labels
                        .last()
                        .and_then(|l| l.span())
                        .or_else(|| b.ident.span())
                        .map(|r| r.end)
                        .unwrap_or(span.start);
                    if let Some(brace) = self.text.get(from..span.end).and_then(|t| t.find('{')) {
                        self.comments(pre, from + brace + 1, &span, &what)?;
                    }
                }
                self.body(&b.body, &what)?;
            }
        }
        Ok(())
    }

    /// Waivers in a piece of decoration text that starts at byte `at` of the file (or, when the
    /// text is not found there, wherever it is found before the structure).
    #[allow(clippy::result_large_err)]
    fn comments(
        &mut self,
        decor: &str,
        at: usize,
        target: &Range<usize>,
        what: &str,
    ) -> Result<(), Error> {
        if !decor.contains(MARKER) {
            return Ok(());
        }
        let base = if self.text.get(at..at + decor.len()) == Some(decor) {
            at
        } else {
            match self.text[..target.start.min(self.text.len())].rfind(decor) {
                Some(i) => i,
                None => return Ok(()),
            }
        };
        let mut offset = 0;
        for line in decor.split_inclusive('\n') {
            if let Some(m) = line.find(MARKER) {
                let start = line[..m]
                    .rfind('#')
                    .or_else(|| line[..m].rfind("//"))
                    .or_else(|| line[..m].rfind("/*"))
                    .unwrap_or(m);
                let end = line.trim_end().len();
                let span = base + offset + start..base + offset + end;
                let body = line[m + MARKER.len()..end]
                    .trim()
                    .trim_end_matches("*/")
                    .trim();
                let w = self.parse(body, span, target, what)?;
                self.out.push(w);
            }
            offset += line.len();
        }
        Ok(())
    }

    #[allow(clippy::result_large_err)]
    fn parse(
        &self,
        body: &str,
        span: Range<usize>,
        target: &Range<usize>,
        what: &str,
    ) -> Result<Waiver, Error> {
        let err = |msg: String, label: &str| {
            Error::input_at(
                self.name,
                std::sync::Arc::new(self.text.to_string()),
                Some(span.clone()),
                self.text.len(),
                msg,
                label,
                Some(format!(
                    "write it as: # {MARKER} RULE[,RULE] reason=\"why this is accepted\" \
                     [expires=YYYY-MM-DD]"
                )),
            )
        };
        let (line, col) = super::files::line_col(self.text, span.start);
        let place = format!("{}:{line}:{col}", self.name);
        let (rules_text, mut rest) = match body.find(char::is_whitespace) {
            Some(i) => (&body[..i], body[i..].trim_start()),
            None => (body, ""),
        };
        let mut rules = Vec::new();
        for r in rules_text
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            if r.contains('=') {
                return Err(err(format!("{place}: the waiver names no rule"), "no rule"));
            }
            match registry::rule(r) {
                Some(rule) => rules.push(rule.id.to_string()),
                None => {
                    return Err(err(
                        format!(
                            "{place}: the waiver names `{r}`, which is not a rule (`aks-preflight rules` lists them)"
                        ),
                        "unknown rule",
                    ));
                }
            }
        }
        if rules.is_empty() {
            return Err(err(format!("{place}: the waiver names no rule"), "no rule"));
        }
        let mut reason = None;
        let mut expires = None;
        while !rest.is_empty() {
            let Some((key, after)) = rest.split_once('=') else {
                return Err(err(
                    format!("{place}: cannot read `{rest}` (expected key=value)"),
                    "here",
                ));
            };
            let key = key.trim();
            let after = after.trim_start();
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let mut esc = false;
                let mut end = None;
                for (i, c) in q.char_indices() {
                    match c {
                        '\\' if !esc => esc = true,
                        '"' if !esc => {
                            end = Some(i);
                            break;
                        }
                        _ => esc = false,
                    }
                }
                let Some(end) = end else {
                    return Err(err(
                        format!("{place}: the quoted {key} is not closed"),
                        "unclosed quote",
                    ));
                };
                (q[..end].replace("\\\"", "\""), q[end + 1..].trim_start())
            } else {
                match after.find(char::is_whitespace) {
                    Some(i) => (after[..i].to_string(), after[i..].trim_start()),
                    None => (after.to_string(), ""),
                }
            };
            match key {
                "reason" => reason = Some(value.trim().to_string()),
                "expires" => {
                    expires = Some(parse_date(&value).ok_or_else(|| {
                        err(
                            format!("{place}: expires={value} is not a date (YYYY-MM-DD)"),
                            "invalid date",
                        )
                    })?)
                }
                other => {
                    return Err(err(
                        format!("{place}: unknown waiver field `{other}` (reason, expires)"),
                        "unknown field",
                    ));
                }
            }
            rest = next;
        }
        let reason = match reason {
            Some(r) if !r.is_empty() => r,
            _ => {
                return Err(err(
                    format!(
                        "{place}: the waiver of {} has no reason: say why the finding is accepted \
                         (reason=\"…\")",
                        rules.join(", ")
                    ),
                    "waiver without a reason",
                ));
            }
        };
        Ok(Waiver {
            rules,
            scope: WaiverScope::Located {
                at: Origin::new(self.file, what, Loc::Span(target.clone())),
            },
            reason,
            expires,
            origin: Origin::new(self.file, what, Loc::Span(span)),
        })
    }
}

fn join(addr: &str, name: &str) -> String {
    if addr.is_empty() {
        name.to_string()
    } else {
        format!("{addr}.{name}")
    }
}

/// `azurerm_subnet.nodes` for a resource, `data.x.y` for a data source, `module.net`,
/// `…security_rule` for a nested block.
fn block_addr(addr: &str, b: &Block) -> String {
    let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
    let own = match (b.ident.as_str(), labels.as_slice()) {
        ("resource", [t, n]) => format!("{t}.{n}"),
        ("data", [t, n]) => format!("data.{t}.{n}"),
        ("module", [n]) => format!("module.{n}"),
        ("variable", [n]) => format!("var.{n}"),
        ("output", [n]) => format!("output.{n}"),
        (ident, _) => ident.to_string(),
    };
    if addr.is_empty() {
        own
    } else {
        format!("{addr}.{own}")
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (year, month, day): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (day >= 1 && day <= days).then_some(Date { year, month, day })
}
