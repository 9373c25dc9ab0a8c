// Wires the demo page to the Asynchronio client. Everything shown is set
// with textContent, so messages containing markup are displayed as text.
import { AsynchronioClient } from "./asynchronio.js";

const params = new URLSearchParams(location.search);
const gateway = params.get("gateway") ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const client = new AsynchronioClient(gateway);

const $ = (id) => document.getElementById(id);
client.on("state", (state) => {
  $("state").textContent = state;
});
client.on("error", (error) => addLog("error", `${error.code ?? ""} ${error.message}`));

function addLog(channel, text, meta) {
  const item = document.createElement("li");
  const head = document.createElement("span");
  head.className = "meta";
  head.textContent = meta ? `${channel} #${Number(meta.offset)} ${new Date(meta.ts).toLocaleTimeString()}` : channel;
  const body = document.createElement("code");
  body.textContent = text;
  item.append(head, body);
  $("log").prepend(item);
  while ($("log").children.length > 200) $("log").lastChild.remove();
}

$("subscribe-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const channel = $("channel").value.trim();
  if (!channel || client.channels.has(channel)) return;
  client.subscribe(channel, (data, meta) => addLog(channel, JSON.stringify(data), meta), {
    onReset: () => addLog(channel, "history could not be recovered; some messages were missed"),
  });
  const item = document.createElement("li");
  item.textContent = channel + " ";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Unsubscribe";
  button.addEventListener("click", () => {
    client.unsubscribe(channel);
    item.remove();
  });
  item.append(button);
  $("subscriptions").append(item);
});

$("publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  let data;
  try {
    data = JSON.parse($("pub-data").value);
  } catch (error) {
    $("publish-result").textContent = `Not JSON: ${error.message}`;
    return;
  }
  try {
    const { offset } = await client.publish($("pub-channel").value.trim(), data);
    $("publish-result").textContent = `Published at offset ${Number(offset)}`;
  } catch (error) {
    $("publish-result").textContent = `Failed: ${error.message}`;
  }
});

// Expose the client for experiments from the console.
window.asynchronio = client;

// Start with the channel in the form, so messages show up straight away.
$("subscribe-form").requestSubmit();
