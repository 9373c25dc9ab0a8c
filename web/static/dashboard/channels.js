// The Channels page: every channel with its subscribers, rate and offset
// (from $sys:metrics, once a second), the recent messages of the selected
// channel (history, then live), and a publish form. Message data is shown
// as text, whatever it contains.

import { api, connect, el, rate, toast } from "./live.js";

const client = connect();
const rows = document.getElementById("channel-rows");
const recent = document.getElementById("recent");
const MAX_RECENT = 50;
let selected = null;
let unfollow = null;
const shown = new Set();

client.subscribe("$sys:metrics", (event) => {
  const channels = (event.channels ?? []).filter((c) => !c.channel.startsWith("$sys:"));
  if (channels.length === 0) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: 4 }, "No channels yet: publish something below.")));
    return;
  }
  rows.replaceChildren(...channels.map((c) => el("tr", { "data-channel": c.channel, class: c.channel === selected ? "selected" : null },
    el("td", {}, el("button", { type: "button", class: "link", "data-channel": c.channel }, c.channel)),
    el("td", { class: "num" }, c.subscribers),
    el("td", { class: "num" }, rate(c.rate)),
    el("td", { class: "num" }, Number(c.offset)))));
});

rows.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-channel]");
  if (button) select(button.dataset.channel);
});

function addMessage(message, atTop) {
  if (shown.has(message.offset)) return;
  shown.add(message.offset);
  const data = typeof message.data === "string" ? message.data : JSON.stringify(message.data);
  const item = el("li", { "data-offset": message.offset },
    el("span", { class: "offset" }, `#${Number(message.offset)}`), " ",
    el("time", {}, new Date(message.ts).toLocaleTimeString()), " ",
    el("code", { class: "data" }, data));
  if (atTop) recent.prepend(item);
  else recent.append(item);
  while (recent.children.length > MAX_RECENT) recent.lastElementChild.remove();
}

async function select(channel) {
  if (unfollow) unfollow();
  unfollow = null;
  selected = channel;
  shown.clear();
  recent.replaceChildren();
  document.getElementById("recent-channel").textContent = `on ${channel}`;
  document.getElementById("publish-channel").value = channel;
  for (const row of rows.querySelectorAll("tr")) row.classList.toggle("selected", row.dataset.channel === channel);
  try {
    const history = await api("GET", `/api/v1/channels/${encodeURIComponent(channel)}/messages?reverse=true&limit=${MAX_RECENT}`);
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
    result.textContent = `Not JSON: ${error.message}`;
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
