//! A native processor: upper-cases text messages, drops empty ones.
//! Build with `cargo build --release -p asynchronio-processor --example upper`
//! and point a `[[pipeline]]` command at `target/release/examples/upper`.

use asynchronio_processor::{Message, Outcome, run};

fn main() -> std::io::Result<()> {
    run(|message: Message| match message.data.as_str() {
        Some("") => Outcome::drop_message(),
        Some(text) => Outcome::forward(serde_json::json!(text.to_uppercase())),
        None => Outcome::error("expected a string"),
    })
}
