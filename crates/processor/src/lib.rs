//! Native Asynchronio pipeline processors in Rust.
//!
//! A processor is a program the process manager starts for a pipeline
//! stage. It reads one JSON request per line on stdin and writes one JSON
//! answer per line on stdout (the stdio processor protocol,
//! `docs/processors.md`). This crate gives the protocol types (defined once,
//! in `asynchronio_protocol::stdio`, which the manager's side uses too) and
//! a loop, [`run`], that calls a handler per message:
//!
//! ```no_run
//! use asynchronio_processor::{Message, Outcome, run};
//!
//! fn main() -> std::io::Result<()> {
//!     run(|message: Message| match message.data.as_str() {
//!         Some(text) => Outcome::forward(serde_json::json!(text.to_uppercase())),
//!         None => Outcome::error("expected a string"),
//!     })
//! }
//! ```
//!
//! Logs go to stderr (the manager captures them into `$sys:logs:{stage}`);
//! stdout carries only answers.

#![warn(missing_docs)]

use std::io::{BufRead, Write};

use asynchronio_protocol::stdio;

/// One message handed to the processor: a request line of the protocol,
/// its `data` parsed as JSON.
pub type Message = stdio::Request<serde_json::Value>;

/// One message to publish as a result.
pub type Output = stdio::Output<serde_json::Value>;

/// What became of one message: [`Outcome::forward`],
/// [`Outcome::drop_message`] or [`Outcome::error`].
pub type Outcome = stdio::Outcome<serde_json::Value>;

/// The answer line for `outcome` (without the newline).
pub fn answer_line(id: &str, outcome: Outcome) -> String {
    let answer = stdio::Answer::new(id.to_owned(), outcome);
    // Serialising strings and JSON values cannot fail.
    serde_json::to_string(&answer)
        .unwrap_or_else(|_| format!("{{\"id\":{id:?},\"error\":\"encode\"}}"))
}

/// Serves requests from `input` to `output` until `input` ends. Lines that
/// are not requests are reported on stderr and skipped.
pub fn serve<R: BufRead, W: Write>(
    input: R,
    mut output: W,
    mut handler: impl FnMut(Message) -> Outcome,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let message: Message = match serde_json::from_str(&line) {
            Ok(message) => message,
            Err(error) => {
                eprintln!("asynchronio-processor: not a request ({error}): {line}");
                continue;
            }
        };
        let id = message.id.clone();
        let outcome = handler(message);
        writeln!(output, "{}", answer_line(&id, outcome))?;
        output.flush()?;
    }
    Ok(())
}

/// Serves stdin to stdout: the main loop of a processor.
pub fn run(handler: impl FnMut(Message) -> Outcome) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    serve(stdin.lock(), stdout.lock(), handler)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_each_request_with_its_id() {
        let input = concat!(
            "{\"id\":\"1-0\",\"channel\":\"in\",\"offset\":\"00000000000000000001\",\"attempt\":1,\"data\":\"a\"}\n",
            "garbage\n",
            "{\"id\":\"2-0\",\"channel\":\"in\",\"offset\":\"00000000000000000002\",\"data\":7}\n",
        );
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out, |m| match m.data.as_str() {
            Some(s) => Outcome::Publish(vec![
                Output {
                    channel: None,
                    data: serde_json::json!(s.to_uppercase()),
                },
                Output {
                    channel: Some("audit".into()),
                    data: serde_json::json!({"seen": m.offset}),
                },
            ]),
            None => Outcome::error("not text"),
        })
        .expect("serves");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], "1-0");
        assert_eq!(lines[0]["out"][0]["data"], "A");
        assert!(lines[0]["out"][0].get("channel").is_none());
        assert_eq!(lines[0]["out"][1]["channel"], "audit");
        assert_eq!(
            lines[1],
            serde_json::json!({"id": "2-0", "error": "not text"})
        );
    }
}
