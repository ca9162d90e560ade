#![no_main]
//! libFuzzer target: the Spoke parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("spoke", "messages.csv", "");
