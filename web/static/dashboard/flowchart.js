// The Flowchart page: every pipeline as a graph from left to right (top to
// bottom on narrow screens; channels as rounded nodes, stages as square
// ones), laid out by dagre (vendored) and drawn in SVG on every pipelines
// event. Edges carry msgs/s and lag and thicken with throughput; degraded
// stages are amber, failing ones red. The drawing
// fits its box until the user zooms or pans it (drag, Ctrl + wheel, the
// buttons, or the arrow and +/- keys); "Fit" gives the fitted view back.
// Selecting a stage lists its processes: read once over HTTP, then kept
// current by the processes channel's events, so nothing polls.

import "/static/vendor/dagre/dagre.min.js";
import { showDeadLetters } from "./dead_letters.js";
import { api, connect, el, pageData, rate, toast } from "./live.js";

// The UMD bundle puts itself on the global object (it is not an ES module).
const { dagre } = globalThis;

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 160;
const NODE_H = 52;
// Edge labels are measured by character count (dagre only needs room).
const LABEL_CHAR_W = 7;
const LABEL_H = 16;
// Zoom limits, and how far a key press or a button zooms or pans.
const MIN_ZOOM = 0.2;
const MAX_ZOOM = 3;
const ZOOM_STEP = 1.25;
const PAN_STEP = 60;
// Below this box width (px) the graph runs top to bottom.
const NARROW_BOX = 600;
// The box's height: the drawing's, between these bounds.
const BOX_MIN_H = 160;
const BOX_MAX_VH = 0.6;
// Pointer travel (px) that makes a press a drag rather than a click.
const DRAG_SLOP = 4;

const client = connect();
const svg = document.getElementById("flow");
const box = svg.parentElement;
const empty = document.getElementById("flow-empty");
const panel = document.getElementById("stage-panel");
let topology = { stages: [] };
let selected = null;

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// --- layout ------------------------------------------------------------------

function stageLabel(stage) {
  return `${rate(stage.rate)} · lag ${stage.pending + stage.undelivered}`;
}

/** Left to right, or top to bottom in a box too narrow for a few columns. */
function direction() {
  return box.clientWidth < NARROW_BOX ? "TB" : "LR";
}

/** An edge's stroke width for `rate` msgs/s: 1.5 px idle, thicker by
 * orders of magnitude, at most 8 px. */
function edgeWeight(value) {
  return Math.min(8, 1.5 + 1.5 * Math.log10(1 + Math.max(0, value || 0)));
}

/** A 60-second sparkline of a stage's per-second counts, as a path in a
 * `width` × `height` box (empty when there is nothing to draw). */
function sparkline(counts, width, height) {
  if (!Array.isArray(counts) || counts.length < 2) return "";
  const top = Math.max(1, ...counts);
  const step = width / 59;
  const start = width - step * (counts.length - 1);
  return counts
    .map((count, i) => `${i ? "L" : "M"}${(start + i * step).toFixed(1)},${(height - (count / top) * height).toFixed(1)}`)
    .join(" ");
}

/** The graph of `stages`, laid out by dagre: nodes `c:{channel}` and `s:{stage}`. */
function layout(stages) {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: direction(), nodesep: 28, ranksep: 70, edgesep: 16, marginx: 16, marginy: 16 });
  const label = (text) => ({ text, width: text.length * LABEL_CHAR_W, height: LABEL_H, labelpos: "c" });
  for (const stage of stages) {
    graph.setNode(`s:${stage.name}`, { width: NODE_W, height: NODE_H, stage });
    for (const channel of [stage.input, ...stage.outputs]) {
      if (!graph.hasNode(`c:${channel}`)) graph.setNode(`c:${channel}`, { width: NODE_W, height: NODE_H, channel });
    }
    const flow = { health: stage.health ?? "ok", weight: edgeWeight(stage.rate) };
    graph.setEdge(`c:${stage.input}`, `s:${stage.name}`, { ...label(stageLabel(stage)), ...flow }, "in");
    for (const output of stage.outputs) {
      // A stage writing back to its input would draw a loop onto itself.
      if (output !== stage.input) {
        graph.setEdge(`s:${stage.name}`, `c:${output}`, { ...label(rate(stage.rate)), weight: flow.weight }, `out:${output}`);
      }
    }
  }
  dagre.layout(graph);
  return graph;
}

/** A smooth path through dagre's edge points (quadratic curves between midpoints). */
function edgePath(points) {
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += ` Q${points[i].x},${points[i].y} ${mid.x},${mid.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

// --- view: fit, zoom, pan ------------------------------------------------------

// The drawing's size (from the last layout) and how it is shown: `fitted`
// until the user moves it, then their zoom and offset until "Fit".
let drawing = { width: 1, height: 1 };
const view = { fitted: true, zoom: 1, x: 0, y: 0 };
const viewport = node("g", { class: "viewport" });

function applyView() {
  viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.zoom})`);
  svg.dataset.zoom = view.zoom.toFixed(3);
}

/** Scales the drawing to fit the box (never above 1:1) and centres it. */
function fit() {
  const width = box.clientWidth;
  const height = box.clientHeight;
  view.zoom = Math.min(1, width / drawing.width, height / drawing.height);
  view.x = (width - drawing.width * view.zoom) / 2;
  view.y = (height - drawing.height * view.zoom) / 2;
  view.fitted = true;
  applyView();
}

/** Makes the box as tall as the drawing at the width's zoom, within bounds. */
function sizeBox() {
  const zoom = Math.min(1, box.clientWidth / drawing.width);
  const height = Math.min(BOX_MAX_VH * window.innerHeight, Math.max(BOX_MIN_H, drawing.height * zoom));
  box.style.height = `${Math.round(height)}px`;
}

/** Zooms by `factor` around the box point (`cx`, `cy`), the centre by default. */
function zoomBy(factor, cx = box.clientWidth / 2, cy = box.clientHeight / 2) {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
  view.x = cx - ((cx - view.x) * zoom) / view.zoom;
  view.y = cy - ((cy - view.y) * zoom) / view.zoom;
  view.zoom = zoom;
  view.fitted = false;
  applyView();
}

function panBy(dx, dy) {
  view.x += dx;
  view.y += dy;
  view.fitted = false;
  applyView();
}

document.getElementById("flow-fit").addEventListener("click", fit);
document.getElementById("flow-zoom-in").addEventListener("click", () => zoomBy(ZOOM_STEP));
document.getElementById("flow-zoom-out").addEventListener("click", () => zoomBy(1 / ZOOM_STEP));
// A new width may change the direction (a redraw) or just the fit.
let boxWidth = box.clientWidth;
new ResizeObserver(() => {
  const narrowed = (boxWidth < NARROW_BOX) !== (box.clientWidth < NARROW_BOX);
  boxWidth = box.clientWidth;
  if (narrowed) draw();
  else if (view.fitted) fit();
}).observe(box);

svg.addEventListener("wheel", (event) => {
  // Plain wheel scrolls the page; Ctrl + wheel (and a touchpad pinch) zooms.
  if (!event.ctrlKey && !event.metaKey) return;
  event.preventDefault();
  const bounds = svg.getBoundingClientRect();
  zoomBy(Math.exp(-event.deltaY / 300), event.clientX - bounds.left, event.clientY - bounds.top);
}, { passive: false });

// Dragging pans; a press that barely moves stays a click (on a stage).
let drag = null;
let dragged = false;
svg.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  drag = { id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
  dragged = false;
});
svg.addEventListener("pointermove", (event) => {
  if (!drag || event.pointerId !== drag.id) return;
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < DRAG_SLOP) return;
  if (!drag.moved) {
    drag.moved = true;
    svg.setPointerCapture(drag.id);
    svg.classList.add("dragging");
  }
  drag.x = event.clientX;
  drag.y = event.clientY;
  panBy(dx, dy);
});
function endDrag(event) {
  if (!drag || event.pointerId !== drag.id) return;
  dragged = drag.moved;
  drag = null;
  svg.classList.remove("dragging");
}
svg.addEventListener("pointerup", endDrag);
svg.addEventListener("pointercancel", endDrag);

// Keys on the focused box (not on a stage, whose Enter/Space select it).
box.addEventListener("keydown", (event) => {
  if (event.target !== box) return;
  const moves = { ArrowLeft: [PAN_STEP, 0], ArrowRight: [-PAN_STEP, 0], ArrowUp: [0, PAN_STEP], ArrowDown: [0, -PAN_STEP] };
  if (moves[event.key]) panBy(...moves[event.key]);
  else if (event.key === "+" || event.key === "=") zoomBy(ZOOM_STEP);
  else if (event.key === "-") zoomBy(1 / ZOOM_STEP);
  else if (event.key === "0") fit();
  else return;
  event.preventDefault();
});

// --- drawing -------------------------------------------------------------------

function defs() {
  const group = node("defs");
  const marker = node("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
  marker.append(node("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }));
  group.append(marker);
  return group;
}

function drawNode(graph, key) {
  const { x, y, stage, channel } = graph.node(key);
  const classes = ["node", stage ? "stage" : "channel"];
  if (stage && stage.health && stage.health !== "ok") classes.push(stage.health);
  if (stage && stage.name === selected) classes.push("selected");
  const group = node("g", { class: classes.join(" "), transform: `translate(${x - NODE_W / 2},${y - NODE_H / 2})` });
  group.append(node("rect", { width: NODE_W, height: NODE_H, rx: stage ? 4 : 24 }));
  group.append(node("text", { x: NODE_W / 2, y: 22, "text-anchor": "middle", class: "node-name" }, stage ? stage.name : channel));
  if (stage) {
    group.dataset.stage = stage.name;
    group.setAttribute("tabindex", "0");
    group.setAttribute("role", "button");
    group.setAttribute("aria-label", `stage ${stage.name}, ${stage.running} of ${stage.instances} running, ${stage.health ?? "ok"}`);
    group.append(node("text", { x: NODE_W / 2, y: 40, "text-anchor": "middle", class: "node-detail" },
      `${stage.running}/${stage.instances} running · ${stage.errors} err`));
    // The last minute, one point a second, along the node's bottom edge.
    const line = sparkline(stage.processed_per_second, NODE_W - 16, 8);
    if (line) group.append(node("path", { d: line, class: "sparkline", transform: `translate(8,${NODE_H - 11})` }));
  } else {
    // A channel opens its recent messages on the Channels page.
    group.dataset.channel = channel;
    group.setAttribute("tabindex", "0");
    group.setAttribute("role", "link");
    group.setAttribute("aria-label", `channel ${channel}: recent messages`);
    group.append(node("text", { x: NODE_W / 2, y: 40, "text-anchor": "middle", class: "node-detail" }, "channel"));
  }
  return group;
}

function drawEdge(graph, edge) {
  const { points, x, y, text, health, weight } = graph.edge(edge);
  const group = node("g", { class: health && health !== "ok" ? `edge ${health}` : "edge" });
  const path = node("path", { d: edgePath(points), "marker-end": "url(#arrow)" });
  path.style.strokeWidth = `${weight.toFixed(1)}px`;
  group.append(path);
  // Just above the line, at the room dagre kept for it.
  group.append(node("text", { x, y: y - 5, "text-anchor": "middle", class: "edge-label" }, text));
  return group;
}

// The structure last drawn: a new one (a stage added or rewired) refits.
let shape = "";

function draw() {
  const stages = topology.stages ?? [];
  empty.hidden = stages.length > 0;
  svg.dataset.stages = String(stages.length);
  const graph = layout(stages);
  drawing = { width: Math.max(1, graph.graph().width ?? 1), height: Math.max(1, graph.graph().height ?? 1) };
  const parts = [];
  for (const edge of graph.edges()) parts.push(drawEdge(graph, edge));
  for (const key of graph.nodes()) parts.push(drawNode(graph, key));
  // Keep keyboard focus on the same stage across redraws.
  const focused = document.activeElement?.closest?.("[data-stage]")?.dataset.stage;
  viewport.replaceChildren(...parts);
  if (!viewport.isConnected) svg.replaceChildren(defs(), viewport);
  if (focused) svg.querySelector(`[data-stage="${CSS.escape(focused)}"]`)?.focus();
  const drawnShape = JSON.stringify([direction(), stages.map((s) => [s.name, s.input, s.outputs])]);
  if (view.fitted || drawnShape !== shape) {
    sizeBox();
    fit();
  }
  shape = drawnShape;
  if (selected) showStage(selected);
}

// --- the selected stage --------------------------------------------------------

// Every instance's last state (`name/instance` -> state), once a stage was
// selected: read once, then followed on the processes channel.
const instances = new Map();
let following = false;

/** Keeps `state` unless a newer one of the same instance is known already. */
function remember(state) {
  const key = `${state.name}/${state.instance}`;
  const known = instances.get(key);
  if (!known || known.updated_ms <= state.updated_ms) instances.set(key, state);
}

/** The processes channel's position, then the states, then the events after that position. */
async function followProcesses() {
  if (following) return;
  following = true;
  const channel = pageData(panel, "processesChannel");
  try {
    const history = await api("GET", `/api/v1/channels/${encodeURIComponent(channel)}/messages?reverse=true&limit=1`);
    await readProcesses();
    client.subscribe(channel, (state) => {
      remember(state);
      if (selected === state.name) showStage(selected);
    }, {
      since: { offset: history.offset, epoch: history.epoch },
      // History could not fill the gap: read the states again, once.
      onReset: () => readProcesses().then(() => selected && showStage(selected), () => {}),
    });
  } catch (error) {
    following = false;
    toast(`cannot read the processes: ${error.message}`, "error");
  }
}

async function readProcesses() {
  const { processes } = await api("GET", "/api/v1/processes");
  for (const state of processes) remember(state);
}

// The stage panel's actions act on the stage shown.
let actionsFor = null;
const scaleCount = document.getElementById("stage-scale-count");
const restart = document.getElementById("stage-restart");
const stageResult = document.getElementById("stage-result");

async function stageAction(verb, body) {
  const name = actionsFor;
  try {
    const answer = await api("POST", `/api/v1/processes/${encodeURIComponent(name)}/${verb}`, body);
    stageResult.textContent = answer?.message ?? `${verb} ${name}: done`;
  } catch (error) {
    stageResult.textContent = `${verb} ${name} failed: ${error.message}`;
  }
}

document.getElementById("stage-scale").addEventListener("submit", (event) => {
  event.preventDefault();
  const instances = Number(scaleCount.value);
  if (Number.isInteger(instances) && instances >= 0) stageAction("scale", { instances });
});
// Restarting interrupts the stage's messages in flight: a second click
// confirms it.
restart.addEventListener("click", () => {
  if (restart.dataset.armed !== "true") {
    restart.dataset.armed = "true";
    restart.textContent = "Click again to restart";
    setTimeout(() => {
      restart.dataset.armed = "false";
      restart.textContent = "Restart";
    }, 5000);
    return;
  }
  restart.dataset.armed = "false";
  restart.textContent = "Restart";
  stageAction("restart");
});

function showStage(name) {
  selected = name;
  const stage = (topology.stages ?? []).find((s) => s.name === name);
  if (!stage) { panel.hidden = true; return; }
  panel.hidden = false;
  if (actionsFor !== name) {
    actionsFor = name;
    scaleCount.value = String(stage.instances);
    stageResult.textContent = "";
    document.getElementById("stage-logs").href = `/processes?logs=${encodeURIComponent(name)}`;
  }
  document.getElementById("stage-title").textContent = `Stage ${name}`;
  const figures = document.getElementById("stage-figures");
  figures.replaceChildren();
  for (const [label, value] of [["health", stage.health ?? "ok"], ["input", stage.input],
    ["outputs", stage.outputs.join(", ")], ["rate", rate(stage.rate)],
    ["pending", stage.pending], ["undelivered", stage.undelivered], ["processed", stage.processed],
    ["errors", `${stage.errors} (${stage.errors_last_minute ?? 0} in the last minute)`],
    ["dead-lettered", `${stage.dead_lettered} (${stage.dead_lettered_last_minute ?? 0} in the last minute)`]]) {
    figures.append(el("dt", {}, label), el("dd", {}, value));
  }
  // Instances beyond the stage's count were scaled away (no event says so).
  const rows = [...instances.values()]
    .filter((p) => p.name === name && p.instance < stage.instances)
    .sort((a, b) => a.instance - b.instance);
  document.getElementById("stage-processes").replaceChildren(...rows.map((p) =>
    el("tr", { class: `status-${p.status}` }, el("td", {}, p.instance), el("td", {}, p.pid ?? "–"),
      el("td", {}, el("span", { class: "status" }, p.status)), el("td", {}, p.restarts),
      el("td", {}, `${p.cpu_percent.toFixed(1)}%`))));
  showDeadLetters(name, stage.dead_lettered);
}

function choose(event) {
  const channel = event.target.closest("[data-channel]");
  if (channel && !(event.type === "click" && dragged)
    && (event.type === "click" || event.key === "Enter")) {
    location.assign(`/channels?channel=${encodeURIComponent(channel.dataset.channel)}`);
    return;
  }
  const group = event.target.closest("[data-stage]");
  if (!group) return;
  if (event.type === "click" && dragged) return;
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  selected = group.dataset.stage;
  draw();
  followProcesses().then(() => selected && showStage(selected));
}
svg.addEventListener("click", choose);
svg.addEventListener("keydown", choose);

client.subscribe(pageData(svg, "pipelinesChannel"), (data) => {
  topology = data;
  draw();
});
api("GET", "/api/v1/pipelines").then((data) => {
  if ((topology.stages ?? []).length === 0) {
    topology = data;
    draw();
  }
}, () => {});
draw();
