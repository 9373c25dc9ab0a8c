//! The project's own hostile-input suite: every defect found by attacking
//! the stack, each surface it came from (scopes × endpoints, token tricks,
//! handshake violations, processor output, config), against the real
//! services and a real `redis-server`.
//!
//! Every case ends with [`asynchronio_e2e::Watch::finish`]: a witness
//! subscribed through the attacked gateway must still have received every
//! message, once and in order.
//!
//! One module per surface:
//! - `rest`: the REST API and dashboard (scopes, tokens, cache, login);
//! - `crowds`: hostile clients by the thousand at one gateway, all at once;
//! - `gateway`: the WebSocket gateway (handshakes, limits, expiry, codecs);
//! - `manager`: the process manager (output lines, processors, config);
//! - `shutdown`: every service stops within its grace period, Redis or not.

mod crowds;
mod gateway;
mod manager;
mod rest;
mod shutdown;
