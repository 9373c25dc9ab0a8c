//! Table definitions. Times are milliseconds since the Unix epoch, which
//! every backend stores the same way.

pub mod api_key;
pub mod archived_message;
pub mod audit_log;
