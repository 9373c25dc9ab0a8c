// Asynchronio browser client: an ES module with no dependencies and no build
// step. It speaks the JSON client protocol (docs/protocol.md) to ws-gateway.
//
//   import { AsynchronioClient } from "./asynchronio.js";
//   const client = new AsynchronioClient("ws://localhost:8080/ws");
//   client.subscribe("news", (data, meta) => console.log(data, meta.offset));
//   await client.publish("news", { title: "hi" });
//
// The connection is re-established automatically with jittered exponential
// backoff, and every channel is resubscribed from the last offset it
// delivered, so a handler sees each message once, in order, across
// reconnects. When the gateway cannot recover a gap (history trimmed, or the
// channel's epoch changed) the subscription's onReset callback is called so
// the application can reload its state.

/** Connection states reported to "state" listeners. */
export const State = Object.freeze({
  CONNECTING: "connecting",
  OPEN: "open",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
});

// What a fragment may bring into a page: an allow-list, the same in spirit
// as the server's (services/rest-api/src/sanitize.rs, ammonia's defaults
// plus id, class and data-*), plus <button> for the dashboard's rows.
// Anything else is dropped: elements whose content is code or another
// document with their content, other unknown elements keep their text.
const ALLOWED_ELEMENTS = new Set(
  ("a abbr acronym area article aside b bdi bdo blockquote br button caption center cite code " +
    "col colgroup data dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 " +
    "header hgroup hr i img ins kbd li map mark nav ol p pre q rp rt rtc ruby s samp small span " +
    "strike strong sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr").split(" "),
);
const DROPPED_WITH_CONTENT = new Set([
  "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
  "noscript", "noembed", "svg", "math", "select", "textarea", "title", "xmp", "plaintext",
]);
const ALLOWED_ATTRIBUTES = new Set([
  "id", "class", "title", "lang", "dir", "role", "alt", "width", "height", "colspan", "rowspan",
  "headers", "scope", "datetime", "cite", "start", "reversed", "value", "open", "hreflang",
]);
// Attributes whose value is a URL: only http(s), mailto and relative ones.
const URL_ATTRIBUTES = new Set(["href", "src"]);

function allowedAttribute(element, name, value) {
  if (name.startsWith("data-") || name.startsWith("aria-")) return true;
  if (ALLOWED_ATTRIBUTES.has(name)) return true;
  if (name === "type") return element.localName === "button" && value === "button";
  if (URL_ATTRIBUTES.has(name)) {
    // Browsers ignore control characters and spaces in a scheme.
    const url = value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(url);
    return !scheme || ["http", "https", "mailto"].includes(scheme[1]);
  }
  return false;
}

/**
 * Keeps only what the allow-lists above name in parsed fragment `content`:
 * no script, no event handlers, no `style`, no forms, no other documents,
 * no `javascript:` (or any non-http) URL. The server sanitises fragments
 * when they are published (docs/rendering.md); this is the second line,
 * for fragments from any other source.
 */
export function sanitizeFragment(content) {
  for (const element of [...content.querySelectorAll("*")]) {
    if (!element.isConnected && !content.contains(element)) continue; // removed with a parent
    const name = element.localName;
    if (DROPPED_WITH_CONTENT.has(name) || element.namespaceURI !== "http://www.w3.org/1999/xhtml") {
      element.remove();
      continue;
    }
    if (!ALLOWED_ELEMENTS.has(name)) {
      element.replaceWith(...element.childNodes);
      continue;
    }
    for (const { name: attribute, value } of [...element.attributes]) {
      if (!allowedAttribute(element, attribute.toLowerCase(), value)) element.removeAttribute(attribute);
    }
  }
  return content;
}

function findTarget(root, id) {
  if (root.id === id) return root;
  if (typeof root.getElementById === "function") return root.getElementById(id);
  return root.querySelector(`#${CSS.escape(id)}`);
}

/**
 * Applies one render fragment `{target, op, html}` (docs/rendering.md)
 * inside `root` (an element, or a document), never outside it: `replace`
 * swaps the element with id `target` for the HTML, `append` adds the HTML
 * inside it (an element whose id is already under `root` replaces that
 * element instead, so a replayed frame never duplicates anything),
 * `remove` removes it. The HTML is sanitised first ({@link
 * sanitizeFragment}), so nothing in it runs. Returns false when the target
 * is not under `root`.
 */
export function applyFragment(fragment, root) {
  if (!root || !fragment || typeof fragment.target !== "string") return false;
  const target = findTarget(root, fragment.target);
  if (!target) return false;
  if (fragment.op === "remove") {
    target.remove();
    return true;
  }
  const documentOf = root.ownerDocument ?? root;
  const template = documentOf.createElement("template");
  template.innerHTML = (fragment.html ?? "").trim();
  const nodes = [...sanitizeFragment(template.content).childNodes];
  if (fragment.op === "replace") {
    target.replaceWith(...nodes);
    return true;
  }
  // Inserting before the root itself would write outside it.
  if (fragment.op === "before" && target === root) return false;
  if (fragment.op === "append" || fragment.op === "before") {
    for (const node of nodes) {
      const existing = node.id ? findTarget(root, node.id) : null;
      if (existing) existing.replaceWith(node);
      else if (fragment.op === "append") target.append(node);
      else target.before(node);
    }
    return true;
  }
  return false;
}

/** An error answered by the gateway: `code` is machine-readable. */
export class AsynchronioError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "AsynchronioError";
    this.code = code;
  }
}

export class AsynchronioClient {
  /**
   * @param {string} url  ws:// or wss:// URL of the gateway's /ws endpoint.
   * @param {object} [options]
   * @param {number} [options.minDelay=250]   first reconnect delay, ms
   * @param {number} [options.maxDelay=10000] longest reconnect delay, ms
   * @param {number} [options.requestTimeout=10000] publish/ping timeout, ms
   * @param {typeof WebSocket} [options.WebSocket] constructor to use
   * @param {boolean} [options.autoConnect=true] connect immediately
   * @param {Element|Document|null} [options.renderRoot=null] the one part of
   *   the page `render` frames may change (docs/rendering.md); without it
   *   render frames are only handed to handlers
   * @param {string|(() => Promise<string>)} [options.token] a token from the
   *   REST API (POST /api/v1/tokens), or a function that fetches a fresh one
   *   on every (re)connect
   */
  constructor(url, options = {}) {
    this.url = url;
    this.minDelay = options.minDelay ?? 250;
    this.maxDelay = options.maxDelay ?? 10000;
    this.requestTimeout = options.requestTimeout ?? 10000;
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    this.token = options.token ?? null;
    // Render frames change only what the page declared as theirs.
    this.renderRoot = options.renderRoot ?? null;
    this.subject = null;
    this.state = State.CLOSED;
    this.socket = null;
    this.nextId = 1;
    // Frames awaiting the gateway's answer, one map per kind, each keyed by
    // the frame's id: they are answered, timed out and failed differently.
    // publish and ping: settled by ok/pong or error, time out.
    this.requests = new Map(); // id -> { resolve, reject, timer }
    // The connect frame sending the token: answered by connected or error
    // (both resolve, an error as an AsynchronioError), never times out.
    this.handshakes = new Map(); // id -> resolve
    // subscribe frames: answered by subscribed, or by an error that may be
    // retried; a lost connection just forgets them (resubscribed on open).
    this.subscribes = new Map(); // id -> channel
    this.channels = new Map(); // channel -> { handlers: Set, position, subscribed }
    this.listeners = { state: new Set(), error: new Set() };
    this.attempt = 0;
    this.reconnectTimer = null;
    this.closedByUser = false;
    if (options.autoConnect ?? true) this.connect();
  }

  /** Listens for "state" (new state) or "error" (AsynchronioError) events. */
  on(event, listener) {
    this.listeners[event]?.add(listener);
    return () => this.listeners[event]?.delete(listener);
  }

  /** Opens the connection (again, after close()). */
  connect() {
    this.closedByUser = false;
    if (this.socket) return;
    this.setState(this.attempt === 0 ? State.CONNECTING : State.RECONNECTING);
    let socket;
    try {
      socket = new this.WebSocketImpl(this.url, ["asynchronio.json"]);
    } catch (error) {
      this.emit("error", new AsynchronioError("connect_failed", String(error)));
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.onOpen(socket);
    socket.onmessage = (event) => this.onFrame(event.data);
    socket.onclose = (event) => this.onClose(socket, event);
    socket.onerror = () => {}; // onclose follows and handles it
  }

  /** Closes the connection for good (until connect() is called). */
  close() {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.failPending("connection closed by the application");
    if (socket) socket.close(1000, "client closed");
    this.setState(State.CLOSED);
  }

  /**
   * Calls handler(data, meta) for every message on `channel`; meta carries
   * channel, offset, epoch and ts (publish time, ms).
   * @param {object} [options]
   * @param {{offset:string, epoch:string}} [options.since] resume position
   * @param {(info:object)=>void} [options.onReset] history could not be recovered
   * @param {(error:AsynchronioError)=>void} [options.onError] the gateway refused
   *   the subscription for good (invalid_channel, forbidden…); the channel is
   *   then forgotten, so subscribing again asks again
   * @param {(event:{kind:string, channel:string, client:string, user:?string})=>void} [options.onPresence]
   *   join/leave notices of other subscribers (asks the gateway for them)
   * @returns {() => void} call to remove this handler
   */
  subscribe(channel, handler, options = {}) {
    let entry = this.channels.get(channel);
    const isNew = !entry;
    if (isNew) {
      entry = {
        handlers: new Set(),
        resets: new Set(),
        presence: new Set(),
        refusals: new Set(),
        position: options.since ?? null,
        subscribed: false,
      };
      this.channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    if (options.onReset) entry.resets.add(options.onReset);
    if (options.onError) entry.refusals.add(options.onError);
    const firstPresence = options.onPresence && entry.presence.size === 0;
    if (options.onPresence) entry.presence.add(options.onPresence);
    if (this.state === State.OPEN) {
      if (isNew) {
        this.sendSubscribe(channel);
      } else if (firstPresence && entry.subscribed) {
        // Subscribed without presence notices so far: ask again with them.
        this.send({ op: "unsubscribe", id: this.nextId++, channel });
        this.sendSubscribe(channel);
      }
    }
    return () => this.unsubscribe(channel, handler);
  }

  /** Removes one handler, or the whole channel when none is given or none is left. */
  unsubscribe(channel, handler) {
    const entry = this.channels.get(channel);
    if (!entry) return;
    if (handler) entry.handlers.delete(handler);
    if (handler && entry.handlers.size > 0) return;
    this.channels.delete(channel);
    if (this.state === State.OPEN) this.send({ op: "unsubscribe", id: this.nextId++, channel });
  }

  /** The last position delivered on `channel` ({offset, epoch}), if any. */
  position(channel) {
    return this.channels.get(channel)?.position ?? null;
  }

  /** Publishes `data` (any JSON value); resolves to {offset, epoch}. */
  publish(channel, data) {
    return this.request({ op: "publish", channel, data }).then((reply) => ({
      offset: reply.offset,
      epoch: reply.epoch,
    }));
  }

  /** Round trip to the gateway; resolves when it answers. */
  ping() {
    return this.request({ op: "ping" }).then(() => undefined);
  }

  // --- internals -----------------------------------------------------------

  async onOpen(socket) {
    if (this.token) {
      let token;
      try {
        token = typeof this.token === "function" ? await this.token() : this.token;
      } catch (error) {
        this.emit("error", new AsynchronioError("token_failed", String(error)));
        socket.close(4000, "could not get a token");
        return;
      }
      if (socket !== this.socket) return;
      const id = this.nextId++;
      const reply = await new Promise((resolve) => {
        this.handshakes.set(id, resolve);
        this.send({ op: "connect", id, token });
      });
      if (socket !== this.socket) return;
      if (reply instanceof Error) {
        this.emit("error", reply);
        socket.close(4001, "token refused");
        return;
      }
      this.subject = reply.sub;
    }
    this.attempt = 0;
    this.setState(State.OPEN);
    for (const channel of this.channels.keys()) this.sendSubscribe(channel);
  }

  request(frame) {
    if (this.state !== State.OPEN) {
      return Promise.reject(new AsynchronioError("not_connected", "not connected; retry once the state is open"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new AsynchronioError("timeout", `no answer within ${this.requestTimeout} ms`));
      }, this.requestTimeout);
      this.requests.set(id, { resolve, reject, timer });
      this.send({ ...frame, id });
    });
  }

  sendSubscribe(channel) {
    const entry = this.channels.get(channel);
    if (!entry) return;
    entry.subscribed = false;
    const frame = { op: "subscribe", id: this.nextId++, channel };
    if (entry.position) frame.since = entry.position;
    if (entry.presence.size > 0) frame.presence = true;
    this.subscribes.set(frame.id, channel);
    this.send(frame);
  }

  send(frame) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(frame));
  }

  onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.emit("error", new AsynchronioError("bad_frame", "gateway sent a frame that is not JSON"));
      return;
    }
    switch (frame.op) {
      case "message":
        return this.onMessage(frame);
      case "render":
        return this.onMessage(frame, true);
      case "subscribed":
        return this.onSubscribed(frame);
      case "ok":
      case "pong":
      case "connected":
        return this.settle(frame.id, frame, null);
      case "error":
        return this.onError(frame);
      case "join":
      case "leave":
        return this.onPresence(frame);
      default:
        return undefined;
    }
  }

  onMessage(frame, render = false) {
    const entry = this.channels.get(frame.channel);
    if (!entry) return;
    const position = entry.position;
    // Offsets are fixed-width strings: string order is publish order.
    if (position && position.epoch === frame.epoch && frame.offset <= position.offset) return;
    entry.position = { offset: frame.offset, epoch: frame.epoch };
    const meta = { channel: frame.channel, offset: frame.offset, epoch: frame.epoch, ts: frame.ts, render };
    if (render && this.renderRoot) {
      try {
        applyFragment(frame.data, this.renderRoot);
      } catch (error) {
        this.emit("error", error);
      }
    }
    for (const handler of entry.handlers) {
      try {
        handler(frame.data, meta);
      } catch (error) {
        this.emit("error", error);
      }
    }
  }

  onPresence(frame) {
    const entry = this.channels.get(frame.channel);
    if (!entry) return;
    const event = { kind: frame.op, channel: frame.channel, client: frame.client, user: frame.user ?? null };
    for (const listener of entry.presence) {
      try {
        listener(event);
      } catch (error) {
        this.emit("error", error);
      }
    }
  }

  onSubscribed(frame) {
    this.subscribes.delete(frame.id);
    const entry = this.channels.get(frame.channel);
    if (!entry) return;
    entry.subscribed = true;
    if (!frame.recovered) {
      const hadPosition = entry.position !== null;
      entry.position = { offset: frame.offset, epoch: frame.epoch };
      if (hadPosition) {
        for (const reset of entry.resets) reset({ channel: frame.channel, offset: frame.offset, epoch: frame.epoch });
      }
    }
  }

  onError(frame) {
    const error = new AsynchronioError(frame.code, frame.message);
    const channel = frame.id !== undefined ? this.subscribes.get(frame.id) : undefined;
    if (channel !== undefined) {
      this.subscribes.delete(frame.id);
      this.emit("error", error);
      // Redis was briefly unavailable, or this connection (or address) made
      // too many subscribe attempts: try the subscription again later, a
      // little later for rate limits, which refill over a second or so.
      const retryIn = { unavailable: this.minDelay, rate_limited: 1000 + Math.random() * 1000 }[frame.code];
      const entry = this.channels.get(channel);
      if (retryIn !== undefined && entry) {
        setTimeout(() => this.state === State.OPEN && this.sendSubscribe(channel), retryIn);
      } else if (entry && entry.refusals.size > 0) {
        // Refused for good, and someone asked to hear of it.
        this.channels.delete(channel);
        error.channel = channel;
        for (const refused of entry.refusals) refused(error);
      }
      return;
    }
    if (this.settle(frame.id, null, error)) return;
    this.emit("error", error);
  }

  /**
   * Answers the request or handshake with id `id` (a subscribe's answer is
   * not settled here); returns whether one was waiting.
   */
  settle(id, value, error) {
    const handshake = this.handshakes.get(id);
    if (handshake) {
      this.handshakes.delete(id);
      // The handshake's caller tells a refusal by its type.
      handshake(error ?? value);
      return true;
    }
    const request = this.requests.get(id);
    if (!request) return false;
    this.requests.delete(id);
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve(value);
    return true;
  }

  onClose(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.failPending(`connection lost (${event.code}${event.reason ? ": " + event.reason : ""})`);
    if (this.closedByUser) {
      this.setState(State.CLOSED);
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.setState(State.RECONNECTING);
    const ceiling = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closedByUser) this.connect();
    }, delay);
  }

  /** Fails every request and handshake in flight; forgets the subscribes (resent on open). */
  failPending(reason) {
    const requests = [...this.requests.values()];
    const handshakes = [...this.handshakes.values()];
    this.requests.clear();
    this.handshakes.clear();
    this.subscribes.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.reject(new AsynchronioError("disconnected", reason));
    }
    for (const handshake of handshakes) handshake(new AsynchronioError("disconnected", reason));
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  emit(event, value) {
    for (const listener of this.listeners[event] ?? []) {
      try {
        listener(value);
      } catch {
        // A listener's failure must not break the client.
      }
    }
  }
}
