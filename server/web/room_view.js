// Inside the room: who is on stage (speaking rings from the relay's `speaking` frames), the
// listeners, pinned links, prompts (invitations, "please unmute", microphone problems,
// recording consent), the moderators' queue, and the controls along the bottom.
//
// Built once and patched on every change, so a focused button stays focused while the room
// moves around it.

import { fill, h, hueOf, initials, safeHttpUrl, show, syncList } from './dom.js';
import { formatAgo, plural, ROLE_LABELS } from './format.js';
import { invitesFor, isRecording, listeners, nameOf, onStage, person, recordingWaitsFor, requestOf, stage } from './mirror.js';
import { isModerator, mayUnpin, reaches } from './permissions.js';
import { reactionBar } from './reactions.js';

const STATE_LABELS = { live: 'Live', scheduled: 'Scheduled', ended: 'Ended', cancelled: 'Cancelled' };

export class RoomView {
  /**
   * @param {object} ctl  the controller (main.js): commands and dialogs
   * @param {object} inbox  the moderators' reports (reports_inbox.js)
   * @param {object} log  the moderation log (moderation_log.js)
   */
  constructor(ctl, inbox, log) {
    this.ctl = ctl;
    this.inbox = inbox;
    this.log = log;
    this._build();
  }

  _build() {
    const ctl = this.ctl;
    // -- header ------------------------------------------------------------------------------
    this.title = h('h1', { id: 'main-heading', tabindex: '-1', class: 'room-title' });
    this.badges = h('p', { class: 'badges' });
    this.about = h('details', { class: 'about' },
      h('summary', {}, 'About this room'),
      this.aboutText = h('p', { class: 'description' }),
      this.aboutTopics = h('ul', { class: 'topics', 'aria-label': 'Topics' }));
    this.reportButton = h('button', { type: 'button', class: 'button plain small', onclick: () => ctl.reportRoom() }, 'Report room');
    this.shareButton = h('button', { type: 'button', class: 'button plain small', onclick: () => ctl.share() }, 'Share');
    const header = h('header', { class: 'room-header' }, this.badges, this.title,
      h('div', { class: 'row header-row' }, this.about, this.shareButton, this.reportButton));

    // -- prompts -----------------------------------------------------------------------------
    this.connBanner = h('div', { class: 'banner warn', role: 'status' },
      this.connText = h('p', {}),
      h('button', { type: 'button', class: 'button plain', onclick: () => ctl.retryConnection() }, 'Try now'));
    this.audioBanner = h('div', { class: 'banner' },
      h('p', {}, 'Your browser paused the room’s sound.'),
      h('button', { type: 'button', class: 'button primary', onclick: () => ctl.startAudio() }, 'Start audio'));
    this.recordingBanner = h('div', { class: 'banner recording', role: 'status' },
      h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
      this.recordingText = h('p', {}),
      this.consentButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.openConsent(true) }, 'Change my answer'),
      this.strikeButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.openStrike(this.you) }, 'Strike from the record…'));
    this.invites = h('div', { class: 'invites' });
    this.unmuteAsk = h('div', { class: 'banner', role: 'status' },
      this.unmuteAskText = h('p', {}),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'button primary', onclick: () => ctl.answerUnmuteAsk(true) }, 'Turn my microphone on'),
        h('button', { type: 'button', class: 'button plain', onclick: () => ctl.answerUnmuteAsk(false) }, 'Not now')));
    this.micProblem = h('div', { class: 'banner error', role: 'alert' },
      this.micProblemTitle = h('p', { class: 'strong' }),
      this.micProblemText = h('p', {}),
      h('button', { type: 'button', class: 'button primary', onclick: () => ctl.retryMic() }, 'Try the microphone again'));
    this.requestBanner = h('div', { class: 'banner', role: 'status' }, this.requestText = h('p', {}));
    this.broadcastNote = h('p', { class: 'banner broadcast-note', role: 'status' },
      'This room is broadcast: listeners hear it a few seconds late.');
    this.notStarted = h('div', { class: 'banner warn', role: 'status' },
      h('p', {}, 'The room has not started. Listeners can join from its start time; until then only hosts are here.'),
      this.startButton = h('button', { type: 'button', class: 'button primary', onclick: () => ctl.command('start_room', {}, 'The room is live.') }, 'Start the room now'));
    const prompts = h('div', { class: 'prompts' }, this.connBanner, this.audioBanner, this.broadcastNote, this.recordingBanner,
      this.notStarted, this.invites, this.unmuteAsk, this.micProblem, this.requestBanner);

    // -- stage, links, queue, audience ---------------------------------------------------------
    this.stageHeading = h('h2', { id: 'stage-heading' }, 'On stage');
    this.stageList = h('ul', { class: 'stage-list', 'aria-labelledby': 'stage-heading' });
    const stageSection = h('section', { class: 'stage', 'aria-labelledby': 'stage-heading' }, this.stageHeading, this.stageList);

    this.linksList = h('ul', { class: 'links-list' });
    this.pinForm = this._pinForm();
    this.linksSection = h('section', { class: 'links', 'aria-labelledby': 'links-heading' },
      h('h2', { id: 'links-heading' }, 'Pinned links'), this.linksList, this.pinForm);

    this.requestsHeading = h('h2', { id: 'requests-heading' }, 'Requests to speak');
    this.requestsList = h('ol', { class: 'requests-list', 'aria-labelledby': 'requests-heading' });
    this.requestsEmpty = h('p', { class: 'hint' }, 'Nobody is asking to speak right now.');
    this.muteAllButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.command('mute_all', {}, 'Every speaker is muted.') }, 'Mute all speakers');
    this.recordButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.toggleRecording() }, 'Start recording');
    this.endButton = h('button', { type: 'button', class: 'button danger', onclick: () => ctl.endRoom() }, 'End the room');
    this.lockButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.toggleLock() }, 'Close to newcomers');
    this.broadcastButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.toggleBroadcast() }, 'Turn broadcast mode on');
    // Who may ask to speak (host and co-hosts), as in the console.
    this.askModeSelect = h('select', { id: 'ask-mode', onchange: () => ctl.setAskMode(this.askModeSelect.value) },
      h('option', { value: 'everyone' }, 'Everyone'),
      h('option', { value: 'followed' }, 'People the host follows'),
      h('option', { value: 'invited' }, 'Only people we invite'));
    this.askModeRow = h('label', { class: 'row ask-mode', for: 'ask-mode' }, 'Who may ask to speak: ', this.askModeSelect);
    // The host's block list, with Unblock (host only; the list spans their rooms).
    this.blockedHeading = h('h3', { id: 'blocked-heading' }, 'Blocked');
    this.blockedList = h('ul', { class: 'blocked-list', 'aria-labelledby': 'blocked-heading' });
    this.blockedSection = h('div', { class: 'blocked' }, this.blockedHeading, this.blockedList);
    this.modSection = h('section', { class: 'moderation', 'aria-labelledby': 'requests-heading' },
      this.requestsHeading, this.requestsList, this.requestsEmpty,
      h('div', { class: 'row wrap' }, this.muteAllButton, this.lockButton, this.broadcastButton, this.recordButton, this.endButton),
      this.askModeRow, this.blockedSection);

    this.audienceHeading = h('h2', { id: 'audience-heading' }, 'Listeners');
    this.audienceList = h('ul', { class: 'audience-list', 'aria-labelledby': 'audience-heading' });
    this.audienceEmpty = h('p', { class: 'hint' }, 'No listeners yet.');
    const audienceSection = h('section', { class: 'audience', 'aria-labelledby': 'audience-heading' },
      this.audienceHeading, this.audienceList, this.audienceEmpty);

    // -- controls ------------------------------------------------------------------------------
    this.reactions = reactionBar((emoji) => ctl.react(emoji));
    this.askButton = h('button', { type: 'button', class: 'button primary', onclick: () => ctl.toggleRequest() }, 'Request to speak');
    // The label says what a press does; no aria-pressed on top of a changing label.
    this.micButton = h('button', { type: 'button', class: 'button primary mic', onclick: () => ctl.toggleMic() }, 'Turn microphone on');
    this.stepDownButton = h('button', { type: 'button', class: 'button plain', onclick: () => ctl.command('step_down', {}, 'You are back in the audience.') }, 'Leave the stage');
    this.leaveButton = h('button', { type: 'button', class: 'button danger', onclick: () => ctl.leave() }, 'Leave');
    const controls = h('footer', { class: 'controls', 'aria-label': 'Room controls' },
      this.reactions,
      h('div', { class: 'row wrap' }, this.askButton, this.micButton, this.stepDownButton, this.leaveButton));

    this.reactionLayer = h('div', { class: 'reaction-layer', 'aria-hidden': 'true' });
    this.root = h('article', { class: 'room view', 'aria-labelledby': 'main-heading' },
      header, prompts, this.modSection, this.inbox.root, this.log.root, stageSection, this.linksSection, audienceSection, controls, this.reactionLayer);
  }

  _pinForm() {
    const url = h('input', { id: 'pin-url', type: 'url', inputmode: 'url', placeholder: 'https://…', maxlength: '2048', required: true, spellcheck: 'false' });
    const title = h('input', { id: 'pin-title', type: 'text', maxlength: '100' });
    const error = h('p', { class: 'field-error', role: 'alert' });
    const form = h('form', { class: 'pin-form', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const href = safeHttpUrl(url.value.trim());
      if (!href) {
        error.textContent = 'Enter a full link starting with https:// (or http://).';
        url.focus();
        return;
      }
      error.textContent = '';
      const ok = await this.ctl.command('pin_link', { url: url.value.trim(), title: title.value.trim() }, 'Link pinned.', (message) => { error.textContent = message; });
      if (ok) {
        url.value = '';
        title.value = '';
      }
    } },
    h('label', { for: 'pin-url', class: 'field-label' }, 'Link'), url,
    h('label', { for: 'pin-title', class: 'field-label' }, 'Title (optional)'), title,
    error,
    h('button', { type: 'submit', class: 'button plain' }, 'Pin link'));
    return h('details', { class: 'pin' }, h('summary', {}, 'Pin a link'), form);
  }

  // -- update ------------------------------------------------------------------------------------

  /**
   * @param {object} s  {room, you, speaking:Set, conn:{state, attempt, delayMs}, micProblem,
   *                     autoplayBlocked, unmuteAskedBy, busy:Set}
   */
  update(s) {
    const { room, you } = s;
    const me = person(room, you);
    const myRole = me ? me.role : 'listener';
    const mod = isModerator(room, you);
    const live = room.state === 'live';

    this.title.textContent = room.card.title;
    fill(this.badges,
      h('span', { class: `badge state-${room.state}` }, STATE_LABELS[room.state] || room.state),
      h('span', { class: 'badge listener-count' }, listenerText(listeners(room).length, s.hlsListeners)),
      room.broadcast ? h('span', { class: 'badge' }, 'Broadcast') : null,
      room.tickets ? h('span', { class: 'badge' }, 'Ticketed') : null,
      isRecording(room) ? h('span', { class: 'badge recording' }, h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), 'Recording') : null);
    this.aboutText.textContent = room.card.description || 'No description.';
    fill(this.aboutTopics, room.card.topics.map((t) => h('li', { class: 'topic' }, t)));
    show(this.aboutTopics, room.card.topics.length > 0);

    // connection
    const conn = s.conn || { state: 'connected' };
    show(this.connBanner, conn.state !== 'connected');
    if (conn.state === 'reconnecting') {
      const seconds = Math.max(1, Math.round((conn.delayMs || 0) / 1000));
      const grace = Math.round(conn.graceS ?? 30);
      const place = conn.onStage ? 'your place on stage' : 'your place';
      this.connText.textContent = `Connection lost. Reconnecting… (try ${conn.attempt}, next in ${seconds} s). You keep ${place} for ${grace} s.`;
    } else if (conn.state === 'connecting') {
      this.connText.textContent = 'Reconnecting…';
    }
    this.root.dataset.connection = conn.state;
    show(this.audioBanner, Boolean(s.autoplayBlocked));
    show(this.notStarted, room.state === 'scheduled');
    show(this.broadcastNote, Boolean(room.broadcast) && !['ended', 'cancelled'].includes(room.state));
    show(this.startButton, you === room.host_id);

    // recording
    const recording = isRecording(room) ? room.recording : null;
    show(this.recordingBanner, Boolean(recording));
    if (recording) {
      const mine = recording.consents[you];
      let text = 'This room is being recorded. Only people on stage who agree are recorded.';
      if (mine === 'granted') text = 'This room is being recorded, and your voice is included (you said yes).';
      if (you === recording.started_by) text = 'You are recording this room; your voice is included.';
      if (mine === 'declined') text = 'This room is being recorded. Your voice is left out (you said no); everyone still hears you live.';
      if (mine === 'pending') text = 'This room is being recorded. You have not answered yet, so your voice is left out until you say yes.';
      const waiting = recordingWaitsFor(room);
      if (waiting.length) {
        text += ` Nothing is written until everyone on stage says yes — waiting for ${waiting.map((uid) => nameOf(room, uid)).join(', ')}.`;
      }
      this.recordingText.textContent = text;
      this.consentButton.textContent = mine === 'pending' ? 'Answer' : 'Change my answer';
      show(this.consentButton, mine !== undefined && you !== recording.started_by);
      // Anyone who has been on stage in this take may strike their own voice from it.
      this.you = you;
      show(this.strikeButton, mine !== undefined);
    }

    // invitations to me
    syncList(this.invites, invitesFor(room, you), (i) => i.kind, (invite) => this._inviteBanner(invite), (el, invite) => {
      const who = nameOf(room, invite.invited_by);
      el.querySelector('p').textContent = invite.kind === 'cohost'
        ? `${who} invites you to be a co-host: you would join the stage and help moderate.`
        : `${who} invites you to speak on stage.`;
    });

    // asked to unmute
    const askedBy = s.unmuteAskedBy && me && onStage(myRole) && me.muted ? s.unmuteAskedBy : null;
    show(this.unmuteAsk, Boolean(askedBy));
    if (askedBy) this.unmuteAskText.textContent = `${nameOf(room, askedBy)} asks you to turn your microphone on.`;

    // microphone problem
    const problem = onStage(myRole) ? s.micProblem : null;
    show(this.micProblem, Boolean(problem));
    if (problem) {
      this.micProblemTitle.textContent = problem.title;
      this.micProblemText.textContent = problem.detail;
    }

    // my request
    const request = requestOf(room, you);
    const cooldown = room.request_cooldowns?.[you];
    const coolingS = cooldown ? cooldown - Date.now() / 1000 : 0;
    let requestText = '';
    if (request) {
      const place = room.requests.indexOf(request) + 1;
      requestText = place === 1
        ? 'You asked to speak. You are first in line; a host will bring you up.'
        : `You asked to speak. You are number ${place} in line.`;
    } else if (myRole === 'listener' && coolingS > 0) {
      requestText = `The hosts declined your request for now. You can ask again in ${Math.ceil(coolingS / 60)} min.`;
    } else if (myRole === 'listener' && room.ask_mode === 'invited') {
      requestText = 'In this room only people the hosts invite can speak.';
    } else if (myRole === 'listener' && room.ask_mode === 'followed') {
      requestText = s.notFollowed === 'followed'
        ? 'In this room only people the host follows can ask to speak, and the host does not follow you. A host can still invite you.'
        : 'In this room only people the host follows can ask to speak.';
    }
    this.requestText.textContent = requestText;
    show(this.requestBanner, Boolean(requestText) && live);

    // stage
    const onStageNow = stage(room);
    this.stageHeading.textContent = `On stage (${onStageNow.length})`;
    syncList(this.stageList, onStageNow, (p) => p.user_id, (p) => this._personItem(p, true), (el, p) => this._patchPerson(el, p, s, true));

    // links
    const links = room.pinned_links.filter((l) => safeHttpUrl(l.url));
    syncList(this.linksList, links, (l) => l.url, (l) => this._linkItem(l), (el, l) => this._patchLink(el, l, room, you));
    show(this.linksSection, links.length > 0 || (onStage(myRole) && live));
    show(this.pinForm, onStage(myRole) && live && links.length < (room.limits?.max_pinned_links ?? 3));

    // moderation
    show(this.modSection, mod && live);
    if (mod) {
      this.requestsHeading.textContent = `Requests to speak (${room.requests.length})`;
      syncList(this.requestsList, room.requests, (r) => r.user_id, (r) => this._requestItem(r), (el, r) => {
        el.querySelector('.name').textContent = nameOf(room, r.user_id);
        el.querySelector('.when').textContent = `asked ${formatAgo(r.asked_at)}`;
        for (const button of el.querySelectorAll('button')) button.dataset.name = nameOf(room, r.user_id);
        el.querySelector('.approve').setAttribute('aria-label', `Bring ${nameOf(room, r.user_id)} on stage`);
        el.querySelector('.decline').setAttribute('aria-label', `Decline ${nameOf(room, r.user_id)}’s request`);
      });
      show(this.requestsEmpty, room.requests.length === 0);
      show(this.muteAllButton, onStageNow.some((p) => p.role === 'speaker' && !p.muted));
      this.lockButton.textContent = room.locked ? 'Open to newcomers' : 'Close to newcomers';
      this.broadcastButton.textContent = room.broadcast ? 'Turn broadcast mode off' : 'Turn broadcast mode on';
      show(this.broadcastButton, Boolean(s.hlsOn) || Boolean(room.broadcast));
      if (document.activeElement !== this.askModeSelect) this.askModeSelect.value = room.ask_mode;
      const host = you === room.host_id;
      const blocked = host ? [...(room.blocked || [])] : [];
      show(this.blockedSection, blocked.length > 0);
      syncList(this.blockedList, blocked, (uid) => uid, (uid) => h('li', {},
        h('span', { class: 'name' }),
        h('button', { type: 'button', class: 'button plain small', onclick: () => this.ctl.unblock(uid) }, 'Unblock')),
      (el, uid) => {
        // Blocked people have left: the moderation log remembers their names.
        const name = this.ctl.app.modLog ? this.ctl.app.modLog.nameOf(room, uid) : nameOf(room, uid);
        el.querySelector('.name').textContent = name;
        el.querySelector('button').setAttribute('aria-label', `Unblock ${name}`);
      });
      show(this.recordButton, host);
      this.recordButton.textContent = isRecording(room) ? 'Stop recording' : 'Start recording';
      show(this.endButton, host);
    }

    // reports and the log: moderators only (the relay sends others no reports at all)
    this.inbox.update(room, you, mod);
    this.log.update(mod);

    // audience
    const audience = listeners(room);
    this.audienceHeading.textContent = `Listeners (${audience.length})`;
    syncList(this.audienceList, audience, (p) => p.user_id, (p) => this._personItem(p, false), (el, p) => this._patchPerson(el, p, s, false));
    show(this.audienceEmpty, audience.length === 0);

    // controls
    const asking = Boolean(request);
    const refusedHere = room.ask_mode === 'followed' && s.notFollowed === 'followed';
    show(this.askButton, live && myRole === 'listener' && (asking || (room.ask_mode !== 'invited' && !refusedHere)));
    this.askButton.textContent = asking ? 'Withdraw my request' : 'Request to speak';
    this.askButton.classList.toggle('primary', !asking);
    this.askButton.classList.toggle('plain', asking);
    setDisabled(this.askButton, !asking && coolingS > 0);

    const stageMember = live && onStage(myRole);
    show(this.micButton, stageMember);
    show(this.stepDownButton, stageMember && myRole !== 'host');
    if (stageMember) {
      const open = !me.muted;
      this.micButton.textContent = open ? 'Turn microphone off' : 'Turn microphone on';
      this.micButton.classList.toggle('live-mic', open);
    }
    show(this.reactions, live);
  }

  _inviteBanner(invite) {
    const kind = invite.kind;
    return h('div', { class: 'banner invite', role: 'status' },
      h('p', {}),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'button primary', onclick: () => this.ctl.answerInvite(kind, true) }, 'Accept'),
        h('button', { type: 'button', class: 'button plain', onclick: () => this.ctl.answerInvite(kind, false) }, 'Decline')));
  }

  _personItem(p, onStageList) {
    const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });
    avatar.style.setProperty('--hue', String(hueOf(p.user_id)));
    const more = h('button', { type: 'button', class: 'person-more', 'aria-haspopup': 'dialog', onclick: () => this.ctl.openPerson(p.user_id) }, '⋯');
    return h('li', { class: onStageList ? 'person on-stage' : 'person', dataset: { userId: p.user_id } },
      avatar,
      h('span', { class: 'person-text' },
        h('span', { class: 'name' }),
        h('span', { class: 'role' })),
      onStageList ? h('span', { class: 'mic-state' }) : null,
      h('span', { class: 'visually-hidden speaking-text' }),
      more);
  }

  _patchPerson(el, p, s, onStageList) {
    const { room, you } = s;
    const name = p.display_name;
    const avatar = el.querySelector('.avatar');
    avatar.textContent = initials(name);
    el.querySelector('.name').textContent = p.user_id === you ? `${name} (you)` : name;
    const role = ROLE_LABELS[p.role] || p.role;
    const asking = requestOf(room, p.user_id) ? ' · asked to speak' : '';
    el.querySelector('.role').textContent = onStageList ? role : asking.replace(' · ', '');
    const speaking = onStageList && !p.muted && s.speaking.has(p.user_id);
    el.dataset.speaking = String(speaking);
    el.dataset.muted = String(p.muted);
    el.querySelector('.speaking-text').textContent = speaking ? ', speaking' : '';
    if (onStageList) {
      const mic = el.querySelector('.mic-state');
      mic.textContent = p.muted ? 'Mic off' : 'Mic on';
      mic.classList.toggle('off', p.muted);
    }
    const more = el.querySelector('.person-more');
    const self = p.user_id === you;
    show(more, !self);
    more.setAttribute('aria-label', `Options for ${name}`);
    const canModerate = isModerator(room, you) && reaches(room, you, p.user_id);
    more.dataset.moderate = String(canModerate);
  }

  _linkItem(link) {
    return h('li', { class: 'link' },
      h('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer', class: 'link-anchor' }),
      h('span', { class: 'link-meta' }),
      h('button', { type: 'button', class: 'button plain small unpin', onclick: () => this.ctl.command('unpin_link', { url: link.url }, 'Link unpinned.') }, 'Unpin'));
  }

  _patchLink(el, link, room, you) {
    const anchor = el.querySelector('a');
    anchor.textContent = link.title || link.url;
    let host;
    try {
      host = new URL(link.url).host;
    } catch {
      host = '';
    }
    el.querySelector('.link-meta').textContent = `${host} · pinned by ${nameOf(room, link.pinned_by)}`;
    const canUnpin = mayUnpin(room, you, link);
    const unpin = el.querySelector('.unpin');
    show(unpin, canUnpin);
    unpin.setAttribute('aria-label', `Unpin ${link.title || link.url}`);
  }

  _requestItem(r) {
    const id = r.user_id;
    return h('li', { class: 'request' },
      h('span', { class: 'person-text' }, h('span', { class: 'name' }), h('span', { class: 'when' })),
      h('span', { class: 'row' },
        h('button', { type: 'button', class: 'button primary small approve', onclick: (ev) => this.ctl.command('approve_request', { user_id: id }, `${ev.currentTarget.dataset.name} is coming on stage.`) }, 'Approve'),
        h('button', { type: 'button', class: 'button plain small decline', onclick: (ev) => this.ctl.command('decline_request', { user_id: id }, `Declined ${ev.currentTarget.dataset.name}’s request.`) }, 'Decline')));
  }

  focusHome() {
    this.title.focus();
  }

  /** Where focus goes when the element that had it disappears. */
  focusNext() {
    const next = [this.micButton, this.askButton].find((b) => !b.hidden);
    (next || this.title).focus();
  }
}

function setDisabled(button, disabled) {
  // aria-disabled keeps it in the tab order and lets a screen reader find it.
  if (disabled) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
}

/** "12 listeners", with the listeners on HLS without the page added ("about" when sampled). */
export function listenerText(joined, hls) {
  const extra = hls && hls.extra > 0 ? hls.extra : 0;
  const text = plural(joined + extra, 'listener', 'listeners');
  return extra > 0 && hls.estimated ? `about ${text}` : text;
}
