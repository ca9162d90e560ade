//! The floor for ingest on a folder of exports: polars' plain CSV read of every `.csv` under
//! DIR (header row, every column as polars infers it, both cores), polars' read of every `.txt`
//! (a chat export) as lines (one text column: no separator, no quoting), and a plain read of
//! the bytes of every other file (zips). `bench/run.sh` runs it on the same exports
//! `turnout run` reads and sets it beside the ingest stage.
//!
//! Run: `cargo run --release --example bench_csv_floor -- DIR`. Prints one JSON line: files,
//! MB and seconds (median of 3 passes over the folder) for the CSVs and for the rest, and the
//! CSVs polars could not read (each named on stderr), which are left out of the floor.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: bench_csv_floor DIR"))?,
    );
    let mut all = Vec::new();
    files(&dir, &mut all)?;
    all.sort();
    // The demo's answer key is beside the exports; turnout does not read it.
    all.retain(|p| p.file_name().is_none_or(|n| n != "ground_truth.csv"));
    let is_csv = |p: &PathBuf| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (csv, other): (Vec<PathBuf>, Vec<PathBuf>) = all.into_iter().partition(is_csv);
    let is_txt = |p: &PathBuf| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    let (txt, other): (Vec<PathBuf>, Vec<PathBuf>) = other.into_iter().partition(is_txt);
    let lines = |p: &Path| {
        CsvReadOptions::default()
            .with_has_header(false)
            .map_parse_options(|o| o.with_separator(0x1f).with_quote_char(None).with_truncate_ragged_lines(true))
            .try_into_reader_with_file_path(Some(p.to_path_buf()))
            .and_then(|r| r.finish())
    };
    let size = |ps: &[PathBuf]| ps.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum::<u64>() as f64 / 1e6;

    // Which CSVs polars reads at all (some exports have preambles or ragged rows).
    let read = |p: &Path| {
        CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(p.to_path_buf()))
            .and_then(|r| r.finish())
    };
    let mut readable = Vec::new();
    let mut unreadable = 0;
    for p in &csv {
        match read(p) {
            Ok(_) => readable.push(p.clone()),
            Err(e) => {
                unreadable += 1;
                eprintln!("polars cannot read {}: {e}", p.display());
            }
        }
    }
    let (mut csv_s, mut other_s, mut rows) = (Vec::new(), Vec::new(), 0);
    let (mut txt_s, mut txt_rows) = (Vec::new(), 0);
    for _ in 0..3 {
        let t = Instant::now();
        txt_rows = 0;
        for p in &txt {
            txt_rows += lines(p)?.height();
        }
        txt_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        rows = 0;
        for p in &readable {
            rows += read(p)?.height();
        }
        csv_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for p in &other {
            std::hint::black_box(std::fs::read(p)?);
        }
        other_s.push(t.elapsed().as_secs_f64());
    }
    println!(
        "{{\"csv_files\": {}, \"csv_mb\": {:.1}, \"csv_rows\": {rows}, \"csv_s\": {:.3}, \"unreadable_csv_files\": {unreadable}, \"txt_files\": {}, \"txt_mb\": {:.1}, \"txt_rows\": {txt_rows}, \"txt_s\": {:.3}, \"other_files\": {}, \"other_mb\": {:.1}, \"other_s\": {:.3}}}",
        readable.len(),
        size(&readable),
        median(csv_s),
        txt.len(),
        size(&txt),
        median(txt_s),
        other.len(),
        size(&other),
        median(other_s)
    );
    Ok(())
}
