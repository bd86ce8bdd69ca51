// Before joining: the room card (title, description, topics, hosts, speakers, state, listener
// count, ticketed, recording), then by state a join form, a countdown with "remind me", or a
// clear "this room has ended".

import { fill, h, show } from './dom.js';
import { formatCountdown, formatPrice, formatWhen, listNames, plural } from './format.js';
import { displayNameProblem } from './identity.js';

export class CardView {
  /**
   * @param {object} ctl  {join({name, ticket}), remind(), refreshCard()}
   */
  constructor(ctl) {
    this.ctl = ctl;
    this.card = null;
    this.stateKey = null;
    this.badges = h('p', { class: 'badges' });
    this.title = h('h1', { id: 'main-heading', tabindex: '-1', class: 'room-title' });
    this.description = h('p', { class: 'description' });
    this.topics = h('ul', { class: 'topics', 'aria-label': 'Topics' });
    this.people = h('dl', { class: 'people' });
    this.stateArea = h('div', { class: 'state-area' });
    this.root = h('article', { class: 'card view', 'aria-labelledby': 'main-heading' },
      this.badges, this.title, this.description, this.topics, this.people, this.stateArea);
    this.countdownTimer = 0;
  }

  update(card, { token = null, defaultName = '', remembered = true } = {}) {
    this.remembered = remembered;
    this.card = card;
    fill(this.badges, ...badgesOf(card));
    this.title.textContent = card.title;
    this.description.textContent = card.description || '';
    show(this.description, Boolean(card.description));
    fill(this.topics, card.topics.map((t) => h('li', { class: 'topic' }, t)));
    show(this.topics, card.topics.length > 0);
    fill(this.people,
      h('dt', {}, card.hosts.length === 1 ? 'Host' : 'Hosts'),
      h('dd', {}, listNames(card.hosts) || '—'),
      card.speakers.length ? [h('dt', {}, 'Speakers'), h('dd', {}, listNames(card.speakers))] : null);
    const key = `${card.state}:${card.ticketed}:${Boolean(token)}`;
    if (key !== this.stateKey) {
      this.stateKey = key;
      clearInterval(this.countdownTimer);
      fill(this.stateArea, this._stateContent(card, token, defaultName));
    } else if (card.state === 'scheduled') {
      this._showReminders(card.reminders);
    }
  }

  _stateContent(card, token, defaultName) {
    if (card.state === 'live') return this._joinForm(card, token, defaultName);
    if (card.state === 'scheduled') {
      // Hosts and co-hosts may come in early to get ready; listeners wait for the start.
      return [this._scheduled(card), token ? this._joinForm(card, token, defaultName) : null];
    }
    if (card.state === 'cancelled') {
      return h('section', { class: 'notice over', role: 'status' },
        h('h2', {}, 'This room was cancelled'),
        h('p', {}, 'The host cancelled it before it started. There is nothing to join.'));
    }
    return h('section', { class: 'notice over', role: 'status' },
      h('h2', {}, 'This room has ended'),
      h('p', {}, card.ended_at
        ? `It ended ${formatWhen(card.ended_at)}. Nobody can join it any more.`
        : 'Nobody can join it any more.'));
  }

  _joinForm(card, token, defaultName) {
    this.nameInput = h('input', {
      id: 'join-name', name: 'name', type: 'text', autocomplete: 'nickname', maxlength: '50',
      required: true, 'aria-describedby': 'join-name-hint join-name-error', value: defaultName,
      spellcheck: 'false',
    });
    this.nameError = h('p', { id: 'join-name-error', class: 'field-error' });
    const fields = [
      h('label', { for: 'join-name', class: 'field-label' }, 'Your name'),
      this.nameInput,
      h('p', { id: 'join-name-hint', class: 'hint' }, 'Everyone in the room sees this name.'),
      this.nameError,
    ];
    this.ticketInput = null;
    if (card.ticketed && !token) {
      this.ticketInput = h('input', {
        id: 'join-ticket', name: 'ticket', type: 'text', autocomplete: 'off', maxlength: '64',
        spellcheck: 'false', 'aria-describedby': 'join-ticket-hint join-ticket-error',
        required: true,
      });
      this.ticketError = h('p', { id: 'join-ticket-error', class: 'field-error' });
      const price = formatPrice(card.price_cents, card.currency);
      fields.push(
        h('label', { for: 'join-ticket', class: 'field-label' }, 'Ticket code'),
        this.ticketInput,
        h('p', { id: 'join-ticket-hint', class: 'hint' },
          `This room is ticketed${price ? ` (${price})` : ''}. Enter the code from your ticket; it admits one person.`),
        this.ticketError,
      );
    }
    this.joinButton = h('button', { type: 'submit', class: 'button primary wide' }, 'Join and listen');
    this.formError = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'join-form', novalidate: true, 'aria-label': 'Join the room', onsubmit: (ev) => {
      ev.preventDefault();
      this._submit();
    } },
    token ? h('p', { class: 'hint strong' }, 'You opened a host or co-host link: you join with moderator controls.') : null,
    fields, this.joinButton, this.formError,
    this.remembered ? null : h('p', { class: 'hint strong' },
      'This browser does not let the page remember you: after a reload you join as someone new.'),
    h('p', { class: 'hint' }, 'Joining starts the room’s audio. You join as a listener and can ask to speak once inside.'));
    return form;
  }

  _submit() {
    const name = this.nameInput.value;
    const problem = displayNameProblem(name);
    this.setFieldError('name', problem);
    let ticket = null;
    if (this.ticketInput) {
      ticket = this.ticketInput.value.trim();
      const ticketProblem = !ticket
        ? 'Enter your ticket code.'
        : /^[A-Za-z0-9_-]{1,64}$/.test(ticket) ? null : 'Ticket codes are letters, digits, - and _.';
      this.setFieldError('ticket', ticketProblem);
      if (ticketProblem && !problem) {
        this.ticketInput.focus();
        return;
      }
    }
    if (problem) {
      this.nameInput.focus();
      return;
    }
    this.ctl.join({ name: name.trim(), ticket });
  }

  setFieldError(field, message) {
    const input = field === 'ticket' ? this.ticketInput : this.nameInput;
    const error = field === 'ticket' ? this.ticketError : this.nameError;
    if (!input || !error) {
      if (message) this.setFormError(message);
      return;
    }
    error.textContent = message || '';
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  focusField(field) {
    (field === 'ticket' ? this.ticketInput : this.nameInput)?.focus();
  }

  setFormError(message) {
    if (this.formError) this.formError.textContent = message || '';
  }

  setBusy(busy) {
    if (!this.joinButton) return;
    this.joinButton.disabled = busy;
    this.joinButton.textContent = busy ? 'Joining…' : 'Join and listen';
  }

  _scheduled(card) {
    const startsAt = card.starts_at;
    this.countdown = h('p', { class: 'countdown' });
    this.reminderStatus = h('p', { class: 'reminder-status', role: 'status' });
    this.remindButton = h('button', { type: 'button', class: 'button primary', onclick: () => this.ctl.remind() }, 'Remind me');
    const section = h('section', { class: 'notice scheduled', 'aria-labelledby': 'scheduled-heading' },
      h('h2', { id: 'scheduled-heading' }, 'Not started yet'),
      h('p', {}, 'Starts ', h('time', { datetime: new Date(startsAt * 1000).toISOString() }, formatWhen(startsAt)), '.'),
      this.countdown,
      this.remindButton,
      h('p', { class: 'hint' }, 'Saves a calendar file (.ics) with an alert ten minutes before, and counts you in for the host.'),
      this.reminderStatus);
    const tick = () => {
      const left = startsAt * 1000 - Date.now();
      this.countdown.textContent = left > 0 ? `Starts in ${formatCountdown(left)}` : 'Starting any moment now…';
      if (left <= 0) this.ctl.refreshCard();
    };
    tick();
    this.countdownTimer = setInterval(tick, 1000);
    this._showReminders(card.reminders);
    return section;
  }

  _showReminders(count, mine = false) {
    if (!this.reminderStatus) return;
    this.remindedMine = this.remindedMine || mine;
    mine = this.remindedMine;
    const others = plural(count, 'person has', 'people have');
    this.reminderStatus.textContent = mine
      ? `Reminder saved. ${others} asked to be reminded.`
      : count ? `${others} asked to be reminded.` : '';
  }

  reminded(count) {
    this._showReminders(count, true);
    if (this.remindButton) this.remindButton.textContent = 'Download the calendar file again';
  }

  destroy() {
    clearInterval(this.countdownTimer);
  }
}

function badgesOf(card) {
  const badges = [];
  const label = { live: 'Live', scheduled: 'Scheduled', ended: 'Ended', cancelled: 'Cancelled' }[card.state] || card.state;
  badges.push(h('span', { class: `badge state-${card.state}` }, label));
  if (card.state === 'live') {
    const count = plural(card.listener_count, 'listener', 'listeners');
    badges.push(h('span', { class: 'badge listener-count' }, card.listener_count_estimated ? `about ${count}` : count));
  }
  if (card.broadcast && card.state !== 'ended' && card.state !== 'cancelled') {
    badges.push(h('span', { class: 'badge broadcast' }, 'Broadcast: heard a few seconds late'));
  }
  if (card.ticketed) {
    const price = formatPrice(card.price_cents, card.currency);
    badges.push(h('span', { class: 'badge' }, price ? `Ticketed · ${price}` : 'Ticketed'));
  }
  if (card.recording) badges.push(h('span', { class: 'badge recording' }, h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), 'Recording'));
  if (card.locked && card.state !== 'ended' && card.state !== 'cancelled') badges.push(h('span', { class: 'badge' }, 'Closed to newcomers'));
  const asking = { followed: 'Speakers: people the host follows', invited: 'Speakers: invited only' }[card.ask_mode];
  if (asking && card.state !== 'ended' && card.state !== 'cancelled') badges.push(h('span', { class: 'badge' }, asking));
  return badges;
}
