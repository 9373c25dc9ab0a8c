//! Reading the loosely typed replies of scripts and stream commands.

use bytes::Bytes;
use fred::types::Value;

use crate::error::BusError;

pub(crate) fn unexpected(what: &'static str, value: &Value) -> BusError {
    BusError::UnexpectedReply {
        what,
        detail: format!("{value:?}"),
    }
}

pub(crate) fn as_u64(what: &'static str, value: &Value) -> Result<u64, BusError> {
    match value {
        Value::Integer(i) if *i >= 0 => Ok(*i as u64),
        Value::String(s) => s.parse().map_err(|_| unexpected(what, value)),
        Value::Bytes(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected(what, value)),
        _ => Err(unexpected(what, value)),
    }
}

pub(crate) fn as_string(what: &'static str, value: &Value) -> Result<String, BusError> {
    match value {
        Value::String(s) => Ok(s.to_string()),
        Value::Bytes(b) => String::from_utf8(b.to_vec()).map_err(|_| unexpected(what, value)),
        _ => Err(unexpected(what, value)),
    }
}

pub(crate) fn as_bytes(what: &'static str, value: &Value) -> Result<Bytes, BusError> {
    match value {
        Value::Bytes(b) => Ok(b.clone()),
        Value::String(s) => Ok(s.inner().clone()),
        _ => Err(unexpected(what, value)),
    }
}

/// A stream entry as Redis returns it: id and field/value pairs.
pub(crate) type RawEntry = (String, Vec<(String, Value)>);

/// Reads the stream entries of an `XRANGE`/`XREADGROUP` reply.
pub(crate) fn stream_entries(what: &'static str, value: Value) -> Result<Vec<RawEntry>, BusError> {
    let Value::Array(entries) = value else {
        if matches!(value, Value::Null) {
            return Ok(Vec::new());
        }
        return Err(unexpected(what, &value));
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Array(mut pair) = entry else {
            return Err(unexpected(what, &entry));
        };
        if pair.len() != 2 {
            return Err(unexpected(what, &Value::Array(pair)));
        }
        let fields_value = pair.pop().unwrap_or(Value::Null);
        let id = as_string(what, &pair[0])?;
        let fields = match fields_value {
            Value::Array(flat) => {
                let mut fields = Vec::with_capacity(flat.len() / 2);
                let mut iter = flat.into_iter();
                while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
                    fields.push((as_string(what, &k)?, v));
                }
                fields
            }
            Value::Map(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (k, v) in map.inner() {
                    let key = k
                        .as_str()
                        .map(|s| s.to_string())
                        .ok_or_else(|| unexpected(what, &v))?;
                    fields.push((key, v));
                }
                fields
            }
            // A deleted entry still listed in a consumer group's pending list.
            Value::Null => Vec::new(),
            other => return Err(unexpected(what, &other)),
        };
        out.push((id, fields));
    }
    Ok(out)
}

/// The offset encoded in a channel stream entry id (`{offset}-0`).
pub(crate) fn offset_of_entry_id(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}
