#![no_main]
//! libFuzzer target: the Discord parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("discord", "general.csv", "");
