#![no_main]
//! libFuzzer target: the generic CSV parser on arbitrary bytes (see fuzz/src/lib.rs).
turnout_fuzz::target!("csv", "signin.csv", "columns = { name = \"Name\", phone = \"Phone\", email = \"Email\", ts = \"Date\", context = \"Meeting\", role = \"Role\" }\naction = \"attended\"");
