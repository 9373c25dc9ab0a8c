//! Reading a child's output line by line without trusting it: the reader
//! holds at most `max` bytes of a line, whatever the child writes. A longer
//! line comes out in pieces of `max` bytes (log capture publishes them), or
//! its rest is skipped without being held (a processor answer that long is
//! refused). Bytes are handed over as they are: the caller decides what a
//! line that is not UTF-8 means.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// The default `max_line_bytes` of a program: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Bytes read from the child per system call.
const READ_BUFFER: usize = 64 * 1024;

/// What [`LineReader::next`] found; the bytes are in [`LineReader::line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// A whole line, without its `\n` (or `\r\n`). After a [`Read::Piece`],
    /// the last part of that line (possibly empty).
    Line,
    /// `max` bytes of a line that goes on; the next call returns more of
    /// it, unless [`LineReader::skip_rest`] is called.
    Piece,
    /// The output is closed (the last line without a newline came before).
    Eof,
}

/// A bounded line reader over a child's stdout or stderr.
pub struct LineReader<R> {
    inner: BufReader<R>,
    max: usize,
    buf: Vec<u8>,
    /// The buffer was handed out: clear it on the next call. (Clearing
    /// lazily keeps `next` cancel-safe: everything consumed from the
    /// child is in `buf` until a result is returned.)
    handed_out: bool,
    /// Dropping bytes up to the end of the current line.
    skipping: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// Reads `reader` with lines of at most `max` bytes (at least 1).
    pub fn new(reader: R, max: usize) -> Self {
        LineReader {
            inner: BufReader::with_capacity(READ_BUFFER, reader),
            max: max.max(1),
            buf: Vec::new(),
            handed_out: false,
            skipping: false,
        }
    }

    /// The longest line held.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The bytes of the last [`Read::Line`] or [`Read::Piece`].
    pub fn line(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the rest of the line the last [`Read::Piece`] came from,
    /// without holding it: the next call returns the line after it.
    pub fn skip_rest(&mut self) {
        self.skipping = true;
    }

    /// Reads the next line or piece. Cancel-safe: the only wait is for the
    /// child's bytes, and nothing read is lost when the future is dropped.
    pub async fn next(&mut self) -> std::io::Result<Read> {
        if self.handed_out {
            self.buf.clear();
            self.handed_out = false;
        }
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                self.skipping = false;
                self.handed_out = true;
                return Ok(if self.buf.is_empty() {
                    Read::Eof
                } else {
                    Read::Line
                });
            }
            let newline = available.iter().position(|b| *b == b'\n');
            if self.skipping {
                let used = newline.map_or(available.len(), |at| at + 1);
                self.skipping = newline.is_none();
                self.inner.consume(used);
                continue;
            }
            if self.buf.len() >= self.max {
                // Full: a line of exactly `max` bytes ends here; anything
                // else is longer.
                self.handed_out = true;
                if newline == Some(0) {
                    self.inner.consume(1);
                    self.trim_cr();
                    return Ok(Read::Line);
                }
                return Ok(Read::Piece);
            }
            let room = self.max - self.buf.len();
            match newline {
                Some(at) if at <= room => {
                    self.buf.extend_from_slice(&available[..at]);
                    self.inner.consume(at + 1);
                    self.trim_cr();
                    self.handed_out = true;
                    return Ok(Read::Line);
                }
                _ => {
                    let take = available.len().min(room);
                    self.buf.extend_from_slice(&available[..take]);
                    self.inner.consume(take);
                }
            }
        }
    }

    fn trim_cr(&mut self) {
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(input: &[u8], max: usize, skip: bool) -> Vec<(Read, String)> {
        let mut reader = LineReader::new(input, max);
        let mut out = Vec::new();
        loop {
            let read = reader.next().await.expect("read");
            out.push((read, String::from_utf8_lossy(reader.line()).into_owned()));
            match read {
                Read::Eof => return out,
                Read::Piece if skip => reader.skip_rest(),
                _ => {}
            }
        }
    }

    #[tokio::test]
    async fn short_lines_come_whole() {
        assert_eq!(
            all(b"ab\r\ncd\n\nlast", 4, false).await,
            vec![
                (Read::Line, "ab".into()),
                (Read::Line, "cd".into()),
                (Read::Line, String::new()),
                (Read::Line, "last".into()),
                (Read::Eof, String::new()),
            ]
        );
    }

    #[tokio::test]
    async fn a_line_of_exactly_max_bytes_is_whole() {
        assert_eq!(
            all(b"abcd\nef\n", 4, false).await,
            vec![
                (Read::Line, "abcd".into()),
                (Read::Line, "ef".into()),
                (Read::Eof, String::new()),
            ]
        );
    }

    #[tokio::test]
    async fn longer_lines_come_in_pieces_or_are_skipped() {
        assert_eq!(
            all(b"abcdefghij\nk\n", 4, false).await,
            vec![
                (Read::Piece, "abcd".into()),
                (Read::Piece, "efgh".into()),
                (Read::Line, "ij".into()),
                (Read::Line, "k".into()),
                (Read::Eof, String::new()),
            ]
        );
        assert_eq!(
            all(b"abcdefghij\nk\nlmnopq", 4, true).await,
            vec![
                (Read::Piece, "abcd".into()),
                (Read::Line, "k".into()),
                (Read::Piece, "lmno".into()),
                (Read::Eof, String::new()),
            ]
        );
    }
}
