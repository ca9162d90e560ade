#![no_main]
//! libFuzzer target: the Action Network parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("action_network", "attendees.csv", "");
