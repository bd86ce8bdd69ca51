// "I am listening over HLS", so the room's listener count includes this player (see
// server/hls_audience.py and the README). The relay rarely sees an HLS client: an HTTP cache
// or CDN answers its playlist and parts. So a sampled fraction p of clients heartbeat: this
// one draws u in [0, 1) once and sends POST /hls/<room>/listening {session} every `every_s`
// seconds while u < p; the room's state.json (cacheable) says p and every_s.

const randomId = () => {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

export class HlsHeartbeat {
  /** @param {string} base  the room's HLS folder URL, ending in '/' (/hls/<room_id>/) */
  constructor(base) {
    this.base = base;
    this.session = randomId();
    this.draw = Math.random();
    this.timer = 0;
    this.stopped = false;
    this.sent = 0; // heartbeats the relay took (tests read it)
  }

  start() {
    this._beat();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async _beat() {
    let everyS = 20;
    try {
      const state = await (await fetch(`${this.base}state.json`)).json();
      const p = Number(state.heartbeat?.p ?? 1);
      everyS = Math.max(1, Number(state.heartbeat?.every_s ?? 20));
      if (!this.stopped && this.draw < p) {
        const reply = await fetch(`${this.base}listening`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ session: this.session }),
          cache: 'no-store',
        });
        if (reply.ok) this.sent += 1;
      }
    } catch {
      // The next beat tries again; missing one keeps us counted (the window is 2.5 beats).
    }
    if (!this.stopped) this.timer = setTimeout(() => this._beat(), everyS * 1000);
  }
}
