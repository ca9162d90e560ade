//! turnout: from the group chat to the meeting.
//!
//! The crate is laid out as the data flows (DESIGN.md §1):
//! `config` (the pipeline file) → `ingest` (one parser per export tool) → `identity` (who is who)
//! → `timeline` (events per person) → `funnel` (conversion between stages) → `report` (what a
//! strategist reads). `schema` is the only contract between the stages; `tables` is where polars
//! reads and writes them; `run` wires the stages together for `turnout run`.

/// jemalloc for everything built with the engine (the binary, its tests and benchmarks): a run
/// allocates and frees tens of millions of small strings, and glibc's malloc spent about a fifth
/// of a 1M-person run in allocation and free-list consolidation (README, Performance). The fuzz
/// build, without the engine, keeps the system allocator for libFuzzer.
#[cfg(all(feature = "engine", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` (it overrides the library's weak default).
/// `oversize_threshold` (default 8 MiB) raised to 32 MiB: blocks between the two (a batch's
/// column chunks and pages while the event tables are encoded) stay in the ordinary arenas,
/// which keep freed pages for the next batch, instead of the oversize arena, which hands them
/// back to the kernel at once so that every batch faulted them in again (about 0.7 s less system
/// time on a 100k-person run). Larger blocks still go back at once.
///
/// `thp:always` and `metadata_thp:always`: jemalloc asks for transparent huge pages (2 MiB) for
/// its memory (`madvise`, which is what most Linux systems are set to honour). Identity's hash
/// tables, the timeline's order and the funnel read gigabytes at random; with 4 KiB pages
/// nearly every read also missed the TLB. A 100k-person run took about 45% less user time,
/// for about 15% more resident memory.
#[cfg(all(feature = "engine", not(target_env = "msvc")))]
#[export_name = "_rjem_malloc_conf"]
#[used]
static MALLOC_CONF: &[u8; 59] = b"oversize_threshold:33554432,thp:always,metadata_thp:always\0";

pub mod actions;
#[cfg(feature = "engine")]
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod error;
#[cfg(feature = "engine")]
pub mod forget;
pub mod funnel;
pub mod identity;
pub mod ingest;
pub mod intern;
pub mod lock;
pub mod meter;
pub mod privacy;
pub mod report;
#[cfg(feature = "engine")]
pub mod run;
pub mod schema;
#[cfg(feature = "engine")]
pub mod tables;
pub mod timeline;
pub mod timeutil;
