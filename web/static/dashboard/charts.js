// The Charts page: a line chart on a canvas of the last 60 seconds. Series
// come from $sys:metrics (messages per second per channel) and from the
// numeric fields of channels the user adds (demo.metrics by default, which
// the demo producer fills ten times a second). Redrawn at most ten times a
// second, only when something changed.

import { connect, el, rate } from "./live.js";

const WINDOW_MS = 60_000;
const COLORS = ["#2f6fde", "#e0622b", "#1f9d55", "#b43fc7", "#c9a100", "#0f9bb5", "#d6336c", "#6b7280"];

const client = connect();
const canvas = document.getElementById("chart");
const legend = document.getElementById("legend");
const pauseButton = document.getElementById("pause");
const series = new Map(); // key -> { label, color, points: [[t, v]], visible, box }
let paused = false;
let dirty = true;
let pointCount = 0;

function seriesFor(key, label) {
  let entry = series.get(key);
  if (entry) return entry;
  const color = COLORS[series.size % COLORS.length];
  const id = `series-${series.size}`;
  const box = el("input", { type: "checkbox", id, checked: true });
  const swatch = el("span", { class: "swatch" });
  swatch.style.background = color;
  const value = el("span", { class: "value" });
  legend.append(el("label", { for: id, class: "legend-item" }, box, swatch, label, " ", value));
  entry = { label, color, points: [], visible: true, value };
  box.addEventListener("change", () => {
    entry.visible = box.checked;
    dirty = true;
  });
  series.set(key, entry);
  return entry;
}

function addPoint(key, label, t, v, shown) {
  if (!Number.isFinite(v)) return;
  const entry = seriesFor(key, label);
  entry.points.push([t, v]);
  entry.value.textContent = shown ?? String(Math.round(v * 100) / 100);
  pointCount += 1;
  canvas.dataset.points = String(pointCount);
  dirty = true;
}

client.subscribe("$sys:metrics", (event) => {
  const t = event.ts_ms ?? Date.now();
  for (const channel of event.channels ?? []) {
    if (channel.channel.startsWith("$sys:")) continue;
    addPoint(`rate:${channel.channel}`, `${channel.channel} msgs/s`, t, channel.rate, rate(channel.rate));
  }
});

const plotted = new Set();
function plotChannel(channel) {
  if (plotted.has(channel)) return;
  plotted.add(channel);
  client.subscribe(channel, (data, meta) => {
    const t = meta.ts || Date.now();
    if (typeof data === "number") addPoint(`${channel}`, channel, t, data);
    else if (data && typeof data === "object") {
      for (const [field, value] of Object.entries(data)) {
        if (typeof value === "number" && field !== "seq") addPoint(`${channel}.${field}`, `${channel}.${field}`, t, value);
      }
    }
  });
}

document.getElementById("add-series").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("series-channel");
  if (input.value) plotChannel(input.value.trim());
});
plotChannel("demo.metrics");

pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = paused ? "Resume" : "Pause";
  dirty = true;
});

// --- drawing ---------------------------------------------------------------

let frozenAt = null;
function draw() {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const now = paused ? (frozenAt ??= Date.now()) : ((frozenAt = null), Date.now());
  const from = now - WINDOW_MS;
  for (const entry of series.values()) {
    while (entry.points.length > 0 && entry.points[0][0] < from - 5000 && !paused) entry.points.shift();
  }
  const visible = [...series.values()].filter((s) => s.visible);
  let min = Infinity;
  let max = -Infinity;
  for (const entry of visible) {
    for (const [t, v] of entry.points) {
      if (t < from) continue;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  if (!Number.isFinite(min)) { min = 0; max = 1; }
  if (min === max) { min -= 1; max += 1; }
  const pad = (max - min) * 0.08;
  min -= pad;
  max += pad;
  const left = 56, right = 12, top = 12, bottom = 28;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const x = (t) => left + ((t - from) / WINDOW_MS) * plotW;
  const y = (v) => top + (1 - (v - min) / (max - min)) * plotH;
  const styles = getComputedStyle(canvas);
  ctx.font = "12px system-ui, sans-serif";
  ctx.strokeStyle = styles.getPropertyValue("--grid") || "#ddd";
  ctx.fillStyle = styles.getPropertyValue("--axis") || "#555";
  ctx.lineWidth = 1;
  // Time axis: a line every 10 s, labelled by seconds ago.
  for (let s = 0; s <= 60; s += 10) {
    const gx = x(now - s * 1000);
    ctx.beginPath(); ctx.moveTo(gx, top); ctx.lineTo(gx, top + plotH); ctx.stroke();
    ctx.fillText(s === 0 ? "now" : `-${s}s`, gx - 12, height - 8);
  }
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4;
    const gy = y(v);
    ctx.beginPath(); ctx.moveTo(left, gy); ctx.lineTo(left + plotW, gy); ctx.stroke();
    ctx.fillText(Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2), 4, gy + 4);
  }
  ctx.save();
  ctx.beginPath(); ctx.rect(left, top, plotW, plotH); ctx.clip();
  ctx.lineWidth = 2;
  for (const entry of visible) {
    ctx.strokeStyle = entry.color;
    ctx.beginPath();
    let started = false;
    for (const [t, v] of entry.points) {
      if (t < from - 2000) continue;
      if (started) ctx.lineTo(x(t), y(v));
      else { ctx.moveTo(x(t), y(v)); started = true; }
    }
    ctx.stroke();
  }
  ctx.restore();
}

// Ten frames a second while data flows (the time axis moves, too).
setInterval(() => {
  if (paused && !dirty) return;
  dirty = false;
  draw();
}, 100);
window.addEventListener("resize", () => { dirty = true; });
