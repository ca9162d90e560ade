#![no_main]
//! libFuzzer target: the Zoom parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("zoom", "participants.csv", "");
