//! A pipeline stage's health: the one rule the manager applies and the CLI
//! (`asynchronio pipelines`), the REST API (`GET /api/v1/pipelines`) and
//! the dashboard's flowchart show, so a stage that loses messages to errors
//! never looks green anywhere.

use serde::{Deserialize, Serialize};

/// How long the rule looks back.
pub const HEALTH_WINDOW_SECS: u64 = 60;

/// A stage's health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageHealth {
    /// Nothing failed in the last minute, and it runs as wanted.
    #[default]
    Ok,
    /// Some messages failed or were dead-lettered in the last minute, fewer
    /// than succeeded.
    Degraded,
    /// No instance runs while one is wanted, or in the last minute at least
    /// as many messages failed as succeeded.
    Failing,
}

/// What became of a stage's messages over the last [`HEALTH_WINDOW_SECS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageWindow {
    /// Messages acknowledged.
    pub processed: u64,
    /// Error answers, timeouts and processor crashes with messages in
    /// flight.
    pub errors: u64,
    /// Messages moved to the dead-letter stream.
    pub dead_lettered: u64,
}

impl StageHealth {
    /// The rule: a stage that should run and does not, or whose failures
    /// in `window` are at least its successes, is failing; one with any
    /// failure or dead letter in `window` is degraded; else it is ok.
    pub fn judge(window: StageWindow, wanted: u32, running: u32) -> StageHealth {
        let failures = window.errors.max(window.dead_lettered);
        if (wanted > 0 && running == 0) || (failures > 0 && failures >= window.processed) {
            StageHealth::Failing
        } else if failures > 0 {
            StageHealth::Degraded
        } else {
            StageHealth::Ok
        }
    }

    /// The word the CLI and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            StageHealth::Ok => "ok",
            StageHealth::Degraded => "degraded",
            StageHealth::Failing => "failing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(processed: u64, errors: u64, dead_lettered: u64) -> StageWindow {
        StageWindow {
            processed,
            errors,
            dead_lettered,
        }
    }

    #[test]
    fn the_rule() {
        use StageHealth::*;
        assert_eq!(StageHealth::judge(window(0, 0, 0), 1, 1), Ok);
        assert_eq!(StageHealth::judge(window(500, 0, 0), 2, 2), Ok);
        // Stopped on purpose is not failing.
        assert_eq!(StageHealth::judge(window(0, 0, 0), 0, 0), Ok);
        assert_eq!(StageHealth::judge(window(20, 3, 0), 1, 1), Degraded);
        assert_eq!(StageHealth::judge(window(20, 0, 1), 1, 1), Degraded);
        assert_eq!(StageHealth::judge(window(20, 20, 0), 1, 1), Failing);
        assert_eq!(StageHealth::judge(window(0, 44, 11), 1, 1), Failing);
        assert_eq!(StageHealth::judge(window(100, 0, 0), 1, 0), Failing);
    }

    #[test]
    fn it_reads_as_a_lowercase_word() {
        assert_eq!(
            serde_json::to_string(&StageHealth::Degraded).expect("json"),
            "\"degraded\""
        );
        assert_eq!(StageHealth::Failing.as_str(), "failing");
    }
}
