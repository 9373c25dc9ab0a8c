//! Channel names: what characters they may hold and how long they may be.
//!
//! A channel name ends up inside Redis key names as a Cluster hash tag
//! (`{news}`), so braces are never allowed; everything else outside a small,
//! URL- and shell-safe alphabet is refused too, so names survive being put in
//! paths, logs and key patterns unchanged.

use std::fmt;
use std::sync::Arc;

/// The default longest channel name, in bytes.
pub const DEFAULT_MAX_CHANNEL_LEN: usize = 255;

/// Prefix of the channels Asynchronio itself writes (process states, logs,
/// pipeline figures): only admins read them and nobody outside publishes.
pub const SYSTEM_PREFIX: &str = "$sys:";

/// Prefix of channels that need a grant to read: a token pattern or a key
/// with the read scope.
pub const PRIVATE_PREFIX: &str = "private:";

/// Who a channel is for, decided by its name alone: ask [`kind_of`] (or
/// [`ChannelName::kind`]) rather than testing prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// `$sys:…`: written only by Asynchronio, read only with admin rights.
    System,
    /// `private:…`: read only with a grant.
    Private,
    /// Everything else: open to read unless a deployment requires tokens.
    Public,
}

/// The kind of the channel named `name`.
pub fn kind_of(name: &str) -> ChannelKind {
    if name.starts_with(SYSTEM_PREFIX) {
        ChannelKind::System
    } else if name.starts_with(PRIVATE_PREFIX) {
        ChannelKind::Private
    } else {
        ChannelKind::Public
    }
}

/// Limits a deployment applies to channel names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRules {
    /// Longest accepted name, in bytes.
    pub max_len: usize,
}

impl Default for ChannelRules {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_CHANNEL_LEN,
        }
    }
}

/// Why a channel name was refused; the message tells the user what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("channel name is empty; give a name such as \"news\"")]
    Empty,
    #[error("channel name is {len} bytes long; the limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error(
        "channel name contains {found:?}; use only letters, digits and _ - . : @ / = $ (no spaces or braces)"
    )]
    BadCharacter { found: char },
}

/// A validated channel name, cheap to clone (it is shared between every
/// subscriber of the channel).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(Arc<str>);

impl ChannelName {
    /// Checks `name` against `rules` and the channel alphabet.
    pub fn parse(name: &str, rules: &ChannelRules) -> Result<Self, ChannelError> {
        validate(name, rules)?;
        Ok(Self(Arc::from(name)))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Who the channel is for.
    pub fn kind(&self) -> ChannelKind {
        kind_of(&self.0)
    }

    /// The shared text, for callers that keep it beside other shared data.
    pub fn as_arc(&self) -> &Arc<str> {
        &self.0
    }
}

/// Checks a channel name without allocating.
pub fn validate(name: &str, rules: &ChannelRules) -> Result<(), ChannelError> {
    if name.is_empty() {
        return Err(ChannelError::Empty);
    }
    if name.len() > rules.max_len {
        return Err(ChannelError::TooLong {
            len: name.len(),
            max: rules.max_len,
        });
    }
    match name.chars().find(|c| !is_channel_char(*c)) {
        Some(found) => Err(ChannelError::BadCharacter { found }),
        None => Ok(()),
    }
}

fn is_channel_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@' | '/' | '=' | '$')
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for ChannelName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usual_names() {
        let rules = ChannelRules::default();
        for name in ["news", "private:orders.eu", "$sys:processes", "a/b=c@d-e_f"] {
            assert!(ChannelName::parse(name, &rules).is_ok(), "{name}");
        }
    }

    #[test]
    fn kinds_come_from_the_prefix() {
        assert_eq!(kind_of("$sys:processes"), ChannelKind::System);
        assert_eq!(kind_of("private:u:1"), ChannelKind::Private);
        assert_eq!(kind_of("news"), ChannelKind::Public);
        assert_eq!(kind_of("sys:x"), ChannelKind::Public);
        assert_eq!(kind_of("privatex"), ChannelKind::Public);
    }

    #[test]
    fn refuses_bad_names() {
        let rules = ChannelRules { max_len: 8 };
        assert_eq!(validate("", &rules), Err(ChannelError::Empty));
        assert_eq!(
            validate("123456789", &rules),
            Err(ChannelError::TooLong { len: 9, max: 8 })
        );
        assert_eq!(
            validate("a{b}", &rules),
            Err(ChannelError::BadCharacter { found: '{' })
        );
        assert_eq!(
            validate("a b", &rules),
            Err(ChannelError::BadCharacter { found: ' ' })
        );
        assert_eq!(
            validate("é", &rules),
            Err(ChannelError::BadCharacter { found: 'é' })
        );
    }
}
