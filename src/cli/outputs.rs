//! `check` after the analyses: waivers and the baseline, every output format from the one
//! report (stdout and `--output FORMAT=PATH` files), GitHub annotations and the job summary, and
//! `--verbose` timings. No format recomputes anything: each renders the same [`Report`].

use super::args::{CheckArgs, FailOn, OutputFormat};
use super::commands::{Loaded, print_error};
use crate::error::Error;
use crate::report::{self, Report, baseline, github, human, junit, markdown, waivers};
use crate::source::SourceMap;
use std::path::Path;
use std::time::Instant;

/// `-v/--verbose`: lines on stderr.
pub struct Verbose(bool);

impl Verbose {
    pub fn new(on: bool) -> Self {
        Verbose(on)
    }
    pub fn say(&self, msg: &str) {
        if self.0 {
            eprintln!("aks-preflight: {msg}");
        }
    }
    /// `<what>: 12.3 ms` and, where the system tells it, the peak memory of the process so far.
    pub fn done(&self, what: &str, started: Instant) {
        if self.0 {
            let peak = peak_memory_mib()
                .map(|m| format!(" (peak memory so far {m:.1} MiB)"))
                .unwrap_or_default();
            eprintln!(
                "aks-preflight: {what}: {:.1} ms{peak}",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

/// The process's peak resident set size in MiB (Linux: `VmHWM` of `/proc/self/status`).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib as f64 / 1024.0)
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Read and parse a `--baseline` file.
pub fn read_baseline(path: &Path) -> Result<baseline::Baseline, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    baseline::parse(&path.display().to_string(), &text)
}

/// Apply the waivers (as of today) and the baseline, and write `--write-baseline` (after the
/// waivers, before the baseline: the file records what this run would report without one).
pub fn accept(
    a: &CheckArgs,
    l: &mut Loaded,
    report: &mut Report,
    baseline: Option<&baseline::Baseline>,
    verbose: &Verbose,
) -> Result<(), i32> {
    if !l.waivers.is_empty() {
        let today = waivers::today().map_err(|e| {
            print_error(&Error::Usage(e));
            2
        })?;
        waivers::apply(report, &l.model, &l.waivers, today, &mut l.sources);
        verbose.say(&format!(
            "waivers: {} read, {} finding(s) waived (today is {today})",
            l.waivers.len(),
            report.suppressed_counts().0
        ));
    }
    if let Some(path) = &a.write_baseline {
        write_file(path, &baseline::render(report))?;
        verbose.say(&format!("wrote baseline {}", path.display()));
    }
    if let Some(b) = baseline {
        baseline::apply(report, b);
        verbose.say(&format!(
            "baseline {}: {} finding(s) already recorded",
            b.name,
            report.suppressed_counts().1
        ));
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), i32> {
    std::fs::write(path, text).map_err(|e| {
        print_error(&io_error(path, e));
        2
    })
}

fn write_json_file(path: &Path, report: &Report, sources: &mut SourceMap) -> Result<(), i32> {
    use std::io::Write as _;
    let res = std::fs::File::create(path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        report::json::write(report, sources, &mut w)?;
        w.write_all(b"\n")?;
        w.flush()
    });
    res.map_err(|e| {
        print_error(&io_error(path, e));
        2
    })
}

/// Write the JSON report to standard output as it is serialized; 2 when stdout fails.
pub fn write_json_stdout(report: &Report, sources: &mut SourceMap) -> i32 {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let res = report::json::write(report, sources, &mut w)
        .and_then(|()| w.write_all(b"\n"))
        .and_then(|()| w.flush());
    match res {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("aks-preflight: cannot write to standard output: {e}");
            2
        }
    }
}

/// Render one format. SARIF limit warnings go to stderr.
pub fn render(
    format: OutputFormat,
    report: &Report,
    sources: &mut SourceMap,
    fail_on: FailOn,
    style: &human::Style,
) -> Result<String, i32> {
    Ok(match format {
        OutputFormat::Json => report::json::render(report, sources) + "\n",
        OutputFormat::Human => human::render(report, sources, style),
        OutputFormat::Sarif => {
            let (text, warnings) = report::sarif::render(report, sources);
            for w in warnings {
                eprintln!("aks-preflight: warning: {w}");
            }
            text
        }
        OutputFormat::Junit => junit::render(
            report,
            sources,
            junit::Options {
                fail_on_warning: fail_on != FailOn::Error,
                fail_on_unknown: fail_on == FailOn::Unknown,
            },
        ),
        OutputFormat::Markdown => markdown::render(report, sources, None),
    })
}

/// Write every `--output FORMAT=PATH`.
pub fn write_files(
    a: &CheckArgs,
    report: &Report,
    sources: &mut SourceMap,
    verbose: &Verbose,
) -> Result<(), i32> {
    for o in &a.outputs {
        // files get the plain, 100-column human report
        let style = human::Style {
            color: false,
            width: 100,
            all_endpoints: a.all && !a.problems_only,
            verbose: a.input.verbose,
        };
        if o.format == OutputFormat::Json {
            // written as serialized (a large estate's report is tens of megabytes)
            write_json_file(&o.path, report, sources)?;
        } else {
            let text = render(o.format, report, sources, a.fail_on, &style)?;
            write_file(&o.path, &text)?;
        }
        verbose.say(&format!(
            "wrote {} to {}",
            o.format.name(),
            o.path.display()
        ));
    }
    Ok(())
}

/// Workflow commands for the findings, paths relative to `GITHUB_WORKSPACE`.
pub fn github_annotations(report: &Report, sources: &mut SourceMap) -> String {
    let root = report::paths::repository_root();
    github::annotations(report, sources, root.as_deref())
}

/// Append the Markdown report to `$GITHUB_STEP_SUMMARY`, within GitHub's 1 MiB per step.
pub fn step_summary(report: &Report, sources: &mut SourceMap, verbose: &Verbose) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let used = std::fs::metadata(&path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let room = markdown::STEP_SUMMARY_LIMIT.saturating_sub(used);
    let text = markdown::render(report, sources, Some(room));
    if text.contains("> **Truncated:**") {
        eprintln!(
            "aks-preflight: warning: the job summary is shortened to stay within GitHub's 1 MiB limit per step"
        );
    }
    use std::io::Write as _;
    let res = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match res {
        Ok(()) => verbose.say(&format!("appended the job summary to {}", path.display())),
        Err(e) => eprintln!(
            "aks-preflight: warning: cannot write the job summary to {}: {e}",
            path.display()
        ),
    }
}
