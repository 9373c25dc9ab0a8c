// The stage panel's dead letters: listed with their last error and attempt
// count, shown in full on demand, replayed (one, or all: the process manager
// hands them to the stage's processor again) and deleted, through the REST
// API with the page's CSRF token. Every value is set as text.

import { api, el } from "./live.js";

const section = document.getElementById("stage-dead");
const body = document.getElementById("dead-rows");
const empty = document.getElementById("dead-empty");
const result = document.getElementById("dead-result");
const deleteAll = document.getElementById("dead-delete-all");
const PAGE = 100;

let stage = null;
let seen = null;

const base = () => `/api/v1/pipelines/${encodeURIComponent(stage)}/dead-letters`;

/** A value cut to `most` characters, for a table cell. */
function short(text, most) {
  return text.length > most ? `${text.slice(0, most - 1)}…` : text;
}

/** Data as people read JSON: pretty when it parses, as it came when not. */
function pretty(data) {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return data;
  }
}

function row(letter) {
  const show = el("button", { type: "button", "data-dead": "show", "aria-expanded": "false" }, "Show");
  const replay = el("button", { type: "button", "data-dead": "replay", disabled: !letter.replayable }, "Replay");
  const remove = el("button", { type: "button", "data-dead": "delete" }, "Delete");
  const line = el("tr", { "data-id": letter.id },
    el("td", { class: "id" }, letter.id),
    el("td", { class: "num" }, letter.attempts),
    el("td", {}, short(letter.error, 80)),
    el("td", {}, el("code", {}, short(letter.data, 40))),
    el("td", { class: "actions" }, show, replay, remove));
  const full = el("tr", { class: "dead-full", hidden: true },
    el("td", { colspan: "5" },
      el("dl", { class: "figures" },
        el("dt", {}, "error"), el("dd", {}, letter.error),
        el("dt", {}, "message"), el("dd", {}, `${letter.channel} at offset ${letter.offset || "?"} (entry ${letter.entry})`),
        el("dt", {}, "data"), el("dd", {}, el("pre", {}, pretty(letter.data))))));
  return [line, full];
}

/** Reads the stage's dead letters again and redraws the list; letters
 * shown in full stay so. */
export async function reload() {
  if (!stage) return;
  const open = new Set([...body.querySelectorAll("tr.dead-full:not([hidden])")]
    .map((full) => full.previousElementSibling?.dataset.id));
  try {
    const page = await api("GET", `${base()}?limit=${PAGE}`);
    body.replaceChildren(...page.letters.flatMap(row));
    for (const id of open) {
      body.querySelector(`tr[data-id="${CSS.escape(id ?? "")}"] button[data-dead=show]`)?.click();
    }
    empty.hidden = page.letters.length > 0;
    empty.textContent = "No dead letters.";
    section.dataset.total = String(page.total);
    document.getElementById("dead-count").textContent = page.total > page.letters.length
      ? `the oldest ${page.letters.length} of ${page.total}`
      : "";
  } catch (error) {
    result.textContent = `Cannot read the dead letters: ${error.message}`;
  }
}

/** Shows the dead letters of `name`, reading them again when `count` (its
 * dead-lettered total) changed since last shown. */
export function showDeadLetters(name, count) {
  if (name !== stage) {
    stage = name;
    result.textContent = "";
    seen = null;
  }
  if (count !== seen) {
    seen = count;
    reload();
  }
}

async function act(what, ids) {
  const chosen = ids ? { ids } : { all: true };
  try {
    const answer = await api("POST", `${base()}/${what}`, chosen);
    result.textContent = what === "delete" ? `Deleted ${answer.deleted}.` : answer.message;
  } catch (error) {
    result.textContent = `Not done: ${error.message}`;
  }
  await reload();
  // A replay is handled by the stage in the background: look again shortly.
  if (what === "replay") setTimeout(reload, 1000);
}

body.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-dead]");
  if (!button) return;
  const line = button.closest("tr");
  const id = line.dataset.id;
  if (button.dataset.dead === "show") {
    const full = line.nextElementSibling;
    full.hidden = !full.hidden;
    button.setAttribute("aria-expanded", String(!full.hidden));
    button.textContent = full.hidden ? "Show" : "Hide";
    return;
  }
  act(button.dataset.dead, [id]);
});
document.getElementById("dead-replay-all").addEventListener("click", () => act("replay", null));
// Deleting every letter takes a second click on the same button.
deleteAll.addEventListener("click", () => {
  if (deleteAll.dataset.armed !== "true") {
    deleteAll.dataset.armed = "true";
    deleteAll.textContent = "Click again to delete all";
    setTimeout(() => {
      deleteAll.dataset.armed = "false";
      deleteAll.textContent = "Delete all";
    }, 5000);
    return;
  }
  deleteAll.dataset.armed = "false";
  deleteAll.textContent = "Delete all";
  act("delete", null);
});
