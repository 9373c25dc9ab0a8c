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

/// Prefix of the system channels that carry render frames (HTML fragments
/// for the dashboard's pages) rather than data; a subset of the system
/// channels.
pub const RENDER_PREFIX: &str = "$sys:render:";

/// Who a channel is for, decided by its name alone: ask [`kind_of`] (or
/// [`ChannelName::kind`]) rather than testing prefixes.
///
/// Serialises as its [`name`](ChannelKind::name) (`"system"`, `"private"`,
/// `"public"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// `$sys:…`: written only by Asynchronio, read only with admin rights.
    System,
    /// `private:…`: read only with a grant.
    Private,
    /// Everything else: open to read unless a deployment requires tokens.
    Public,
}

impl ChannelKind {
    /// Every kind, the ones with a prefix first (in the order names are
    /// tested).
    pub const ALL: [ChannelKind; 3] = [
        ChannelKind::System,
        ChannelKind::Private,
        ChannelKind::Public,
    ];

    /// The prefix that makes a name this kind; `None` for
    /// [`ChannelKind::Public`], the kind of every name without one.
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            ChannelKind::System => Some(SYSTEM_PREFIX),
            ChannelKind::Private => Some(PRIVATE_PREFIX),
            ChannelKind::Public => None,
        }
    }

    /// The kind's name in lower case, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::System => "system",
            ChannelKind::Private => "private",
            ChannelKind::Public => "public",
        }
    }

    /// The kinds as clients that must tell them apart themselves (the
    /// dashboard's scripts) read them: `[{"kind":"system","prefix":"$sys:"},
    /// {"kind":"private","prefix":"private:"}]`; a name with none of these
    /// prefixes is public.
    pub fn prefixes() -> Vec<KindPrefix> {
        ChannelKind::ALL
            .into_iter()
            .filter_map(|kind| kind.prefix().map(|prefix| KindPrefix { kind, prefix }))
            .collect()
    }
}

/// One kind and the prefix that marks it, for clients (see
/// [`ChannelKind::prefixes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KindPrefix {
    /// The kind a name with `prefix` has.
    pub kind: ChannelKind,
    /// The prefix.
    pub prefix: &'static str,
}

/// The whole kind rule as clients read it (the dashboard's pages put it in
/// `<body data-channel-kinds>`): a name has the kind of the first rule whose
/// prefix it starts with, else `default`. Serialises as
/// `{"rules":[{"kind":"system","prefix":"$sys:"},{"kind":"private","prefix":"private:"}],"default":"public"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KindRules {
    /// Each prefix and its kind, in the order they are tested.
    pub rules: Vec<KindPrefix>,
    /// The kind of a name no prefix matches.
    pub default: ChannelKind,
}

/// The rule [`kind_of`] applies, for clients (see [`KindRules`]).
pub fn kind_rules() -> KindRules {
    KindRules {
        rules: ChannelKind::prefixes(),
        default: ChannelKind::Public,
    }
}

/// The kind of the channel named `name`.
///
/// Token patterns are read the same way: a pattern's kind is that of the
/// channels its prefix names (`$sys:*` is a system pattern). Access checks
/// decide on the channel itself, so a pattern such as `*` never reaches a
/// system channel without admin rights.
pub fn kind_of(name: &str) -> ChannelKind {
    ChannelKind::ALL
        .into_iter()
        .find(|kind| kind.prefix().is_some_and(|prefix| name.starts_with(prefix)))
        .unwrap_or(ChannelKind::Public)
}

/// Whether the channel named `name` carries render frames
/// ([`RENDER_PREFIX`]).
pub fn is_render_channel(name: &str) -> bool {
    name.starts_with(RENDER_PREFIX)
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
    /// The name is empty.
    #[error("channel name is empty; give a name such as \"news\"")]
    Empty,
    /// The name is longer than the deployment allows.
    #[error("channel name is {len} bytes long; the limit is {max}")]
    TooLong {
        /// The name's length, in bytes.
        len: usize,
        /// The longest accepted, in bytes.
        max: usize,
    },
    /// The name has a character outside the channel alphabet.
    #[error(
        "channel name contains {found:?}; use only letters, digits and _ - . : @ / = $ (no spaces or braces)"
    )]
    BadCharacter {
        /// The first such character.
        found: char,
    },
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

    /// Who the channel is for: the one rule every access check asks.
    pub fn kind(&self) -> ChannelKind {
        kind_of(&self.0)
    }

    /// Whether the channel carries render frames (see [`is_render_channel`]).
    pub fn is_render(&self) -> bool {
        is_render_channel(&self.0)
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

/// The characters a channel name may hold, as an HTML `pattern` attribute
/// (the dashboard's channel inputs). Browsers compile it with the `v` flag,
/// where `/` and `-` must be escaped inside a class.
pub const NAME_PATTERN: &str = r"[A-Za-z0-9_.:@\/=$\-]+";

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
        assert_eq!(kind_of("$sys:*"), ChannelKind::System);
        assert_eq!(kind_of(RENDER_PREFIX), ChannelKind::System);
        assert!(is_render_channel("$sys:render:processes"));
        assert!(!is_render_channel("$sys:processes"));
    }

    #[test]
    fn clients_read_the_kinds_as_json() {
        assert_eq!(
            serde_json::to_string(&ChannelKind::prefixes()).expect("json"),
            r#"[{"kind":"system","prefix":"$sys:"},{"kind":"private","prefix":"private:"}]"#
        );
        let rules = kind_rules();
        assert_eq!(
            serde_json::to_value(&rules).expect("json")["default"],
            "public"
        );
        for rule in &rules.rules {
            assert_eq!(kind_of(rule.prefix), rule.kind);
        }
        assert_eq!(kind_of(""), rules.default);
        for kind in ChannelKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                serde_json::json!(kind.name())
            );
        }
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

    #[test]
    fn the_html_pattern_allows_exactly_the_channel_characters() {
        // The class's members, read from the pattern itself.
        let class = NAME_PATTERN
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix("]+"))
            .expect("one class, repeated");
        let mut members = Vec::new();
        let mut chars = class.chars().peekable();
        while let Some(c) = chars.next() {
            let c = if c == '\\' {
                chars.next().expect("escaped")
            } else {
                c
            };
            if chars.peek() == Some(&'-') && c.is_ascii_alphanumeric() {
                chars.next();
                let end = chars.next().expect("range end");
                members.extend(c..=end);
            } else {
                members.push(c);
            }
        }
        for c in (0u8..128).map(char::from) {
            assert_eq!(members.contains(&c), is_channel_char(c), "{c:?}");
        }
    }
}
