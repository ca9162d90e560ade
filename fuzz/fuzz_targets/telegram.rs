#![no_main]
//! libFuzzer target: the Telegram parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("telegram", "result.json", "");
