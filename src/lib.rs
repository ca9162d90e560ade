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
