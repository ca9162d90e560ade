#![no_main]
//! libFuzzer target: the Eventbrite parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("eventbrite", "attendees.csv", "");
