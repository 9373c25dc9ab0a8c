//! [`audit`]: how a handler records a state-changing call in the audit log,
//! naming the caller as the log does. The batching writer behind it is
//! `audit_writer`; every route module and the dashboard call this one
//! function, so it lives beside them rather than inside one route.

use crate::caller::Caller;
use crate::state::AppState;

/// Records a state-changing call (written in the background, in batches).
pub(crate) async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: &str,
    result: &str,
) {
    state
        .audit
        .record(caller.actor(), action, target, result)
        .await;
}
