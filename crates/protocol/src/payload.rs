//! The one rule for JSON payloads: what is accepted, and in what form it is
//! stored, so that JSON and MessagePack subscribers receive the same value.
//!
//! JSON subscribers get a payload's text as it was published; MessagePack
//! subscribers get it parsed and re-encoded. Both see the same value only if
//! the text means one thing to every parser, so [`checked_json`] refuses:
//! - nesting deeper than [`MAX_JSON_DEPTH`] (deeply nested JSON crashes
//!   common recursive parsers, and serde_json stops at 128 levels);
//! - numbers out of range for a 64-bit float (`1e999`);
//! - strings with lone UTF-16 surrogates (`"\ud800"`), which are not text.
//!
//! Integers beyond 64 bits are accepted, but as what MessagePack can carry:
//! a 64-bit float. The payload is then rewritten once, at publish, with that
//! float in place of the integer literal (key order and everything else
//! kept), so a JSON subscriber parses the same number a MessagePack one
//! gets. Payloads without such integers are stored byte for byte. Floats
//! are read correctly rounded (serde_json's `float_roundtrip`), so the float
//! a MessagePack subscriber gets is the one the text means. (MessagePack
//! maps come with their keys sorted; JSON objects keep their order.)

use std::cell::{Cell, RefCell};
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Deepest nesting of arrays and objects a JSON payload may have.
pub const MAX_JSON_DEPTH: usize = 64;

/// Smallest magnitude at which serde_json reads an integer literal as a
/// float (it overflowed both `i64` and `u64`): 2^63.
const WIDE_INTEGER: f64 = 9_223_372_036_854_775_808.0;

/// Why a payload is not accepted as JSON; the message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON, a number out of range, or a lone surrogate.
    #[error("the message must be valid JSON ({0}); send text as a JSON string")]
    NotJson(String),
    /// Nested deeper than [`MAX_JSON_DEPTH`].
    #[error(
        "the message nests arrays and objects more than {MAX_JSON_DEPTH} levels deep; flatten it"
    )]
    TooDeep,
}

/// Checks `payload` against the rules above and returns the bytes to
/// publish: `payload` itself, or its rewrite when it holds integers beyond
/// 64 bits.
pub fn checked_json(payload: Bytes) -> Result<Bytes, PayloadError> {
    let walk = Walk::default();
    walk.run(&payload)?;
    if !walk.wide.get() {
        return Ok(payload);
    }
    let rewrite = Walk {
        out: Some(RefCell::new(Vec::with_capacity(payload.len()))),
        ..Walk::default()
    };
    rewrite.run(&payload)?;
    Ok(Bytes::from(
        rewrite.out.map(RefCell::into_inner).unwrap_or_default(),
    ))
}

/// Whether `payload` is JSON that [`checked_json`] accepts, without
/// rewriting it.
pub fn is_json(payload: &[u8]) -> bool {
    Walk::default().run(payload).is_ok()
}

/// One pass over a document: checks it, and writes it out again when
/// `out` is set.
#[derive(Default)]
struct Walk {
    too_deep: Cell<bool>,
    wide: Cell<bool>,
    out: Option<RefCell<Vec<u8>>>,
}

impl Walk {
    fn run(&self, payload: &[u8]) -> Result<(), PayloadError> {
        let mut deserializer = serde_json::Deserializer::from_slice(payload);
        let result = Node {
            walk: self,
            depth: 0,
        }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
        if self.too_deep.get() {
            return Err(PayloadError::TooDeep);
        }
        result.map_err(|e| PayloadError::NotJson(e.to_string()))
    }

    fn write(&self, bytes: &[u8]) {
        if let Some(out) = &self.out {
            out.borrow_mut().extend_from_slice(bytes);
        }
    }

    fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) {
        if let Some(out) = &self.out {
            // Numbers and strings always serialize.
            let _ = serde_json::to_writer(&mut *out.borrow_mut(), value);
        }
    }
}

/// The value at one depth.
#[derive(Clone, Copy)]
struct Node<'w> {
    walk: &'w Walk,
    depth: usize,
}

impl Node<'_> {
    fn deeper<E: de::Error>(self) -> Result<Self, E> {
        let depth = self.depth + 1;
        if depth > MAX_JSON_DEPTH {
            self.walk.too_deep.set(true);
            return Err(E::custom("too deep"));
        }
        Ok(Node {
            walk: self.walk,
            depth,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.walk.write_json(&v);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.walk.write_json(&v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.walk.write_json(&v);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if !v.is_finite() {
            return Err(E::custom("number out of range"));
        }
        if v.fract() == 0.0 && v.abs() >= WIDE_INTEGER {
            self.walk.wide.set(true);
        }
        self.walk.write_json(&v);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.walk.write_json(v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.walk.write(b"null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        self.walk.write(b"[");
        let mut first = true;
        loop {
            if !first {
                self.walk.write(b",");
            }
            // The separator is written before we know whether another
            // element follows; a trailing one is removed below.
            if seq.next_element_seed(inner)?.is_none() {
                if !first {
                    self.unwrite_comma();
                }
                break;
            }
            first = false;
        }
        self.walk.write(b"]");
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        self.walk.write(b"{");
        let mut first = true;
        loop {
            if !first {
                self.walk.write(b",");
            }
            if map.next_key_seed(inner)?.is_none() {
                if !first {
                    self.unwrite_comma();
                }
                break;
            }
            self.walk.write(b":");
            map.next_value_seed(inner)?;
            first = false;
        }
        self.walk.write(b"}");
        Ok(())
    }
}

impl Node<'_> {
    fn unwrite_comma(&self) {
        if let Some(out) = &self.walk.out {
            let mut out = out.borrow_mut();
            if out.last() == Some(&b',') {
                out.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<String, PayloadError> {
        checked_json(Bytes::from(text.to_owned())).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn ordinary_json_is_kept_byte_for_byte() {
        for text in [
            "{\"b\":1, \"a\":[true,null,\"x\"]}",
            " 42 ",
            "-9223372036854775808",
            "18446744073709551615",
            "0.1",
            "1.5e-300",
            "[]",
            "{}",
            "\"\\ud83d\\ude00\"",
        ] {
            assert_eq!(check(text).as_deref(), Ok(text), "{text}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(check(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(check(&deep), Err(PayloadError::TooDeep));
        let objects = format!("{}1{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert_eq!(check(&objects), Err(PayloadError::TooDeep));
        let huge = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(check(&huge), Err(PayloadError::TooDeep));
    }

    #[test]
    fn what_no_codec_carries_is_refused() {
        for text in [
            "1e999",
            "[-1e400]",
            "\"\\ud800\"",
            "{\"\\udc00\":1}",
            "{",
            "1 2",
            "",
        ] {
            assert!(
                matches!(check(text), Err(PayloadError::NotJson(_))),
                "{text}"
            );
        }
    }

    proptest::proptest! {
        /// MessagePack subscribers get the float serde_json reads from the
        /// text JSON subscribers get; both must be the correctly rounded
        /// value of that text (serde_json's `float_roundtrip`), or the two
        /// codecs deliver different numbers.
        #[test]
        fn floats_parse_to_the_correctly_rounded_value(
            mantissa in 1u64..100_000_000_000_000_000,
            exponent in -330i32..300,
        ) {
            let text = format!("{mantissa}e{exponent}");
            let exact: f64 = text.parse().unwrap_or(f64::NAN);
            if exact.is_finite() {
                let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                proptest::prop_assert_eq!(parsed.as_f64(), Some(exact), "{}", text);
            }
        }
    }

    #[test]
    fn wide_integers_become_the_float_msgpack_carries() {
        let text =
            "{\"z\":123456789012345678901234567890,\"a\":[1,-98765432109876543210],\"s\":\"x\"}";
        let rewritten = check(text).expect("accepted");
        assert_eq!(
            rewritten,
            "{\"z\":1.2345678901234568e+29,\"a\":[1,-9.876543210987654e+19],\"s\":\"x\"}"
        );
        let value: serde_json::Value = serde_json::from_str(&rewritten).expect("json");
        assert_eq!(value["z"].as_f64(), Some(1.2345678901234568e29));
        assert_eq!(check("[]").as_deref(), Ok("[]"));
        // Float literals that large are rewritten too (the same float).
        assert_eq!(check("[1.5e300,{}]").as_deref(), Ok("[1.5e+300,{}]"));
        assert!(is_json(b"[1e20]") && !is_json(b"1e999"));
    }
}
