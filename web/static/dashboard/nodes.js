// The Nodes page: one row per live replica of every service, from the
// heartbeats they publish on the nodes channel. The server hands over the
// nodes alive when the page was rendered (data-nodes, with each one's age)
// and the channel's position read before them; from there the page follows
// the channel live. A node not heard from for data-missed-periods of its
// own heartbeat period is dropped. Heartbeats are hostile input: every
// field is checked, and shown as text only.

import { connect, el, pageData, rate } from "./live.js";

const rows = document.getElementById("node-rows");
const totals = document.getElementById("node-totals");
const missedPeriods = Number(pageData(rows, "missedPeriods"));
const nodes = new Map(); // "kind id" -> { heartbeat, seen (ms, this browser's clock) }

const text = (value, max) => typeof value === "string" && value.length > 0 && value.length <= max;
const count = (value) => Number.isSafeInteger(value) && value >= 0;
const figure = (value) => value === null || value === undefined || (Number.isFinite(value) && value >= 0);

/** The heartbeat if it looks like one, else null (never trust the channel). */
function checked(h) {
  if (!h || typeof h !== "object") return null;
  if (!text(h.kind, 32) || !text(h.id, 128) || !text(h.version, 64)) return null;
  if (!count(h.started_at_ms) || !count(h.sent_at_ms) || !count(h.every_ms)) return null;
  if (h.every_ms < 100 || h.every_ms > 60_000) return null;
  if (!figure(h.rss_bytes) || !figure(h.redis_rtt_us)) return null;
  const g = h.gateway;
  if (g !== undefined && g !== null) {
    if (typeof g !== "object" || !count(g.connections)) return null;
    if (!figure(g.deliveries_per_second) || !figure(g.p50_seconds) || !figure(g.p99_seconds)) return null;
  }
  return h;
}

function remember(data, ageMs = 0) {
  const heartbeat = checked(data);
  if (!heartbeat) return;
  nodes.set(`${heartbeat.kind} ${heartbeat.id}`, { heartbeat, seen: Date.now() - Math.max(0, ageMs) });
}

function bytes(value) {
  if (value === null || value === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n >= 10 || unit === 0 ? Math.round(n) : n.toFixed(1)} ${units[unit]}`;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 0.001) return `${Math.round(value * 1_000_000)} µs`;
  if (value < 1) return `${(value * 1000).toFixed(1)} ms`;
  return `${value.toFixed(2)} s`;
}

function micros(value) {
  return value === null || value === undefined ? "–" : seconds(value / 1_000_000);
}

/** Drops the nodes gone silent, then redraws the table and the totals. */
function draw() {
  const now = Date.now();
  for (const [key, node] of nodes) {
    if (now - node.seen > node.heartbeat.every_ms * missedPeriods) nodes.delete(key);
  }
  const sorted = [...nodes.values()].sort((a, b) =>
    a.heartbeat.kind === b.heartbeat.kind
      ? a.heartbeat.id.localeCompare(b.heartbeat.id)
      : a.heartbeat.kind.localeCompare(b.heartbeat.kind));
  const perKind = new Map();
  let connections = 0;
  let deliveries = 0;
  const trs = sorted.map(({ heartbeat: h, seen }) => {
    perKind.set(h.kind, (perKind.get(h.kind) ?? 0) + 1);
    const g = h.gateway ?? null;
    if (g) {
      connections += g.connections;
      deliveries += g.deliveries_per_second;
    }
    const uptime = Math.max(0, h.sent_at_ms - h.started_at_ms) + (now - seen);
    return el("tr", { "data-kind": h.kind, "data-id": h.id },
      el("td", {}, h.kind),
      el("td", { class: "id" }, h.id),
      el("td", { class: "version" }, h.version),
      el("td", {}, duration(uptime)),
      el("td", {}, bytes(h.rss_bytes)),
      el("td", {}, micros(h.redis_rtt_us)),
      el("td", { class: "connections" }, g ? String(g.connections) : ""),
      el("td", { class: "deliveries" }, g ? rate(g.deliveries_per_second) : ""),
      el("td", { class: "p50" }, g ? seconds(g.p50_seconds) : ""),
      el("td", { class: "p99" }, g ? seconds(g.p99_seconds) : ""));
  });
  if (trs.length === 0) {
    trs.push(el("tr", {}, el("td", { colspan: 10, class: "hint" }, "No node has sent a heartbeat lately.")));
  }
  rows.replaceChildren(...trs);
  const total = (label, value, key) => el("div", { "data-total": key }, el("dt", {}, label), el("dd", {}, value));
  totals.replaceChildren(
    ...[...perKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => total(kind, n, kind)),
    total("connections", connections, "connections"),
    total("deliveries", rate(deliveries), "deliveries"),
  );
}

try {
  const initial = JSON.parse(pageData(rows, "nodes"));
  if (Array.isArray(initial)) for (const node of initial) remember(node, Number(node?.age_ms) || 0);
} catch {
  // A page without nodes: the live heartbeats fill it within a period.
}
draw();

const client = connect();
client.subscribe(pageData(rows, "nodesChannel"), (data) => {
  remember(data);
  draw();
}, {
  since: { offset: rows.dataset.offset, epoch: rows.dataset.epoch },
  // Heartbeats lost to a reset are replaced by the next ones within a period.
  onReset: () => {},
});
setInterval(draw, 1000);
