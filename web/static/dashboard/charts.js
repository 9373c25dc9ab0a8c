// The Charts page: a line chart (Chart.js, vendored) of the last 60
// seconds. Series come from the metrics channel (messages per second per
// channel, on the left axis) and from the numeric fields of channels the
// user adds (the demo producer's channel by default, on the right axis:
// their unit is unknown). Redrawn at most ten times a second, only when
// something changed; the legend is the page's own (checkboxes with the last
// value), so it stays text a test or a screen reader can read.

import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from "/static/vendor/chart.js/chart.esm.js";
import { channelKind, connect, el, pageData, rate } from "./live.js";

Chart.register(LineController, LineElement, LinearScale, PointElement, Tooltip);

const WINDOW_MS = 60_000;
// Points this far before the window are kept, so lines enter from the edge.
const KEEP_MS = 5_000;
const COLORS = ["#2f6fde", "#e0622b", "#1f9d55", "#b43fc7", "#c9a100", "#0f9bb5", "#d6336c", "#6b7280"];

const client = connect();
const canvas = document.getElementById("chart");
const legend = document.getElementById("legend");
const pauseButton = document.getElementById("pause");
const seriesInput = document.getElementById("series-channel");
const series = new Map(); // key -> { dataset, value }
let paused = false;
let dirty = true;
let pointCount = 0;
// The end of the time axis: now, or the moment the chart was paused.
let end = Date.now();

const styles = getComputedStyle(document.documentElement);
const css = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
Chart.defaults.color = css("--axis", "#5b6470");
Chart.defaults.borderColor = css("--grid", "#e3e6ea");
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', sans-serif";

/** Seconds before the end of the axis, for people: "now", "-10 s". */
function ago(t) {
  const seconds = Math.round((t - end) / 1000);
  return seconds === 0 ? "now" : `${seconds} s`;
}

const chart = new Chart(canvas, {
  type: "line",
  data: { datasets: [] },
  options: {
    animation: false,
    maintainAspectRatio: false,
    // Data are {x, y} objects sorted by x: nothing to parse.
    parsing: false,
    normalized: true,
    spanGaps: true,
    interaction: { mode: "nearest", axis: "x", intersect: false },
    elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2 } },
    scales: {
      x: {
        type: "linear",
        // A tick every 10 s from the end of the axis back, labelled by age.
        afterBuildTicks: (scale) => {
          scale.ticks = Array.from({ length: 7 }, (_, i) => ({ value: end - (6 - i) * 10_000 }));
        },
        ticks: { callback: (value) => ago(value), maxRotation: 0 },
      },
      rate: {
        type: "linear",
        position: "left",
        beginAtZero: true,
        grace: "5%",
        display: "auto",
        title: { display: true, text: "messages / s" },
      },
      value: {
        type: "linear",
        position: "right",
        grace: "5%",
        display: "auto",
        title: { display: true, text: "value" },
        grid: { drawOnChartArea: false },
      },
    },
    plugins: {
      tooltip: {
        callbacks: {
          title: (items) => (items.length > 0 ? ago(items[0].parsed.x) : ""),
          label: (item) => `${item.dataset.label}: ${series.get(item.dataset.key)?.format(item.parsed.y) ?? item.parsed.y}`,
        },
      },
    },
  },
});

/** A channel's value for people: two decimals at most. */
function plain(value) {
  return String(Math.round(value * 100) / 100);
}

function seriesFor(key, label, axis, format) {
  let entry = series.get(key);
  if (entry) return entry;
  const color = COLORS[series.size % COLORS.length];
  const id = `series-${series.size}`;
  const box = el("input", { type: "checkbox", id, checked: true });
  const swatch = el("span", { class: "swatch" });
  swatch.style.background = color;
  const value = el("span", { class: "value" });
  legend.append(el("label", { for: id, class: "legend-item" }, box, swatch, label, " ", value));
  const dataset = { key, label, data: [], yAxisID: axis, borderColor: color, backgroundColor: color, hidden: false };
  chart.data.datasets.push(dataset);
  entry = { dataset, value, format };
  box.addEventListener("change", () => {
    dataset.hidden = !box.checked;
    dirty = true;
  });
  series.set(key, entry);
  return entry;
}

function addPoint(key, label, axis, format, t, v) {
  if (!Number.isFinite(v)) return;
  const entry = seriesFor(key, label, axis, format);
  entry.dataset.data.push({ x: t, y: v });
  entry.value.textContent = format(v);
  pointCount += 1;
  canvas.dataset.points = String(pointCount);
  dirty = true;
}

// Messages per second of every channel but Asynchronio's own.
client.subscribe(pageData(canvas, "metricsChannel"), (event) => {
  const t = event.ts_ms ?? Date.now();
  for (const channel of event.channels ?? []) {
    if (channelKind(channel.channel) === "system") continue;
    addPoint(`rate:${channel.channel}`, `${channel.channel} msgs/s`, "rate", rate, t, channel.rate);
  }
});

const plotted = new Set();
function plotChannel(channel) {
  if (plotted.has(channel)) return;
  plotted.add(channel);
  client.subscribe(channel, (data, meta) => {
    const t = meta.ts || Date.now();
    if (typeof data === "number") addPoint(channel, channel, "value", plain, t, data);
    else if (data && typeof data === "object") {
      for (const [field, value] of Object.entries(data)) {
        // seq only counts messages: a line that climbs forever.
        if (typeof value === "number" && field !== "seq") {
          addPoint(`${channel}.${field}`, `${channel}.${field}`, "value", plain, t, value);
        }
      }
    }
  });
}

document.getElementById("add-series").addEventListener("submit", (event) => {
  event.preventDefault();
  if (seriesInput.value) plotChannel(seriesInput.value.trim());
});
// The channel the template suggests (the demo producer's) is plotted at once.
if (seriesInput.defaultValue) plotChannel(seriesInput.defaultValue);

pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = paused ? "Resume" : "Pause";
  dirty = true;
});

function draw() {
  if (!paused) end = Date.now();
  const from = end - WINDOW_MS;
  for (const { dataset } of series.values()) {
    const points = dataset.data;
    let old = 0;
    while (!paused && old < points.length && points[old].x < from - KEEP_MS) old += 1;
    if (old > 0) points.splice(0, old);
  }
  chart.options.scales.x.min = from;
  chart.options.scales.x.max = end;
  chart.update("none");
}

// Ten frames a second while data flows (the time axis moves, too).
setInterval(() => {
  if (paused && !dirty) return;
  dirty = false;
  draw();
}, 100);
