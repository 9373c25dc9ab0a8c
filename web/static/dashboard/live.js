// What every dashboard page shares: the connection to the gateway (with a
// fresh admin token from the session on every reconnect), the connection
// banner, calls to the REST API with the CSRF token, and small DOM helpers
// that only ever set text, never HTML.

import { AsynchronioClient, State } from "/static/asynchronio.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** The gateway URL: configured (--gateway-url) or this host, port 8080. */
function gatewayUrl() {
  const configured = document.querySelector('meta[name="gateway-url"]')?.content;
  if (configured) return configured;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.hostname}:8080/ws`;
}

/** Calls the REST API as the logged-in user; throws an Error with the API's message. */
export async function api(method, path, body) {
  const headers = { "x-csrf-token": csrf };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!response.ok) {
    throw new Error(json?.error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  }
  return json;
}

/** Shows a short message to the user (errors stay until dismissed by the next one). */
export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 8000 : 3000);
}

/** Creates an element with attributes and text/element children (text stays text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Seconds as people read an age: "5 s", "3 min", "2 h". */
function age(seconds) {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/**
 * While the connection is down, what the page shows may be out of date:
 * `<body data-live="stale">` greys every live region (`.live-region`), and
 * each carries "last update N s ago" (`data-stale`, drawn by the stylesheet
 * as text) counted from the moment the connection was lost. Once the
 * connection is back, `reconnected` runs (the page reconciles what may have
 * changed meanwhile) and a short note says so.
 */
function followLiveness(client, reconnected) {
  let lostAt = null;
  let ticker = null;
  const mark = () => {
    const text = `last update ${age(Math.round((Date.now() - lostAt) / 1000))} ago`;
    for (const region of document.querySelectorAll(".live-region")) region.dataset.stale = text;
  };
  client.on("state", (state) => {
    if (state !== State.OPEN) {
      if (lostAt !== null || state === State.CONNECTING) return;
      lostAt = Date.now();
      document.body.dataset.live = "stale";
      mark();
      ticker = setInterval(mark, 1000);
      return;
    }
    if (lostAt === null) return;
    lostAt = null;
    clearInterval(ticker);
    delete document.body.dataset.live;
    for (const region of document.querySelectorAll(".live-region")) delete region.dataset.stale;
    toast("reconnected: live again");
    reconnected?.();
  });
}

/**
 * The client, connected with the session's token; the banner follows its
 * state. `renderRoot` is the only element render frames may change (none
 * unless a page declares one). `onReconnect` runs each time the connection
 * comes back after being lost, for the page to re-read what may have
 * changed while it was down.
 */
export function connect({ renderRoot = null, onReconnect = null } = {}) {
  const banner = document.getElementById("connection");
  const client = new AsynchronioClient(gatewayUrl(), {
    token: async () => (await api("POST", "/dashboard/token")).token,
    renderRoot,
  });
  const show = (state) => {
    if (!banner) return;
    banner.dataset.state = state;
    banner.textContent = {
      [State.OPEN]: "live",
      [State.CONNECTING]: "connecting…",
      [State.RECONNECTING]: "connection lost — reconnecting…",
      [State.CLOSED]: "disconnected",
    }[state] ?? state;
  };
  show(client.state);
  client.on("state", show);
  followLiveness(client, onReconnect);
  client.on("error", (error) => {
    if (error?.code === "unauthorized" || error?.code === "forbidden") toast(error.message, "error");
  });
  window.asynchronio = client; // for debugging from the console
  return client;
}

/**
 * What the server told this page in data attributes (`data-*` on `element`,
 * by its camelCase name): channel names come from there, never from the
 * scripts, so the names have one home (the protocol crate).
 */
export function pageData(element, name) {
  const value = element?.dataset?.[name];
  if (value === undefined || value === "") throw new Error(`the page lacks data-${name} on #${element?.id ?? "body"}`);
  return value;
}

// The channel-kind rules, as the server describes them on <body
// data-channel-kinds>: a list of {kind, prefix}, the first matching prefix
// wins, and a name no prefix matches is of the default kind.
const channelKinds = JSON.parse(pageData(document.body, "channelKinds"));

/** The kind of the channel named `name` ("system", "private" or "public"), by the server's rules. */
export function channelKind(name) {
  const rule = channelKinds.rules.find((r) => name.startsWith(r.prefix));
  return rule ? rule.kind : channelKinds.default;
}

/** Formats a rate for people. */
export function rate(value) {
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k/s`;
  if (value >= 10) return `${Math.round(value)}/s`;
  return `${value.toFixed(1)}/s`;
}

// Dialogs: Cancel is a plain button, so the form's one submit button is the
// primary action and Enter in a field submits it (a Cancel listed first
// would be the default button and catch Enter).
for (const cancel of document.querySelectorAll("dialog button[data-close]")) {
  cancel.addEventListener("click", () => cancel.closest("dialog")?.close("cancel"));
}
