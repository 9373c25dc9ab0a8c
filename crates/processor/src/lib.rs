//! Native Asynchronio pipeline processors in Rust.
//!
//! A processor is a program the process manager starts for a pipeline
//! stage. It reads one JSON request per line on stdin and writes one JSON
//! answer per line on stdout (the stdio processor protocol,
//! `docs/processors.md`). This crate gives the protocol types and a loop,
//! [`run`], that calls a handler per message:
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

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

/// One message handed to the processor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Message {
    /// Echo it in the answer; it identifies the message.
    pub id: String,
    /// The input channel.
    pub channel: String,
    /// The message's offset in the channel (20 digits).
    pub offset: String,
    /// 1 on first delivery, more on retries.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The payload: JSON as published, text as a JSON string.
    pub data: serde_json::Value,
}

fn first_attempt() -> u32 {
    1
}

/// One message to publish as a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// The channel; `None` is the stage's first output channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub data: serde_json::Value,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Publish these (none: the message is dropped) and acknowledge.
    Publish(Vec<Output>),
    /// Failed: retried with backoff, then dead-lettered.
    Error(String),
}

impl Outcome {
    /// One output to the stage's first output channel.
    pub fn forward(data: serde_json::Value) -> Outcome {
        Outcome::Publish(vec![Output {
            channel: None,
            data,
        }])
    }

    /// Acknowledge without publishing anything.
    pub fn drop_message() -> Outcome {
        Outcome::Publish(Vec::new())
    }

    pub fn error(why: impl Into<String>) -> Outcome {
        Outcome::Error(why.into())
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    out: Option<&'a [Output]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The answer line for `outcome` (without the newline).
pub fn answer_line(id: &str, outcome: &Outcome) -> String {
    let answer = match outcome {
        Outcome::Publish(outputs) => Answer {
            id,
            out: Some(outputs),
            error: None,
        },
        Outcome::Error(why) => Answer {
            id,
            out: None,
            error: Some(why),
        },
    };
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
        writeln!(output, "{}", answer_line(&id, &outcome))?;
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
