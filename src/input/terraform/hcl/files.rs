//! Reading a configuration from disk: the `.tf` files of the root module directory and of every
//! module it calls (local paths, and registry/git modules that `terraform init` downloaded, found
//! through `.terraform/modules/modules.json`), each parsed once with hcl-edit.

use crate::error::Error;
use crate::source::{FileId, SourceMap};
use hcl::edit::structure::{Block, Body};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// One parsed `.tf` file.
pub(crate) struct Parsed {
    pub file: FileId,
    pub body: Body,
}

/// The files of one module directory.
pub(crate) struct ModuleDir {
    /// The directory as shown to users (relative to what the user gave).
    pub display: String,
    pub files: Vec<Parsed>,
}

/// How a `module` block's source was resolved.
#[derive(Debug, Clone)]
pub(crate) enum CallTarget {
    /// Index of the module directory in [`Tree::modules`].
    Dir(usize),
    /// Not followed, and why (not downloaded, not found, too deep).
    Missing(String),
}

/// Every module directory of a configuration, parsed.
pub(crate) struct Tree {
    pub modules: Vec<ModuleDir>,
    /// `(module index, call name)` -> target.
    pub calls: HashMap<(usize, String), CallTarget>,
}

const MAX_MODULE_DEPTH: usize = 32;
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// `a/./b/../c` -> `a/c` (lexically; keeps a leading `..`).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// `modules.json` of `terraform init`: module key (`net`, `net.subnets`) -> directory.
fn read_modules_json(root: &Path) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    let path = root.join(".terraform").join("modules").join("modules.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return out;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return out;
    };
    for m in v
        .get("Modules")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(k), Some(d)) = (
            m.get("Key").and_then(serde_json::Value::as_str),
            m.get("Dir").and_then(serde_json::Value::as_str),
        ) {
            out.insert(k.to_string(), normalize(&root.join(d)));
        }
    }
    out
}

/// Is `source` a local path (`./x`, `../x`)?
pub(crate) fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// Read and parse the configuration rooted at `root` (a directory, or a single `.tf` file whose
/// directory is the root module but of which only that file is read).
#[allow(clippy::result_large_err)] // the crate-wide `Error` carries its source text
pub(crate) fn load(sources: &mut SourceMap, root: &Path) -> Result<Tree, Error> {
    let (root_dir, only) = if root.is_dir() {
        (normalize(root), None)
    } else {
        let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            normalize(&dir)
        };
        (dir, Some(root.to_path_buf()))
    };
    let registry = read_modules_json(&root_dir);
    let mut tree = Tree {
        modules: Vec::new(),
        calls: HashMap::new(),
    };
    let mut by_dir: HashMap<PathBuf, usize> = HashMap::new();
    let files = match &only {
        Some(f) => vec![f.clone()],
        None => tf_files(&root_dir)?,
    };
    if files.is_empty() {
        return Err(Error::Unsupported {
            message: format!(
                "{} holds no .tf file: it is not a Terraform root module",
                display(&normalize(root))
            ),
            help: Some(
                "give the directory that holds the root module's .tf files (where you run \
                 `terraform plan`), or a plan: `terraform show -json tfplan > plan.json`"
                    .into(),
            ),
        });
    }
    let root_idx = add_module(sources, &mut tree, &mut by_dir, &root_dir, files)?;
    // breadth first over module calls: (module index, key path of its calls, depth)
    let mut queue = vec![(root_idx, Vec::<String>::new(), 0usize)];
    while let Some((mi, key, depth)) = queue.pop() {
        let dir = PathBuf::from(&tree.modules[mi].display);
        let calls: Vec<(String, Option<String>)> = tree.modules[mi]
            .files
            .iter()
            .flat_map(|p| p.body.blocks())
            .filter(|b| b.ident.as_str() == "module")
            .filter_map(|b| {
                let name = b.labels.first()?.as_str().to_string();
                Some((name, module_source(b)))
            })
            .collect();
        for (name, source) in calls {
            let mut ckey = key.clone();
            ckey.push(name.clone());
            let target = match source {
                None => CallTarget::Missing(
                    "its `source` is not a literal string, so it cannot be followed".into(),
                ),
                Some(_) if depth >= MAX_MODULE_DEPTH => CallTarget::Missing(format!(
                    "modules nest deeper than {MAX_MODULE_DEPTH} levels"
                )),
                Some(src) => {
                    let dir = if is_local(&src) {
                        Some(normalize(&dir.join(&src)))
                    } else {
                        registry.get(&ckey.join(".")).cloned()
                    };
                    match dir {
                        Some(d) if d.is_dir() => {
                            let idx = match by_dir.get(&d) {
                                Some(&i) => i,
                                None => {
                                    let files = tf_files(&d)?;
                                    if files.is_empty() {
                                        tree.calls.insert(
                                            (mi, name),
                                            CallTarget::Missing(format!(
                                                "its source {src} ({}) holds no .tf file",
                                                display(&d)
                                            )),
                                        );
                                        continue;
                                    }
                                    let i = add_module(sources, &mut tree, &mut by_dir, &d, files)?;
                                    queue.push((i, ckey.clone(), depth + 1));
                                    i
                                }
                            };
                            CallTarget::Dir(idx)
                        }
                        Some(d) if is_local(&src) => CallTarget::Missing(format!(
                            "its source {src} ({}) is not a directory",
                            display(&d)
                        )),
                        _ => CallTarget::Missing(format!(
                            "its source {src} is not downloaded: run `terraform init` so it can be \
                             followed"
                        )),
                    }
                }
            };
            tree.calls.insert((mi, name), target);
        }
    }
    Ok(tree)
}

/// The literal `source` of a module block.
fn module_source(b: &Block) -> Option<String> {
    let a = b.body.get_attribute("source")?;
    match &a.value {
        hcl::edit::expr::Expression::String(s) => Some(s.value().to_string()),
        hcl::edit::expr::Expression::StringTemplate(t) => {
            let mut out = String::new();
            for e in t.iter() {
                out.push_str(e.as_literal()?.value());
            }
            Some(out)
        }
        _ => None,
    }
}

/// The `.tf` files of a directory, sorted by name (Terraform reads them in that order).
#[allow(clippy::result_large_err)]
fn tf_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::Io {
        path: display(dir),
        message: e.to_string(),
    })?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(".tf") && !n.starts_with('.'))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[allow(clippy::result_large_err)]
fn add_module(
    sources: &mut SourceMap,
    tree: &mut Tree,
    by_dir: &mut HashMap<PathBuf, usize>,
    dir: &Path,
    files: Vec<PathBuf>,
) -> Result<usize, Error> {
    let mut parsed = Vec::new();
    for f in files {
        parsed.push(parse_file(sources, &f)?);
    }
    tree.modules.push(ModuleDir {
        display: display(dir),
        files: parsed,
    });
    let idx = tree.modules.len() - 1;
    by_dir.insert(dir.to_path_buf(), idx);
    Ok(idx)
}

/// Read one file as UTF-8 text, with a located error for invalid bytes.
#[allow(clippy::result_large_err)]
pub(crate) fn read_source(path: &Path) -> Result<(String, String), Error> {
    let name = display(&normalize(path));
    let meta = std::fs::metadata(path).map_err(|e| Error::Io {
        path: name.clone(),
        message: e.to_string(),
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Io {
            path: name,
            message: format!(
                "the file is {} bytes; Terraform configuration files over {MAX_FILE_BYTES} bytes \
                 are not read",
                meta.len()
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: name.clone(),
        message: e.to_string(),
    })?;
    match String::from_utf8(bytes) {
        Ok(t) => Ok((name, t)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // the replacement character sits where the valid prefix ends
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
            let end = (prefix + '\u{fffd}'.len_utf8()).min(lossy.len());
            let (line, col) = line_col(&lossy, prefix);
            Err(Error::input_at(
                &name,
                Arc::new(lossy),
                Some(prefix..end),
                prefix,
                format!("{name}:{line}:{col}: not UTF-8 text (invalid byte at offset {at})"),
                "invalid UTF-8",
                Some("Terraform reads configuration files as UTF-8; save the file as UTF-8".into()),
            ))
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

/// Read, register and parse one `.tf` file.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_file(sources: &mut SourceMap, path: &Path) -> Result<Parsed, Error> {
    let (name, text) = read_source(path)?;
    let file = sources.add(name.clone(), text);
    let text = sources.get(file).text.clone();
    let body = parse_text(&name, &text)?;
    Ok(Parsed { file, body })
}

/// Parse HCL text, with a located error.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_text(name: &str, text: &Arc<String>) -> Result<Body, Error> {
    hcl::edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let at = loc.offset().min(text.len());
        let mut end = (at + 1).min(text.len());
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
        let mut start = at;
        while start > 0 && !text.is_char_boundary(start) {
            start -= 1;
        }
        let msg = e.message().to_string();
        let (line, col) = line_col(text, start);
        Error::input_at(
            name,
            text.clone(),
            Some(start..end),
            start,
            format!("{name}:{line}:{col}: not valid HCL: {msg}"),
            msg,
            Some(
                "fix the syntax (`terraform validate` shows the same place); an unclosed block or \
                 string shows up where the file ends"
                    .into(),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../x/./y")), PathBuf::from("../x/y"));
        assert_eq!(normalize(Path::new("./")), PathBuf::from("."));
    }

    #[test]
    fn parse_errors_are_located() {
        let text = Arc::new("resource \"a\" \"b\" {\n  x = \n}\n".to_string());
        let Err(Error::Input { message, .. }) = parse_text("main.tf", &text) else {
            panic!("expected a located error")
        };
        assert!(
            message.starts_with("main.tf:2:7: not valid HCL"),
            "{message}"
        );
    }
}
