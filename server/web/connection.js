// The WebSocket to the relay: hello first, requests matched to replies by id, and a resume
// with `resume_after_seq` after a dropped connection (exponential backoff with jitter).
//
// Handlers (all optional):
//   frame(frame)            every frame that is not a reply (snapshot, event, speaking, levels)
//   connected(okBody)       hello accepted (okBody.resumed says whether events were replayed)
//   reconnecting(info)      the connection dropped; {attempt, delayMs, rateLimited?}
//   final(kind, detail)     no point reconnecting: 'removed' | 'ended' | 'replaced' | 'left'
//   refused(code, message)  the relay refused our hello (ticket, full, not started, ...)

export const PROTOCOL_VERSION = 1;

// server/hub.py close codes
const CLOSE_ROOM_OVER = 4000;
const CLOSE_REPLACED = 4001;
const CLOSE_REMOVED = 4003;
const CLOSE_BAD_HELLO = 4009;

const HELLO_FINAL = {
  removed: 'removed',
  blocked: 'removed',
  room_ended: 'ended',
  room_cancelled: 'ended',
};

const PING_EVERY_MS = 15_000;
const PING_TIMEOUT_MS = 10_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const BACKOFF_QUICK_MAX_MS = 2_000;
const QUICK_RETRY_FOR_MS = 30_000;

export class CommandError extends Error {
  /**
   * @param {string} code  the relay's error code (or timeout, not_connected)
   * @param {string} message  the relay's sentence for the person
   * @param {number | null} [retryAfterS]
   */
  constructor(code, message, retryAfterS = null) {
    super(message || code);
    this.code = code;
    this.retryAfterS = retryAfterS; // rate_limited: seconds until the relay takes it
  }
}

/** What a failed request threw, as a CommandError (anything else becomes code `error`).
 * @param {unknown} thrown @returns {CommandError} */
export function asCommandError(thrown) {
  if (thrown instanceof CommandError) return thrown;
  return new CommandError('error', thrown instanceof Error ? thrown.message : String(thrown));
}

export class RoomConnection {
  /**
   * @param {string} url   ws(s)://host/ws
   * @param {() => object} helloBody  called before every (re)connect
   * @param {object} handlers
   */
  constructor(url, helloBody, handlers) {
    this.url = url;
    this.helloBody = helloBody;
    this.handlers = handlers;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.stopped = false;
    this.joined = false;
    this.everJoined = false;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.rateLimitedMs = 0; // a rate-limited hello: wait this long before the next try
    this.onOnline = () => this.retryNow();
    window.addEventListener('online', this.onOnline);
  }

  start() {
    this.stopped = false;
    this._open();
  }

  /** Stop for good (no reconnect). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    window.removeEventListener('online', this.onOnline);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'bye');
  }

  /** Reconnect at once (the network came back, or the person asked). */
  retryNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.retryTimer);
    this._open();
  }

  get connected() {
    return this.joined && this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a request; resolves with the ok body, rejects with CommandError. */
  request(type, body = {}, timeoutMs = 15_000) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || (!this.joined && type !== 'hello')) {
      return Promise.reject(
        new CommandError('not_connected', 'Not connected to the room right now; try again in a moment.'),
      );
    }
    const id = this.nextId++;
    const frame = JSON.stringify({ v: PROTOCOL_VERSION, type, id, body });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('timeout', 'The room did not answer in time; try again.'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(frame);
    });
  }

  _open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.joined = false;
    ws.addEventListener('open', () => this._hello(ws));
    ws.addEventListener('message', (msg) => this._onMessage(ws, msg));
    ws.addEventListener('close', (ev) => this._onClose(ws, ev));
  }

  async _hello(ws) {
    let ok;
    try {
      ok = await this.request('hello', this.helloBody());
    } catch (thrown) {
      if (ws !== this.ws) return;
      const error = asCommandError(thrown);
      if (error.code === 'rate_limited') {
        // Too many joins from this network or identity at once: the close that follows
        // (4009) tries again after the wait the relay names.
        this.rateLimitedMs = Math.max(1000, (error.retryAfterS || 1) * 1000);
        return;
      }
      const final = HELLO_FINAL[error.code];
      if (final) {
        this.stopped = true;
        this.handlers.final?.(final, error.message);
      } else if (error.code !== 'not_connected' && error.code !== 'timeout') {
        this.stopped = true;
        this.handlers.refused?.(error.code, error.message);
      }
      return;
    }
    if (ws !== this.ws) return;
    this.joined = true;
    this.everJoined = true;
    this.attempt = 0;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this._ping(ws), PING_EVERY_MS);
    this.handlers.connected?.(ok);
  }

  async _ping(ws) {
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    try {
      await this.request('ping', {}, PING_TIMEOUT_MS);
    } catch (thrown) {
      // No answer: the connection is dead even if the socket has not noticed yet.
      if (asCommandError(thrown).code === 'timeout' && ws === this.ws) ws.close(4500, 'ping timeout');
    }
  }

  _onMessage(ws, msg) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if ((frame.type === 'ok' || frame.type === 'error') && this.pending.has(frame.id)) {
      const waiter = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      clearTimeout(waiter.timer);
      const body = frame.body || {};
      if (frame.type === 'ok') waiter.resolve(body);
      else waiter.reject(new CommandError(body.code || 'error', body.message || '', body.retry_after_s ?? null));
      return;
    }
    this.handlers.frame?.(frame);
  }

  _onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.joined = false;
    clearInterval(this.pingTimer);
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new CommandError('not_connected', 'The connection to the room dropped.'));
    }
    this.pending.clear();
    if (this.stopped) return;
    const final = {
      [CLOSE_ROOM_OVER]: 'ended',
      [CLOSE_REPLACED]: 'replaced',
      [CLOSE_REMOVED]: 'removed',
    }[ev.code];
    if (final) {
      this.stopped = true;
      this.handlers.final?.(final, ev.reason);
      return;
    }
    if (ev.code === 1000 && ev.reason === 'left') {
      this.stopped = true;
      this.handlers.final?.('left', '');
      return;
    }
    if (this.rateLimitedMs) {
      const delayMs = Math.round(this.rateLimitedMs * (1 + Math.random() * 0.5));
      this.rateLimitedMs = 0;
      this.handlers.reconnecting?.({ attempt: this.attempt, delayMs, rateLimited: true });
      this.retryTimer = setTimeout(() => this._open(), delayMs);
      return;
    }
    if (ev.code === CLOSE_BAD_HELLO && !this.everJoined) return; // the refusal was handled
    this.attempt += 1;
    if (this.attempt === 1) this.downSince = Date.now();
    // Within the first half minute (the relay keeps our place that long) retry every ~2 s at
    // most, so a network that comes back unannounced is noticed quickly; then back off.
    const cap = Date.now() - this.downSince < QUICK_RETRY_FOR_MS ? BACKOFF_QUICK_MAX_MS : BACKOFF_MAX_MS;
    const base = Math.min(cap, BACKOFF_FIRST_MS * 2 ** (this.attempt - 1));
    const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.handlers.reconnecting?.({ attempt: this.attempt, delayMs });
    this.retryTimer = setTimeout(() => this._open(), delayMs);
  }
}
