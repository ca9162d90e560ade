#![no_main]
//! libFuzzer target: the Mobilize parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("mobilize", "participations.csv", "");
