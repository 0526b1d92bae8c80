//! Every reader behind input detection (Terraform plan and state JSON, ARM resource files,
//! `az` output, what-if, ARM templates and parameters files), then the whole check and the
//! human report: any text gives a model or a located error, never a panic.
#![no_main]

use aks_preflight::analysis::{self, CheckOptions};
use aks_preflight::policy::{Catalogue, Config};
use aks_preflight::source::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let Ok((_, model)) = aks_preflight::input::load(&mut sources, "fuzz.json", text.to_string())
    else {
        return;
    };
    let catalogue = Catalogue::builtin().expect("the built-in catalogue loads");
    let report = analysis::check(&model, &catalogue, &Config::default(), &CheckOptions::default());
    for f in &report.findings {
        for l in &f.labels {
            let _ = sources.locate_label(&l.origin);
        }
    }
});
