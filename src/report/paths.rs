//! File names in CI outputs: relative to the repository root (GitHub annotations, SARIF `uri`s).

use std::path::{Component, Path, PathBuf};

/// The directory that CI paths are relative to: `GITHUB_WORKSPACE` when set, else the nearest
/// directory holding `.git` above the current directory, else the current directory.
pub fn repository_root() -> Option<PathBuf> {
    if let Some(w) = std::env::var_os("GITHUB_WORKSPACE").filter(|w| !w.is_empty()) {
        return Some(PathBuf::from(w));
    }
    let cwd = std::env::current_dir().ok()?;
    let mut dir: &Path = &cwd;
    loop {
        if dir.join(".git").exists() {
            return Some(dir.to_path_buf());
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return Some(cwd),
        }
    }
}

/// Lexically normalized (`.` and `..` removed) absolute path.
fn absolute(p: &Path) -> Option<PathBuf> {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// A source file's name (as the user gave it) relative to `root`, with `/` separators; `None`
/// for standard input, or when the file is outside `root`.
pub fn relative_to(name: &str, root: &Path) -> Option<String> {
    if name.starts_with('<') {
        return None;
    }
    let file = absolute(Path::new(name))?;
    let root = absolute(root)?;
    let rel = file.strip_prefix(&root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names() {
        let root = Path::new("/repo");
        assert_eq!(
            relative_to("/repo/infra/./plan.json", root).as_deref(),
            Some("infra/plan.json")
        );
        assert_eq!(
            relative_to("/repo/a/../b/plan.json", root).as_deref(),
            Some("b/plan.json")
        );
        assert_eq!(relative_to("/elsewhere/plan.json", root), None);
        assert_eq!(relative_to("<stdin>", root), None);
    }
}
