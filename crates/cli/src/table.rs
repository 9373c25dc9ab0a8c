//! Plain-text tables that fit the terminal: columns are as wide as their
//! widest cell, and the first column is shortened (with `…`) when the whole
//! table would be wider than the terminal.

/// Visible width of a cell, ignoring colour escapes.
fn width(text: &str) -> usize {
    let mut visible = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => visible += 1,
        }
    }
    visible
}

fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(120)
}

/// Renders `rows` under `headers`; numeric columns (`right`) align right.
pub fn render(headers: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let total: usize = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
    let available = terminal_width();
    let mut first_limit = widths[0];
    if total > available {
        first_limit = widths[0].saturating_sub(total - available).max(8);
        widths[0] = first_limit;
    }
    let mut out = String::new();
    let header_cells: Vec<String> = headers.iter().map(|h| crate::style::bold(h)).collect();
    push_row(&mut out, &header_cells, &widths, right, first_limit);
    for row in rows {
        push_row(&mut out, row, &widths, right, first_limit);
    }
    out
}

fn push_row(
    out: &mut String,
    row: &[String],
    widths: &[usize],
    right: &[bool],
    first_limit: usize,
) {
    for (i, w) in widths.iter().enumerate() {
        let mut cell = row.get(i).cloned().unwrap_or_default();
        if i == 0 && width(&cell) > first_limit {
            cell = cell
                .chars()
                .take(first_limit.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        let pad = w.saturating_sub(width(&cell));
        if i > 0 {
            out.push_str("  ");
        }
        if right.get(i).copied().unwrap_or(false) {
            out.push_str(&" ".repeat(pad));
            out.push_str(&cell);
        } else {
            out.push_str(&cell);
            if i + 1 < widths.len() {
                out.push_str(&" ".repeat(pad));
            }
        }
    }
    out.push('\n');
}

/// `1.2 GiB`, `350 MiB`, `12 KiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `3d4h`, `2h5m`, `4m10s`, `12s`.
pub fn duration_ms(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_measures_without_escapes() {
        assert_eq!(width("\x1b[32mrunning\x1b[0m"), 7);
        let table = render(
            &["NAME", "PID"],
            &[false, true],
            &[vec!["web".into(), "7".into()]],
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[1], "web     7");
    }

    #[test]
    fn human_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(duration_ms(61_000), "1m1s");
        assert_eq!(duration_ms(90_061_000), "1d1h");
    }
}
