// What an event means for this person beyond the mirror: a sentence for screen readers,
// a floating reaction, a prompt to show, the audio link to renegotiate.

import { announce } from './dom.js';
import { ROLE_LABELS, struckSentence } from './format.js';
import { moderates, nameOf, onStage, person } from './mirror.js';
import { floatReaction } from './reactions.js';

function moderating(room, you) {
  const me = person(room, you);
  return Boolean(me && moderates(me.role));
}

export function afterEvent(app, kind, e, before) {
  const { room, you } = app.mirror;
  const me = person(room, you);
  const by = nameOf(room, e.actor);
  switch (kind) {
    case 'reacted':
      floatReaction(app.roomView.reactionLayer, e.emoji, nameOf(room, e.actor));
      break;
    case 'role_changed':
      if (e.user_id === you && me) {
        if (!onStage(e.role)) {
          app.unmuteAskedBy = null;
          announce('You are back in the audience.');
        } else if (!before || !onStage(before.role)) {
          announce(e.role === 'cohost'
            ? 'You are on stage as a co-host. Your microphone is off until you turn it on.'
            : 'You are on stage. Your microphone is off; turn it on when you are ready.');
        } else {
          announce(`You are now ${ROLE_LABELS[e.role].toLowerCase()}.`);
        }
        app.syncAudio(false);
      }
      break;
    case 'muted':
      if (e.user_id === you && e.actor !== you) announce(`${by} muted your microphone.`, { urgent: true });
      break;
    case 'unmuted':
      if (e.actor === you) app.unmuteAskedBy = null;
      break;
    case 'unmute_asked':
      if (e.user_id === you) {
        app.unmuteAskedBy = e.actor;
        announce(`${by} asks you to turn your microphone on.`);
      }
      break;
    case 'invite_sent':
      if (e.user_id === you) {
        announce(e.kind === 'cohost' ? `${by} invites you to be a co-host.` : `${by} invites you to speak.`, { urgent: true });
      }
      break;
    case 'invite_declined': {
      // The hosts hear that an invitation was turned down (it leaves their list silently else).
      if (moderating(room, you) && e.actor !== you) {
        const what = e.kind === 'cohost' ? 'to co-host' : 'to speak';
        app.actions.toast(`${by} declined the invitation ${what}.`);
        announce(`${by} declined the invitation ${what}.`);
      }
      break;
    }
    case 'invite_expired':
      if (e.user_id === you) {
        app.actions.toast('The invitation expired. A host can invite you again.');
        announce('The invitation expired. A host can invite you again.');
      } else if (moderating(room, you)) {
        announce(`The invitation to ${nameOf(room, e.user_id)} expired.`);
      }
      break;
    case 'request_declined':
      if (e.user_id === you) announce('The hosts declined your request to speak for now.');
      break;
    case 'report_filed':
      if (moderating(room, you) && e.actor !== you) app.reportsInbox.noteNew(room, e);
      break;
    case 'speak_requested':
      if (moderating(room, you)) announce(`${by} asks to speak.`);
      break;
    case 'recording_started':
      announce('Recording started. Only people on stage who agree are recorded.');
      break;
    case 'recording_stopped':
      announce('Recording stopped.');
      break;
    case 'struck_from_record': {
      // A plain confirmation for the person struck, and for the host (and whoever asked).
      const said = e.user_id === you
        ? struckSentence(e.span, null)
        : (you === room.host_id || e.actor === you) ? struckSentence(e.span, nameOf(room, e.user_id)) : null;
      if (said) {
        app.actions.toast(said);
        announce(said);
      }
      break;
    }
    case 'link_pinned':
      announce(`${by} pinned a link: ${e.title || e.url}`);
      break;
    case 'broadcast_mode_set':
      announce(e.on ? `${by} made the room a broadcast: listeners hear it a few seconds late.` : `${by} turned broadcast mode off.`);
      break;
    case 'room_locked':
      announce(e.locked ? `${by} closed the room to newcomers.` : `${by} opened the room to newcomers.`);
      break;
    case 'card_edited':
      document.title = `${room.card.title} · Roomcast`;
      break;
    case 'participant_removed':
      if (e.user_id === you) app.removedWithBlock = Boolean(e.block); // the close follows
      break;
    case 'room_started':
      announce('The room is live now.');
      app.syncAudio(false);
      break;
    default:
      break;
  }
}
