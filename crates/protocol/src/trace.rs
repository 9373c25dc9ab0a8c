//! W3C Trace Context as a message carries it.
//!
//! A message's trace context lives in its envelope's headers, under the
//! W3C names [`TRACEPARENT`] and [`TRACESTATE`], so it survives Redis,
//! history and recovery like the payload does. Every way in (REST headers,
//! the client `publish` frame's `headers`, ingest stream fields, a
//! processor's stdin line) checks it here with [`TraceContext::checked`]:
//! the values come from outside, so a malformed `traceparent` is refused
//! with an error saying what is wrong, never stored. A malformed
//! `tracestate` alone is dropped and the `traceparent` kept, as W3C Trace
//! Context asks: the state is a vendor's annotation, the parent is the
//! trace.
//!
//! Only the format lives here; spans and exporting are
//! `asynchronio-service`'s `telemetry` module.

/// The header (and envelope header, ingest field, stdin field) naming the
/// parent span: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
pub const TRACEPARENT: &str = "traceparent";

/// The header carrying vendor-specific trace state alongside
/// [`TRACEPARENT`].
pub const TRACESTATE: &str = "tracestate";

/// Longest `tracestate` accepted: the W3C limit of 32 list members fits in
/// 512 characters in practice, and this bounds what a caller can make us
/// store per message.
pub const MAX_TRACESTATE_LEN: usize = 512;

/// A checked W3C trace context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The `traceparent` value, as given (lowercase hex).
    pub traceparent: String,
    /// The `tracestate` value, when one came with it.
    pub tracestate: Option<String>,
}

/// A trace context that does not follow W3C Trace Context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceContextError {
    /// `traceparent` is malformed.
    #[error(
        "traceparent {0:?} is not a W3C traceparent: send 00-<32 lowercase hex trace id>-<16 lowercase hex parent id>-<2 hex flags>, ids not all zero"
    )]
    Traceparent(String),
    /// `tracestate` came without a `traceparent`.
    #[error("tracestate was sent without a traceparent: send both, or neither")]
    StateWithoutParent,
}

impl TraceContext {
    /// Checks a `traceparent` and optional `tracestate` from outside. An
    /// empty `tracestate` counts as absent; one that is too long or holds
    /// characters outside printable ASCII is dropped, the `traceparent`
    /// kept.
    pub fn checked(
        traceparent: &str,
        tracestate: Option<&str>,
    ) -> Result<TraceContext, TraceContextError> {
        if !is_traceparent(traceparent) {
            let shown: String = traceparent.chars().take(80).collect();
            return Err(TraceContextError::Traceparent(shown));
        }
        let tracestate = match tracestate.map(str::trim) {
            None | Some("") => None,
            Some(state) if is_tracestate(state) => Some(state.to_owned()),
            Some(_) => None,
        };
        // A later version's value is read as version 00 (W3C: its first 55
        // characters) and passed on as 00, so what is stored is bounded.
        let traceparent = match traceparent.get(2..55) {
            Some(rest) if !traceparent.starts_with("00") || traceparent.len() > 55 => {
                format!("00{rest}")
            }
            _ => traceparent.to_owned(),
        };
        Ok(TraceContext {
            traceparent,
            tracestate,
        })
    }

    /// Checks an optional pair: `Ok(None)` when neither is given.
    pub fn checked_optional(
        traceparent: Option<&str>,
        tracestate: Option<&str>,
    ) -> Result<Option<TraceContext>, TraceContextError> {
        match (traceparent, tracestate) {
            (Some(parent), state) => Self::checked(parent, state).map(Some),
            (None, None) => Ok(None),
            (None, Some(state)) if state.trim().is_empty() => Ok(None),
            (None, Some(_)) => Err(TraceContextError::StateWithoutParent),
        }
    }

    /// The trace context stored in `headers` (an envelope's), if a valid
    /// one is there. Headers are read from Redis, so they are checked again.
    pub fn from_headers(headers: &[(String, String)]) -> Option<TraceContext> {
        let parent = header(headers, TRACEPARENT)?;
        Self::checked(parent, header(headers, TRACESTATE)).ok()
    }

    /// Writes this context into `headers`, replacing any trace context
    /// already there.
    pub fn write_into(self, headers: &mut Vec<(String, String)>) {
        headers.retain(|(name, _)| name != TRACEPARENT && name != TRACESTATE);
        headers.push((TRACEPARENT.to_owned(), self.traceparent));
        if let Some(state) = self.tracestate {
            headers.push((TRACESTATE.to_owned(), state));
        }
    }

    /// The 32 hex digits of the trace id.
    pub fn trace_id(&self) -> &str {
        self.traceparent.get(3..35).unwrap_or_default()
    }

    /// The 16 hex digits of the parent span id.
    pub fn parent_id(&self) -> &str {
        self.traceparent.get(36..52).unwrap_or_default()
    }
}

/// The first value of header `name` in `headers`.
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// W3C `traceparent`: version 00 is exactly 55 characters; a later version
/// may append `-`-separated fields, which are ignored. Version `ff` and
/// all-zero ids are invalid.
fn is_traceparent(value: &str) -> bool {
    let bytes = value.as_bytes();
    // Slicing bytes, never the str: the value is hostile and may hold
    // multi-byte characters anywhere.
    if bytes.len() < 55
        || (bytes.len() > 55 && (bytes.get(55) != Some(&b'-') || &bytes[..2] == b"00"))
    {
        return false;
    }
    let lower_hex = |part: &[u8]| {
        part.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    let (version, trace_id, parent_id, flags) =
        (&bytes[0..2], &bytes[3..35], &bytes[36..52], &bytes[53..55]);
    bytes[2] == b'-'
        && bytes[35] == b'-'
        && bytes[52] == b'-'
        && lower_hex(version)
        && version != b"ff"
        && lower_hex(trace_id)
        && trace_id.iter().any(|&b| b != b'0')
        && lower_hex(parent_id)
        && parent_id.iter().any(|&b| b != b'0')
        && lower_hex(flags)
}

/// W3C `tracestate`, checked for size and alphabet only (its members are
/// passed on, never interpreted).
fn is_tracestate(value: &str) -> bool {
    value.len() <= MAX_TRACESTATE_LEN && value.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn accepts_the_w3c_example() {
        let context = TraceContext::checked(PARENT, Some("congo=t61rcWkgMzE")).expect("valid");
        assert_eq!(context.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(context.parent_id(), "00f067aa0ba902b7");
        assert_eq!(context.tracestate.as_deref(), Some("congo=t61rcWkgMzE"));
    }

    #[test]
    fn refuses_malformed_traceparents() {
        for bad in [
            "",
            "00",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473é-00f067aa0ba902b7-01",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(
                TraceContext::checked(bad, None).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn a_later_version_may_carry_more_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever";
        assert!(TraceContext::checked(later, None).is_ok());
    }

    #[test]
    fn a_long_or_binary_tracestate_is_dropped_and_the_parent_kept() {
        let long = "a=".to_owned() + &"b".repeat(MAX_TRACESTATE_LEN);
        for bad in [long.as_str(), "a=b\nc=d"] {
            let context = TraceContext::checked(PARENT, Some(bad)).expect("the parent is valid");
            assert_eq!(context.traceparent, PARENT);
            assert_eq!(context.tracestate, None);
        }
        assert_eq!(
            TraceContext::checked_optional(None, Some("a=b")),
            Err(TraceContextError::StateWithoutParent)
        );
        assert_eq!(TraceContext::checked_optional(None, None), Ok(None));
    }

    #[test]
    fn headers_round_trip_and_replace() {
        let mut headers = vec![
            ("x".to_owned(), "y".to_owned()),
            (TRACEPARENT.to_owned(), "old".to_owned()),
        ];
        TraceContext::checked(PARENT, Some("a=b"))
            .expect("valid")
            .write_into(&mut headers);
        assert_eq!(headers.len(), 3);
        let read = TraceContext::from_headers(&headers).expect("stored");
        assert_eq!(read.traceparent, PARENT);
        assert_eq!(read.tracestate.as_deref(), Some("a=b"));
        // A malformed one read back from Redis is ignored.
        let hostile = vec![(TRACEPARENT.to_owned(), "00-zz".to_owned())];
        assert_eq!(TraceContext::from_headers(&hostile), None);
    }

    #[test]
    fn a_later_version_is_stored_as_version_00_and_bounded() {
        let rest = "-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let long = format!("cc{rest}-{}", "x".repeat(10_000));
        let context = TraceContext::checked(&long, None).expect("a later version is accepted");
        assert_eq!(context.traceparent, format!("00{rest}"));
        let exact = format!("01{rest}");
        let context = TraceContext::checked(&exact, None).expect("accepted");
        assert_eq!(context.traceparent, format!("00{rest}"));
    }
}
