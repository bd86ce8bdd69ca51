// The moderators' log: one sentence per moderation event, with its time. Live events are
// added as they arrive; what happened before this page joined comes from the relay's
// `GET /api/rooms/{id}/log`, which needs a host or co-host link's token (a co-host made in
// the room has none and sees only what happens while the page is open). A port of the
// console's wording (console/event_text.py), cut to moderation.

import { h, show, syncList } from './dom.js';
import { formatClock, struckWhat } from './format.js';
import { nameOf, person } from './mirror.js';

const KEEP_LINES = 500;
const PAGE = 200;
// Reactions are events too, so a busy room logs thousands: read only the last 2,000 events
// before the join (older ones stay in the relay's store and the console's log).
const MAX_PAGES = 10;

const ASK_MODE_WORDS = {
  everyone: 'everyone may ask to speak',
  followed: 'only people the host follows may ask to speak',
  invited: 'nobody asks; hosts invite speakers',
};

const ROLE_WORDS = { cohost: 'a co-host', speaker: 'a speaker', listener: 'a listener' };

/**
 * One line for the log, or null for events it leaves out.
 * @param {string} kind  the event's wire name
 * @param {object} e     the event body
 * @param {(userId: string|null|undefined) => string} who  a person's name (also people who left)
 */
export function describe(kind, e, who) {
  const actor = who(e.actor);
  switch (kind) {
    case 'room_started':
      return `${actor} started the room`;
    case 'room_ended':
      return e.reason === 'abandoned'
        ? 'The room ended: its host and co-hosts were away too long'
        : `${actor} ended the room`;
    case 'participant_removed':
      return `${actor} ${e.block ? 'blocked' : 'removed'} ${who(e.user_id)}`;
    case 'unblocked':
      return `${actor} unblocked ${who(e.user_id)}`;
    case 'muted':
      return e.actor === e.user_id ? null : `${actor} muted ${who(e.user_id)}`;
    case 'cohost_appointed':
      return `${actor} made a co-host link`;
    case 'cohost_removed':
      return `${actor} removed the co-host ${who(e.user_id)}`;
    case 'request_approved':
      return `${actor} brought ${who(e.user_id)} on stage`;
    case 'request_declined':
      return `${actor} declined ${who(e.user_id)}’s request to speak`;
    case 'role_changed':
      if (e.role === 'listener') {
        return e.actor === e.user_id
          ? `${who(e.user_id)} left the stage`
          : `${actor} moved ${who(e.user_id)} to the audience`;
      }
      if (e.previous === 'listener' && e.role === 'speaker') return null; // the approval says so
      if (e.actor === e.user_id) return `${who(e.user_id)} is now ${ROLE_WORDS[e.role] || e.role}`;
      return `${actor} made ${who(e.user_id)} ${ROLE_WORDS[e.role] || e.role}`;
    case 'invite_accepted':
      return e.kind === 'cohost' ? `${actor} became a co-host` : `${actor} came on stage (invited)`;
    case 'ask_mode_changed':
      return `${actor} set the room so ${ASK_MODE_WORDS[e.mode] || e.mode}`;
    case 'broadcast_mode_set':
      return e.on ? `${actor} turned broadcast mode on` : `${actor} turned broadcast mode off`;
    case 'room_locked':
      return e.locked ? `${actor} closed the room to newcomers` : `${actor} opened the room to newcomers`;
    case 'recording_started':
      return `${actor} started recording`;
    case 'recording_stopped':
      return `${actor} stopped recording`;
    case 'struck_from_record': {
      const what = struckWhat(e.span, e.actor === e.user_id ? 'their' : `${who(e.user_id)}’s`);
      return `${actor} struck ${what} from the recording`;
    }
    case 'report_filed': {
      const target = e.user_id ? who(e.user_id) : 'the room';
      return e.kept === false
        ? `Another report about ${target} (counted only)`
        : `${actor} reported ${target}: “${e.reason}”`;
    }
    default:
      return null;
  }
}

export class ModerationLog {
  /** @param {object} app  the controller (app.js): roomId, token, mirror */
  constructor(app) {
    this.app = app;
    this.lines = new Map(); // seq → {seq, at, text}
    this.names = new Map(); // everyone seen in the room, including people who left since
    this.fetchedUpTo = 0; // the relay's log read up to this seq
    this.problem = '';
    this.skippedOlder = false;
    this.fetching = false;
    this.list = h('ol', { class: 'log-list', 'aria-label': 'Moderation log', tabindex: '0' });
    this.empty = h('p', { class: 'hint' }, 'Nothing yet.');
    this.note = h('p', { class: 'hint log-note' });
    this.root = h('details', { class: 'mod-log' },
      h('summary', {}, h('h2', { id: 'log-heading' }, 'Moderation log')),
      this.note, this.list, this.empty);
  }

  /** Remember the names in the room, so a line about someone removed still names them. */
  noteNames(room) {
    for (const p of Object.values(room.participants)) this.names.set(p.user_id, p.display_name);
    if (room.host_name) this.names.set(room.host_id, room.host_name);
  }

  _who(userId) {
    if (!userId) return 'someone';
    return this.names.get(userId) || 'someone who left';
  }

  /** A person's name, also once they left (the reports inbox names reported people so). */
  nameOf(room, userId) {
    return person(room, userId) || !this.names.has(userId) ? nameOf(room, userId) : this.names.get(userId);
  }

  /** An event, live or from the history (call before it is applied: names are still there). */
  take(seq, kind, e) {
    if (kind === 'participant_joined' && e.actor) this.names.set(e.actor, e.display_name);
    if (this.lines.has(seq)) return;
    const text = describe(kind, e, (uid) => this._who(uid));
    if (!text) return;
    this.lines.set(seq, { seq, at: e.at, text });
    if (this.lines.size > KEEP_LINES) {
      const oldest = Math.min(...this.lines.keys());
      this.lines.delete(oldest);
    }
  }

  /**
   * After a snapshot (joining, or back from a long drop): read what the relay logged before
   * it, if this page holds a moderator's link. Live events keep arriving meanwhile; lines
   * are kept by seq, so the two never double.
   */
  async catchUp(untilSeq) {
    const token = this.app.token;
    if (!token || this.fetching) return;
    this.fetching = true;
    try {
      let after = Math.max(this.fetchedUpTo, untilSeq - MAX_PAGES * PAGE);
      this.skippedOlder = this.skippedOlder || after > this.fetchedUpTo;
      for (let page = 0; page < MAX_PAGES && after < untilSeq; page += 1) {
        const url = `/api/rooms/${encodeURIComponent(this.app.roomId)}/log?after=${after}&limit=${PAGE}`;
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
        if (!response.ok) break; // not (or no longer) a moderator: live events only
        const body = await response.json();
        for (const item of body.events) this.take(item.seq, item.kind, item.event || {});
        if (body.next_after === null || body.next_after === undefined) {
          after = Math.max(after, untilSeq);
          break;
        }
        after = body.next_after;
      }
      this.fetchedUpTo = Math.max(this.fetchedUpTo, after);
      this.problem = '';
    } catch {
      this.problem = 'Earlier events could not be loaded; new ones appear here.';
    } finally {
      this.fetching = false;
    }
    this.app.render();
  }

  update(visible) {
    show(this.root, visible);
    if (!visible) return;
    // A co-host made in the room holds no link token, and the relay's log asks for one.
    let note = this.problem;
    if (!this.app.token) {
      note = 'Events from before this page joined are shown only to those who came in with a host or co-host link.';
    } else if (!note && this.skippedOlder) {
      note = 'Showing what happened since shortly before you joined; older events are not loaded.';
    }
    this.note.textContent = note;
    show(this.note, Boolean(this.note.textContent));
    const lines = [...this.lines.values()].sort((a, b) => b.seq - a.seq); // newest first
    syncList(this.list, lines, (l) => l.seq, () => h('li', { class: 'log-line' },
      h('time', { class: 'when' }), ' ', h('span', { class: 'what' })), (el, l) => {
      const time = el.querySelector('time');
      time.textContent = formatClock(l.at);
      time.setAttribute('datetime', new Date(l.at * 1000).toISOString());
      el.querySelector('.what').textContent = l.text;
    });
    show(this.empty, lines.length === 0);
  }
}
