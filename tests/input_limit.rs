//! The input-size guard (`src/input/limit.rs`): an input over the limit is refused with exit 2
//! and a message naming it, its size and how to raise the limit; standard input is bounded the
//! same way; the limit comes from `--max-input-size` or `AKS_PREFLIGHT_MAX_INPUT_SIZE`.

use assert_cmd::Command;

fn bin() -> Command {
    let mut c = Command::cargo_bin("aks-preflight").expect("binary builds");
    c.env("NO_COLOR", "1")
        .env_remove("AKS_PREFLIGHT_MAX_INPUT_SIZE");
    c
}

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/scenarios/nsg-deny-internet-443/plan.json"
);

/// Standard error as one line of words: the diagnostic wraps at a width, and where it wraps
/// depends on the length of the checkout's path.
fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_file_over_the_limit_is_refused_with_exit_2() {
    let size = std::fs::metadata(PLAN).unwrap().len();
    let out = bin()
        .args(["check", "--max-input-size", "1K", PLAN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains(&format!("({size} bytes)")), "{e}");
    assert!(
        e.contains("over the input size limit of 1.0 KiB (1024 bytes)"),
        "{e}"
    );
    assert!(e.contains("--max-input-size"), "{e}");
    // the same file within the limit is checked (exit 1: the scenario has a finding)
    let out = bin()
        .args(["check", "--max-input-size", "10M", PLAN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn stdin_is_bounded_and_the_variable_sets_the_limit() {
    let plan = std::fs::read(PLAN).unwrap();
    let out = bin()
        .env("AKS_PREFLIGHT_MAX_INPUT_SIZE", "2K")
        .args(["check", "-"])
        .write_stdin(plan.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("<stdin> goes on beyond it"), "{e}");
    assert!(e.contains("2.0 KiB"), "{e}");
    // a malformed variable is a usage error, said as such
    let out = bin()
        .env("AKS_PREFLIGHT_MAX_INPUT_SIZE", "lots")
        .args(["check", "-"])
        .write_stdin(plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("AKS_PREFLIGHT_MAX_INPUT_SIZE"),
        "{}",
        stderr(&out)
    );
}
