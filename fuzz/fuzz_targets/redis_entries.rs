//! Everything else the services read back from Redis, where anyone with
//! access to Redis can write: the first byte picks the decoder. Decoding
//! never panics, and what decodes encodes again.
#![no_main]

use asynchronio_protocol::cache::CacheEntry;
use asynchronio_protocol::dead_letter::DeadLetter;
use asynchronio_protocol::login::DashboardLogin;
use asynchronio_protocol::node::NodeHeartbeat;
use asynchronio_protocol::presence::{PresenceEvent, PresenceInfo};
use asynchronio_protocol::process::{
    CommandResult, DesiredState, InstanceState, PipelineTopology, ProcessCommand,
};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    match kind % 10 {
        0 => {
            if let Some(entry) = CacheEntry::decode(bytes) {
                entry.encode().expect("encodes");
            }
        }
        1 => {
            if let Ok(login) = DashboardLogin::decode(bytes) {
                login.encode().expect("encodes");
            }
        }
        2 => {
            if let Ok(event) = PresenceEvent::decode(bytes) {
                event.encode().expect("encodes");
            }
        }
        3 => {
            if let Ok(text) = std::str::from_utf8(bytes)
                && let Some(info) = PresenceInfo::from_json(text)
            {
                assert_eq!(PresenceInfo::from_json(&info.to_json()), Some(info));
            }
        }
        4 => {
            if let Ok(state) = InstanceState::decode(bytes) {
                state.encode().expect("encodes");
            }
        }
        5 => {
            if let Ok(desired) = DesiredState::decode(bytes) {
                desired.encode().expect("encodes");
            }
        }
        6 => {
            if let Ok(command) = ProcessCommand::decode(bytes) {
                command.encode().expect("encodes");
            }
        }
        7 => {
            if let Ok(result) = CommandResult::decode(bytes) {
                result.encode().expect("encodes");
            }
        }
        8 => {
            if let Ok(topology) = PipelineTopology::decode(bytes) {
                topology.encode().expect("encodes");
            }
            if let Ok(heartbeat) = NodeHeartbeat::decode(bytes) {
                heartbeat.encode().expect("encodes");
                let _ = heartbeat.uptime_ms();
            }
        }
        _ => {
            // A dead letter's fields: NUL-separated names and values.
            let mut parts = bytes.split(|b| *b == 0);
            let mut fields = Vec::new();
            while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
                fields.push((
                    String::from_utf8_lossy(name).into_owned(),
                    Bytes::copy_from_slice(value),
                ));
            }
            // Whatever the fields, a dead letter is read (never a panic).
            let _ = DeadLetter::from_fields("1-0", &fields);
        }
    }
});
