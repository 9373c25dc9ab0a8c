//! The process manager's configuration file: hostile TOML must give an
//! error that says what to fix, never a panic.
#![no_main]

use std::path::Path;

use asynchronio_supervisor::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = Config::parse(Path::new("/etc/asynchronio/fuzz.toml"), text, None) {
        assert!(!error.to_string().is_empty());
    }
});
