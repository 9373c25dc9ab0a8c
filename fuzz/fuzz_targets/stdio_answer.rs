//! A processor's stdout, as a pipeline stage reads it: the bounded line
//! reader (lines of at most 64 bytes here, so that pieces are common), each
//! whole line parsed as an answer, and the id read from the start of a
//! piece. None of it may panic or hold more than the cap.
#![no_main]

use std::sync::LazyLock;

use asynchronio_protocol::stdio::{Answer, answer_id};
use asynchronio_supervisor::lines::{LineReader, Read};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

const MAX: usize = 64;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
});

fuzz_target!(|data: &[u8]| {
    RUNTIME.block_on(async {
        let mut reader = LineReader::new(data, MAX);
        let mut skipped = 0;
        loop {
            match reader.next().await.expect("reading a slice cannot fail") {
                Read::Eof => break,
                Read::Line => {
                    assert!(reader.line().len() <= MAX);
                    if let Ok(line) = std::str::from_utf8(reader.line())
                        && let Ok(answer) = serde_json::from_str::<Answer<Box<RawValue>>>(line)
                    {
                        let _ = answer.to_line();
                    }
                }
                Read::Piece => {
                    assert_eq!(reader.line().len(), MAX);
                    let _ = answer_id(reader.line());
                    // Every other piece is skipped, the way the stage skips
                    // an answer too long to hold.
                    skipped += 1;
                    if skipped % 2 == 0 {
                        reader.skip_rest();
                    }
                }
            }
        }
    });
});
