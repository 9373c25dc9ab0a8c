//! A pipeline stage's dead letters as Redis keeps them: one stream entry per
//! message that failed too often, with why. The stage writes them; the CLI
//! (`asynchronio dead-letters`), the REST API and the dashboard list, show,
//! replay and delete them. The field names are written here once.

use bytes::Bytes;
use serde::Serialize;

use crate::envelope::Envelope;

/// Field: the message's entry id in the stage's input stream.
pub const ENTRY: &str = "entry";
/// Field: the stage's input channel.
pub const CHANNEL: &str = "channel";
/// Field: the message's offset in that channel (empty if unknown).
pub const OFFSET: &str = "offset";
/// Field: the request data the processor was given.
pub const DATA: &str = "data";
/// Field: the last error.
pub const ERROR: &str = "error";
/// Field: attempts made.
pub const ATTEMPTS: &str = "attempts";
/// Field: the message's envelope as stored in the channel's stream, so a
/// replay gives the processor exactly what it had (absent from dead
/// letters written before replays existed, and from entries that were not
/// envelopes at all).
pub const ENVELOPE: &str = "envelope";

/// Most dead-letter ids one request may name.
pub const MAX_IDS: usize = 1000;

/// Whether `id` is a dead-letter id: a Redis stream entry id,
/// `<milliseconds>-<sequence>`.
pub fn is_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((ms, seq)) => {
            // Each part a u64, as Redis reads it.
            let digits = |part: &str| {
                !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_digit())
                    && part.parse::<u64>().is_ok()
            };
            digits(ms) && digits(seq)
        }
        None => false,
    }
}

/// Checks ids from outside: each a stream entry id, at most [`MAX_IDS`].
pub fn checked_ids(ids: &[String]) -> Result<(), String> {
    if ids.len() > MAX_IDS {
        return Err(format!(
            "{} ids is more than {MAX_IDS}; send them in smaller groups, or ask for all",
            ids.len()
        ));
    }
    match ids.iter().find(|id| !is_id(id)) {
        Some(bad) => Err(format!(
            "{:?} is not a dead-letter id (they look like 1764633600000-0; list them to see)",
            bad.chars().take(40).collect::<String>()
        )),
        None => Ok(()),
    }
}

/// One dead letter, read back. Everything in it came from Redis and from a
/// processor, so it is only displayed and replayed, never trusted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// Its id in the dead-letter stream.
    pub id: String,
    /// The message's entry id in the input stream.
    pub entry: String,
    /// The stage's input channel.
    pub channel: String,
    /// The message's offset in the channel (empty if unknown).
    pub offset: String,
    /// The request data the processor was given (JSON text).
    pub data: String,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
    /// Whether it holds its envelope, which a replay needs.
    pub replayable: bool,
    /// The envelope's bytes, when kept.
    #[serde(skip)]
    pub envelope: Option<Bytes>,
}

impl DeadLetter {
    /// Reads the entry `id` with `fields` (missing or non-UTF-8 fields
    /// read as empty; an unreadable attempt count as 0).
    pub fn from_fields(id: &str, fields: &[(String, Bytes)]) -> DeadLetter {
        let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let text = |name: &str| {
            field(name)
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .unwrap_or_default()
        };
        let envelope = field(ENVELOPE).filter(|bytes| !bytes.is_empty()).cloned();
        DeadLetter {
            id: id.to_owned(),
            entry: text(ENTRY),
            channel: text(CHANNEL),
            offset: text(OFFSET),
            data: text(DATA),
            error: text(ERROR),
            attempts: text(ATTEMPTS).parse().unwrap_or(0),
            replayable: envelope
                .as_deref()
                .is_some_and(|bytes| Envelope::decode(bytes).is_ok()),
            envelope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_outside_are_checked() {
        assert!(is_id("1764633600000-0"));
        for bad in [
            "",
            "1",
            "-1",
            "1-",
            "a-b",
            "1-0-0",
            "1 -0",
            "99999999999999999999999-0",
        ] {
            assert!(!is_id(bad), "{bad:?}");
        }
        assert!(checked_ids(&["1-0".into()]).is_ok());
        assert!(checked_ids(&["1-0".into(), "x".into()]).is_err());
        assert!(checked_ids(&vec!["1-0".to_owned(); MAX_IDS + 1]).is_err());
    }

    #[test]
    fn reads_what_the_stage_wrote_and_survives_garbage() {
        let fields = vec![
            (ENTRY.to_owned(), Bytes::from("7-0")),
            (DATA.to_owned(), Bytes::from("\"bad\"")),
            (ERROR.to_owned(), Bytes::from("cannot handle bad")),
            (ATTEMPTS.to_owned(), Bytes::from("3")),
            (
                ENVELOPE.to_owned(),
                Bytes::from_static(b"\xff\x00 not an envelope"),
            ),
        ];
        let letter = DeadLetter::from_fields("1-0", &fields);
        assert_eq!(letter.entry, "7-0");
        assert_eq!(letter.attempts, 3);
        assert_eq!(letter.error, "cannot handle bad");
        assert!(!letter.replayable, "garbage is no envelope");
        let bare = DeadLetter::from_fields("2-0", &[(ATTEMPTS.to_owned(), Bytes::from("x"))]);
        assert_eq!((bare.attempts, bare.replayable), (0, false));
        let json = serde_json::to_value(&letter).expect("json");
        assert!(json.get("envelope").is_none());
    }
}
