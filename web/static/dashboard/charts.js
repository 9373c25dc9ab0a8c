// The Charts page: a line chart (Chart.js, vendored) of the last five
// minutes, read from each channel's history on open and then followed live
// from where the history ended (no gap). Series come from the metrics
// channel (messages per second per channel, on the left axis) and from the
// numeric fields of channels the user adds (the demo producer's channel by
// default, on the right axis: their unit is unknown). Each series has its
// own colour and dash, so overlapping lines stay apart. Redrawn at most ten
// times a second, only when something changed; the legend is the page's own
// (checkboxes with the last value), so it stays text a test or a screen
// reader can read. The plotted channels and the hidden series are kept in
// the URL (?plot=…&hide=…), so a reload or a shared link shows the same.

import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from "/static/vendor/chart.js/chart.esm.js";
import { api, channelKind, connect, el, pageData, rate } from "./live.js";

Chart.register(LineController, LineElement, LinearScale, PointElement, Tooltip);

const WINDOW_MS = 300_000;
// Most messages read from a channel's history on open.
const HISTORY_LIMIT = 1000;
const DASHES = [[], [7, 4], [2, 3], [12, 4, 2, 4]];
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
let oldest = Infinity;
// The end of the time axis: now, or the moment the chart was paused.
let end = Date.now();

const styles = getComputedStyle(document.documentElement);
const css = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
Chart.defaults.color = css("--axis", "#5b6470");
Chart.defaults.borderColor = css("--grid", "#e3e6ea");
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', sans-serif";

/** Time before the end of the axis, for people: "now", "-2 min", "-10 s". */
function ago(t) {
  const seconds = Math.round((t - end) / 1000);
  if (seconds === 0) return "now";
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

// What the URL asks for: channels to plot, series to hide.
const query = new URLSearchParams(location.search);
const listed = (name) => (query.get(name) ?? "").split(",").map((v) => v.trim()).filter(Boolean);
const hiddenKeys = new Set(listed("hide"));

/** Keeps the plotted channels and the hidden series in the URL. */
function rememberInUrl() {
  const next = new URLSearchParams();
  if (plotted.size > 0) next.set("plot", [...plotted].join(","));
  const hidden = [...series.entries()].filter(([, entry]) => entry.dataset.hidden).map(([key]) => key);
  if (hidden.length > 0) next.set("hide", hidden.join(","));
  const search = next.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
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
        // A tick every minute from the end of the axis back, labelled by age.
        afterBuildTicks: (scale) => {
          scale.ticks = Array.from({ length: 6 }, (_, i) => ({ value: end - (5 - i) * 60_000 }));
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

window.dashboardChart = chart; // for debugging from the console, and tests

/** A channel's value for people: two decimals at most. */
function plain(value) {
  return String(Math.round(value * 100) / 100);
}

function seriesFor(key, label, axis, format) {
  let entry = series.get(key);
  if (entry) return entry;
  const color = COLORS[series.size % COLORS.length];
  const dash = DASHES[series.size % DASHES.length];
  const id = `series-${series.size}`;
  const shown = !hiddenKeys.has(key);
  const box = el("input", { type: "checkbox", id, checked: shown });
  const swatch = el("span", { class: "swatch" });
  swatch.style.background = color;
  const value = el("span", { class: "value" });
  legend.append(el("label", { for: id, class: "legend-item" }, box, swatch, label, " ", value));
  const dataset = { key, label, data: [], yAxisID: axis, borderColor: color, backgroundColor: color, borderDash: dash, hidden: !shown };
  chart.data.datasets.push(dataset);
  entry = { dataset, value, format };
  box.addEventListener("change", () => {
    dataset.hidden = !box.checked;
    dirty = true;
    rememberInUrl();
  });
  series.set(key, entry);
  return entry;
}

function addPoint(key, label, axis, format, t, v) {
  if (!Number.isFinite(v)) return;
  const entry = seriesFor(key, label, axis, format);
  // History comes first, then live messages: keep the data sorted by time.
  const data = entry.dataset.data;
  if (data.length > 0 && data[data.length - 1].x > t) {
    const at = data.findIndex((point) => point.x > t);
    data.splice(at, 0, { x: t, y: v });
  } else {
    data.push({ x: t, y: v });
  }
  oldest = Math.min(oldest, t);
  canvas.dataset.oldest = String(oldest);
  entry.value.textContent = format(v);
  pointCount += 1;
  canvas.dataset.points = String(pointCount);
  dirty = true;
}

/**
 * Follows `channel` from the last five minutes of its history on: calls
 * `take(data, ts)` for each message, oldest first, then for each live one.
 * `refused(error)` hears why, when the channel cannot be read.
 */
async function follow(channel, take, refused) {
  let since;
  try {
    const answer = await api("GET", `/api/v1/channels/${encodeURIComponent(channel)}/messages?reverse=true&limit=${HISTORY_LIMIT}`);
    const from = Date.now() - WINDOW_MS - KEEP_MS;
    for (const message of answer.messages.reverse()) {
      if (message.ts >= from) take(message.data, message.ts);
    }
    since = { offset: answer.offset, epoch: answer.epoch };
  } catch (error) {
    refused(error);
    return;
  }
  client.subscribe(channel, (data, meta) => take(data, meta.ts || Date.now()), { since, onError: refused });
}

// Messages per second of every channel but Asynchronio's own.
follow(pageData(canvas, "metricsChannel"), (event, ts) => {
  const t = event.ts_ms ?? ts;
  for (const channel of event.channels ?? []) {
    if (channelKind(channel.channel) === "system") continue;
    addPoint(`rate:${channel.channel}`, `${channel.channel} msgs/s`, "rate", rate, t, channel.rate);
  }
}, (error) => {
  document.getElementById("series-error").textContent = `Cannot read the message rates: ${error.message}`;
});

const seriesError = document.getElementById("series-error");
const plotted = new Set();
function plotChannel(channel) {
  seriesError.textContent = "";
  if (plotted.has(channel)) return;
  if (plotted.size >= MAX_PLOTTED) {
    seriesError.textContent = `At most ${MAX_PLOTTED} channels at once.`;
    return;
  }
  plotted.add(channel);
  rememberInUrl();
  const refused = (error) => {
    plotted.delete(channel);
    rememberInUrl();
    const shown = channel.length > 60 ? `${channel.slice(0, 60)}…` : channel;
    seriesError.textContent = `Cannot plot ${shown}: ${error.message}`;
  };
  follow(channel, (data, t) => {
    if (typeof data === "number") addPoint(channel, channel, "value", plain, t, data);
    else if (data && typeof data === "object") {
      for (const [field, value] of Object.entries(data)) {
        // seq only counts messages: a line that climbs forever.
        if (typeof value === "number" && field !== "seq") {
          addPoint(`${channel}.${field}`, `${channel}.${field}`, "value", plain, t, value);
        }
      }
    }
  }, refused);
}

document.getElementById("add-series").addEventListener("submit", (event) => {
  event.preventDefault();
  if (seriesInput.value) plotChannel(seriesInput.value.trim());
});
// The channels the URL names, or else the one the template suggests (the
// demo producer's), are plotted at once.
// At most a few, and only channel names: a link cannot make the page read
// hundreds of channels.
const MAX_PLOTTED = 20;
const channelName = new RegExp(`^(?:${seriesInput.pattern})$`, "v");
const asked = listed("plot").filter((c) => channelName.test(c) && !/^\.+$/.test(c)).slice(0, MAX_PLOTTED);
for (const channel of asked.length > 0 ? asked : [seriesInput.defaultValue].filter(Boolean)) plotChannel(channel);

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
