// What a person can do inside the room: every button of the room view lands here. Each
// command goes to the relay and the room changes only when its event comes back; a refusal
// shows the relay's own sentence.

import { asCommandError } from './connection.js';
import { announce, h } from './dom.js';
import { confirmDialog, openDialog, reportDialog } from './dialogs.js';
import { formatWhen, ROLE_LABELS, STRIKE_SPANS, struckWhat } from './format.js';
import { isRecording, nameOf, onStage, person } from './mirror.js';
import { personActions } from './permissions.js';

export class RoomActions {
  /** @param {import('./app.js').App} app  the controller (app.js): mirror, connection, audio, render */
  constructor(app) {
    this.app = app;
    this.consentDialog = null;
    this.consentPromptTake = null;
    this.toastTimer = 0;
  }

  async startAudio() {
    try {
      await this.app.audio.resumePlayback();
    } catch {
      this.toast('The browser still blocks sound. Check that this tab is not muted.');
    }
  }

  async toggleMic() {
    const { room, you } = this.app.mirror;
    const me = person(room, you);
    if (!me || !onStage(me.role)) return;
    if (me.muted) {
      if (!this.app.audio.micStream) {
        await this.app.audio.retryMic();
        if (!this.app.audio.micStream) return; // the problem banner explains why
      }
      await this.command('unmute', {}, 'Your microphone is on.');
    } else {
      await this.command('mute', { user_id: you }, 'Your microphone is off.');
    }
  }

  async retryMic() {
    await this.app.audio.retryMic();
    if (this.app.audio.micStream) announce('The microphone works now.');
  }

  muteSelf() {
    const me = this.app.mirror && person(this.app.mirror.room, this.app.mirror.you);
    if (me && onStage(me.role) && !me.muted) this.command('mute', { user_id: this.app.mirror.you });
  }

  answerUnmuteAsk(yes) {
    this.app.unmuteAskedBy = null;
    this.app.render();
    if (yes) this.toggleMic();
  }

  // -- commands --------------------------------------------------------------------------------

  /** Send a room command; say `success` politely, or show the relay's sentence. */
  async command(type, body = {}, success = '', onError = null) {
    if (!this.app.connection) return false;
    try {
      await this.app.connection.request(type, body);
      if (success) announce(success);
      return true;
    } catch (thrown) {
      const message = asCommandError(thrown).message || 'That did not work.';
      if (onError) onError(message);
      else this.toast(message);
      return false;
    }
  }

  react(emoji) {
    return this.command('react', { emoji });
  }

  toggleRequest() {
    const { room, you } = this.app.mirror;
    const asking = room.requests.some((r) => r.user_id === you);
    if (asking) return this.command('withdraw_request', {}, 'You withdrew your request.');
    const cooldown = room.request_cooldowns?.[you];
    if (cooldown && cooldown > Date.now() / 1000) {
      this.toast('The hosts declined your last request; wait a little before asking again.');
      return null;
    }
    return this._ask(room);
  }

  async _ask(room) {
    try {
      await this.app.connection.request('request_to_speak', {});
      announce('You asked to speak. The hosts can see your request.');
      return true;
    } catch (thrown) {
      const error = asCommandError(thrown);
      // Only the host knows whom they follow: a refusal is how a listener learns it, and
      // then the button says so instead of being refused again on every press.
      if (error.code === 'not_followed') {
        this.app.notFollowed = room.ask_mode;
        this.app.render();
      }
      this.toast(error.message || 'That did not work.');
      return false;
    }
  }

  answerInvite(kind, accept) {
    return accept
      ? this.command('accept_invite', { kind }, '')
      : this.command('decline_invite', { kind }, 'You declined the invitation.');
  }

  setAskMode(mode) {
    const said = { everyone: 'Everyone may ask to speak.', followed: 'Only people the host follows may ask to speak.', invited: 'Only people you invite can speak.' };
    return this.command('set_ask_mode', { mode }, said[mode] || '');
  }

  async unblock(userId) {
    const name = this.app.modLog ? this.app.modLog.nameOf(this.app.mirror.room, userId) : nameOf(this.app.mirror.room, userId);
    const yes = await confirmDialog({ title: `Unblock ${name}?`, text: 'They may join your rooms again, this one included.', yes: 'Unblock' });
    if (yes) await this.command('unblock', { user_id: userId }, `${name} is unblocked.`);
  }

  toggleLock() {
    const locked = Boolean(this.app.mirror.room.locked);
    return this.command('lock_room', { locked: !locked }, locked
      ? 'The room is open to newcomers again.'
      : 'The room is closed to newcomers: only people already here, and host or co-host links, get in.');
  }

  toggleBroadcast() {
    const on = Boolean(this.app.mirror.room.broadcast);
    return this.command('set_broadcast_mode', { on: !on }, on
      ? 'Broadcast mode is off: new listeners hear the room live over WebRTC while seats last.'
      : 'The room is a broadcast: new listeners hear it over HLS, a few seconds late.');
  }

  async toggleRecording() {
    const recording = isRecording(this.app.mirror.room);
    if (recording) {
      const yes = await confirmDialog({ title: 'Stop recording?', text: 'The recording so far is kept.', yes: 'Stop recording' });
      if (yes) await this.command('stop_recording', {}, 'Recording stopped.');
    } else {
      // Per speaker (those who do not say yes are left out), or all-party (nothing is
      // written until everyone on stage has said yes, for places whose law needs that).
      openDialog({
        title: 'Start recording?',
        text: 'Everyone on stage is asked for consent, and everyone in the room sees that it is being recorded.',
        actions: [
          { label: 'Record those who agree', kind: 'primary', autofocus: true,
            run: () => this.command('start_recording', { all_party: false }, 'Recording started; everyone on stage is asked for consent.') },
          { label: 'Only when everyone agrees', kind: 'plain',
            run: () => this.command('start_recording', { all_party: true }, 'Recording started; nothing is written until everyone on stage says yes.') },
          { label: 'Cancel', kind: 'plain', run: () => true },
        ],
      });
    }
  }

  async endRoom() {
    const yes = await confirmDialog({
      title: 'End the room for everyone?',
      text: 'Everyone is disconnected and nobody can join again.',
      yes: 'End the room',
      danger: true,
    });
    if (yes) await this.command('end_room');
  }

  async leave() {
    const left = await this.command('leave');
    if (!left) {
      this.app.connection?.stop();
      this.app.showFinal('left');
    }
  }

  retryConnection() {
    this.app.connection?.retryNow();
  }

  // -- dialogs ---------------------------------------------------------------------------------

  maybeAskConsent() {
    const { room, you } = this.app.mirror;
    const recording = isRecording(room) ? room.recording : null;
    const pending = recording && recording.consents[you] === 'pending';
    if (!pending) {
      if (this.consentDialog && !this.consentDialog.closed && !this.consentDialog.manual) this.consentDialog.close();
      return;
    }
    if (this.consentPromptTake === recording.take) return; // asked this take; the banner stays
    this.consentPromptTake = recording.take;
    this.openConsent(false);
  }

  openConsent(manual) {
    if (this.consentDialog && !this.consentDialog.closed) return;
    const { room } = this.app.mirror;
    const startedBy = room.recording ? nameOf(room, room.recording.started_by) : 'The host';
    this.consentDialog = openDialog({
      title: 'This room is being recorded',
      text: `${startedBy} is recording this room. May your voice be part of the recording?`,
      className: 'consent-dialog',
      content: [h('ul', { class: 'consent-points' },
        h('li', {}, h('strong', {}, 'Yes: '), 'your voice is in the recording the host keeps.'),
        h('li', {}, h('strong', {}, 'No: '), 'you stay on stage and everyone still hears you live, but your voice is left out of the recording.'),
        h('li', {}, 'You can change your answer at any time from the recording notice.'))],
      actions: [
        { label: 'Yes, record my voice', kind: 'primary', run: () => this._consent(true) },
        // Focus starts on the answer that records nothing.
        { label: 'No, leave my voice out', kind: 'plain', autofocus: true, run: () => this._consent(false) },
      ],
      onCancel: () => announce('Until you answer yes, your voice is left out of the recording.'),
    });
    this.consentDialog.manual = manual;
  }

  async _consent(granted) {
    const mine = this.app.mirror.room.recording?.consents[this.app.mirror.you];
    if ((mine === 'granted') === granted && mine !== 'pending') return true;
    // false keeps the dialog open, showing the relay's reason in it
    return this.command('set_consent', { granted },
      granted ? 'Thank you: your voice is recorded.' : 'Your voice is left out of the recording.',
      (message) => this.consentDialog?.setError(message));
  }

  /** Strike from the record: choose how far back, confirm, send. Yours needs nobody's approval;
   * the host and co-hosts reach this for a speaker from the person's dialog.
   * @param {string} userId */
  openStrike(userId) {
    const { room, you } = this.app.mirror;
    const self = userId === you;
    const name = nameOf(room, userId);
    /** @type {Record<string, string>} */
    const labels = {
      last_minute: 'Last minute',
      last_5_minutes: 'Last 5 minutes',
      last_15_minutes: 'Last 15 minutes',
      since_joined: self ? 'Since I joined' : 'Since they joined',
    };
    /** @type {import('./dialogs.js').DialogAction[]} */
    const actions = STRIKE_SPANS.map((span) => ({
      label: labels[span],
      kind: /** @type {'plain'} */ ('plain'),
      run: () => {
        setTimeout(() => this._confirmStrike(userId, span), 0);
        return true;
      },
    }));
    actions.push({ label: 'Cancel', kind: 'plain', autofocus: true });
    openDialog({
      title: 'Strike from the record',
      text: self
        ? 'Remove your own voice from this recording, as far back as you choose. Nobody has to approve it.'
        : `Remove ${name}’s voice from this recording, as far back as you choose.`,
      actions,
      className: 'strike-dialog',
    });
  }

  /** @param {string} userId @param {string} span */
  async _confirmStrike(userId, span) {
    const { room, you } = this.app.mirror;
    const self = userId === you;
    const what = struckWhat(span, self ? null : nameOf(room, userId));
    const yes = await confirmDialog({
      title: `Strike ${self ? what.charAt(0).toLowerCase() + what.slice(1) : what}?`,
      text: `${what} will be removed from the recording: ${self ? 'your' : 'their'} track and the mix become silence for that span, and exports made before are marked out of date. People in the room already heard it live. This cannot be undone.`,
      yes: 'Strike it',
      danger: true,
    });
    if (yes) await this.command('strike_from_record', { user_id: userId, span });
  }

  openPerson(userId) {
    const { room, you } = this.app.mirror;
    const target = person(room, userId);
    if (!target) return;
    const status = onStage(target.role)
      ? `${ROLE_LABELS[target.role]} · microphone ${target.muted ? 'off' : 'on'}`
      : `Listener${room.requests.some((r) => r.user_id === userId) ? ' · asked to speak' : ''}`;
    /** @type {import('./dialogs.js').DialogAction[]} */
    const actions = personActions(room, you, userId).map((action) => ({
      label: action.label,
      kind: /** @type {'danger' | 'plain'} */ (action.danger ? 'danger' : 'plain'),
      run: async () => {
        if (action.report) {
          setTimeout(() => this._report(target), 0);
          return true;
        }
        if (action.strike) {
          setTimeout(() => this.openStrike(userId), 0);
          return true;
        }
        await this._run(action);
        return true;
      },
    }));
    actions.push({ label: 'Close', kind: 'plain' });
    openDialog({ title: target.display_name, text: `${status}. Joined ${formatWhen(target.joined_at)}.`, actions, className: 'person-dialog' });
  }

  /** Ask first when the action says so (remove, block), then send it. */
  async _run(action) {
    if (action.confirm) {
      const yes = await confirmDialog({ title: action.label, text: action.confirm, yes: action.label, danger: true });
      if (!yes) return false;
    }
    return this.command(action.type, action.body, `${action.label}: done.`);
  }

  /** Remove (or block) a reported person from the reports inbox: the same confirmation and
   * command as the person's own dialog. */
  actOnReported(userId, block) {
    const { room, you } = this.app.mirror;
    const action = personActions(room, you, userId).find((a) => a.id === (block ? 'block' : 'remove'));
    if (!action) {
      this.toast('They are no longer in the room.');
      return Promise.resolve(false);
    }
    return this._run(action);
  }

  _report(target) {
    reportDialog({
      targetName: target.display_name,
      submit: (reason) => this._sendReport({ reason, user_id: target.user_id }),
      onDone: () => announce(`Report sent. Thank you; the moderators will look at it.`),
    });
  }

  // -- sharing ---------------------------------------------------------------------------------

  /** The room's link (never the host's own: that one is a key), its QR code, and for the
   * host a co-host link to hand to someone. */
  share() {
    const { room, you } = this.app.mirror;
    const link = `${location.origin}/r/${encodeURIComponent(this.app.roomId)}`;
    const field = h('input', { type: 'text', readonly: true, value: link, class: 'share-link', 'aria-label': 'Room link' });
    const qr = h('img', { class: 'share-qr', src: `/api/rooms/${encodeURIComponent(this.app.roomId)}/qr.svg`, alt: 'QR code of the room link', width: 192, height: 192 });
    const cohostOut = h('div', { class: 'cohost-link' });
    /** @type {import('./dialogs.js').DialogAction[]} */
    const actions = [
      { label: 'Copy link', kind: 'primary', autofocus: true, run: async () => { await this._copy(field, 'Room link copied.'); return false; } },
    ];
    if (you === room.host_id && this.app.token) {
      actions.push({ label: 'Make a co-host link', kind: 'plain', run: async () => { await this._cohostLink(cohostOut); return false; } });
    }
    actions.push({ label: 'Close', kind: 'plain', run: () => true });
    openDialog({
      title: 'Share this room',
      text: 'Anyone with this link can listen. Your own host link stays private.',
      className: 'share-dialog',
      content: [field, qr, cohostOut],
      actions,
    });
  }

  async _copy(field, done) {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand('copy'); // no clipboard permission: the selected text
    }
    announce(done);
    this.toast(done);
  }

  async _cohostLink(out) {
    const response = await fetch(`/api/rooms/${encodeURIComponent(this.app.roomId)}/cohost-links`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.app.token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error?.message || 'The relay did not make a co-host link.');
    const field = h('input', { type: 'text', readonly: true, value: body.url, class: 'share-link', 'aria-label': 'Co-host link' });
    out.replaceChildren(
      h('p', {}, 'Whoever opens this link joins as a co-host (remove them to revoke it):'),
      field,
      h('button', { type: 'button', class: 'button plain', onclick: () => this._copy(field, 'Co-host link copied.') }, 'Copy co-host link'));
  }

  reportRoom() {
    reportDialog({
      targetName: null,
      submit: (reason) => this._sendReport({ reason }),
      onDone: () => announce('Report sent. Thank you.'),
    });
  }

  async _sendReport(body) {
    await this.app.connection.request('report', body);
  }

  toast(message) {
    this.app.toastEl.textContent = message;
    this.app.toastEl.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.app.toastEl.hidden = true; }, 6000);
  }
}
