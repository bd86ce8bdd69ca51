// What this person may do to whom, to offer only buttons that can work. The relay decides
// for real (server/room/permissions.py and the rule families); this is the same reasoning for
// what the page offers. tests/web_unit/permissions.test.mjs holds it to the Python rules'
// exported cases (tests/room/cases/), so a rule change there fails here until this follows.

import { moderates, onStage, person } from './mirror.js';

/** @typedef {import('./mirror.js').Room} Room */
/** @typedef {import('./mirror.js').PinnedLink} PinnedLink */

/**
 * One entry of the person dialog: the command it sends (`type`, `body`), or `report: true`
 * for the report dialog (which asks for the reason), or `strike: true` for the strike dialog
 * (which chooses the span; `body` has the first choice).
 * @typedef {{id: string, label: string, type: string, body?: Record<string, unknown>,
 *   danger?: boolean, confirm?: string, report?: boolean, strike?: boolean}} PersonAction
 */

/** Host or co-host, present in the room (server/room/permissions.is_moderator).
 * @param {Room} room @param {string} userId */
export function isModerator(room, userId) {
  const me = person(room, userId);
  return Boolean(me && moderates(me.role));
}

/** May `actor` (a moderator) act on `target`? (server/room/permissions.require_reach)
 * @param {Room} room @param {string} actor @param {string} target */
export function reaches(room, actor, target) {
  if (target === actor || target === room.host_id) return false;
  if (actor !== room.host_id && room.cohost_ids.includes(target)) return false;
  return true;
}

/** The room has ended or was cancelled: only leaving and reporting are left.
 * @param {Room} room */
function over(room) {
  return room.state === 'ended' || room.state === 'cancelled';
}

/** An invitation of `kind` to `userId` that has not expired by `now` (stage_rules._pending_invite).
 * @param {Room} room @param {string} userId @param {string} kind @param {number} now */
function pendingInvite(room, userId, kind, now) {
  const invite = room.invites.find((i) => i.user_id === userId && i.kind === kind);
  return Boolean(invite && invite.expires_at > now);
}

/** A free seat for one more speaker or co-host (server/room/permissions.stage_has_seat).
 * @param {Room} room @param {'speaker' | 'cohost'} role */
function seatFree(room, role) {
  if (role === 'cohost') return room.cohost_ids.length < room.limits.max_cohosts;
  const speakers = Object.values(room.participants).filter((p) => p.role === 'speaker').length;
  return speakers < room.limits.max_speakers;
}

/**
 * The actions `me` can take on `target`, in the order the person dialog lists them: exactly
 * those the relay would accept now (invitations count as open until their `expires_at`).
 * @param {Room} room
 * @param {string} me
 * @param {string} targetId
 * @param {number} [now]  seconds since the epoch, as the relay's clock
 * @returns {PersonAction[]}
 */
export function personActions(room, me, targetId, now = Date.now() / 1000) {
  const target = person(room, targetId);
  /** @type {PersonAction[]} */
  const actions = [];
  // The dialog is for someone else in the room, opened by someone in it.
  if (!target || targetId === me || !person(room, me)) return actions;
  const host = me === room.host_id;
  const live = room.state === 'live';
  // moderate(): a moderator acting on someone present whom they outrank
  const moderate = !over(room) && isModerator(room, me) && reaches(room, me, targetId);
  const stageNow = onStage(target.role);
  const body = { user_id: targetId };
  if (moderate && live && !stageNow && !pendingInvite(room, targetId, 'speak', now) && seatFree(room, 'speaker')) {
    actions.push({ id: 'invite_speak', label: 'Invite to speak', type: 'invite_to_speak', body });
  }
  if (moderate && live && host && target.role !== 'cohost' && !pendingInvite(room, targetId, 'cohost', now) && seatFree(room, 'cohost')) {
    actions.push({ id: 'invite_cohost', label: 'Invite to be a co-host', type: 'invite_to_cohost', body });
  }
  if (moderate && live && stageNow && !target.muted) {
    actions.push({ id: 'mute', label: 'Mute their microphone', type: 'mute', body });
  }
  if (moderate && live && stageNow && target.muted) {
    actions.push({ id: 'ask_unmute', label: 'Ask them to unmute', type: 'ask_to_unmute', body });
  }
  // The host's own seats: no need to be live (a scheduled room's co-host can lose the seat).
  if (!over(room) && host && room.cohost_ids.includes(targetId)) {
    actions.push({ id: 'remove_cohost', label: 'Remove as co-host', type: 'remove_cohost', body });
  }
  // Strike from the record on their behalf: anyone who has been on stage in the running take
  // (recording_rules.strike_from_record). The span is chosen in its dialog; the last minute first.
  if (moderate && room.recording?.active && targetId in room.recording.consents) {
    actions.push({
      id: 'strike', label: 'Strike from the record…', type: 'strike_from_record',
      body: { user_id: targetId, span: 'last_minute' }, strike: true,
    });
  }
  if (moderate && live && stageNow) {
    actions.push({ id: 'to_audience', label: 'Move to the audience', type: 'move_to_audience', body });
  }
  if (moderate) {
    actions.push({
      id: 'remove', label: 'Remove from the room', type: 'remove_participant',
      body: { user_id: targetId, block: false }, danger: true,
      confirm: `Remove ${target.display_name}? They leave at once and cannot rejoin this room.`,
    });
    actions.push({
      id: 'block', label: 'Remove and block', type: 'remove_participant',
      body: { user_id: targetId, block: true }, danger: true,
      confirm: `Remove and block ${target.display_name}? They cannot join any of this host’s rooms until unblocked.`,
    });
  }
  // One report per person and target (a report is still possible after the end).
  const reported = room.reports.some((r) => r.reporter_id === me && r.user_id === targetId);
  if (!reported) {
    actions.push({ id: 'report', label: `Report ${target.display_name}`, type: 'report', report: true });
  }
  return actions;
}

/**
 * May `me` unpin `link`? Their own, or (as a moderator) one pinned by someone they reach
 * (server/room/engagement_rules.unpin_link).
 * @param {Room} room @param {string} me @param {PinnedLink} link
 */
export function mayUnpin(room, me, link) {
  if (!person(room, me) || over(room)) return false;
  return link.pinned_by === me || (isModerator(room, me) && reaches(room, me, link.pinned_by));
}
