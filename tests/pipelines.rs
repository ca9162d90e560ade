//! Every pipeline shipped in pipelines/ validates and its inputs' headers match.

#[test]
fn every_shipped_pipeline_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        seen += 1;
        let plan = turnout::config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let problems = turnout::ingest::preflight(&plan);
        assert!(problems.is_empty(), "{}: {problems:?}", path.display());
        assert!(plan.sources.iter().all(|s| !s.files.is_empty()));
    }
    assert!(seen >= 1, "no pipeline files found in {}", dir.display());
}
