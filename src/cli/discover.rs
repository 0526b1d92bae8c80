//! Config discovery: `.aks-preflight.toml` from the input's directory upward to the repository
//! root (the first directory holding `.git`). `--config` wins over discovery.

use std::path::{Path, PathBuf};

/// The config file name looked for.
pub const CONFIG_NAME: &str = ".aks-preflight.toml";

/// The directory discovery starts from: the first input's directory (the input itself when it
/// is a directory); the current directory for standard input.
fn start_dir(inputs: &[String]) -> Option<PathBuf> {
    let first = inputs.first()?;
    if first == "-" {
        return std::env::current_dir().ok();
    }
    let p = Path::new(first);
    let dir = if p.is_dir() {
        p.to_path_buf()
    } else {
        match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    // absolute, so that `..` walks above a relative start
    std::path::absolute(&dir).ok()
}

/// The nearest `.aks-preflight.toml` from the first input's directory up to the repository root
/// (inclusive). Outside a repository only the input's own directory is looked at: a config
/// file higher up (a home directory) may belong to something else.
pub fn discover_config(inputs: &[String]) -> Option<PathBuf> {
    let start = start_dir(inputs)?;
    let in_repo = start.ancestors().any(|d| d.join(".git").exists());
    for dir in start.ancestors() {
        let candidate = dir.join(CONFIG_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if !in_repo || dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// `path` relative to the current directory when it is below it (for messages and locations).
pub fn display_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "aks-preflight-discover-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn nearest_config_up_to_the_repository_root() {
        let repo = scratch("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("infra/prod")).unwrap();
        let plan = repo.join("infra/prod/plan.json");
        std::fs::write(&plan, "{}").unwrap();
        let inputs = vec![plan.display().to_string()];
        assert_eq!(discover_config(&inputs), None);
        std::fs::write(repo.join(CONFIG_NAME), "").unwrap();
        assert_eq!(discover_config(&inputs), Some(repo.join(CONFIG_NAME)));
        std::fs::write(repo.join("infra").join(CONFIG_NAME), "").unwrap();
        assert_eq!(
            discover_config(&inputs),
            Some(repo.join("infra").join(CONFIG_NAME))
        );
        // a directory input starts at itself
        let dir_input = vec![repo.join("infra/prod").display().to_string()];
        assert_eq!(
            discover_config(&dir_input),
            Some(repo.join("infra").join(CONFIG_NAME))
        );
        let _ = std::fs::remove_dir_all(&repo);
    }

    #[test]
    fn outside_a_repository_only_the_input_directory_counts() {
        let top = scratch("norepo");
        std::fs::create_dir_all(top.join("sub")).unwrap();
        std::fs::write(top.join(CONFIG_NAME), "").unwrap();
        let plan = top.join("sub/plan.json");
        std::fs::write(&plan, "{}").unwrap();
        // the temp dir may itself be inside a repository on some machines; only assert when not
        if !top.ancestors().any(|d| d.join(".git").exists()) {
            assert_eq!(discover_config(&[plan.display().to_string()]), None);
            let here = top.join("plan.json");
            assert_eq!(
                discover_config(&[here.display().to_string()]),
                Some(top.join(CONFIG_NAME))
            );
        }
        let _ = std::fs::remove_dir_all(&top);
    }
}
