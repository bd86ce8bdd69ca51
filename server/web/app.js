// The controller of the web client at /r/<room_id>: the card before joining, the room once
// inside, and the end states (removed, ended, replaced, left). It holds the state (the card,
// the room mirror, the connection, the audio); the views draw it and call back here or into
// RoomActions.

import { CardView } from './card_view.js';
import { RoomConnection } from './connection.js';
import { announce, fill, h } from './dom.js';
import { afterEvent } from './event_effects.js';
import { finalView } from './final_view.js';
import { ROLE_LABELS } from './format.js';
import { downloadCalendar } from './ics.js';
import {
  loadDisplayName, loadIdentity, rememberReminded, replaceIdentity,
  saveDisplayName, wasReminded,
} from './identity.js';
import { RoomAudio } from './media.js';
import { floatReaction } from './reactions.js';
import { apply, onStage, person } from './mirror.js';
import { ModerationLog } from './moderation_log.js';
import { isModerator } from './permissions.js';
import { ReportsInbox } from './reports_inbox.js';
import { RoomActions } from './room_actions.js';
import { RoomView } from './room_view.js';

const TICKETS_KEY = 'roomcast.tickets';

function roomIdFromPath() {
  const parts = location.pathname.split('/').filter(Boolean);
  return parts.length === 2 && parts[0] === 'r' ? decodeURIComponent(parts[1]) : '';
}

const AGO_REFRESH_MS = 15_000;

function tokenFromHash() {
  const match = /^#token=([A-Za-z0-9_-]{10,200})$/.exec(location.hash);
  return match ? match[1] : null;
}

function savedTickets() {
  try {
    return JSON.parse(localStorage.getItem(TICKETS_KEY) || '{}');
  } catch {
    return {};
  }
}

export class App {
  constructor() {
    this.roomId = roomIdFromPath();
    this.token = tokenFromHash();
    this.identity = loadIdentity();
    this.viewEl = document.getElementById('view');
    this.toastEl = document.getElementById('toast');
    this.phase = 'loading';
    this.card = null;
    this.mirror = null; // {room, you, seq}
    this.speaking = new Set();
    this.conn = { state: 'connected' };
    this.micProblem = null;
    this.autoplayBlocked = false;
    this.unmuteAskedBy = null;
    this.removedWithBlock = false;
    this.renderQueued = false;
    this.connection = null;
    this.cardPoll = 0;
    this.identityRetried = false;
    this.audioEl = h('audio', { autoplay: true, class: 'room-audio' });
    document.body.append(this.audioEl);
    this.audio = new RoomAudio(this.audioEl, (sdp) => this._offer(sdp), {
      micProblem: (problem) => { this.micProblem = problem; this.render(); },
      micEnded: () => this.actions.muteSelf(),
      autoplayBlocked: (blocked) => { this.autoplayBlocked = blocked; this.render(); },
      state: (state) => {
        document.body.dataset.audio = state;
        // ICE gave up (a changed network): offer again once the relay can hear us.
        if (state === 'failed' && this.connection?.connected) this.syncAudio(true);
      },
      mode: (mode) => this.showListening(mode),
    }, `/hls/${encodeURIComponent(this.roomId)}/index.m3u8`);
    this.listeningEl = h('p', { class: 'listen-mode', hidden: true });
    document.body.append(this.listeningEl);
    this.listeningTimer = 0;
    this.actions = new RoomActions(this);
    this.cardView = new CardView(this);
    this.modLog = new ModerationLog(this);
    this.reportsInbox = new ReportsInbox(this.actions, this.roomId, this.modLog);
    this.roomView = new RoomView(this.actions, this.reportsInbox, this.modLog);
  }

  // -- phases ----------------------------------------------------------------------------------

  setPhase(phase, final = null) {
    this.phase = phase;
    // Times shown as "asked 3 min ago" are redrawn on a slow clock, not only when something
    // else in the room changes (a quiet room kept saying "just now").
    clearInterval(this.agoTimer);
    if (phase === 'room') this.agoTimer = setInterval(() => this.render(), AGO_REFRESH_MS);
    document.body.dataset.phase = phase;
    if (final) document.body.dataset.final = final;
    else delete document.body.dataset.final;
  }

  async boot() {
    if (!this.roomId) {
      this.showFinal('not_found');
      return;
    }
    this.setPhase('loading');
    await this.refreshCard();
  }

  async refreshCard() {
    if (this.refreshing || (this.phase !== 'loading' && this.phase !== 'card')) return;
    if (Date.now() - (this.lastRefreshMs || 0) < 2500) return; // the countdown asks every second at zero
    this.lastRefreshMs = Date.now();
    this.refreshing = true;
    try {
      const response = await fetch(`/api/rooms/${encodeURIComponent(this.roomId)}`, { cache: 'no-store' });
      if (response.status === 404) {
        this.showFinal('not_found');
        return;
      }
      if (!response.ok) throw new Error(`status ${response.status}`);
      this.card = await response.json();
    } catch {
      if (this.phase === 'loading') this.showFinal('unreachable');
      return;
    } finally {
      this.refreshing = false;
    }
    this.showCard();
  }

  showCard() {
    const wasCard = this.phase === 'card';
    const firstLoad = this.phase === 'loading';
    const before = this.cardView.stateKey;
    this.setPhase('card');
    document.title = `${this.card.title} · Roomcast`;
    const ticket = savedTickets()[this.roomId] || '';
    this.cardView.update(this.card, {
      token: this.token, defaultName: loadDisplayName(), remembered: this.identity.remembered,
    });
    if (this.cardView.ticketInput && ticket && !this.cardView.ticketInput.value) {
      this.cardView.ticketInput.value = ticket;
    }
    if (this.card.state === 'scheduled' && wasReminded(this.roomId)) this.cardView.reminded(this.card.reminders);
    if (!wasCard) {
      fill(this.viewEl, this.cardView.root);
      if (!firstLoad) this.cardView.title.focus(); // a fresh page starts at the top as usual
    } else if (before !== this.cardView.stateKey) {
      announce({
        live: 'The room is live now. You can join.',
        ended: 'The room has ended.',
        cancelled: 'The host cancelled the room.',
      }[this.card.state] || 'The room changed.');
    }
    clearTimeout(this.cardPoll);
    const soon = this.card.state === 'scheduled' && this.card.starts_at * 1000 - Date.now() < 60_000;
    if (this.card.state === 'scheduled' || this.card.state === 'live') {
      this.cardPoll = setTimeout(() => this.refreshCard(), soon ? 3000 : 15_000);
    }
  }

  async remind() {
    const card = this.card;
    try {
      const response = await fetch(`/api/rooms/${encodeURIComponent(this.roomId)}/reminders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: this.identity.client_id }),
      });
      const body = await response.json();
      if (!response.ok) {
        announce(body.error?.message || 'Could not save the reminder.', { urgent: true });
        this.refreshCard();
        return;
      }
      card.reminders = body.reminders;
      rememberReminded(this.roomId);
      downloadCalendar(card, location.origin + location.pathname);
      this.cardView.reminded(body.reminders);
    } catch {
      announce('Could not reach the room’s server to save the reminder. Try again.', { urgent: true });
    }
  }

  // -- joining ---------------------------------------------------------------------------------

  join({ name, ticket }) {
    saveDisplayName(name);
    this.name = name;
    this.ticket = ticket;
    this.audio.primeFromGesture(); // inside the click: the room's sound may start later
    this.cardView.setBusy(true);
    this.cardView.setFormError('');
    this.setPhase('joining');
    document.body.dataset.phase = 'joining';
    this._connect();
  }

  _connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.connection?.stop();
    this.connection = new RoomConnection(`${scheme}://${location.host}/ws`, () => this._helloBody(), {
      frame: (frame) => this._onFrame(frame),
      connected: (ok) => this._onConnected(ok),
      reconnecting: (info) => this._onReconnecting(info),
      final: (kind, detail) => this.showFinal(kind, detail),
      refused: (code, message) => this._onRefused(code, message),
    });
    this.connection.start();
  }

  _helloBody() {
    return {
      room_id: this.roomId,
      client_id: this.identity.client_id,
      client_secret: this.identity.client_secret,
      display_name: this.name,
      token: this.token,
      ticket_code: this.ticket || null,
      resume_after_seq: this.mirror ? this.mirror.seq : null,
    };
  }

  _onConnected(ok) {
    const wasDown = this.conn.state !== 'connected';
    this.conn = { state: 'connected' };
    if (typeof ok.resume_grace_s === 'number') this.graceS = ok.resume_grace_s;
    if (typeof ok.stage_grace_s === 'number') this.stageGraceS = ok.stage_grace_s;
    this.hlsOn = Boolean(ok.hls);
    if (ok.hls_listeners) this.hlsListeners = ok.hls_listeners;
    if (this.ticket) {
      const tickets = savedTickets();
      tickets[this.roomId] = this.ticket;
      try { localStorage.setItem(TICKETS_KEY, JSON.stringify(tickets)); } catch { /* not kept */ }
    }
    if (ok.resumed) {
      // Flips sent while we were away are lost: the relay says who is talking now.
      this.speaking = new Set(ok.speaking || []);
      this.syncAudio(this.audio.needsRenewal());
      if (wasDown) announce('Connected again.');
      this.render();
    }
    // not resumed: a snapshot follows and enters (or re-enters) the room
  }

  /** Back after a drop: was the stage seat kept? Said once, in words, if it was not. */
  _seatKept() {
    if (!this.seatBeforeDrop || !this.mirror) return;
    const me = person(this.mirror.room, this.mirror.you);
    if (!me) return; // replaying: we left (the grace ran out) and join again next
    if (me.role === 'listener') {
      const seconds = Math.round(this.stageGraceS ?? 90);
      const text = `You were away for more than ${seconds} s, so your place on stage was given up. You can ask to speak again.`;
      this.actions.toast(text);
      announce(text, { urgent: true });
    }
    this.seatBeforeDrop = null;
  }

  _onReconnecting(info) {
    if (this.phase === 'joining' && !this.mirror) {
      this.cardView.setFormError(info.rateLimited
        ? `Many people are joining from your network right now; trying again in ${Math.ceil(info.delayMs / 1000)} s…`
        : 'Cannot reach the room’s server. Trying again…');
      this.setPhase('card');
    }
    const first = this.conn.state === 'connected';
    if (first && this.mirror) {
      // Remember the stage seat we had: if the drop outlasts the grace, we say it was lost.
      const me = person(this.mirror.room, this.mirror.you);
      this.seatBeforeDrop = me && onStage(me.role) ? me.role : null;
    }
    const onStageNow = Boolean(this.seatBeforeDrop);
    this.conn = { state: 'reconnecting', graceS: onStageNow ? this.stageGraceS : this.graceS, onStage: onStageNow, ...info };
    if (first && this.phase === 'room') announce('Connection lost. Reconnecting…');
    this.render();
  }

  _onRefused(code, message) {
    if (this.phase === 'room') {
      this.showFinal('error', message);
      return;
    }
    this.setPhase('card');
    this.cardView.setBusy(false);
    if (code === 'identity_mismatch' && !this.identityRetried) {
      this.identityRetried = true;
      this.identity = replaceIdentity();
      this.join({ name: this.name, ticket: this.ticket });
      return;
    }
    if (code.startsWith('ticket_')) {
      this.cardView.setFieldError('ticket', message);
      this.cardView.focusField('ticket');
    } else if (code === 'name_taken' || (code === 'invalid_field' && /name/i.test(message))) {
      this.cardView.setFieldError('name', message);
      this.cardView.focusField('name');
    } else {
      this.cardView.setFormError(message || 'The room refused to let you in.');
      if (code === 'not_started') this.refreshCard();
    }
  }

  // -- frames and events -------------------------------------------------------------------

  _onFrame(frame) {
    const body = frame.body || {};
    switch (frame.type) {
      case 'snapshot':
        this.mirror = { room: body.room, you: body.you, seq: body.seq };
        this.speaking = new Set(body.speaking || []); // who is talking as we come in
        this.modLog.noteNames(body.room);
        // A snapshot has no history: a moderator's link reads the log of what came before.
        if (isModerator(body.room, body.you)) this.modLog.catchUp(body.seq);
        this._seatKept();
        if (this.phase !== 'room') this._enterRoom();
        else this.render();
        this.syncAudio(true);
        break;
      case 'event': {
        if (!this.mirror || body.seq <= this.mirror.seq) return; // already applied
        const before = person(this.mirror.room, this.mirror.you);
        this.modLog.take(body.seq, body.kind, body.event || {}); // names still there
        apply(this.mirror.room, body.kind, body.event || {});
        if (body.kind === 'ask_mode_changed') this.notFollowed = null; // ask again, once
        this.mirror.seq = body.seq;
        afterEvent(this, body.kind, body.event || {}, before);
        this._seatKept();
        this.render();
        break;
      }
      case 'speaking':
        if (body.speaking) this.speaking.add(body.user_id);
        else this.speaking.delete(body.user_id);
        this.render();
        break;
      case 'hls_reactions':
        // Listeners on HLS have no WebSocket: their reactions arrive summed, once a second.
        for (const [emoji, count] of Object.entries(body.counts || {})) {
          floatReaction(this.roomView.reactionLayer, emoji, `${count} on HLS`);
        }
        break;
      case 'hls_listeners':
        // Listeners on HLS without the page: the relay's count from their heartbeats.
        this.hlsListeners = body;
        this.render();
        break;
      case 'media_restart':
        // The relay's audio process carrying our connection restarted: offer again at once
        // (ICE would take many seconds to notice on its own).
        this.syncAudio(true);
        break;
      default:
        break; // levels (moderators' meters) are not drawn in the browser yet
    }
  }

  _enterRoom() {
    clearTimeout(this.cardPoll);
    this.cardView.destroy();
    this.setPhase('room');
    this.render(true);
    fill(this.viewEl, this.roomView.root);
    const room = this.mirror.room;
    document.title = `${room.card.title} · Roomcast`;
    this.roomView.focusHome();
    const me = person(room, this.mirror.you);
    announce(`You joined ${room.card.title} as ${(ROLE_LABELS[me?.role] || 'listener').toLowerCase()}.`);
  }

  // -- drawing ---------------------------------------------------------------------------------

  render(now = false) {
    if (now) {
      this._draw();
      return;
    }
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this._draw();
    });
  }

  _draw() {
    if (this.phase !== 'room' || !this.mirror) return;
    const { room, you } = this.mirror;
    const focused = this.roomView.root.contains(document.activeElement) ? document.activeElement : null;
    this.roomView.update({
      room, you, speaking: this.speaking, conn: this.conn, micProblem: this.micProblem,
      autoplayBlocked: this.autoplayBlocked, unmuteAskedBy: this.unmuteAskedBy,
      notFollowed: this.notFollowed, hlsListeners: this.hlsListeners, hlsOn: this.hlsOn,
    });
    const me = person(room, you);
    this.audio.setMicEnabled(Boolean(me && onStage(me.role) && !me.muted));
    if (focused && (!focused.isConnected || focused.closest('[hidden]'))) {
      // The control that had focus went away (an answered invitation, "Leave the stage"):
      // keep the keyboard user near what they were doing.
      this.roomView.focusNext();
    }
    this.actions.maybeAskConsent();
  }

  // -- audio -----------------------------------------------------------------------------------

  syncAudio(renew) {
    if (!this.mirror) return;
    const me = person(this.mirror.room, this.mirror.you);
    const live = this.mirror.room.state === 'live';
    this.audio.want({ connected: live, send: Boolean(me && onStage(me.role)), renew });
  }

  /** Which way this page hears the room: "Listening over WebRTC" or over HLS with its delay. */
  showListening(mode) {
    clearInterval(this.listeningTimer);
    const el = this.listeningEl;
    if (mode) document.body.dataset.listening = mode;
    else delete document.body.dataset.listening;
    el.hidden = !mode;
    if (mode === 'webrtc') el.textContent = 'Listening over WebRTC';
    if (mode !== 'hls') return;
    const update = () => {
      const delay = this.audio.hlsDelaySeconds();
      el.textContent = delay === null
        ? 'Listening over HLS'
        : `Listening over HLS, ~${Math.max(1, Math.round(delay))} s behind`;
    };
    update();
    this.listeningTimer = setInterval(update, 1000);
  }

  async _offer(sdp) {
    const reply = await this.connection.request('offer', { sdp }, 20_000);
    return reply.sdp;
  }

  // -- the end ---------------------------------------------------------------------------------

  showFinal(kind, detail = '') {
    clearTimeout(this.cardPoll);
    this.cardView.destroy();
    this.audio.close();
    if (kind !== 'replaced') this.connection?.stop();
    const room = this.mirror?.room;
    const { element, heading, message } = finalView(kind, {
      title: room?.card.title || this.card?.title || '',
      endedAt: room?.ended_at,
      detail,
      blocked: this.removedWithBlock || /block/i.test(detail),
    });
    this.setPhase('final', kind);
    document.querySelectorAll('dialog').forEach((d) => d.remove());
    fill(this.viewEl, element);
    element.querySelector('h1').focus();
    announce(`${heading}. ${message}`, { urgent: true });
  }
}
