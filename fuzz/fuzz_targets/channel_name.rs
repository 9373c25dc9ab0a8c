//! A channel name from any caller: it is valid or refused with a reason,
//! its kind is decided by the one rule, and a valid name makes Redis keys
//! that give the channel back.
#![no_main]

use asynchronio_protocol::channel::{ChannelName, ChannelRules, kind_of};
use asynchronio_protocol::keys::Keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rules = ChannelRules::default();
    match ChannelName::parse(text, &rules) {
        Ok(name) => {
            assert_eq!(name.as_str(), text);
            assert!(text.len() <= rules.max_len);
            assert_eq!(name.kind(), kind_of(text));
            let keys = Keys::new("fuzz");
            assert_eq!(keys.channel_of_topic(&keys.topic(text)), Some(text));
            assert_eq!(
                keys.channel_of_presence_topic(&keys.presence_topic(text)),
                Some(text)
            );
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
