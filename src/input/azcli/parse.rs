//! The command line of one `az` command: its arguments read as azure-cli's argparse reads them,
//! and the text diagnostics point into.
//!
//! The text is the command as the user would run it, one argument per line with shell line
//! continuations (`az aks create \` / `  --vnet-subnet-id … \`), each word quoted for a POSIX
//! shell when it needs it. Secret values (`--client-secret`, `--windows-admin-password`) are
//! never written into it.
//!
//! argparse semantics kept: `--flag value` and `--flag=value`; `-g value`, `-gvalue` and
//! `-g=value`; a switch takes no value; `nargs` arguments take the words up to the next
//! argument; the last of a repeated argument wins; long names match exactly (azure-cli turns
//! prefix matching off); a word starting with `-` is an argument, not a value (argparse's rule,
//! except for negative numbers).

use super::flags::{self, Arity, FlagSpec};
use std::ops::Range;

/// The `az` commands aks-preflight reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzCommand {
    /// `az aks create`
    AksCreate,
    /// `az aks nodepool add`
    AksNodepoolAdd,
}

impl AzCommand {
    /// The command words (`aks create`).
    pub fn words(&self) -> &'static str {
        match self {
            AzCommand::AksCreate => "aks create",
            AzCommand::AksNodepoolAdd => "aks nodepool add",
        }
    }
    pub fn table(&self) -> &'static [FlagSpec] {
        match self {
            AzCommand::AksCreate => flags::AKS_CREATE,
            AzCommand::AksNodepoolAdd => flags::AKS_NODEPOOL_ADD,
        }
    }
    /// The command named by the first words of `words` (`["aks", "create", …]`), and how many
    /// words it took.
    pub fn from_words(words: &[String]) -> Option<(AzCommand, usize)> {
        let w: Vec<&str> = words.iter().take(3).map(String::as_str).collect();
        match w.as_slice() {
            ["aks", "create", ..] => Some((AzCommand::AksCreate, 2)),
            ["aks", "nodepool", "add", ..] => Some((AzCommand::AksNodepoolAdd, 3)),
            _ => None,
        }
    }
}

/// One argument as written: a known flag (`spec`) or an unknown one, its values, and where they
/// are in the command-line text.
#[derive(Debug, Clone)]
pub struct Arg {
    /// `None`: a flag the command does not declare (a newer az, an extension, a typo).
    pub spec: Option<&'static FlagSpec>,
    /// The flag as written (`-g`, `--resource-group`).
    pub written: String,
    pub values: Vec<String>,
    /// The flag word (with an attached `=value`).
    pub flag_span: Range<usize>,
    /// Each value: a word, or the part after `=` of the flag word. For a secret, the mask.
    pub value_spans: Vec<Range<usize>>,
    /// The flag and its values.
    pub span: Range<usize>,
}

impl Arg {
    /// The single value of the argument (`""` for a switch).
    pub fn value(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }
    /// The name to show: the canonical one of a known flag, else as written.
    pub fn name(&self) -> &str {
        self.spec.map(|s| s.name()).unwrap_or(&self.written)
    }
}

/// A word that is neither an argument nor the value of one.
#[derive(Debug, Clone)]
pub struct Stray {
    pub word: String,
    pub span: Range<usize>,
}

/// An argument az rejects before sending anything (argparse's own errors).
#[derive(Debug, Clone)]
pub struct Rejected {
    /// az's message.
    pub message: String,
    pub span: Range<usize>,
    /// The whole command-line text (the span points into it).
    pub text: String,
}

/// A parsed `az` command line.
#[derive(Debug, Clone)]
pub struct CommandLine {
    pub command: AzCommand,
    /// The text diagnostics point into.
    pub text: String,
    /// `az aks create` in the text.
    pub head: Range<usize>,
    pub args: Vec<Arg>,
    pub strays: Vec<Stray>,
}

impl CommandLine {
    /// The last occurrence of a declared argument, by its canonical name (`--vnet-subnet-id`).
    pub fn get(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .rev()
            .find(|a| a.spec.is_some_and(|s| s.name() == name))
    }
    /// The value of an argument; `None` when absent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(Arg::value)
    }
    /// Whether a switch is given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// Arguments the command does not declare.
    pub fn unknown(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.spec.is_none())
    }
    /// The items of a comma-separated value, trimmed, each with its span in the text (the
    /// value's span when the word is quoted in a way that moves offsets).
    pub fn comma_items(&self, arg: &Arg) -> Vec<(String, Range<usize>)> {
        let Some(vspan) = arg.value_spans.first() else {
            return vec![];
        };
        let shown = &self.text[vspan.clone()];
        let raw = arg.value();
        // offset of the raw value inside the shown word: 0 when bare, 1 when simply quoted
        let offset = if shown == raw {
            Some(0)
        } else if shown.len() == raw.len() + 2 && &shown[1..shown.len() - 1] == raw {
            Some(1)
        } else {
            None
        };
        let mut out = vec![];
        let mut at = 0;
        for item in raw.split(',') {
            let lead = item.len() - item.trim_start().len();
            let t = item.trim();
            let span = match offset {
                Some(o) => {
                    let s = vspan.start + o + at + lead;
                    s..s + t.len()
                }
                None => vspan.clone(),
            };
            out.push((t.to_string(), span));
            at += item.len() + 1;
        }
        out
    }
}

/// A word a POSIX shell reads as itself.
fn is_bare(w: &str) -> bool {
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=,@%+-^".contains(&b) || b >= 0x80)
}

/// The word quoted for a POSIX shell when it needs it.
pub fn shell_quote(w: &str) -> String {
    if is_bare(w) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// A word argparse reads as an argument rather than a value.
fn looks_like_flag(w: &str) -> bool {
    w.len() > 1 && w.starts_with('-') && w[1..].parse::<f64>().is_err()
}

const SECRET_MASK: &str = "(sensitive)";

struct Writer {
    text: String,
}

impl Writer {
    /// Append a word (quoted as needed); its span.
    fn word(&mut self, w: &str) -> Range<usize> {
        let s = self.text.len();
        self.text.push_str(&shell_quote(w));
        s..self.text.len()
    }
    fn raw(&mut self, w: &str) -> Range<usize> {
        let s = self.text.len();
        self.text.push_str(w);
        s..self.text.len()
    }
    /// The rejection of the argument at `span`, with the rest of the words written after it.
    fn reject(
        &mut self,
        table: &'static [FlagSpec],
        message: String,
        span: Range<usize>,
        rest: &[String],
    ) -> Rejected {
        let mut secret_next = false;
        for word in rest {
            self.text.push_str(" \\\n  ");
            let flag = word.split('=').next().unwrap_or(word);
            let secret = looks_like_flag(word)
                .then(|| flags::lookup(table, flag))
                .flatten()
                .is_some_and(|s| s.secret);
            if secret_next || (secret && word.contains('=')) {
                self.raw(if secret_next { SECRET_MASK } else { flag });
                if !secret_next {
                    self.raw("=");
                    self.raw(SECRET_MASK);
                }
            } else {
                self.word(word);
            }
            secret_next = secret && !word.contains('=');
        }
        self.text.push('\n');
        Rejected {
            message,
            span,
            text: std::mem::take(&mut self.text),
        }
    }
}

/// Read the arguments of `command` (the words after `az aks create`).
pub fn parse(command: AzCommand, words: &[String]) -> Result<CommandLine, Rejected> {
    let table = command.table();
    let mut w = Writer {
        text: String::new(),
    };
    let head = w.raw(&format!("az {}", command.words()));
    let mut args: Vec<Arg> = vec![];
    let mut strays = vec![];
    let mut i = 0;
    let newline = |w: &mut Writer| w.text.push_str(" \\\n  ");
    while i < words.len() {
        let word = &words[i];
        i += 1;
        newline(&mut w);
        if !looks_like_flag(word) {
            let span = w.word(word);
            strays.push(Stray {
                word: word.clone(),
                span,
            });
            continue;
        }
        // split `--flag=value` / `-gvalue` / `-g=value`
        let (written, inline): (String, Option<String>) = if word.starts_with("--") {
            match word.split_once('=') {
                Some((f, v)) => (f.to_string(), Some(v.to_string())),
                None => (word.clone(), None),
            }
        } else {
            let mut cs = word.char_indices().skip(1);
            let (_, c) = cs.next().unwrap_or((1, '-'));
            let rest = &word[1 + c.len_utf8()..];
            let rest = rest.strip_prefix('=').unwrap_or(rest);
            let flag = format!("-{c}");
            if rest.is_empty() {
                (flag, None)
            } else {
                (flag, Some(rest.to_string()))
            }
        };
        let spec = flags::lookup(table, &written);
        let secret = spec.is_some_and(|s| s.secret);
        // the flag word as shown
        let flag_start = w.text.len();
        let mut value_spans = vec![];
        match &inline {
            Some(v) => {
                w.raw(&shell_quote(&written));
                w.raw("=");
                value_spans.push(if secret {
                    w.raw(SECRET_MASK)
                } else {
                    w.word(v)
                });
            }
            None => {
                w.word(&written);
            }
        }
        let flag_span = flag_start..w.text.len();
        let mut values: Vec<String> = inline.iter().cloned().collect();
        // how many following words are values
        let arity = spec.map(|s| s.arity);
        let takes_next = |values: &Vec<String>, next: Option<&String>| -> bool {
            let Some(n) = next else { return false };
            if looks_like_flag(n) {
                return false;
            }
            match arity {
                Some(Arity::Switch) => false,
                Some(Arity::One) | Some(Arity::Optional) => values.is_empty(),
                Some(Arity::OneOrMore) | Some(Arity::Any) => true,
                // an unknown flag takes the words up to the next flag: most likely its values
                None => true,
            }
        };
        while takes_next(&values, words.get(i)) {
            let v = &words[i];
            i += 1;
            w.text.push(' ');
            value_spans.push(if secret {
                w.raw(SECRET_MASK)
            } else {
                w.word(v)
            });
            values.push(v.clone());
        }
        let span = flag_start..w.text.len();
        if let Some(s) = spec {
            let shown = s.display();
            match s.arity {
                Arity::Switch if inline.is_some() => {
                    let message = format!(
                        "argument {shown}: ignored explicit argument '{}'",
                        inline.unwrap_or_default()
                    );
                    return Err(w.reject(table, message, span, &words[i..]));
                }
                Arity::One if values.is_empty() => {
                    let message = format!("argument {shown}: expected one argument");
                    return Err(w.reject(table, message, span, &words[i..]));
                }
                Arity::OneOrMore if values.is_empty() => {
                    let message = format!("argument {shown}: expected at least one argument");
                    return Err(w.reject(table, message, span, &words[i..]));
                }
                _ => {}
            }
            if !s.choices.is_empty() {
                if let Some(v) = values.first() {
                    if !s.choices.iter().any(|c| c.eq_ignore_ascii_case(v)) {
                        let message = format!(
                            "argument {shown}: invalid choice: '{v}' (choose from {})",
                            s.choices
                                .iter()
                                .map(|c| format!("'{c}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        let at = value_spans.first().cloned().unwrap_or(span);
                        return Err(w.reject(table, message, at, &words[i..]));
                    }
                }
            }
        }
        args.push(Arg {
            spec,
            written,
            values,
            flag_span,
            value_spans,
            span,
        });
    }
    Ok(CommandLine {
        command,
        text: w.text + "\n",
        head,
        args,
        strays,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn create(s: &str) -> CommandLine {
        parse(AzCommand::AksCreate, &words(s)).unwrap()
    }

    #[test]
    fn long_short_and_attached_forms() {
        let cl = create(
            "-g rg --name=aks -lwesteurope -k=1.31 --vnet-subnet-id /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n",
        );
        assert_eq!(cl.value("--resource-group"), Some("rg"));
        assert_eq!(cl.value("--name"), Some("aks"));
        assert_eq!(cl.value("--location"), Some("westeurope"));
        assert_eq!(cl.value("--kubernetes-version"), Some("1.31"));
        let sub = cl.get("--vnet-subnet-id").unwrap();
        assert_eq!(&cl.text[sub.flag_span.clone()], "--vnet-subnet-id");
        assert!(cl.text[sub.value_spans[0].clone()].ends_with("/subnets/n"));
        // one argument per line, with continuations
        assert!(
            cl.text
                .starts_with("az aks create \\\n  -g rg \\\n  --name=aks \\\n")
        );
        let name = cl.get("--name").unwrap();
        assert_eq!(&cl.text[name.value_spans[0].clone()], "aks");
    }

    #[test]
    fn switches_lists_and_repeats() {
        let cl = create(
            "--enable-private-cluster --zones 1 2 3 --outbound-type loadBalancer --outbound-type userDefinedRouting --tags",
        );
        assert!(cl.has("--enable-private-cluster"));
        assert_eq!(cl.get("--zones").unwrap().values, ["1", "2", "3"]);
        // the last one wins, as argparse stores it
        assert_eq!(cl.value("--outbound-type"), Some("userDefinedRouting"));
        assert!(cl.get("--tags").unwrap().values.is_empty());
    }

    #[test]
    fn comma_items_have_their_own_spans() {
        let cl = create("--api-server-authorized-ip-ranges 1.2.3.4/32,5.6.7.0/24");
        let a = cl.get("--api-server-authorized-ip-ranges").unwrap();
        let items = cl.comma_items(a);
        assert_eq!(items.len(), 2);
        assert_eq!(&cl.text[items[1].1.clone()], "5.6.7.0/24");
        let cl = parse(
            AzCommand::AksCreate,
            &[
                "--api-server-authorized-ip-ranges".into(),
                "1.2.3.4/32, 5.6.7.0/24".into(),
            ],
        )
        .unwrap();
        let a = cl.get("--api-server-authorized-ip-ranges").unwrap();
        let items = cl.comma_items(a);
        assert_eq!(items[1].0, "5.6.7.0/24");
        assert_eq!(&cl.text[items[1].1.clone()], "5.6.7.0/24");
    }

    #[test]
    fn unknown_flags_take_their_words_and_strays_are_kept() {
        let cl = create("--brand-new-flag a b -g rg stray");
        let u: Vec<&Arg> = cl.unknown().collect();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].values, ["a", "b"]);
        // `stray` follows a one-value argument's value
        assert_eq!(cl.strays.len(), 1);
        assert_eq!(cl.strays[0].word, "stray");
    }

    #[test]
    fn secrets_never_enter_the_text() {
        let cl = create("--client-secret hunter2 --windows-admin-password=s3cr3t!x -g rg");
        assert!(!cl.text.contains("hunter2") && !cl.text.contains("s3cr3t"));
        assert_eq!(cl.value("--client-secret"), Some("hunter2"));
        assert!(cl.text.contains("--client-secret (sensitive)"));
    }

    #[test]
    fn words_are_quoted_for_a_shell() {
        let cl = parse(
            AzCommand::AksCreate,
            &["--tags".into(), "owner=a b".into(), "x='y'".into()],
        )
        .unwrap();
        assert!(
            cl.text.contains("--tags 'owner=a b' 'x='\\''y'\\'''"),
            "{}",
            cl.text
        );
    }

    #[test]
    fn argparse_errors() {
        let e = parse(AzCommand::AksCreate, &words("--vnet-subnet-id --name x")).unwrap_err();
        assert_eq!(
            e.message,
            "argument --vnet-subnet-id: expected one argument"
        );
        let e = parse(
            AzCommand::AksCreate,
            &words("--enable-private-cluster=true"),
        )
        .unwrap_err();
        assert!(e.message.contains("ignored explicit argument 'true'"));
        let e = parse(AzCommand::AksCreate, &words("--outbound-type udr")).unwrap_err();
        assert!(
            e.message
                .starts_with("argument --outbound-type: invalid choice: 'udr'")
        );
        let e = parse(AzCommand::AksCreate, &words("--zones")).unwrap_err();
        assert!(e.message.contains("expected at least one argument"));
        // choices compare case-insensitively
        assert!(
            parse(
                AzCommand::AksCreate,
                &words("--outbound-type userdefinedrouting")
            )
            .is_ok()
        );
        // a negative number is a value
        let cl = create("--max-pods -1");
        assert_eq!(cl.value("--max-pods"), Some("-1"));
    }

    #[test]
    fn command_words() {
        assert_eq!(
            AzCommand::from_words(&words("aks nodepool add -g x")),
            Some((AzCommand::AksNodepoolAdd, 3))
        );
        assert_eq!(AzCommand::from_words(&words("aks update")), None);
    }
}
