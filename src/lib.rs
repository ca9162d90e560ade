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
/// Transparent huge pages (`thp:always`) were tried and left off: with vectors no longer grown
/// by doubling they gained about 5% on a 1M-person run and nothing at 100k, cost 3-15% more
/// resident memory, and made polars' Parquet reading (the funnel benchmark) 1.5x slower,
/// since every fault then clears 2 MiB.
#[cfg(all(feature = "engine", not(target_env = "msvc")))]
#[export_name = "_rjem_malloc_conf"]
#[used]
static MALLOC_CONF: &[u8; 28] = b"oversize_threshold:33554432\0";

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
