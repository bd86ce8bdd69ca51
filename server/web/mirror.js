// The browser's mirror of the room: the snapshot, then every event folded in, in order.
// A port of server/room/reducer.py (`apply`) over the plain JSON the relay sends (codec
// `to_plain`): frozensets are sorted lists, enums their string values. Keep the two in step;
// tests/web/test_web_mirror.py compares this mirror with the relay's own room.

// The room as the relay sends it (server/room/state.py Room through codec `to_plain`).
/**
 * @typedef {'host' | 'cohost' | 'speaker' | 'listener'} Role
 * @typedef {'pending' | 'granted' | 'declined'} Consent
 * @typedef {{user_id: string, display_name: string, role: Role, joined_at: number,
 *   muted: boolean, on_stage_at: number | null}} Participant
 * @typedef {{user_id: string, asked_at: number}} SpeakRequest
 * @typedef {{user_id: string, kind: 'speak' | 'cohost', invited_by: string, invited_at: number,
 *   expires_at: number}} Invite
 * @typedef {{url: string, title: string, pinned_by: string, pinned_at: number}} PinnedLink
 * @typedef {{price_cents: number, currency: string, quantity: number, issued: string[],
 *   holders: Record<string, string>, revoked: string[]}} Ticketing
 * @typedef {{user_id: string, at: number, consent: Consent}} ConsentEntry
 * @typedef {{at: number, label: string, added_by: string}} Marker
 * @typedef {{take: number, active: boolean, started_at: number, started_by: string,
 *   stopped_at: number | null, consents: Record<string, Consent>, ledger: ConsentEntry[],
 *   markers: Marker[], all_party: boolean}} Recording
 * @typedef {{reporter_id: string, user_id: string | null, reason: string, at: number}} FiledReport
 * @typedef {{title: string, description: string, topics: string[]}} RoomCard
 * @typedef {{max_cohosts: number, max_speakers: number, max_pinned_links: number,
 *   [name: string]: number}} Limits
 * @typedef {{
 *   room_id: string, host_id: string, host_name: string, card: RoomCard,
 *   state: 'scheduled' | 'live' | 'ended' | 'cancelled', created_at: number,
 *   starts_at: number | null, started_at: number | null, ended_at: number | null,
 *   ask_mode: 'everyone' | 'followed' | 'invited', locked: boolean, broadcast: boolean,
 *   limits: Limits,
 *   participants: Record<string, Participant>, cohost_ids: string[], requests: SpeakRequest[],
 *   invites: Invite[], request_cooldowns: Record<string, number>,
 *   last_reaction_at: Record<string, number>, removed: string[], blocked: string[],
 *   contacts: string[], pinned_links: PinnedLink[], tickets: Ticketing | null,
 *   recording: Recording | null, reports: FiledReport[], folded_reports: Record<string, number>
 * }} Room
 */

const STAGE_ORDER = { host: 0, cohost: 1, speaker: 2 };

/** @param {string} role */
export const onStage = (role) => role === 'host' || role === 'cohost' || role === 'speaker';
/** @param {string} role */
export const moderates = (role) => role === 'host' || role === 'cohost';

// -- queries ---------------------------------------------------------------------------------

/** @param {Room} room @param {string} userId @returns {Participant | null} */
export function person(room, userId) {
  return Object.prototype.hasOwnProperty.call(room.participants, userId)
    ? room.participants[userId]
    : null;
}

/** @param {Room} room @param {string} userId */
export function nameOf(room, userId) {
  const found = person(room, userId);
  if (found) return found.display_name;
  if (userId === room.host_id) return room.host_name;
  return 'someone who left';
}

/** Host, then co-hosts, then speakers, each in the order they came on stage.
 * @param {Room} room */
export function stage(room) {
  return Object.values(room.participants)
    .filter((p) => onStage(p.role))
    .sort(
      (a, b) =>
        STAGE_ORDER[a.role] - STAGE_ORDER[b.role] || (a.on_stage_at || 0) - (b.on_stage_at || 0),
    );
}

/** @param {Room} room */
export function listeners(room) {
  return Object.values(room.participants)
    .filter((p) => p.role === 'listener')
    .sort((a, b) => a.joined_at - b.joined_at);
}

/** @param {Room} room @param {string} userId */
export function requestOf(room, userId) {
  return room.requests.find((r) => r.user_id === userId) || null;
}

/** @param {Room} room @param {string} userId */
export function invitesFor(room, userId) {
  return room.invites.filter((i) => i.user_id === userId);
}

/** @param {Room} room */
export function isRecording(room) {
  return Boolean(room.recording && room.recording.active);
}

/** In an all-party take, who on stage has not said yes (nothing is written until nobody).
 * @param {Room} room @returns {string[]} */
export function recordingWaitsFor(room) {
  const recording = room.recording;
  if (!recording || !recording.active || !recording.all_party) return [];
  return stage(room).map((p) => p.user_id).filter((uid) => recording.consents[uid] !== 'granted');
}

// -- apply -----------------------------------------------------------------------------------

/** @param {string[]} list @param {string} value */
function addTo(list, value) {
  return list.includes(value) ? list : [...list, value].sort();
}

/** @param {string[]} list @param {string} value */
function removeFrom(list, value) {
  return list.filter((v) => v !== value);
}

/** @param {Room} room @param {string} userId */
function dropPerson(room, userId) {
  if (!person(room, userId)) return;
  const { [userId]: _gone, ...rest } = room.participants;
  room.participants = rest;
  room.requests = room.requests.filter((r) => r.user_id !== userId);
  room.invites = room.invites.filter((i) => i.user_id !== userId);
  const { [userId]: _clock, ...reactions } = room.last_reaction_at || {};
  room.last_reaction_at = reactions;
}

/** @param {Room} room @param {string} userId */
function dropRequest(room, userId) {
  room.requests = room.requests.filter((r) => r.user_id !== userId);
}

/** @param {Room} room @param {string} userId @param {string} kind */
function dropInvite(room, userId, kind) {
  room.invites = room.invites.filter((i) => !(i.user_id === userId && i.kind === kind));
}

/** @param {Recording} recording @param {string} userId @param {number} at @param {Consent} consent */
function withAnswer(recording, userId, at, consent) {
  recording.consents = { ...recording.consents, [userId]: consent };
  recording.ledger = [...recording.ledger, { user_id: userId, at, consent }];
}

/** Someone comes on stage during a recording: ask them, unless they answered in this take.
 * @param {Room} room @param {string} userId @param {number} at */
function asked(room, userId, at) {
  const recording = room.recording;
  if (!recording || !recording.active || userId in recording.consents) return;
  withAnswer(recording, userId, at, 'pending');
}

/** @param {Recording | null} recording @param {number} at */
function stopped(recording, at) {
  if (recording && recording.active) {
    recording.active = false;
    recording.stopped_at = at;
  }
}

/** @param {Room} room @param {string} userId @param {Role} role @param {number} at */
function setRole(room, userId, role, at) {
  const current = person(room, userId);
  if (!current || current.role === role || role === 'host' || current.role === 'host') return;
  const entering = onStage(role) && !onStage(current.role);
  const leaving = onStage(current.role) && !onStage(role);
  room.participants = {
    ...room.participants,
    [userId]: {
      ...current,
      role,
      muted: entering || leaving ? true : current.muted,
      on_stage_at: entering ? at : leaving ? null : current.on_stage_at,
    },
  };
  room.cohost_ids =
    role === 'cohost' ? addTo(room.cohost_ids, userId) : removeFrom(room.cohost_ids, userId);
  if (onStage(role)) {
    dropInvite(room, userId, 'speak');
    dropRequest(room, userId);
    asked(room, userId, at);
  }
  if (role === 'cohost') dropInvite(room, userId, 'cohost');
}

/** @param {Room} room @param {string} userId @param {boolean} muted */
function setMuted(room, userId, muted) {
  const current = person(room, userId);
  if (!current || !onStage(current.role) || current.muted === muted) return;
  room.participants = { ...room.participants, [userId]: { ...current, muted } };
}

/** @param {Room} room @param {any} e  a participant_joined event */
function joined(room, e) {
  if (person(room, e.actor)) return;
  room.participants = {
    ...room.participants,
    [e.actor]: {
      user_id: e.actor,
      display_name: e.display_name,
      role: e.role,
      joined_at: e.at,
      muted: true,
      on_stage_at: onStage(e.role) ? e.at : null,
    },
  };
  if (e.actor === room.host_id) room.host_name = e.display_name;
  const tickets = room.tickets;
  const code = e.ticket_code;
  if (tickets && code && tickets.issued.includes(code) && !(code in tickets.holders)) {
    if (!Object.values(tickets.holders).includes(e.actor)) {
      tickets.holders = { ...tickets.holders, [code]: e.actor };
    }
  }
  if (onStage(e.role)) asked(room, e.actor, e.at);
}

/**
 * Fold one event (its wire `kind` and body) into `room`, in place. Unknown kinds are ignored.
 * @param {Room} room
 * @param {string} kind
 * @param {any} e  the event's body as the relay sends it (server/room/events.py, to_plain)
 * @returns {Room}
 */
export function apply(room, kind, e) {
  switch (kind) {
    case 'participant_joined':
      joined(room, e);
      break;
    case 'participant_left':
      dropPerson(room, e.actor);
      break;
    case 'participant_removed':
      dropPerson(room, e.user_id);
      room.removed = addTo(room.removed, e.user_id);
      if (e.block) room.blocked = addTo(room.blocked, e.user_id);
      room.cohost_ids = removeFrom(room.cohost_ids, e.user_id);
      break;
    case 'unblocked':
      room.removed = removeFrom(room.removed, e.user_id);
      room.blocked = removeFrom(room.blocked, e.user_id);
      break;
    case 'room_started':
      room.state = 'live';
      room.started_at = e.at;
      break;
    case 'room_ended':
      stopped(room.recording, e.at);
      Object.assign(room, { state: 'ended', ended_at: e.at, requests: [], invites: [] });
      break;
    case 'room_cancelled':
      Object.assign(room, { state: 'cancelled', ended_at: e.at, requests: [], invites: [] });
      break;
    case 'room_rescheduled':
      room.starts_at = e.starts_at;
      break;
    case 'card_edited':
      room.card = e.card;
      break;
    case 'ask_mode_changed':
      room.ask_mode = e.mode;
      break;
    case 'room_locked':
      room.locked = Boolean(e.locked);
      break;
    case 'broadcast_mode_set':
      room.broadcast = Boolean(e.on);
      break;
    case 'contact_added':
      room.contacts = addTo(room.contacts, e.user_id);
      break;
    case 'contact_removed':
      room.contacts = removeFrom(room.contacts, e.user_id);
      break;
    case 'ticketing_set':
      room.tickets = {
        issued: [],
        holders: {},
        revoked: [],
        ...(room.tickets || {}),
        price_cents: e.price_cents,
        currency: e.currency,
        quantity: e.quantity,
      };
      break;
    case 'ticketing_cleared':
      room.tickets = null;
      break;
    case 'ticket_issued':
      if (room.tickets) room.tickets.issued = addTo(room.tickets.issued, e.code);
      break;
    case 'ticket_revoked': { // only the host receives it; everyone else sees the holder leave
      const tickets = room.tickets;
      if (!tickets) break;
      const { [e.code]: _, ...holders } = tickets.holders;
      tickets.issued = removeFrom(tickets.issued, e.code);
      tickets.holders = holders;
      tickets.revoked = addTo(tickets.revoked, e.code);
      if (e.holder && e.holder !== room.host_id && !room.cohost_ids.includes(e.holder)) {
        dropPerson(room, e.holder);
      }
      break;
    }
    case 'ticket_moved': { // the host and the old holder receive it; others see the old one leave
      // (the new holder joins with it and gets a snapshot after their join)
      const tickets = room.tickets;
      if (!tickets || !tickets.issued.includes(e.code)) break;
      const { [e.code]: _, ...holders } = tickets.holders;
      tickets.holders = holders; // the join that follows binds it to the new holder
      if (e.from_user !== room.host_id && !room.cohost_ids.includes(e.from_user)) {
        dropPerson(room, e.from_user);
      }
      break;
    }
    case 'speak_requested':
      if (person(room, e.actor) && !requestOf(room, e.actor)) {
        room.requests = [...room.requests, { user_id: e.actor, asked_at: e.at }];
      }
      break;
    case 'request_withdrawn':
      dropRequest(room, e.actor);
      break;
    case 'request_approved':
      dropRequest(room, e.user_id);
      break;
    case 'request_declined': {
      dropRequest(room, e.user_id);
      const kept = Object.entries(room.request_cooldowns).filter(([, t]) => t > e.at);
      room.request_cooldowns = { ...Object.fromEntries(kept), [e.user_id]: e.may_ask_again_at };
      break;
    }
    case 'invite_sent':
      if (person(room, e.user_id)) {
        dropInvite(room, e.user_id, e.kind);
        room.invites = [
          ...room.invites,
          {
            user_id: e.user_id,
            kind: e.kind,
            invited_by: e.actor,
            invited_at: e.at,
            expires_at: e.expires_at,
          },
        ];
      }
      break;
    case 'invite_accepted':
    case 'invite_declined':
      dropInvite(room, e.actor, e.kind);
      break;
    case 'invite_expired':
      dropInvite(room, e.user_id, e.kind);
      break;
    case 'role_changed':
      setRole(room, e.user_id, e.role, e.at);
      break;
    case 'cohost_appointed':
      room.cohost_ids = addTo(room.cohost_ids, e.user_id);
      break;
    case 'cohost_removed':
      room.cohost_ids = removeFrom(room.cohost_ids, e.user_id);
      break;
    case 'muted':
      setMuted(room, e.user_id, true);
      break;
    case 'unmuted':
      setMuted(room, e.actor, false);
      break;
    case 'report_filed':
      if (e.kept === false) {
        // Past the rows the room keeps: only counted (moderators only get these).
        const key = e.user_id ?? '';
        room.folded_reports = { ...(room.folded_reports || {}), [key]: ((room.folded_reports || {})[key] || 0) + 1 };
        break;
      }
      room.reports = [
        ...room.reports,
        { reporter_id: e.actor, user_id: e.user_id ?? null, reason: e.reason, at: e.at },
      ];
      break;
    case 'reacted':
      room.last_reaction_at = { ...room.last_reaction_at, [e.actor]: e.at };
      break;
    case 'link_pinned':
      room.pinned_links = [
        ...room.pinned_links.filter((p) => p.url !== e.url),
        { url: e.url, title: e.title ?? '', pinned_by: e.actor, pinned_at: e.at },
      ];
      break;
    case 'link_unpinned':
      room.pinned_links = room.pinned_links.filter((p) => p.url !== e.url);
      break;
    case 'recording_started': {
      /** @type {Record<string, Consent>} */
      const consents = {};
      for (const p of stage(room)) consents[p.user_id] = p.user_id === e.actor ? 'granted' : 'pending';
      room.recording = {
        take: room.recording ? room.recording.take + 1 : 1,
        active: true,
        started_at: e.at,
        started_by: e.actor,
        stopped_at: null,
        consents,
        ledger: Object.entries(consents).map(([uid, c]) => ({ user_id: uid, at: e.at, consent: c })),
        markers: [],
        all_party: Boolean(e.all_party),
      };
      break;
    }
    case 'recording_stopped':
      stopped(room.recording, e.at);
      break;
    case 'consent_answered': {
      const recording = room.recording;
      if (recording && recording.active && e.actor in recording.consents) {
        withAnswer(recording, e.actor, e.at, e.granted ? 'granted' : 'declined');
      }
      break;
    }
    case 'marker_added':
      if (room.recording && room.recording.active) {
        room.recording.markers = [
          ...room.recording.markers,
          { at: e.at, label: e.label, added_by: e.actor },
        ];
      }
      break;
    case 'struck_from_record':
      break; // the recorder silences the span; the room keeps nothing of it (recording_rules.py)
    default:
      break; // unmute_asked and any kind added later change no state here
  }
  return room;
}
