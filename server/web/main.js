// Entry point of the web client served at /r/<room_id> (see app.js for the controller).

import { App } from './app.js';

const app = new App();

// A read-only window onto the client for people debugging a room (and for the tests).
window.roomcast = Object.freeze({
  get phase() { return app.phase; },
  get room() { return app.mirror ? structuredClone(app.mirror.room) : null; },
  get you() { return app.mirror?.you ?? null; },
  get seq() { return app.mirror?.seq ?? null; },
  stats: () => app.audio.stats(),
  micStream: () => app.audio.micStream,
  get listening() { return app.audio.mode; },
  hlsDelaySeconds: () => app.audio.hlsDelaySeconds(),
  get hlsHeartbeats() { return app.audio.heartbeat?.sent ?? 0; },
});

app.boot();
