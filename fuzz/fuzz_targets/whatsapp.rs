#![no_main]
//! libFuzzer target: the WhatsApp parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("whatsapp", "WhatsApp Chat with Store 12.txt", "");
