//! The processes table as render frames: each instance is one row, rendered
//! from `fragments/process_row.html`; [`ProcessTable`] remembers what each
//! open page was last sent and turns a new set of states into the fewest
//! fragments (append new rows, replace changed ones, remove gone ones).

use std::collections::BTreeMap;

use asynchronio_protocol::process::InstanceState;
use asynchronio_protocol::render::{Fragment, RenderOp};
use tera::Context;

use crate::dashboard::templates::{TemplateError, Templates};

/// Id of the table body the rows live in.
pub const ROWS_TARGET: &str = "process-rows";

/// The row template.
const ROW_TEMPLATE: &str = "fragments/process_row.html";

/// What a row shows, formatted for people.
pub fn row_context(state: &InstanceState, now_ms: u64) -> serde_json::Value {
    let exit = match (state.exit_code, state.exit_signal) {
        (Some(code), _) => format!("code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => String::new(),
    };
    serde_json::json!({
        "id": row_id(state),
        "name": state.name,
        "instance": state.instance,
        "kind": state.kind,
        "pid": state.pid,
        "status": state.status.as_str(),
        "alive": state.status.is_alive(),
        "restarts": state.restarts,
        "uptime": duration(state.uptime_at(now_ms)),
        "cpu": format!("{:.1}%", state.cpu_percent),
        "memory": bytes(state.rss_bytes),
        "exit": exit,
    })
}

/// The element id of an instance's row (program names are restricted to
/// letters, digits and `-_.`, so the id is a valid render target).
pub fn row_id(state: &InstanceState) -> String {
    format!("proc-{}-{}", state.name, state.instance)
}

fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {}s", secs / 60, secs % 60),
        3600..86400 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86400, secs % 86400 / 3600),
    }
}

fn bytes(n: u64) -> String {
    match n {
        0 => "–".into(),
        1..1_048_576 => format!("{:.0} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// The rows last published, by row id.
#[derive(Debug, Default)]
pub struct ProcessTable {
    rows: BTreeMap<String, String>,
}

impl ProcessTable {
    /// Forgets what was sent (another replica may have published since).
    pub fn reset(&mut self) {
        self.rows.clear();
    }

    /// The fragments that bring a page showing the last rows to `states`.
    /// Rows this table has not sent are appended (which replaces a row of
    /// the same id already in the page), so a fresh publisher is safe.
    pub fn update(
        &mut self,
        templates: &Templates,
        states: &[InstanceState],
        now_ms: u64,
    ) -> Result<Vec<Fragment>, TemplateError> {
        let mut fragments = Vec::new();
        let mut current = BTreeMap::new();
        for state in states {
            let id = row_id(state);
            let mut context = Context::new();
            context.insert("row", &row_context(state, now_ms));
            let html = templates.render(ROW_TEMPLATE, &context)?;
            match self.rows.get(&id) {
                Some(sent) if *sent == html => {}
                Some(_) => fragments.push(Fragment {
                    target: id.clone(),
                    op: RenderOp::Replace,
                    html: html.clone(),
                }),
                None => fragments.push(Fragment {
                    target: ROWS_TARGET.into(),
                    op: RenderOp::Append,
                    html: html.clone(),
                }),
            }
            current.insert(id, html);
        }
        for gone in self.rows.keys().filter(|id| !current.contains_key(*id)) {
            fragments.push(Fragment {
                target: gone.clone(),
                op: RenderOp::Remove,
                html: String::new(),
            });
        }
        self.rows = current;
        Ok(fragments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asynchronio_protocol::process::{ProcessStatus, ProgramKind};

    fn state(name: &str, instance: u32, status: ProcessStatus) -> InstanceState {
        InstanceState {
            name: name.into(),
            instance,
            kind: ProgramKind::Process,
            pid: Some(10),
            status,
            exit_code: None,
            exit_signal: None,
            restarts: 0,
            started_ms: Some(1_000),
            uptime_ms: 0,
            cpu_percent: 0.5,
            rss_bytes: 2_000_000,
            updated_ms: 1_000,
            manager: "m".into(),
        }
    }

    #[test]
    fn updates_append_replace_and_remove_only_what_changed() {
        let templates = Templates::load(None).expect("templates");
        let mut table = ProcessTable::default();
        let first = table
            .update(
                &templates,
                &[
                    state("web", 0, ProcessStatus::Running),
                    state("web", 1, ProcessStatus::Running),
                ],
                5_000,
            )
            .expect("render");
        assert_eq!(first.len(), 2);
        assert!(
            first
                .iter()
                .all(|f| f.op == RenderOp::Append && f.target == ROWS_TARGET)
        );
        assert!(
            first[0].html.contains("id=\"proc-web-0\""),
            "{}",
            first[0].html
        );

        let second = table
            .update(
                &templates,
                &[state("web", 0, ProcessStatus::Stopped)],
                5_000,
            )
            .expect("render");
        assert_eq!(second.len(), 2, "{second:?}");
        assert_eq!(
            (second[0].op, second[0].target.as_str()),
            (RenderOp::Replace, "proc-web-0")
        );
        assert!(second[0].html.contains("stopped"));
        assert_eq!(
            (second[1].op, second[1].target.as_str()),
            (RenderOp::Remove, "proc-web-1")
        );

        let unchanged = table
            .update(
                &templates,
                &[state("web", 0, ProcessStatus::Stopped)],
                5_000,
            )
            .expect("render");
        assert!(unchanged.is_empty());
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(duration(59_999), "59s");
        assert_eq!(duration(61_000), "1m 1s");
        assert_eq!(duration(7_260_000), "2h 1m");
        assert_eq!(bytes(0), "–");
        assert_eq!(bytes(2048), "2 KiB");
        assert_eq!(bytes(3 * 1_048_576), "3.0 MiB");
    }
}
