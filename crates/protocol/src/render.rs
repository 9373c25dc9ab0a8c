//! Render frames: HTML fragments a server pushes into a page over the
//! WebSocket (the "WebSocket rendering engine").
//!
//! A render is published like any message, on any channel, with the
//! [`RENDER_HEADER`] header and a JSON payload [`Fragment`]. Because it is a
//! message it has an offset, is kept in history and is recovered after a
//! reconnect like every other message, so a page that was rendered at
//! offset N and subscribes from N ends up in the same state as the server.
//! The gateway delivers it as a `render` frame instead of a `message`
//! frame; the browser client applies it to the element it names.
//!
//! A caller's fragment (the REST API's render endpoint) has its HTML
//! cleaned by `sanitize` (feature `sanitize`) before it is published; the
//! dashboard's own fragments come from its templates, which escape what
//! they print.

#[cfg(feature = "sanitize")]
pub mod sanitize;

use serde::{Deserialize, Serialize};

/// Header that marks an envelope's payload as a [`Fragment`].
pub const RENDER_HEADER: &str = "asynchronio-render";

/// Longest target id accepted, in bytes.
pub const MAX_TARGET_LEN: usize = 200;

/// What to do with a fragment's HTML at its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenderOp {
    /// The target element is replaced by the HTML.
    Replace,
    /// The HTML is appended inside the target; an appended element whose id
    /// is already in the page replaces that element instead, so replaying a
    /// frame never duplicates anything.
    Append,
    /// The target element is removed (the HTML is ignored).
    Remove,
    /// The HTML is inserted just before the target element (which keeps a
    /// list in order); like [`RenderOp::Append`], an inserted element whose
    /// id is already in the page replaces that element instead.
    Before,
}

/// One change to a page: the element with id `target`, what to do there,
/// and the (already escaped, already rendered) HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    /// The id of the element changed (never a selector).
    pub target: String,
    /// What is done there.
    pub op: RenderOp,
    /// The HTML (empty for [`RenderOp::Remove`]).
    #[serde(default)]
    pub html: String,
}

/// Why a fragment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// The target is not an element id.
    #[error(
        "target must be an element id of 1 to {MAX_TARGET_LEN} characters (letters, digits, - _ : .)"
    )]
    BadTarget,
    /// The fragment is not JSON of the expected shape.
    #[error("{0}")]
    Json(String),
}

impl Fragment {
    /// Checks the target: an element id, never a selector, so a fragment
    /// can only touch the element it names.
    pub fn validate(&self) -> Result<(), FragmentError> {
        let ok = !self.target.is_empty()
            && self.target.len() <= MAX_TARGET_LEN
            && self
                .target
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
        if ok {
            Ok(())
        } else {
            Err(FragmentError::BadTarget)
        }
    }

    /// The JSON payload published for this fragment.
    pub fn to_payload(&self) -> Result<Vec<u8>, FragmentError> {
        self.validate()?;
        serde_json::to_vec(self).map_err(|e| FragmentError::Json(e.to_string()))
    }

    /// The draft that publishes this fragment on `channel`.
    pub fn draft(&self, channel: &str) -> Result<crate::EnvelopeDraft, FragmentError> {
        let mut draft = crate::EnvelopeDraft::new(channel, bytes::Bytes::from(self.to_payload()?));
        draft
            .headers
            .push((RENDER_HEADER.to_owned(), "1".to_owned()));
        Ok(draft)
    }

    /// Whether an envelope's headers mark it as a render.
    pub fn is_render(headers: &[(String, String)]) -> bool {
        headers.iter().any(|(name, _)| name == RENDER_HEADER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_ids_not_selectors() {
        let fragment = |target: &str| Fragment {
            target: target.into(),
            op: RenderOp::Replace,
            html: String::new(),
        };
        assert!(fragment("proc-web-0").validate().is_ok());
        assert!(fragment("a.b:c_d").validate().is_ok());
        for bad in ["", "#x", "a b", "x\"]", &"x".repeat(201)] {
            assert_eq!(
                fragment(bad).validate(),
                Err(FragmentError::BadTarget),
                "{bad}"
            );
        }
    }

    #[test]
    fn payload_round_trips_and_refuses_unknown_fields() {
        let fragment = Fragment {
            target: "rows".into(),
            op: RenderOp::Append,
            html: "<tr id=\"r1\"><td>&lt;script&gt;</td></tr>".into(),
        };
        let payload = fragment.to_payload().expect("encode");
        let back: Fragment = serde_json::from_slice(&payload).expect("decode");
        assert_eq!(back, fragment);
        assert!(serde_json::from_str::<Fragment>(r#"{"target":"a","op":"swap"}"#).is_err());
        assert!(serde_json::from_str::<Fragment>(r#"{"target":"a","op":"remove","x":1}"#).is_err());
    }
}
