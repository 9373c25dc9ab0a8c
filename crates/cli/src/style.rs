//! Colours, only when writing to a terminal (and `NO_COLOR` is unset).

use std::io::IsTerminal;
use std::sync::OnceLock;

use asynchronio_protocol::process::ProcessStatus;
use asynchronio_protocol::stage_health::StageHealth;

/// Whether stdout takes colours.
pub fn colours() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
}

fn paint(code: &str, text: &str) -> String {
    if colours() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

pub fn bold(text: &str) -> String {
    paint("1", text)
}

pub fn dim(text: &str) -> String {
    paint("2", text)
}

pub fn green(text: &str) -> String {
    paint("32", text)
}

pub fn red(text: &str) -> String {
    paint("31", text)
}

/// A status word in its colour.
pub fn status(status: ProcessStatus) -> String {
    let code = match status {
        ProcessStatus::Running => "32",
        ProcessStatus::Starting | ProcessStatus::Stopping | ProcessStatus::Backoff => "33",
        ProcessStatus::Fatal => "31;1",
        ProcessStatus::Stopped | ProcessStatus::Exited => "2",
    };
    paint(code, status.as_str())
}

/// A stage's health word: ok green, degraded yellow, failing red.
pub fn health(health: StageHealth) -> String {
    let code = match health {
        StageHealth::Ok => "32",
        StageHealth::Degraded => "33",
        StageHealth::Failing => "31;1",
    };
    paint(code, health.as_str())
}

/// "error:" on stderr, red on a terminal.
pub fn error_label() -> String {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        "\x1b[31;1merror:\x1b[0m".to_owned()
    } else {
        "error:".to_owned()
    }
}

/// Writes one line to stdout; exits quietly if the reader went away.
pub fn emit_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{text}").and_then(|()| out.flush())
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
