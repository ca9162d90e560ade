#![no_main]
//! libFuzzer target: the VAN / EveryAction parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("van", "event-participants.csv", "columns = { role = \"Role\" }");
