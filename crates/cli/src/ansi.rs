//! Captured log lines made safe to print: a program's output may hold any
//! escape sequence, and one that moves the cursor, retitles the window or
//! clears the screen must not reach the operator's terminal. Colour codes
//! (SGR, `ESC [ … m`) are kept on a terminal and dropped otherwise; every
//! other escape sequence and control character (but tab) is always dropped.
//! The dashboard's log tail reads lines by the same rules
//! (`web/static/dashboard/log_view.js`).

use std::borrow::Cow;

const ESC: char = '\u{1b}';

/// `line` without escapes or control characters, keeping colour codes when
/// `keep_colours`. A line that set colours ends with a reset, so they never
/// bleed into the next line.
pub fn printable(line: &str, keep_colours: bool) -> Cow<'_, str> {
    if !line.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut coloured = false;
    let mut chars = line.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != ESC {
            if !c.is_control() || c == '\t' {
                out.push(c);
            }
            continue;
        }
        match chars.peek().map(|&(_, next)| next) {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte.
                let mut end = None;
                for (at, c) in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        end = Some(at);
                        break;
                    }
                    if !('\u{20}'..='\u{3f}').contains(&c) {
                        // Not a CSI after all: drop what was read.
                        break;
                    }
                }
                // Only SGR: digits and separators, then `m`. A private
                // marker (`ESC [ > 4 ; 2 m` sets xterm's key modifiers,
                // `ESC [ ? 4 m` asks the terminal to answer) is dropped too.
                let sgr = |end: usize| {
                    line[end..].starts_with('m')
                        && line[start + 2..end]
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b == b';' || b == b':')
                };
                if let Some(end) = end
                    && keep_colours
                    && sgr(end)
                {
                    out.push_str(&line[start..=end]);
                    coloured = true;
                }
            }
            Some(']') => {
                // An OSC runs to BEL or to ESC \.
                chars.next();
                while let Some((_, c)) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == ESC {
                        chars.next_if(|&(_, c)| c == '\\');
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    if coloured {
        out.push_str("\u{1b}[0m");
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn plain_lines_are_borrowed_unchanged() {
        let line = "2026-12-01  INFO asynchronio: ready\tport=8080";
        assert!(matches!(
            printable(line, true),
            std::borrow::Cow::Borrowed(l) if l == line
        ));
    }

    #[test]
    fn colours_are_kept_on_a_terminal_and_stripped_otherwise() {
        let line = "\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ready";
        assert_eq!(printable(line, false), "2026  INFO ready");
        assert_eq!(printable(line, true), format!("{line}\u{1b}[0m"));
    }

    #[test]
    fn other_escapes_and_controls_are_always_dropped() {
        let hostile = "a\u{1b}]0;pwned title\u{7}b\u{1b}[2Jc\u{1b}[10;10Hd\u{1b}]8;;http://x\u{1b}\\e\rf\u{8}g\u{1b}";
        assert_eq!(printable(hostile, true), "abcdefg");
        assert_eq!(printable(hostile, false), "abcdefg");
        // An unterminated sequence at the end is dropped, not printed.
        assert_eq!(printable("x\u{1b}[31", true), "x");
        assert_eq!(printable("x\u{9b}31m", false), "x31m");
        // Private-marker sequences ending in m are not colours.
        assert_eq!(printable("a\u{1b}[>4;2mb\u{1b}[?4mc", true), "abc");
    }
}
