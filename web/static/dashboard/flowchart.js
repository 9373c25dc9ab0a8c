// The Flowchart page: every pipeline as a graph, laid out in layers from
// left to right (channels as rounded nodes, stages as square ones), drawn
// in SVG and redrawn on every $sys:pipelines event. Edges carry msgs/s and
// lag; failing stages are red. Selecting a stage lists its processes.

import { api, connect, el, rate } from "./live.js";

const SVG = "http://www.w3.org/2000/svg";
const COL = 300;
const ROW = 96;
const NODE_W = 160;
const NODE_H = 52;

const client = connect();
const svg = document.getElementById("flow");
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

/** Layers: a channel nobody writes to is layer 0; a stage sits one right of its input; an output one right of its stage. */
function layout(stages) {
  const layer = new Map();
  const channels = new Set();
  for (const stage of stages) {
    channels.add(stage.input);
    for (const output of stage.outputs) channels.add(output);
  }
  for (const channel of channels) layer.set(`c:${channel}`, 0);
  for (let round = 0; round < stages.length * 2 + 2; round++) {
    let moved = false;
    for (const stage of stages) {
      const at = layer.get(`c:${stage.input}`) + 1;
      if ((layer.get(`s:${stage.name}`) ?? -1) < at) { layer.set(`s:${stage.name}`, at); moved = true; }
      for (const output of stage.outputs) {
        if (output === stage.input) continue;
        if (layer.get(`c:${output}`) < at + 1 && at + 1 < 64) { layer.set(`c:${output}`, at + 1); moved = true; }
      }
    }
    if (!moved) break;
  }
  const columns = new Map();
  for (const [key, column] of layer) {
    if (!columns.has(column)) columns.set(column, []);
    columns.get(column).push(key);
  }
  const position = new Map();
  let rows = 0;
  for (const [column, keys] of columns) {
    keys.sort();
    keys.forEach((key, row) => position.set(key, { x: 20 + column * COL, y: 20 + row * ROW }));
    rows = Math.max(rows, keys.length);
  }
  return { position, columns: columns.size, rows };
}

function edge(from, to, label, failing) {
  const x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2;
  const x2 = to.x, y2 = to.y + NODE_H / 2;
  const mid = (x1 + x2) / 2;
  const group = node("g", { class: failing ? "edge failing" : "edge" });
  group.append(node("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 6},${y2}`, "marker-end": "url(#arrow)" }));
  group.append(node("text", { x: mid, y: (y1 + y2) / 2 - 6, "text-anchor": "middle", class: "edge-label" }, label));
  return group;
}

function draw() {
  const stages = topology.stages ?? [];
  empty.hidden = stages.length > 0;
  svg.dataset.stages = String(stages.length);
  const { position, columns, rows } = layout(stages);
  const width = Math.max(1, columns) * COL + 40;
  const height = Math.max(1, rows) * ROW + 30;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const defs = node("defs");
  const marker = node("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
  marker.append(node("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }));
  defs.append(marker);
  const parts = [defs];
  for (const stage of stages) {
    const s = position.get(`s:${stage.name}`);
    const lag = stage.pending + stage.undelivered;
    parts.push(edge(position.get(`c:${stage.input}`), s, `${rate(stage.rate)} · lag ${lag}`, stage.failing));
    for (const output of stage.outputs) {
      if (output !== stage.input) parts.push(edge(s, position.get(`c:${output}`), rate(stage.rate), false));
    }
  }
  for (const [key, at] of position) {
    const [kind, name] = [key.slice(0, 1), key.slice(2)];
    const stage = kind === "s" ? stages.find((st) => st.name === name) : null;
    const classes = ["node", kind === "s" ? "stage" : "channel"];
    if (stage?.failing) classes.push("failing");
    if (stage && stage.name === selected) classes.push("selected");
    const group = node("g", { class: classes.join(" "), transform: `translate(${at.x},${at.y})` });
    group.append(node("rect", { width: NODE_W, height: NODE_H, rx: kind === "s" ? 4 : 24 }));
    group.append(node("text", { x: NODE_W / 2, y: 22, "text-anchor": "middle", class: "node-name" }, name));
    if (stage) {
      group.dataset.stage = stage.name;
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      group.setAttribute("aria-label", `stage ${stage.name}, ${stage.running} of ${stage.instances} running${stage.failing ? ", failing" : ""}`);
      group.append(node("text", { x: NODE_W / 2, y: 40, "text-anchor": "middle", class: "node-detail" },
        `${stage.running}/${stage.instances} running · ${stage.errors} err`));
    } else {
      group.dataset.channel = name;
      group.append(node("text", { x: NODE_W / 2, y: 40, "text-anchor": "middle", class: "node-detail" }, "channel"));
    }
    parts.push(group);
  }
  // Keep keyboard focus on the same stage across redraws.
  const focused = document.activeElement?.closest?.("[data-stage]")?.dataset.stage;
  svg.replaceChildren(...parts);
  if (focused) svg.querySelector(`[data-stage="${CSS.escape(focused)}"]`)?.focus();
  if (selected) showStage(selected);
}

async function showStage(name) {
  selected = name;
  const stage = (topology.stages ?? []).find((s) => s.name === name);
  if (!stage) { panel.hidden = true; return; }
  panel.hidden = false;
  document.getElementById("stage-title").textContent = `Stage ${name}`;
  const figures = document.getElementById("stage-figures");
  figures.replaceChildren();
  for (const [label, value] of [["input", stage.input], ["outputs", stage.outputs.join(", ")], ["rate", rate(stage.rate)],
    ["pending", stage.pending], ["undelivered", stage.undelivered], ["processed", stage.processed],
    ["errors", stage.errors], ["dead-lettered", stage.dead_lettered]]) {
    figures.append(el("dt", {}, label), el("dd", {}, value));
  }
  const body = document.getElementById("stage-processes");
  try {
    const { processes } = await api("GET", "/api/v1/processes");
    body.replaceChildren(...processes.filter((p) => p.name === name).map((p) =>
      el("tr", { class: `status-${p.status}` }, el("td", {}, p.instance), el("td", {}, p.pid ?? "–"),
        el("td", {}, el("span", { class: "status" }, p.status)), el("td", {}, p.restarts),
        el("td", {}, `${p.cpu_percent.toFixed(1)}%`))));
  } catch (error) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 5 }, error.message)));
  }
}

function choose(event) {
  const group = event.target.closest("[data-stage]");
  if (!group) return;
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  selected = group.dataset.stage;
  draw();
}
svg.addEventListener("click", choose);
svg.addEventListener("keydown", choose);

client.subscribe("$sys:pipelines", (data) => {
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
