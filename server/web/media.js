// Audio: one RTCPeerConnection to the relay, renewed when the person joins or leaves the
// stage (listeners receive only; stage members also send their microphone). The relay wants
// the whole offer at once, so we wait for ICE gathering to finish (no trickle).

import { HlsHeartbeat } from './hls_heartbeat.js';
import { HlsPlayer } from './hls_player.js';

const GATHER_TIMEOUT_MS = 3000;

/** A plain-words explanation of why the microphone could not start (null: it did). */
export function explainMicError(error) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    return {
      title: 'This link cannot use your microphone',
      detail:
        'Browsers only give microphones to pages on a secure (https://) link or on this ' +
        'computer. Ask the host for an https link. You can still listen.',
    };
  }
  const name = error?.name || '';
  const message = String(error?.message || '');
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    if (/system/i.test(message)) {
      return {
        title: 'Your computer is blocking the microphone',
        detail:
          "Your system settings don't let this browser use the microphone. On macOS open " +
          'System Settings → Privacy & Security → Microphone; on Windows, Settings → Privacy → ' +
          'Microphone. Allow your browser, then press “Try the microphone again”.',
      };
    }
    return {
      title: 'The microphone is blocked for this page',
      detail:
        'To speak, allow the microphone: click the icon at the left of the address bar, set ' +
        'Microphone to “Allow”, then press “Try the microphone again”. You can keep listening ' +
        'meanwhile.',
    };
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return {
      title: 'No microphone found',
      detail:
        'Plug in a microphone or headset (or switch it on), then press “Try the microphone again”.',
    };
  }
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') {
    return {
      title: 'The microphone could not start',
      detail:
        'Another app may be using it. Close other apps that use the microphone (calls, ' +
        'recorders), then press “Try the microphone again”.',
    };
  }
  return {
    title: 'The microphone could not start',
    detail: `Your browser said: ${message || name || 'unknown error'}. Try again, or use another browser.`,
  };
}

function gatheringDone(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS); // send what we have
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export class RoomAudio {
  /**
   * @param {HTMLAudioElement} audioEl  plays the room
   * @param {(sdp: string) => Promise<string>} offer  sends our offer, returns the answer
   * @param {object} events  {autoplayBlocked(), micProblem(problem|null), micEnded(), state(s),
   *   mode('webrtc'|'hls'|null)}
   * @param {string|null} hlsUrl  the room's HLS playlist, for when the relay sends a listener there
   */
  constructor(audioEl, offer, events, hlsUrl = null) {
    this.audioEl = audioEl;
    this.offer = offer;
    this.events = events;
    this.hlsUrl = hlsUrl;
    this.hls = null; // an HlsPlayer while this listener hears the room over HLS
    this.mode = null;
    this.pc = null;
    this.micStream = null;
    this.micProblem = null;
    this.sending = false;
    this.wantSend = false;
    this.wantConnected = false;
    this.generation = 0;
    this.appliedGeneration = -1;
    this.chain = Promise.resolve();
    this.micEnabled = false;
  }

  /** Call inside the click that joins: lets audio start even where autoplay is strict. */
  primeFromGesture() {
    this.audioEl.muted = false;
    // Safari unlocks an element that played inside a gesture; an empty stream is enough.
    if (!this.audioEl.srcObject && typeof MediaStream === 'function') {
      this.audioEl.srcObject = new MediaStream();
    }
    const attempt = this.audioEl.play();
    if (attempt) attempt.catch(() => {}); // nothing to play yet; the gesture is what counts
  }

  /** Ask for the microphone (once per stage visit); returns true if we have it. */
  async acquireMic() {
    if (this.micStream && this.micStream.getAudioTracks().some((t) => t.readyState === 'live')) {
      return true;
    }
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('no mediaDevices');
      this.micStream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: false,
      });
    } catch (error) {
      this.micStream = null;
      this.micProblem = explainMicError(error);
      this.events.micProblem?.(this.micProblem);
      return false;
    }
    this.micProblem = null;
    this.events.micProblem?.(null);
    for (const track of this.micStream.getAudioTracks()) {
      track.enabled = this.micEnabled;
      track.addEventListener('ended', () => {
        this.micProblem = {
          title: 'Your microphone stopped',
          detail: 'It may have been unplugged or switched off. Reconnect it, then press “Try the microphone again”.',
        };
        this.events.micProblem?.(this.micProblem);
        this.events.micEnded?.();
      });
    }
    return true;
  }

  /** The person pressed "Try the microphone again". */
  retryMic() {
    this.micProblem = null;
    return this.want({ connected: this.wantConnected, send: this.wantSend });
  }

  releaseMic() {
    if (this.micStream) for (const track of this.micStream.getTracks()) track.stop();
    this.micStream = null;
    this.micProblem = null;
    this.events.micProblem?.(null);
  }

  /** Open or close the microphone's sound (the relay mutes too; this keeps silence local). */
  setMicEnabled(enabled) {
    this.micEnabled = enabled;
    if (this.micStream) for (const track of this.micStream.getAudioTracks()) track.enabled = enabled;
  }

  /** Desired state: connected or not, sending or not. Renegotiates only when it changes. */
  want({ connected, send, renew = false }) {
    this.wantConnected = connected;
    this.wantSend = send;
    if (renew) this.generation += 1;
    this.chain = this.chain.then(() => this._settle()).catch((error) => {
      console.warn('audio negotiation failed', error);
      this.events.state?.('failed');
    });
    return this.chain;
  }

  async _settle() {
    if (!this.wantConnected) {
      this._closePc();
      this._closeHls();
      return;
    }
    // A listener on HLS stays there until a fresh start (renew) or the stage calls them.
    if (this.hls && !this.wantSend && this.appliedGeneration === this.generation) return;
    this._closeHls();
    if (this.wantSend && !this.micStream && !this.micProblem) {
      // Asked once per stage visit; after a refusal only "Try the microphone again" asks again
      // (browsers remember a "block", and asking in a loop would only nag).
      await this.acquireMic();
    }
    if (!this.wantSend && this.micStream) this.releaseMic();
    const send = this.wantSend && Boolean(this.micStream);
    if (this.pc && this.sending === send && this.appliedGeneration === this.generation) return;
    await this._negotiate(send);
  }

  async _negotiate(send) {
    const generation = this.generation;
    const pc = new RTCPeerConnection({ iceServers: [] });
    if (send) {
      const track = this.micStream.getAudioTracks()[0];
      pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.micStream] });
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    pc.addEventListener('track', (ev) => this._play(ev));
    pc.addEventListener('connectionstatechange', () => {
      if (pc === this.pc) this.events.state?.(pc.connectionState);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc);
    let answer;
    try {
      answer = await this.offer(pc.localDescription.sdp);
    } catch (error) {
      pc.close();
      const code = error instanceof Error && 'code' in error ? error.code : null; // a CommandError
      if (code === 'listen_over_hls' && !send && this.hlsUrl) {
        // The relay's WebRTC seats are taken (or the host broadcasts): hear it over HLS.
        this._closePc();
        this.appliedGeneration = generation;
        this.hls = new HlsPlayer(this.audioEl, this.hlsUrl, {
          autoplayBlocked: (blocked) => this.events.autoplayBlocked?.(blocked),
          failed: (message) => console.warn(message),
        });
        this._setMode('hls');
        this.heartbeat = new HlsHeartbeat(this.hlsUrl.replace(/[^/]*$/, ''));
        this.heartbeat.start();
        await this.hls.start();
        return;
      }
      throw error;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const old = this.pc;
    this.pc = pc;
    this.sending = send;
    this.appliedGeneration = generation;
    if (old) old.close();
    this._setMode('webrtc');
  }

  _setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.events.mode?.(mode);
  }

  _closeHls() {
    if (!this.hls) return;
    this.hls.close();
    this.hls = null;
    this.heartbeat?.stop();
    this.heartbeat = null;
    if (this.mode === 'hls') this._setMode(null);
  }

  /** Seconds behind the room when listening over HLS (null otherwise, or not yet known). */
  hlsDelaySeconds() {
    return this.hls ? this.hls.delaySeconds() : null;
  }

  _play(ev) {
    const stream = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
    this.audioEl.srcObject = stream;
    const attempt = this.audioEl.play();
    if (attempt) {
      attempt.then(
        () => this.events.autoplayBlocked?.(false),
        (error) => {
          if (error.name === 'NotAllowedError') this.events.autoplayBlocked?.(true);
        },
      );
    }
  }

  /** Does the audio link need a new offer (after the signalling connection came back)? */
  needsRenewal() {
    if (this.hls) return false; // HLS needs no connection to the relay's media
    return !this.pc || ['failed', 'closed', 'disconnected'].includes(this.pc.connectionState);
  }

  /** After the person pressed "Start audio". */
  async resumePlayback() {
    await this.audioEl.play();
    this.events.autoplayBlocked?.(false);
  }

  _closePc() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.sending = false;
    if (this.mode === 'webrtc') this._setMode(null);
  }

  close() {
    this.wantConnected = false;
    this._closePc();
    this._closeHls();
    this.releaseMic();
    this.audioEl.srcObject = null;
  }

  /** Inbound and outbound audio counters (for the connection panel and the tests). */
  async stats() {
    const out = { inbound: null, outbound: null, connection: this.pc?.connectionState || 'new' };
    if (!this.pc) return out;
    const report = await this.pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.inbound = {
          packetsReceived: s.packetsReceived,
          packetsLost: s.packetsLost,
          totalAudioEnergy: s.totalAudioEnergy,
          jitter: s.jitter,
        };
      } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
        out.outbound = { packetsSent: s.packetsSent, bytesSent: s.bytesSent };
      } else if (s.type === 'media-source' && s.kind === 'audio') {
        out.source = { audioLevel: s.audioLevel, totalAudioEnergy: s.totalAudioEnergy };
      }
    });
    return out;
  }
}
