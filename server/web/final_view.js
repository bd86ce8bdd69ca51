// The end states: removed, the room ended, taken over by another tab, left, no such room,
// unreachable. One heading that says what happened and, where it helps, one button.

import { h } from './dom.js';
import { formatWhen } from './format.js';

function texts(kind, { endedAt, detail, blocked }) {
  switch (kind) {
    case 'removed':
      // Refused at the door of another of the host's rooms, a block is not "this room".
      return blocked
        ? ['The host has blocked you', 'A host of this room blocked you from all their rooms.']
        : ['You were removed from this room', 'A host removed you. You cannot rejoin this room.'];
    case 'ended':
      return ['The room has ended', endedAt
        ? `It ended ${formatWhen(endedAt)}. Thanks for listening.`
        : 'Thanks for listening.'];
    case 'replaced':
      // The relay says why: the host link opened elsewhere, or changed (rotated).
      if (/link was changed/i.test(detail)) return ['This host link no longer works', detail];
      if (/ticket_moved/.test(detail)) {
        return ['Your ticket is in use elsewhere', 'Its code was used on another device or browser, so this one left the room. Use the code here again to come back.'];
      }
      return ['You opened this room somewhere else', detail
        || 'This tab stopped because you joined from another tab or device with the same identity.'];
    case 'left':
      return ['You left the room', 'You can come back while it is live.'];
    case 'not_found':
      return ['There is no room at this link', 'Check the link, or ask the host for a new one.'];
    case 'unreachable':
      return ['Cannot reach the room’s server', 'Check your connection and try again.'];
    default:
      return ['Could not stay in the room', detail || 'Something went wrong.'];
  }
}

const BUTTONS = {
  replaced: 'Use this tab instead',
  left: 'Join again',
  unreachable: 'Try again',
  error: 'Try again',
};

/** {element, heading, message} for the end state `kind`. */
export function finalView(kind, { title = '', endedAt = null, detail = '', blocked = false } = {}) {
  const [heading, message] = texts(kind, { endedAt, detail, blocked });
  const label = BUTTONS[kind];
  const element = h('article', { class: `final view final-${kind}`, 'aria-labelledby': 'main-heading' },
    title ? h('p', { class: 'final-room' }, title) : null,
    h('h1', { id: 'main-heading', tabindex: '-1' }, heading),
    h('p', { class: 'final-text' }, message),
    label ? h('div', { class: 'row' },
      h('button', { type: 'button', class: 'button primary', onclick: () => location.reload() }, label)) : null);
  return { element, heading, message };
}
