//! Stream positions: where a message sits in its channel's history.
//!
//! An [`Offset`] counts a channel's messages from 1 within one [`Epoch`]; the
//! epoch changes when the channel's history is lost (its keys expired or were
//! deleted), so an old offset is never mistaken for a new one. Clients see an
//! offset as a fixed-width decimal string, so that comparing two offsets as
//! strings gives publish order.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Width of an offset rendered as text: enough digits for any `u64`.
pub const OFFSET_WIDTH: usize = 20;

/// A message's place in its channel within one epoch; 0 means "before the
/// first message".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Offset(pub u64);

/// An offset string a client sent that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("offset {0:?} is not a decimal number; send back an offset the server gave you")]
pub struct OffsetParseError(pub String);

impl Offset {
    /// The next offset.
    pub fn next(self) -> Offset {
        Offset(self.0.saturating_add(1))
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.0, width = OFFSET_WIDTH)
    }
}

impl FromStr for Offset {
    type Err = OffsetParseError;

    /// Accepts the padded form and, for convenience, plain decimals.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > OFFSET_WIDTH || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OffsetParseError(s.to_owned()));
        }
        s.parse::<u64>()
            .map(Offset)
            .map_err(|_| OffsetParseError(s.to_owned()))
    }
}

impl serde::Serialize for Offset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Offset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Names one life of a channel's history; shared, since every message of
/// the channel carries the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Epoch(pub Arc<str>);

impl Epoch {
    /// The epoch named `text`.
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        Self(text.into())
    }

    /// The epoch's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_numeric_order() {
        let a = Offset(9).to_string();
        let b = Offset(10).to_string();
        assert!(a < b);
        assert_eq!(a.len(), OFFSET_WIDTH);
        assert_eq!(Offset(u64::MAX).to_string().len(), OFFSET_WIDTH);
    }

    #[test]
    fn parses_padded_and_plain() {
        assert_eq!("00000000000000000042".parse::<Offset>(), Ok(Offset(42)));
        assert_eq!("42".parse::<Offset>(), Ok(Offset(42)));
        assert!("-1".parse::<Offset>().is_err());
        assert!("".parse::<Offset>().is_err());
        assert!("99999999999999999999".parse::<Offset>().is_err());
        assert!("1e3".parse::<Offset>().is_err());
    }
}
