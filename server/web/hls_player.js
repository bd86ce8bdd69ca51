// The room over LL-HLS, for a listener the relay sends there (its WebRTC seats are taken, or
// the host turned on broadcast mode). hls.js (vendored by `make`, served from /static/vendor/)
// plays it through Media Source Extensions where the browser has them; a browser without
// them but with native HLS (iOS Safari) plays the playlist itself.
//
// The delay is read off the stream: each segment carries its wall-clock time
// (EXT-X-PROGRAM-DATE-TIME), so "now minus the time of what is playing" is how far behind
// the room the listener hears it.

const HLS_SCRIPT = '/static/vendor/hls.min.js';
let loading = null;

function loadHlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = HLS_SCRIPT;
      script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error('hls.js did not load')));
      script.onerror = () => reject(new Error('hls.js is missing from this relay'));
      document.head.append(script);
    });
  }
  return loading;
}

export class HlsPlayer {
  /**
   * @param {HTMLAudioElement} audioEl  plays the room
   * @param {string} url  the room's playlist (/hls/<room_id>/index.m3u8)
   * @param {object} events  {autoplayBlocked(blocked), failed(message)}
   */
  constructor(audioEl, url, events) {
    this.audioEl = audioEl;
    this.url = url;
    this.events = events;
    this.hls = null;
    this.closed = false;
  }

  async start() {
    const el = this.audioEl;
    el.srcObject = null;
    let Hls = null;
    try {
      Hls = await loadHlsJs();
    } catch (error) {
      console.warn(String(error));
    }
    if (this.closed) return;
    if (Hls && Hls.isSupported()) {
      // No worker: the page's security policy admits scripts from this relay only.
      this.hls = new Hls({ lowLatencyMode: true, enableWorker: false, backBufferLength: 30 });
      this.hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) this.events.failed?.(`HLS: ${data.details}`);
      });
      this.hls.loadSource(this.url);
      this.hls.attachMedia(el);
    } else if (el.canPlayType('application/vnd.apple.mpegurl')) {
      el.src = this.url;
    } else {
      this.events.failed?.('This browser cannot play the room over HLS.');
      return;
    }
    const attempt = el.play();
    if (attempt) {
      attempt.then(
        () => this.events.autoplayBlocked?.(false),
        (error) => {
          if (error.name === 'NotAllowedError') this.events.autoplayBlocked?.(true);
        },
      );
    }
  }

  /** Seconds behind the room (null until something plays). */
  delaySeconds() {
    let playing = null;
    if (this.hls && this.hls.playingDate) playing = this.hls.playingDate.getTime();
    else if (typeof this.audioEl.getStartDate === 'function') {
      const start = this.audioEl.getStartDate().getTime();
      if (!Number.isNaN(start)) playing = start + this.audioEl.currentTime * 1000;
    }
    if (playing === null || Number.isNaN(playing)) return null;
    return Math.max(0, (Date.now() - playing) / 1000);
  }

  close() {
    this.closed = true;
    if (this.hls) this.hls.destroy();
    this.hls = null;
    this.audioEl.removeAttribute('src');
    this.audioEl.load();
  }
}
