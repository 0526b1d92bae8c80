//! Terraform's `regex` and `regexall`: RE2 syntax, which the regex crate follows (linear time,
//! no backtracking, so a pattern from a configuration cannot make the check slow). What a match
//! gives: the matched text when the pattern has no capture groups, a list of the groups when
//! they are unnamed, a map by name when they are named (a group that took no part is null).

use super::value::Val;
use std::collections::BTreeMap;

/// Compiled patterns larger than this are refused (the regex crate's default is 10 MiB).
const SIZE_LIMIT: usize = 1 << 20;

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regular expression: {e}"))
}

/// What one match gives (see the module documentation).
fn result(re: &regex::Regex, c: &regex::Captures<'_>) -> Result<Val, String> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let group = |i: usize| match c.get(i) {
        Some(m) => Val::str(m.as_str()),
        None => Val::null(),
    };
    if names.is_empty() {
        return Ok(group(0));
    }
    match (
        names.iter().all(Option::is_some),
        names.iter().any(Option::is_some),
    ) {
        (true, _) => Ok(Val::map(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), group(i + 1))))
                .collect::<BTreeMap<_, _>>(),
        )),
        (false, false) => Ok(Val::list((1..=names.len()).map(group).collect())),
        (false, true) => Err(
            "invalid regular expression: named and unnamed capture groups \
                              cannot be mixed"
                .into(),
        ),
    }
}

/// `regex(pattern, string)`: the first match; an error when there is none.
pub(crate) fn first(pattern: &str, s: &str) -> Result<Val, String> {
    let re = compile(pattern)?;
    let c = re
        .captures(s)
        .ok_or("pattern did not match any part of the given string")?;
    result(&re, &c)
}

/// `regexall(pattern, string)`: every match, in order (an empty list when there is none).
pub(crate) fn all(pattern: &str, s: &str) -> Result<Val, String> {
    let re = compile(pattern)?;
    let items = re
        .captures_iter(s)
        .map(|c| result(&re, &c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Val::list(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &Val) -> String {
        v.as_string().expect("string")
    }

    // Examples of developer.hashicorp.com/terraform/language/functions/regex and regexall.
    #[test]
    fn regex_and_regexall_match_terraforms_examples() {
        assert_eq!(
            text(&first("[a-z]+", "53453453.345345aaabbbccc23454").unwrap()),
            "aaabbbccc"
        );
        let iso = first(r"(\d\d\d\d)-(\d\d)-(\d\d)", "2019-02-01").unwrap();
        let parts: Vec<String> = iso.as_list().unwrap().iter().map(text).collect();
        assert_eq!(parts, ["2019", "02", "01"]);
        let url = first(
            "^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?",
            "https://terraform.io/docs/",
        )
        .unwrap();
        let m = url.as_map().unwrap();
        assert_eq!(text(&m["scheme"]), "https");
        assert_eq!(text(&m["authority"]), "terraform.io");
        assert!(
            first("[a-z]+", "12345")
                .unwrap_err()
                .contains("did not match")
        );
        let words = all("[a-z]+", "1234abcd5678efgh9").unwrap();
        let words: Vec<String> = words.as_list().unwrap().iter().map(text).collect();
        assert_eq!(words, ["abcd", "efgh"]);
        assert!(all("[a-z]+", "123").unwrap().as_list().unwrap().is_empty());
        // a resource id taken apart, as network modules do
        let id = "/subscriptions/0000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub";
        let rg = first("resourceGroups/([^/]+)", id).unwrap();
        assert_eq!(text(&rg.as_list().unwrap()[0]), "rg-hub");
        // errors, never a crash
        assert!(
            first("(", "x")
                .unwrap_err()
                .contains("invalid regular expression")
        );
        assert!(
            first("(?P<a>x)(y)", "xy")
                .unwrap_err()
                .contains("cannot be mixed")
        );
        assert!(first("a{1000}{1000}", "a").is_err());
    }
}
