//! The Terraform configuration (HCL) reader: any bytes as a root module's `main.tf` give a
//! model or a located error (rendered as the CLI prints it), never a panic; then the whole
//! check and the human report (every location and excerpt of the `.tf` text). The reader takes a path (it reads a module's
//! directory, `terraform.tfvars`, local modules), so the input is written to `main.tf` in a
//! directory of the temp dir owned by this process (`$TMPDIR/aks-preflight-fuzz-hcl-PID/root/`,
//! left there: one small file; `.ci/fuzz` sets `TMPDIR` to `target/fuzz-ci/tmp`).
#![no_main]

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::report::human;
use aks_preflight::source::SourceMap;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn main_tf() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir()
            .join(format!("aks-preflight-fuzz-hcl-{}", std::process::id()))
            .join("root");
        std::fs::create_dir_all(&dir).expect("a directory in the temp dir");
        dir.join("main.tf")
    })
}

fuzz_target!(|data: &[u8]| {
    // any bytes: the reader has its own located error for text that is not UTF-8
    let path = main_tf();
    std::fs::write(path, data).expect("writing main.tf");
    let mut sources = SourceMap::new();
    let mut model = match aks_preflight::input::load_path(&mut sources, &path.to_string_lossy()) {
        Ok((_, m)) => m,
        Err(e) => {
            // as the CLI prints it: the excerpt at the error's span
            let _ = aks_preflight::cli::commands::render_error(&e, false);
            return;
        }
    };
    model.finish();
    let catalogue = Catalogue::builtin().expect("the built-in catalogue loads");
    let report = analysis::check(
        &model,
        catalogue,
        &Config::default(),
        &CheckOptions::default(),
    );
    let _ = human::render(&report, &mut sources, &human::Style::default());
});
