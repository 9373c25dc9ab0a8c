// The Processes page: the table is rendered by the server and kept live by
// render frames on $sys:render:processes; buttons send commands through the
// REST API (which puts them on the manager's command stream); the log tail
// follows $sys:logs:{name}.

import { api, connect, el, toast } from "./live.js";

const rows = document.getElementById("process-rows");
// Render frames on the processes channel may change the table's rows only.
const client = connect({ renderRoot: rows });

client.subscribe(rows.dataset.renderChannel, () => {}, {
  since: { offset: rows.dataset.offset, epoch: rows.dataset.epoch },
  // History could not fill the gap: fetch the current table instead.
  onReset: refreshTable,
});

async function refreshTable() {
  const response = await fetch("/processes", { credentials: "same-origin" });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("process-rows");
  if (fresh) rows.replaceChildren(...fresh.childNodes);
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

async function act(name, verb, body) {
  try {
    const result = await api("POST", `/api/v1/processes/${encodeURIComponent(name)}/${verb}`, body);
    toast(result?.message ?? `${verb} ${name}: done`);
  } catch (error) {
    toast(`${verb} ${name} failed: ${error.message}`, "error");
  }
}

rows.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, name } = button.dataset;
  if (action === "logs") {
    followLogs(name);
    document.getElementById("log-process").value = name;
    document.getElementById("log-lines").focus();
    return;
  }
  if (action === "stop") {
    const ok = await ask(confirmDialog, () => {
      document.getElementById("confirm-text").textContent = `Stop every instance of ${name}?`;
    });
    if (ok) await act(name, "stop");
    return;
  }
  if (action === "scale") {
    const current = rows.querySelectorAll(`tr[data-name="${CSS.escape(name)}"]`).length;
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

const logLines = document.getElementById("log-lines");
const logSelect = document.getElementById("log-process");
const MAX_LINES = 500;
let following = null;

function addLine(line) {
  const stream = line.stream === "stderr" ? "err" : "out";
  logLines.append(el("span", { class: `line ${stream}` }, `[${line.instance ?? "?"}] ${line.line ?? ""}`), "\n");
  while (logLines.childNodes.length > MAX_LINES * 2) {
    logLines.firstChild.remove();
    logLines.firstChild?.remove();
  }
  logLines.scrollTop = logLines.scrollHeight;
}

async function followLogs(name) {
  if (following) following();
  following = null;
  logLines.replaceChildren();
  if (!name) return;
  try {
    const tail = await api("GET", `/api/v1/processes/${encodeURIComponent(name)}/logs?limit=100`);
    for (const line of tail.lines) addLine(line);
    following = client.subscribe(tail.channel, (line) => addLine(line), {
      since: { offset: tail.offset, epoch: tail.epoch },
    });
    logLines.dataset.following = name;
  } catch (error) {
    toast(`cannot read the logs of ${name}: ${error.message}`, "error");
  }
}

logSelect.addEventListener("change", () => followLogs(logSelect.value));
document.getElementById("log-clear").addEventListener("click", () => logLines.replaceChildren());
