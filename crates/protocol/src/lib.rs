//! Wire formats of Asynchronio, and nothing else.
//!
//! This crate is the only place that knows how bytes look on the wire:
//!
//! * [`envelope`]: the MessagePack [`Envelope`] stored in a channel's Redis
//!   stream and published on its delivery topic;
//! * [`script`]: the Redis-side half of that format (the Lua publish script
//!   appends the fields only Redis can assign: time, offset, epoch);
//! * [`cache`]: a cross-domain cache entry as Redis keeps it;
//! * [`dead_letter`]: a pipeline stage's dead letters as Redis keeps them;
//! * [`login`]: dashboard logins as Redis keeps them;
//! * [`keys`]: every Redis key and topic name, under one prefix, with the
//!   channel as a Redis Cluster hash tag;
//! * [`client`] and [`codec`]: the frames browsers and services exchange with
//!   the WebSocket gateway, in JSON or MessagePack;
//! * [`presence`]: join/leave events between gateways and to clients;
//! * [`process`]: commands to the process manager, instance states and
//!   pipeline statistics (the channels they travel on are in [`system`]);
//! * [`node`]: the heartbeat every service replica publishes for the
//!   dashboard's Nodes page;
//! * [`payload`]: which JSON payloads are accepted, and the form they are
//!   stored in so that both codecs deliver the same value;
//! * [`render`]: HTML fragments pushed into pages (`render` frames);
//! * [`secret`]: comparing secrets in constant time;
//! * [`stage_health`]: a pipeline stage's health, the one rule;
//! * [`stdio`]: the lines a pipeline stage and its processor exchange;
//! * [`system`]: every name Asynchronio gives itself (system channels,
//!   consumer groups, holders, pipeline output idempotency keys);
//! * [`token`]: the client connection tokens (JWT) the REST API issues and
//!   the gateway verifies;
//! * [`trace`]: the W3C trace context a message carries in its envelope
//!   headers, checked wherever it comes in;
//! * [`clock`]: the one wall clock (milliseconds since the epoch);
//! * [`channel`] and [`position`]: channel names, their kinds (system,
//!   private, public: [`ChannelName::kind`], the one rule), and stream
//!   positions (offset plus epoch) as clients see them.
//!
//! Services never build these bytes themselves; they call into this crate.

#![warn(missing_docs)]

pub mod cache;
pub mod channel;
pub mod client;
pub mod clock;
pub mod codec;
pub mod dead_letter;
pub mod envelope;
pub mod keys;
pub mod login;
pub mod node;
pub mod payload;
pub mod position;
pub mod presence;
pub mod process;
pub mod render;
pub mod script;
pub mod secret;
pub mod stage_health;
pub mod stdio;
pub mod system;
pub mod token;
pub mod trace;

pub use channel::{ChannelError, ChannelKind, ChannelName, ChannelRules};
pub use client::{ClientFrame, ErrorCode, ServerFrame, Since};
pub use codec::{Codec, DecodeError, OutboundFrame};
pub use envelope::{ContentType, Envelope, EnvelopeDraft, EnvelopeError};
pub use keys::Keys;
pub use payload::{MAX_JSON_DEPTH, PayloadError, checked_json};
pub use position::{Epoch, Offset, OffsetParseError};
