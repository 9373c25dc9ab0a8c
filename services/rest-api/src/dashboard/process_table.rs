//! The processes table as render frames: one row per program
//! (`fragments/program_row.html`: its instances summed up, the program-wide
//! actions), followed by one row per instance (`fragments/process_row.html`:
//! its own figures and restart), which the page shows when the program is
//! expanded. [`ProcessTable`] remembers what each open page was last sent
//! and turns a new set of states into the fewest fragments (insert new rows
//! in their place, replace changed ones, remove gone ones). Rows are ordered
//! by program name, the program's row first, then instance number.

use std::collections::BTreeMap;

use asynchronio_protocol::process::{InstanceState, ProcessStatus};
use asynchronio_protocol::render::{Fragment, RenderOp};
use tera::Context;

use crate::dashboard::templates::{TemplateError, Templates};

/// Id of the table body the rows live in.
pub const ROWS_TARGET: &str = "process-rows";

/// The row template.
const ROW_TEMPLATE: &str = "fragments/process_row.html";

/// The program row template.
const PROGRAM_TEMPLATE: &str = "fragments/program_row.html";

/// What stopping (or restarting) a program of the stack `asynchronio up`
/// starts does to everyone, said before the operator confirms it.
fn impact(program: &str) -> Option<&'static str> {
    match program {
        "redis" => Some(
            "Every service loses Redis: publishing, delivery and this dashboard stop until it is back.",
        ),
        "ws-gateway" => {
            Some("Every WebSocket client is disconnected, this dashboard's live updates included.")
        }
        "rest-api" => Some(
            "The REST API and this dashboard stop answering; start it again from a shell (asynchronio start rest-api).",
        ),
        "redis-bridge" => Some(
            "Messages published straight to Redis (PUBLISH, the ingest stream) stop reaching subscribers.",
        ),
        _ => None,
    }
}

/// What a row shows, formatted for people. A program that is not running
/// shows "–" for uptime, CPU and memory, not figures that look live.
pub fn row_context(state: &InstanceState, now_ms: u64) -> serde_json::Value {
    let alive = state.status.is_alive();
    let live = |figure: String| if alive { figure } else { "–".to_owned() };
    let exit = last_exit(state);
    serde_json::json!({
        "id": row_id(state),
        "name": state.name,
        "instance": state.instance,
        "kind": state.kind,
        "pid": state.pid,
        "status": state.status.as_str(),
        "alive": alive,
        "restarts": state.restarts,
        "uptime": live(duration(state.uptime_at(now_ms))),
        "cpu": live(format!("{:.1}%", state.cpu_percent)),
        "memory": live(bytes(state.rss_bytes)),
        "exit": exit,
        "impact": impact(&state.name).unwrap_or_default(),
    })
}

/// An instance's last exit for people: how, when (UTC), and what came of
/// it ("exited with code 1 at 12:01:02 UTC, restarted"); empty when it
/// never ended on its own.
fn last_exit(state: &InstanceState) -> String {
    let Some(exit) = state.last_exit else {
        return String::new();
    };
    let secs = exit.at_ms / 1000;
    let at = format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    );
    let after = match state.status {
        ProcessStatus::Running | ProcessStatus::Starting if state.restarts > 0 => ", restarted",
        ProcessStatus::Backoff => ", restarting after a pause",
        ProcessStatus::Fatal => ", given up: it kept failing",
        _ => "",
    };
    format!("{} at {at}{after}", exit.describe())
}

/// What a program's row shows: its instances summed up. `states` are the
/// program's instances (at least one).
pub fn program_context(states: &[&InstanceState], now_ms: u64) -> serde_json::Value {
    let Some(first) = states.first() else {
        return serde_json::Value::Null;
    };
    let alive: Vec<&&InstanceState> = states.iter().filter(|s| s.status.is_alive()).collect();
    let running = states
        .iter()
        .filter(|s| s.status == ProcessStatus::Running)
        .count();
    // Every instance in one status: that one; else the worst of them.
    let status = if states.iter().all(|s| s.status == first.status) {
        first.status.as_str()
    } else {
        states
            .iter()
            .map(|s| s.status)
            .max_by_key(|status| severity(*status))
            .map_or("running", |status| status.as_str())
    };
    let latest_exit = states
        .iter()
        .filter(|s| s.last_exit.is_some())
        .max_by_key(|s| s.last_exit.map(|exit| exit.at_ms))
        .map(|s| format!("#{}: {}", s.instance, last_exit(s)))
        .unwrap_or_default();
    let cpu: f32 = alive.iter().map(|s| s.cpu_percent).sum();
    let memory: u64 = alive.iter().map(|s| s.rss_bytes).sum();
    let uptime = alive.iter().map(|s| s.uptime_at(now_ms)).max();
    let figure = |text: String| {
        if alive.is_empty() {
            "–".to_owned()
        } else {
            text
        }
    };
    serde_json::json!({
        "id": program_id(&first.name),
        "name": first.name,
        "kind": first.kind,
        "instances": states.len(),
        "running": running,
        "status": status,
        "alive": !alive.is_empty(),
        "restarts": states.iter().map(|s| u64::from(s.restarts)).sum::<u64>(),
        "uptime": figure(duration(uptime.unwrap_or(0))),
        "cpu": figure(format!("{cpu:.1}%")),
        "memory": figure(bytes(memory)),
        // Plain numbers for the page's sparklines.
        "cpu_value": format!("{cpu:.1}"),
        "rss_value": memory,
        "exit": latest_exit,
        "impact": impact(&first.name).unwrap_or_default(),
    })
}

/// How bad a status is, for a program whose instances differ.
fn severity(status: asynchronio_protocol::process::ProcessStatus) -> u8 {
    use asynchronio_protocol::process::ProcessStatus::*;
    match status {
        Running => 0,
        Stopped => 1,
        Starting => 2,
        Stopping => 3,
        Backoff => 4,
        Exited => 5,
        Fatal => 6,
    }
}

/// The element id of a program's row.
pub fn program_id(name: &str) -> String {
    format!("prog-{name}")
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

/// Rows in table order, keyed by (program, instance; the program's own row
/// has none, so it comes first): each row's element id and HTML.
pub type Rows = BTreeMap<(String, Option<u32>), (String, String)>;

/// The rows last published.
#[derive(Debug, Default)]
pub struct ProcessTable {
    rows: Rows,
}

/// Every row of `states` (sorted by program, then instance): a program's
/// row, then its instances', each with its key, id and HTML.
pub fn render_rows(
    templates: &Templates,
    states: &[InstanceState],
    now_ms: u64,
) -> Result<Rows, TemplateError> {
    let mut rows = BTreeMap::new();
    let mut programs: BTreeMap<&str, Vec<&InstanceState>> = BTreeMap::new();
    for state in states {
        programs.entry(state.name.as_str()).or_default().push(state);
    }
    for (name, instances) in programs {
        let mut context = Context::new();
        context.insert("program", &program_context(&instances, now_ms));
        let html = templates.render(PROGRAM_TEMPLATE, &context)?;
        rows.insert((name.to_owned(), None), (program_id(name), html));
        for state in instances {
            let mut context = Context::new();
            context.insert("row", &row_context(state, now_ms));
            let html = templates.render(ROW_TEMPLATE, &context)?;
            rows.insert(
                (name.to_owned(), Some(state.instance)),
                (row_id(state), html),
            );
        }
    }
    Ok(rows)
}

impl ProcessTable {
    /// Forgets what was sent (another replica may have published since).
    pub fn reset(&mut self) {
        self.rows.clear();
    }

    /// The fragments that bring a page showing the last rows to `states`.
    /// A row this table has not sent goes before the next row in order it
    /// has sent, or at the end; either way it replaces a row of the same
    /// id already in the page, so a fresh publisher is safe.
    pub fn update(
        &mut self,
        templates: &Templates,
        states: &[InstanceState],
        now_ms: u64,
    ) -> Result<Vec<Fragment>, TemplateError> {
        let mut fragments = Vec::new();
        let current = render_rows(templates, states, now_ms)?;
        for (key, (id, _)) in &self.rows {
            if !current.contains_key(key) {
                fragments.push(Fragment {
                    target: id.clone(),
                    op: RenderOp::Remove,
                    html: String::new(),
                });
            }
        }
        // From the last row up, so that the row a new one goes before is
        // already in the page: sent before, or inserted by this update.
        let mut next_id: Option<&String> = None;
        for (key, (id, html)) in current.iter().rev() {
            match self.rows.get(key) {
                Some((_, sent)) if sent == html => {}
                Some(_) => fragments.push(Fragment {
                    target: id.clone(),
                    op: RenderOp::Replace,
                    html: html.clone(),
                }),
                None => fragments.push(match next_id {
                    Some(next) => Fragment {
                        target: next.clone(),
                        op: RenderOp::Before,
                        html: html.clone(),
                    },
                    None => Fragment {
                        target: ROWS_TARGET.into(),
                        op: RenderOp::Append,
                        html: html.clone(),
                    },
                }),
            }
            next_id = Some(id);
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
            last_exit: None,
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
        // From the end up: the last row appended, each one before it placed
        // before it, the program's row first.
        assert_eq!(
            first
                .iter()
                .map(|f| (f.op, f.target.as_str()))
                .collect::<Vec<_>>(),
            [
                (RenderOp::Append, ROWS_TARGET),
                (RenderOp::Before, "proc-web-1"),
                (RenderOp::Before, "proc-web-0"),
            ]
        );
        assert!(
            first[2].html.contains("id=\"prog-web\""),
            "{}",
            first[2].html
        );
        assert!(first[2].html.contains("2/2"), "{}", first[2].html);

        let second = table
            .update(
                &templates,
                &[state("web", 0, ProcessStatus::Stopped)],
                5_000,
            )
            .expect("render");
        assert_eq!(
            second
                .iter()
                .map(|f| (f.op, f.target.as_str()))
                .collect::<Vec<_>>(),
            [
                (RenderOp::Remove, "proc-web-1"),
                (RenderOp::Replace, "proc-web-0"),
                (RenderOp::Replace, "prog-web"),
            ]
        );
        assert!(second[1].html.contains("stopped"));
        // Not running: no figures that look live, and no restart.
        assert!(!second[1].html.contains("0.5%"), "{}", second[1].html);
        assert!(!second[1].html.contains("restart-instance"));
        assert!(second[2].html.contains("0/1") && second[2].html.contains("data-action=\"start\""));

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
    fn new_rows_go_in_their_place_not_at_the_bottom() {
        let templates = Templates::load(None).expect("templates");
        let mut table = ProcessTable::default();
        let running = |name, instance| state(name, instance, ProcessStatus::Running);
        table
            .update(&templates, &[running("api", 0), running("web", 0)], 5_000)
            .expect("render");
        // Scaled to 3 instances, and a program "db" added: each new row
        // goes before the row that follows it, in name-then-number order
        // (instance 2 before 10, not as strings).
        let added = table
            .update(
                &templates,
                &[
                    running("api", 0),
                    running("api", 2),
                    running("api", 10),
                    running("db", 0),
                    running("web", 0),
                ],
                5_000,
            )
            .expect("render");
        assert_eq!(
            added
                .iter()
                .map(|f| (f.op, f.target.as_str()))
                .collect::<Vec<_>>(),
            [
                (RenderOp::Before, "prog-web"),
                (RenderOp::Before, "proc-db-0"),
                (RenderOp::Before, "prog-db"),
                (RenderOp::Before, "proc-api-10"),
                (RenderOp::Replace, "prog-api"),
            ]
        );
        assert!(added[1].html.contains("id=\"prog-db\""));
        assert!(added[3].html.contains("id=\"proc-api-2\""));
    }

    #[test]
    fn the_last_exit_says_how_when_and_what_followed() {
        use asynchronio_protocol::process::LastExit;
        let mut crashed = state("web", 0, ProcessStatus::Running);
        crashed.restarts = 1;
        crashed.last_exit = Some(LastExit {
            at_ms: 43_322_000,
            code: Some(1),
            signal: None,
            spawn_failed: false,
        });
        assert_eq!(
            row_context(&crashed, 50_000_000)["exit"],
            "exited with code 1 at 12:02:02 UTC, restarted"
        );
        let row = program_context(
            &[&crashed, &state("web", 1, ProcessStatus::Running)],
            50_000_000,
        );
        assert_eq!(
            row["exit"],
            "#0: exited with code 1 at 12:02:02 UTC, restarted"
        );
        assert_eq!(
            row_context(&state("web", 1, ProcessStatus::Running), 1)["exit"],
            ""
        );
    }

    #[test]
    fn core_programs_warn_of_their_impact() {
        let row = row_context(&state("ws-gateway", 0, ProcessStatus::Running), 5_000);
        assert!(
            row["impact"]
                .as_str()
                .is_some_and(|i| i.contains("disconnected"))
        );
        let row = row_context(&state("worker", 0, ProcessStatus::Running), 5_000);
        assert_eq!(row["impact"], "");
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
