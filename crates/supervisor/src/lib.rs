//! Process supervision, the library of the `process-manager` binary and of
//! `asynchronio up`: supervises processes and runs pipeline stages as
//! `asynchronio.toml` declares, controlled only through Redis.
//!
//! * [`config`]: the file, parsed and checked into program specs;
//! * [`supervisor`]: every program and the commands that change them;
//! * [`instance`]: one supervised instance (restart policy, backoff, stop);
//! * [`spawn`]: starting a process in its own group, dying with the manager;
//! * [`ready`]: readiness probes;
//! * [`stage`]: a pipeline stage feeding a stdio processor;
//! * [`holds`]: the task that keeps stages' input history from trimming;
//! * [`statistics`]: the task that publishes the stages' figures;
//! * [`reporter`] and [`log_capture`]: states, events and logs into Redis;
//! * [`lines`]: reading children's output with a cap on line length;
//! * [`control`]: the command stream;
//! * [`strays`] and [`procfs`]: cleaning up after a killed manager, reading
//!   `/proc`.
//!
//! [`manager::run`] puts them together; the binary and `asynchronio up`
//! call it.

#![warn(missing_docs)]

pub mod config;
pub mod control;
pub mod holds;
pub mod instance;
pub mod lines;
pub mod log_capture;
pub mod manager;
pub mod metrics;
pub mod ready;
pub mod reporter;
pub mod spawn;
pub mod stage;
pub mod statistics;
pub mod strays;
pub mod supervisor;

/// Reading `/proc` lives in `asynchronio-service` (every service reports
/// its own memory on the Nodes page); re-exported for the manager's modules.
pub use asynchronio_service::procfs;
