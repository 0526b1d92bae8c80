//! Loader tests: fixtures under `testdata/fixtures/plan/`, the real files under
//! `testdata/corpus/terraform-plan/`.

use super::summarize;
use crate::input::{InputKind, load};
use crate::model::Model;
use crate::source::SourceMap;

fn read(rel: &str) -> String {
    let p = format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn load_file(rel: &str) -> (InputKind, Model, SourceMap) {
    let mut sm = SourceMap::new();
    let (k, m) = load(&mut sm, rel, read(rel)).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
    (k, m, sm)
}

#[test]
fn dump_corpus() {
    for f in std::fs::read_dir(format!(
        "{}/testdata/corpus/terraform-plan",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "json") {
            let rel = format!(
                "corpus/terraform-plan/{}",
                f.file_name().unwrap().to_str().unwrap()
            );
            let (k, m, _) = load_file(&rel);
            println!("=== {rel} {k:?}\n{}", summarize(&m));
        }
    }
}

#[test]
fn dump_fixtures() {
    for f in std::fs::read_dir(format!(
        "{}/testdata/fixtures/plan",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "json") {
            let rel = format!("fixtures/plan/{}", f.file_name().unwrap().to_str().unwrap());
            let (k, m, _) = load_file(&rel);
            println!("=== {rel} {k:?}\n{}", summarize(&m));
        }
    }
}
