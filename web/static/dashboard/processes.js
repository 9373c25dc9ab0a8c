// The Processes page: the table is rendered by the server and kept live by
// render frames on $sys:render:processes; buttons send commands through the
// REST API (which puts them on the manager's command stream); the log tail
// follows $sys:logs:{name}.

import { api, connect, toast } from "./live.js";
import { lineElement, shown } from "./log_view.js";

const rows = document.getElementById("process-rows");
// Render frames on the processes channel may change the table's rows only.
// After a lost connection the table is read again: the frames resume from
// their offset, but the processes may have changed in ways no frame kept.
const client = connect({ renderRoot: rows, onReconnect: () => refreshTable() });

// What the page keeps across render frames, which replace rows: which
// programs are expanded, each program's last minute of CPU and memory (the
// sparklines), and the last action error next to its row.
const expanded = new Set();
const history = new Map(); // name -> { cpu: number[], rss: number[] }
const failures = new Map(); // name -> message
const SAMPLES = 60;
const SVG = "http://www.w3.org/2000/svg";

/** A small line of `values` (numbers only) as an SVG element. */
function sparkline(values) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 60 14");
  svg.setAttribute("aria-hidden", "true");
  if (values.length >= 2) {
    const top = Math.max(...values) || 1;
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", values
      .map((v, i) => `${(60 - (values.length - 1 - i)).toFixed(0)},${(13 - (v / top) * 12).toFixed(1)}`)
      .join(" "));
    svg.append(line);
  }
  return svg;
}

/** Notes each program row's figures, and draws its sparklines and error. */
function applyRowExtras() {
  for (const row of rows.querySelectorAll("tr.program")) {
    const name = row.dataset.name;
    const entry = history.get(name) ?? { cpu: [], rss: [] };
    history.set(name, entry);
    const cpu = Number(row.dataset.cpu);
    const rss = Number(row.dataset.rss);
    // One sample per frame that changed the row; a row drawn again without
    // a change (a reload) adds nothing.
    if (row.dataset.sampled !== "true") {
      row.dataset.sampled = "true";
      if (Number.isFinite(cpu)) entry.cpu = [...entry.cpu, cpu].slice(-SAMPLES);
      if (Number.isFinite(rss)) entry.rss = [...entry.rss, rss].slice(-SAMPLES);
    }
    for (const [cell, values] of [[row.querySelector("td.cpu"), entry.cpu], [row.querySelector("td.rss"), entry.rss]]) {
      if (cell && !cell.querySelector("svg.spark")) cell.prepend(sparkline(values), " ");
    }
    const failure = failures.get(name);
    const actions = row.querySelector("td.actions");
    if (failure && actions && !actions.querySelector(".field-error")) {
      const note = document.createElement("span");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.textContent = failure;
      actions.append(note);
    }
  }
}

// One row per program; its instances' rows show while it is expanded.
function applyExpansion() {
  for (const row of rows.querySelectorAll("tr.instance")) row.hidden = !expanded.has(row.dataset.name);
  for (const toggle of rows.querySelectorAll("button[data-action=expand]")) {
    const open = expanded.has(toggle.dataset.name);
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "▾" : "▸";
  }
}
applyExpansion();
applyRowExtras();

client.subscribe(rows.dataset.renderChannel, () => {
  applyExpansion();
  applyRowExtras();
  restoreFocus();
}, {
  since: { offset: rows.dataset.offset, epoch: rows.dataset.epoch },
  // History could not fill the gap: fetch the current table instead.
  onReset: refreshTable,
});

// The server's own rendering of the table (the page reads the same states as
// GET /api/v1/processes), so rows have one template.
async function refreshTable() {
  try {
    const response = await fetch("/processes", { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("process-rows");
    if (fresh) rows.replaceChildren(...fresh.childNodes);
    applyExpansion();
    applyRowExtras();
  } catch (error) {
    toast(`cannot re-read the processes: ${error.message}`, "error");
  }
}

// --- actions -------------------------------------------------------------

const confirmDialog = document.getElementById("confirm-dialog");
const scaleDialog = document.getElementById("scale-dialog");

function ask(dialog, prepare) {
  prepare();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// The answer goes to a toast; a failure also stays next to the program's
// actions until its next action succeeds.
async function act(name, verb, body) {
  rows.querySelector(`tr.program[data-name="${CSS.escape(name)}"] .field-error`)?.remove();
  try {
    const result = await api("POST", `/api/v1/processes/${encodeURIComponent(name)}/${verb}`, body);
    failures.delete(name);
    toast(result?.message ?? `${verb} ${name}: done`);
  } catch (error) {
    const message = `${verb.split("/").pop()} failed: ${error.message}`;
    failures.set(name, message);
    applyRowExtras();
    toast(`${name}: ${message}`, "error");
  }
}

// Render frames replace rows, and with them the focused button: note which
// row and action had focus, and give it back after each frame.
let focusedAction = null;
rows.addEventListener("focusin", (event) => {
  const button = event.target.closest("button[data-action]");
  const row = event.target.closest("tr[id]");
  focusedAction = button && row ? { row: row.id, action: button.dataset.action } : null;
});
function restoreFocus() {
  if (!focusedAction || rows.contains(document.activeElement)) return;
  if (document.activeElement && document.activeElement !== document.body) return;
  const row = document.getElementById(focusedAction.row);
  const button = row?.querySelector(`button[data-action="${CSS.escape(focusedAction.action)}"]`)
    ?? row?.querySelector("button[data-action]");
  button?.focus();
}

rows.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, name } = button.dataset;
  if (action === "expand") {
    if (expanded.has(name)) expanded.delete(name);
    else expanded.add(name);
    applyExpansion();
    return;
  }
  if (action === "restart-instance") {
    const instance = Number(button.dataset.instance);
    const impact = button.closest("tr")?.dataset.impact;
    const ok = await ask(confirmDialog, () => {
      document.getElementById("confirm-text").textContent = `Restart instance ${instance} of ${name}?`;
      const warning = document.getElementById("confirm-impact");
      warning.textContent = impact ?? "";
      warning.hidden = !impact;
      document.getElementById("confirm-ok").textContent = "Restart";
    });
    if (ok) await act(name, `instances/${instance}/restart`);
    return;
  }
  if (action === "logs") {
    followLogs(name);
    document.getElementById("log-process").value = name;
    document.getElementById("log-lines").focus();
    return;
  }
  if (action === "stop" || action === "restart") {
    // Both interrupt the program; a program the stack needs says what else
    // stops with it (data-impact, from the server).
    const impact = button.closest("tr")?.dataset.impact;
    const ok = await ask(confirmDialog, () => {
      const question = action === "stop" ? `Stop every instance of ${name}?` : `Restart every instance of ${name}?`;
      document.getElementById("confirm-text").textContent = question;
      const warning = document.getElementById("confirm-impact");
      warning.textContent = impact ?? "";
      warning.hidden = !impact;
      document.getElementById("confirm-ok").textContent = action === "stop" ? "Stop" : "Restart";
    });
    if (ok) await act(name, action);
    return;
  }
  if (action === "scale") {
    const current = rows.querySelectorAll(`tr.instance[data-name="${CSS.escape(name)}"]`).length;
    const ok = await ask(scaleDialog, () => {
      document.getElementById("scale-name").textContent = name;
      document.getElementById("scale-count").value = String(current);
    });
    const count = Number(document.getElementById("scale-count").value);
    if (ok && Number.isInteger(count) && count >= 0) await act(name, "scale", { instances: count });
    return;
  }
  await act(name, action);
});

// --- log tail --------------------------------------------------------------
// Lines keep their colours (log_view.js turns ANSI codes into styled text
// nodes, never HTML) and are coloured by the level they state. The view
// follows new lines until the user scrolls up; then new lines wait below and
// a button brings the view back to them.

const logLines = document.getElementById("log-lines");
const logSelect = document.getElementById("log-process");
const logLevel = document.getElementById("log-level");
const logSearch = document.getElementById("log-search");
const logFollow = document.getElementById("log-follow");
const MAX_LINES = 500;
let following = null;
let unseen = 0;

// Within a few pixels of the bottom counts as following.
const atBottom = () => logLines.scrollHeight - logLines.scrollTop - logLines.clientHeight < 8;

function showFollow() {
  logFollow.hidden = unseen === 0;
  logFollow.textContent = `${unseen} new line${unseen === 1 ? "" : "s"}: follow`;
}

function filterLine(line) {
  line.hidden = !shown(line, logLevel.value, logSearch.value.trim().toLowerCase());
}

function addLine(entry, ts) {
  const follow = atBottom();
  const line = lineElement(entry, ts);
  filterLine(line);
  logLines.append(line);
  while (logLines.childElementCount > MAX_LINES) logLines.firstElementChild.remove();
  if (follow) {
    logLines.scrollTop = logLines.scrollHeight;
  } else if (!line.hidden) {
    unseen += 1;
    showFollow();
  }
}

function refilter() {
  for (const line of logLines.children) filterLine(line);
  logLines.scrollTop = logLines.scrollHeight;
  unseen = 0;
  showFollow();
}

async function followLogs(name) {
  if (following) following();
  following = null;
  logLines.replaceChildren();
  unseen = 0;
  showFollow();
  if (!name) return;
  try {
    const tail = await api("GET", `/api/v1/processes/${encodeURIComponent(name)}/logs?limit=100`);
    for (const line of tail.lines) addLine(line, line.ts);
    following = client.subscribe(tail.channel, (line, meta) => addLine(line, meta.ts), {
      since: { offset: tail.offset, epoch: tail.epoch },
    });
    logLines.dataset.following = name;
  } catch (error) {
    toast(`cannot read the logs of ${name}: ${error.message}`, "error");
  }
}

logSelect.addEventListener("change", () => followLogs(logSelect.value));
logLevel.addEventListener("change", refilter);
logSearch.addEventListener("input", refilter);
logLines.addEventListener("scroll", () => {
  if (atBottom() && unseen > 0) {
    unseen = 0;
    showFollow();
  }
});
logFollow.addEventListener("click", () => {
  logLines.scrollTop = logLines.scrollHeight;
  unseen = 0;
  showFollow();
  logLines.focus();
});
document.getElementById("log-clear").addEventListener("click", () => {
  logLines.replaceChildren();
  unseen = 0;
  showFollow();
});

// A link such as the flowchart's Logs names the program to follow.
const askedLogs = new URLSearchParams(location.search).get("logs");
if (askedLogs) {
  logSelect.value = askedLogs;
  followLogs(askedLogs);
}
