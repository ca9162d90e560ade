#![no_main]
//! libFuzzer target: the Slack parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("slack", "export.zip", "");
