// The browser's mirror of the room: the snapshot, then every event folded in, in order.
// A port of server/room/reducer.py (`apply`) over the plain JSON the relay sends (codec
// `to_plain`): frozensets are sorted lists, enums their string values. Keep the two in step;
// tests/web/test_web_mirror.py compares this mirror with the relay's own room.

const STAGE_ORDER = { host: 0, cohost: 1, speaker: 2 };

export const onStage = (role) => role === 'host' || role === 'cohost' || role === 'speaker';
export const moderates = (role) => role === 'host' || role === 'cohost';

// -- queries ---------------------------------------------------------------------------------

export function person(room, userId) {
  return Object.prototype.hasOwnProperty.call(room.participants, userId)
    ? room.participants[userId]
    : null;
}

export function nameOf(room, userId) {
  const found = person(room, userId);
  if (found) return found.display_name;
  if (userId === room.host_id) return room.host_name;
  return 'someone who left';
}

/** Host, then co-hosts, then speakers, each in the order they came on stage. */
export function stage(room) {
  return Object.values(room.participants)
    .filter((p) => onStage(p.role))
    .sort(
      (a, b) =>
        STAGE_ORDER[a.role] - STAGE_ORDER[b.role] || (a.on_stage_at || 0) - (b.on_stage_at || 0),
    );
}

export function listeners(room) {
  return Object.values(room.participants)
    .filter((p) => p.role === 'listener')
    .sort((a, b) => a.joined_at - b.joined_at);
}

export function requestOf(room, userId) {
  return room.requests.find((r) => r.user_id === userId) || null;
}

export function invitesFor(room, userId) {
  return room.invites.filter((i) => i.user_id === userId);
}

export function isRecording(room) {
  return Boolean(room.recording && room.recording.active);
}

/** In an all-party take, who on stage has not said yes (nothing is written until nobody). */
export function recordingWaitsFor(room) {
  const recording = room.recording;
  if (!recording || !recording.active || !recording.all_party) return [];
  return stage(room).map((p) => p.user_id).filter((uid) => recording.consents[uid] !== 'granted');
}

// -- apply -----------------------------------------------------------------------------------

function addTo(list, value) {
  return list.includes(value) ? list : [...list, value].sort();
}

function removeFrom(list, value) {
  return list.filter((v) => v !== value);
}

function dropPerson(room, userId) {
  if (!person(room, userId)) return;
  const { [userId]: _gone, ...rest } = room.participants;
  room.participants = rest;
  room.requests = room.requests.filter((r) => r.user_id !== userId);
  room.invites = room.invites.filter((i) => i.user_id !== userId);
  const { [userId]: _clock, ...reactions } = room.last_reaction_at || {};
  room.last_reaction_at = reactions;
}

function dropRequest(room, userId) {
  room.requests = room.requests.filter((r) => r.user_id !== userId);
}

function dropInvite(room, userId, kind) {
  room.invites = room.invites.filter((i) => !(i.user_id === userId && i.kind === kind));
}

function withAnswer(recording, userId, at, consent) {
  recording.consents = { ...recording.consents, [userId]: consent };
  recording.ledger = [...recording.ledger, { user_id: userId, at, consent }];
}

/** Someone comes on stage during a recording: ask them, unless they answered in this take. */
function asked(room, userId, at) {
  const recording = room.recording;
  if (!recording || !recording.active || userId in recording.consents) return;
  withAnswer(recording, userId, at, 'pending');
}

function stopped(recording, at) {
  if (recording && recording.active) {
    recording.active = false;
    recording.stopped_at = at;
  }
}

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

function setMuted(room, userId, muted) {
  const current = person(room, userId);
  if (!current || !onStage(current.role) || current.muted === muted) return;
  room.participants = { ...room.participants, [userId]: { ...current, muted } };
}

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

/** Fold one event (its wire `kind` and body) into `room`, in place. Unknown kinds are ignored. */
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
    case 'ticket_revoked': // only the host receives it; everyone else sees the holder leave
      if (room.tickets) {
        const { [e.code]: _, ...holders } = room.tickets.holders;
        room.tickets.issued = removeFrom(room.tickets.issued, e.code);
        room.tickets.holders = holders;
        room.tickets.revoked = addTo(room.tickets.revoked || [], e.code);
      }
      if (e.holder && e.holder !== room.host_id && !(room.cohost_ids || []).includes(e.holder)) {
        dropPerson(room, e.holder);
      }
      break;
    case 'ticket_moved': // the host and the two holders receive it; others see the old one leave
      if (room.tickets) {
        const { [e.code]: _, ...holders } = room.tickets.holders;
        room.tickets.holders = holders; // the join that follows binds it to the new holder
      }
      if (e.from_user !== room.host_id && !(room.cohost_ids || []).includes(e.from_user)) {
        dropPerson(room, e.from_user);
      }
      break;
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
