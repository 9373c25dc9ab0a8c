// The Channels page: every channel with its subscribers, rate and offset
// (from the metrics channel, once a second; a search narrows the table),
// the recent messages of the selected channel (history, then live; `?channel=`
// selects one on open), and a publish form. Message data is shown as JSON
// text (strings quoted), pretty-printed on demand, whatever it contains.
// The table's rows are updated in place, keyed by channel, so keyboard focus
// and selection survive every measurement. The publish target changes only
// when the user changes it, or follows the selection while it still names
// the previous selection, and then says so.

import { api, channelKind, connect, el, pageData, rate, toast } from "./live.js";

const client = connect();
const rows = document.getElementById("channel-rows");
const recent = document.getElementById("recent");
const MAX_RECENT = 50;
let selected = null;
let unfollow = null;
const shown = new Set();
// The one row shown while there is no channel: the template's, then ours.
const placeholder = rows.querySelector("tr:not([data-channel])") ?? el("tr", {}, el("td", { colspan: 4 }));
const byChannel = new Map(); // channel -> { row, subscribers, rate, offset } (cells)
const search = document.getElementById("channel-search");
const target = document.getElementById("publish-channel");

/** Hides the rows whose channel does not hold the search text. */
function filterRows() {
  const wanted = search.value.trim().toLowerCase();
  for (const [channel, entry] of byChannel) entry.row.hidden = wanted !== "" && !channel.toLowerCase().includes(wanted);
}
search.addEventListener("input", filterRows);

function setText(cell, text) {
  const value = String(text);
  if (cell.textContent !== value) cell.textContent = value;
}

function rowFor(channel) {
  let entry = byChannel.get(channel);
  if (entry) return entry;
  entry = {
    subscribers: el("td", { class: "num" }),
    rate: el("td", { class: "num" }),
    offset: el("td", { class: "num" }),
  };
  entry.row = el("tr", { "data-channel": channel, class: channel === selected ? "selected" : null },
    el("td", {}, el("button", { type: "button", class: "link", "data-channel": channel }, channel)),
    entry.subscribers, entry.rate, entry.offset);
  byChannel.set(channel, entry);
  return entry;
}

client.subscribe(pageData(rows, "metricsChannel"), (event) => {
  const channels = (event.channels ?? []).filter((c) => channelKind(c.channel) !== "system");
  const present = new Set(channels.map((c) => c.channel));
  for (const [channel, entry] of byChannel) {
    if (!present.has(channel)) {
      entry.row.remove();
      byChannel.delete(channel);
    }
  }
  if (channels.length === 0) {
    setText(placeholder.firstElementChild, "No channels yet: publish something below.");
    if (!placeholder.isConnected) rows.append(placeholder);
    return;
  }
  placeholder.remove();
  // In the server's order; a row is moved only when it is out of place.
  let previous = null;
  for (const c of channels) {
    const entry = rowFor(c.channel);
    setText(entry.subscribers, c.subscribers);
    setText(entry.rate, rate(c.rate));
    setText(entry.offset, Number(c.offset));
    const expected = previous ? previous.nextElementSibling : rows.firstElementChild;
    if (entry.row !== expected) rows.insertBefore(entry.row, expected);
    previous = entry.row;
  }
  filterRows();
});

rows.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-channel]");
  if (button) select(button.dataset.channel);
});

function addMessage(message, atTop) {
  if (shown.has(message.offset)) return;
  shown.add(message.offset);
  // JSON, as it was published: a string shows with its quotes.
  const compact = JSON.stringify(message.data) ?? "null";
  const data = el("code", { class: "data" }, compact);
  const pretty = el("button", { type: "button", class: "link", "aria-pressed": "false" }, "pretty");
  pretty.addEventListener("click", () => {
    const on = pretty.getAttribute("aria-pressed") !== "true";
    pretty.setAttribute("aria-pressed", String(on));
    pretty.textContent = on ? "compact" : "pretty";
    const shownData = on ? el("pre", { class: "data" }, JSON.stringify(message.data, null, 2)) : el("code", { class: "data" }, compact);
    item.querySelector(".data").replaceWith(shownData);
  });
  const item = el("li", { "data-offset": message.offset },
    el("span", { class: "offset" }, `#${Number(message.offset)}`), " ",
    el("time", {}, new Date(message.ts).toLocaleTimeString()), " ",
    data, typeof message.data === "object" && message.data !== null ? pretty : null);
  if (atTop) recent.prepend(item);
  else recent.append(item);
  while (recent.children.length > MAX_RECENT) recent.lastElementChild.remove();
}

// Bumped by every selection: a history read that comes back after another
// channel was selected is dropped, so two channels never mix in the list.
let selection = 0;

async function select(channel) {
  if (unfollow) unfollow();
  unfollow = null;
  const previous = selected;
  selected = channel;
  const mine = ++selection;
  shown.clear();
  recent.replaceChildren();
  document.getElementById("recent-channel").textContent = `on ${channel}`;
  // The publish target follows the selection only while the user has not
  // chosen another, and says so when it moves.
  const value = target.value.trim();
  if (value !== channel && (value === "" || value === previous)) {
    target.value = channel;
    document.getElementById("publish-result").textContent = `Publishing to ${channel} now.`;
  }
  for (const row of rows.querySelectorAll("tr")) row.classList.toggle("selected", row.dataset.channel === channel);
  try {
    const history = await api("GET", `/api/v1/channels/${encodeURIComponent(channel)}/messages?reverse=true&limit=${MAX_RECENT}`);
    if (mine !== selection) return;
    for (const message of history.messages) addMessage(message, false);
    unfollow = client.subscribe(channel, (data, meta) => addMessage({ ...meta, data }, true), {
      since: { offset: history.offset, epoch: history.epoch },
    });
  } catch (error) {
    toast(`cannot read ${channel}: ${error.message}`, "error");
  }
}

document.getElementById("publish").addEventListener("submit", async (event) => {
  event.preventDefault();
  const channel = document.getElementById("publish-channel").value.trim();
  const text = document.getElementById("publish-data").value;
  const result = document.getElementById("publish-result");
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // A bare word is the usual slip: say what JSON wants.
    const bare = /^\s*[^\s"{[\d-]/.test(text);
    result.textContent = bare
      ? `Not JSON: strings need quotes, as in ${JSON.stringify(text.trim())}.`
      : `Not JSON: ${error.message}`;
    return;
  }
  try {
    const published = await api("POST", `/api/v1/channels/${encodeURIComponent(channel)}/messages`, data);
    result.textContent = `Published at offset ${Number(published.offset)}.`;
    if (selected !== channel) select(channel);
  } catch (error) {
    result.textContent = `Not published: ${error.message}`;
  }
});

// A link such as the flowchart's channel nodes names the channel to show.
const asked = new URLSearchParams(location.search).get("channel");
if (asked) select(asked);
