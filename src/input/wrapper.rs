//! Lines a CI wrapper adds around `terraform show -json` output.
//!
//! `hashicorp/setup-terraform` runs Terraform through a wrapper script unless
//! `terraform_wrapper: false`. Its releases before v3 echo the command line first
//! (`[command]/…/terraform-bin show -json tfplan`, from `@actions/exec`) and print workflow
//! commands after the output (`::debug::Terraform exited with code 0.`, `::debug::stdout: …`
//! holding the whole output again, `::set-output name=stdout::…`), so `terraform show -json tfplan
//! > plan.json` writes a file that is not JSON. Azure DevOps logging commands (`##[…]`,
//! `##vso[…]`) and Terraform's state lock messages are recognised the same way.
//!
//! Such lines are replaced by spaces (newlines kept), so every byte offset, line and column of
//! the plan stays the file's own, and the plan is read with a warning (`INP010`). Nothing of the
//! removed lines is ever shown: they may repeat the plan, secrets included.

use std::ops::Range;

/// What was blanked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperLines {
    /// The `[command]` line before the JSON, when there was one.
    pub command: Option<Range<usize>>,
    /// The lines after the JSON, when there were any.
    pub trailing: Option<Range<usize>>,
}

impl WrapperLines {
    pub fn is_empty(&self) -> bool {
        self.command.is_none() && self.trailing.is_none()
    }
}

/// A line a CI runner or Terraform adds to standard output around the JSON document.
fn is_ci_line(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("::")
        || l.starts_with("##[")
        || l.starts_with("##vso[")
        || l.starts_with("[command]")
        || l.starts_with("Releasing state lock.")
        || l.starts_with("Acquiring state lock.")
}

fn blank(text: &mut String, r: Range<usize>) {
    // every non-newline byte becomes an ASCII space and newlines are kept: still valid UTF-8
    // (a multi-byte character becomes several spaces)
    let mut bytes = std::mem::take(text).into_bytes();
    for b in &mut bytes[r] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    *text = String::from_utf8(bytes).unwrap_or_default();
}

/// Blank a leading `[command]` line (the echo of the wrapped command).
pub fn blank_command_line(text: &mut String) -> Option<Range<usize>> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[bom..];
    let lead = rest.len() - rest.trim_start().len();
    let start = bom + lead;
    if !text[start..].starts_with("[command]") {
        return None;
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    blank(text, start..end);
    Some(start..end)
}

/// Blank the lines after the JSON document when every one of them is a CI or Terraform status
/// line. `at` is where the JSON parser found trailing characters.
pub fn blank_trailing_lines(text: &mut String, at: usize) -> Option<Range<usize>> {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    // the document must have ended before this line
    if text[start..at].trim().is_empty() && text[start..].lines().all(is_ci_line) {
        let end = text.len();
        blank(text, start..end);
        return Some(start..end);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_echo_and_workflow_commands_are_blanked_keeping_offsets() {
        let plan = "{\"format_version\":\"1.2\"}";
        let mut text = format!(
            "[command]/home/runner/work/_temp/x/terraform-bin show -json tfplan\n{plan}\n::debug::Terraform exited with code 0.\n::debug::stdout: {plan}\n::set-output name=exitcode::0\n"
        );
        let len = text.len();
        let cmd = blank_command_line(&mut text).unwrap();
        assert_eq!(cmd.start, 0);
        let at = text.find("::debug").unwrap();
        let trailing = blank_trailing_lines(&mut text, at).unwrap();
        assert_eq!(trailing.end, len);
        assert_eq!(text.len(), len);
        assert_eq!(text.lines().nth(1), Some(plan));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["format_version"], "1.2");
        assert!(!text.contains("debug") && !text.contains("command"));
    }

    #[test]
    fn other_trailing_text_is_left_alone() {
        let mut text = "{\"a\":1}\nnot a status line\n".to_string();
        let at = text.find("not").unwrap();
        assert_eq!(blank_trailing_lines(&mut text, at), None);
        // trailing characters on the document's own line are not a wrapper's
        let mut text = "{\"a\":1} ::debug::x\n".to_string();
        let at = text.find("::").unwrap();
        assert_eq!(blank_trailing_lines(&mut text, at), None);
        let mut text = "{\"a\":1}".to_string();
        assert_eq!(blank_command_line(&mut text), None);
    }
}
