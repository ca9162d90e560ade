#![no_main]
//! libFuzzer target: the Signal parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("signal", "chat.md", "");
