// What this person may do to whom, to offer only buttons that can work. The relay decides
// for real (server/room/permissions.py and the rule families); this is the same reasoning,
// kept small.

import { moderates, onStage, person } from './mirror.js';

export function isModerator(room, userId) {
  const me = person(room, userId);
  return Boolean(me && moderates(me.role));
}

/** May `actor` (a moderator) act on `target`? (server/room/permissions.require_reach) */
export function reaches(room, actor, target) {
  if (target === actor || target === room.host_id) return false;
  if (actor !== room.host_id && room.cohost_ids.includes(target)) return false;
  return true;
}

/**
 * The actions `me` can take on `target`, in the order the person dialog lists them:
 * [{id, label, type, body, danger, confirm}]
 */
export function personActions(room, me, targetId) {
  const target = person(room, targetId);
  const actions = [];
  if (!target || targetId === me) return actions;
  const live = room.state === 'live';
  if (isModerator(room, me) && reaches(room, me, targetId) && live) {
    const stageNow = onStage(target.role);
    const invited = (kind) => room.invites.some((i) => i.user_id === targetId && i.kind === kind);
    if (!stageNow && !invited('speak')) {
      actions.push({ id: 'invite_speak', label: 'Invite to speak', type: 'invite_to_speak', body: { user_id: targetId } });
    }
    if (me === room.host_id && target.role !== 'cohost' && !invited('cohost')) {
      actions.push({ id: 'invite_cohost', label: 'Invite to be a co-host', type: 'invite_to_cohost', body: { user_id: targetId } });
    }
    if (stageNow && !target.muted) {
      actions.push({ id: 'mute', label: 'Mute their microphone', type: 'mute', body: { user_id: targetId } });
    }
    if (stageNow && target.muted) {
      actions.push({ id: 'ask_unmute', label: 'Ask them to unmute', type: 'ask_to_unmute', body: { user_id: targetId } });
    }
    if (target.role === 'cohost' && me === room.host_id) {
      actions.push({ id: 'remove_cohost', label: 'Remove as co-host', type: 'remove_cohost', body: { user_id: targetId } });
    }
    // Strike from the record, on their behalf: anyone who has been on stage in this take.
    if (room.recording && room.recording.active && targetId in room.recording.consents) {
      actions.push({ id: 'strike', label: 'Strike from the record…', strike: true });
    }
    if (stageNow) {
      actions.push({ id: 'to_audience', label: 'Move to the audience', type: 'move_to_audience', body: { user_id: targetId } });
    }
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
  actions.push({ id: 'report', label: `Report ${target.display_name}`, type: 'report', report: true });
  return actions;
}
