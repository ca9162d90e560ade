#![no_main]
//! libFuzzer target: the Mailchimp parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("mailchimp", "subscribed_members_export_3f2a1b9c0d.csv", "");
