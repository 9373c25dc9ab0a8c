// How the log tail shows a captured line: ANSI colour codes become coloured
// text, every other escape and control character is dropped, the line's level
// is detected from its text, and nothing from the log is ever parsed as HTML
// (every piece ends up in a text node).

/** Levels from least to most severe; a filter shows its level and above. */
export const LEVELS = ["trace", "debug", "info", "warn", "error"];

// One escape sequence or control character: CSI (ESC [ params intermediates
// final), OSC (ESC ] … BEL or ESC \), any other ESC pair, a lone ESC at the
// end, C0 controls but tab, DEL and the C1 range.
const ESCAPE =
  /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\[[0-?]*[ -\/]*$|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)|\x1b[\s\S]?|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

function plainStyle() {
  return { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
}

// The xterm colour of 256-colour index n (16–255) as [r, g, b].
function xterm256(n) {
  if (n < 232) {
    const steps = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return [steps[Math.floor(i / 36)], steps[Math.floor(i / 6) % 6], steps[i % 6]];
  }
  const grey = 8 + (n - 232) * 10;
  return [grey, grey, grey];
}

const byte = (value) => Math.max(0, Math.min(255, Number.parseInt(value, 10) || 0));

// An extended colour (after 38 or 48): "5;n" or "2;r;g;b". Returns the colour
// (a palette index below 16, else [r, g, b]) and how many parameters it used.
function extendedColour(params, at) {
  if (params[at] === "5" && at + 1 < params.length) {
    const n = byte(params[at + 1]);
    return [n < 16 ? n : xterm256(n), 2];
  }
  if (params[at] === "2" && at + 3 < params.length) {
    return [[byte(params[at + 1]), byte(params[at + 2]), byte(params[at + 3])], 4];
  }
  return [null, params.length - at];
}

// Applies one SGR sequence's parameters ("1;32", "" = reset) to `style`.
function applySgr(style, text) {
  const params = text === "" ? ["0"] : text.split(/[;:]/);
  for (let i = 0; i < params.length; i++) {
    const code = Number.parseInt(params[i] || "0", 10);
    if (code === 0) Object.assign(style, plainStyle());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 49) style.bg = null;
    else if (code === 38 || code === 48) {
      const [colour, used] = extendedColour(params, i + 1);
      if (code === 38) style.fg = colour;
      else style.bg = colour;
      i += used;
    }
  }
}

/**
 * Splits a raw line into runs of text with the style its SGR codes gave
 * them: [{text, style}]. Other escapes and control characters are dropped.
 */
export function parseAnsi(line) {
  const runs = [];
  const style = plainStyle();
  let last = 0;
  const push = (text) => {
    if (text) runs.push({ text, style: { ...style } });
  };
  for (const match of line.matchAll(ESCAPE)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    const sequence = match[0];
    if (sequence.startsWith("\x1b[") && sequence.endsWith("m")) {
      applySgr(style, sequence.slice(2, -1));
    }
  }
  push(line.slice(last));
  return runs;
}

const NAMES = {
  trace: "trace", debug: "debug", verbose: "debug", info: "info", information: "info",
  notice: "info", warn: "warn", warning: "warn", error: "error", err: "error",
  fatal: "error", critical: "error", crit: "error", panic: "error", alert: "error",
  emerg: "error", emergency: "error", severe: "error",
};

// pino/bunyan numeric levels.
function numericLevel(n) {
  if (n >= 50) return "error";
  if (n >= 40) return "warn";
  if (n >= 30) return "info";
  if (n >= 20) return "debug";
  return "trace";
}

/**
 * The level a line states, from its text without escapes: a JSON log's
 * `level` (or `severity`, `levelname`, `lvl`), logfmt's `level=`, or a level
 * word among the first words (tracing's and env_logger's format,
 * `[ERROR]`, `WARNING:root:`, a Rust panic). Null when it states none.
 */
export function levelOf(text) {
  const line = text.trimStart();
  if (line.startsWith("{")) {
    try {
      const object = JSON.parse(line);
      const stated = object.level ?? object.severity ?? object.levelname ?? object.lvl;
      if (typeof stated === "number") return numericLevel(stated);
      if (typeof stated === "string") return NAMES[stated.toLowerCase()] ?? null;
    } catch {
      // Not JSON after all: read it as text.
    }
  }
  const logfmt = /(?:^|\s)(?:level|lvl|severity)=["']?([A-Za-z]+)/.exec(line);
  if (logfmt) return NAMES[logfmt[1].toLowerCase()] ?? null;
  const word = /^(?:\S+\s+){0,3}?[[(<]?(TRACE|DEBUG|VERBOSE|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC)\b/i.exec(
    line,
  );
  if (word) return NAMES[word[1].toLowerCase()];
  if (/^thread '.*' panicked at|^Traceback \(most recent call last\)/.test(line)) return "error";
  return null;
}

function paint(node, style) {
  if (style.bold) node.classList.add("ansi-bold");
  if (style.dim) node.classList.add("ansi-dim");
  if (style.italic) node.classList.add("ansi-italic");
  if (style.underline) node.classList.add("ansi-underline");
  // Palette colours are classes (the theme picks readable shades); others
  // are set through the CSSOM from numbers only, never from log text.
  if (typeof style.fg === "number") node.classList.add(`ansi-fg-${style.fg}`);
  else if (Array.isArray(style.fg)) node.style.color = `rgb(${style.fg.join(",")})`;
  if (typeof style.bg === "number") node.classList.add(`ansi-bg-${style.bg}`);
  else if (Array.isArray(style.bg)) node.style.backgroundColor = `rgb(${style.bg.join(",")})`;
}

const isPlain = (style) =>
  style.fg === null && style.bg === null && !style.bold && !style.dim && !style.italic && !style.underline;

/** The capture time `ts` (ms since the epoch) as local HH:MM:SS.mmm. */
export function clock(ts) {
  if (typeof ts !== "number" || !Number.isFinite(ts)) return "--:--:--.---";
  const at = new Date(ts);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, "0")}`;
}

/**
 * The element for one captured line ({instance, stream, line} plus its
 * capture time `ts`): time, instance, then the coloured text. Its class
 * and data-level carry the detected level ("none" when it states none);
 * data-text holds the plain text the search matches.
 */
export function lineElement(entry, ts) {
  const raw = typeof entry.line === "string" ? entry.line : "";
  const runs = parseAnsi(raw);
  const text = runs.map((run) => run.text).join("");
  const level = levelOf(text) ?? "none";
  const line = document.createElement("span");
  line.className = `line level-${level}`;
  line.dataset.level = level;
  line.dataset.stream = String(entry.stream ?? "");
  line.dataset.text = text.toLowerCase();
  const time = document.createElement("time");
  time.className = "log-time";
  time.textContent = clock(ts);
  if (typeof ts === "number") time.dateTime = new Date(ts).toISOString();
  const instance = document.createElement("span");
  instance.className = "log-instance";
  instance.textContent = `[${entry.instance ?? "?"}]`;
  instance.title = String(entry.stream ?? "");
  line.append(time, " ", instance, " ");
  for (const run of runs) {
    if (isPlain(run.style)) {
      line.append(run.text);
    } else {
      const span = document.createElement("span");
      span.textContent = run.text;
      paint(span, run.style);
      line.append(span);
    }
  }
  return line;
}

/**
 * Whether a line passes the filters: at least level `minimum` ("all" for
 * every line; a line that states no level counts as info) and containing
 * `search` (lowercase; empty matches all).
 */
export function shown(line, minimum, search) {
  if (minimum !== "all") {
    const level = line.dataset.level === "none" ? "info" : line.dataset.level;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minimum)) return false;
  }
  return !search || line.dataset.text.includes(search);
}
