//! A channel name from any caller: it is valid or refused with a reason.
//! A valid one holds only the URL- and shell-safe alphabet (never a brace,
//! so it is always exactly the Redis Cluster hash tag of its keys), and its
//! Redis topics give the name back.
#![no_main]

use asynchronio_protocol::channel::{ChannelName, ChannelRules};
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
            assert!(!text.is_empty() && text.len() <= rules.max_len);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:@/=$".contains(&b)),
                "{text:?} was accepted"
            );
            let keys = Keys::new("fuzz");
            for key in [keys.stream(text), keys.meta(text), keys.topic(text)] {
                assert_eq!(hash_tag(&key), Some(text), "{key}");
            }
            assert_eq!(keys.channel_of_topic(&keys.topic(text)), Some(text));
            assert_eq!(
                keys.channel_of_presence_topic(&keys.presence_topic(text)),
                Some(text)
            );
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});

/// The part of `key` Redis Cluster hashes: between the first `{` and the
/// next `}`, when not empty.
fn hash_tag(key: &str) -> Option<&str> {
    let open = key.find('{')?;
    let close = key[open + 1..].find('}')? + open + 1;
    Some(&key[open + 1..close]).filter(|tag| !tag.is_empty())
}
