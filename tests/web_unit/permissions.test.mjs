// server/web/permissions.js against the Python rules (server/room/permissions.py and the rule
// families): the page offers an action exactly when the relay would accept it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { isModerator, mayUnpin, personActions, reaches } from '../../server/web/permissions.js';
import { permissions, room } from './cases.mjs';

const ORDER = Object.keys(permissions.person_actions_commands);

/** The command the Python sends for action `id` on `target`. @param {string} id @param {string} target */
function command(id, target) {
  const { type, body } = permissions.person_actions_commands[id];
  const withTarget = Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, v === '<target>' ? target : v]));
  return { type, body: withTarget };
}

describe('personActions offers what the relay accepts', () => {
  for (const c of permissions.person_actions) {
    test(`[${c.world}] ${c.actor} → ${c.target}`, () => {
      const offered = new Map(personActions(room(c.room), c.actor, c.target, c.now).map((a) => [a.id, a]));
      const unknown = [...offered.keys()].filter((id) => !ORDER.includes(id));
      assert.deepEqual(unknown, [], 'actions the Python cases do not know');
      /** @type {string[]} */
      const wrong = [];
      ORDER.forEach((id, i) => {
        const verdict = c.verdicts[i];
        if (offered.has(id) !== (verdict === 'ok')) {
          wrong.push(`${id}: ${offered.has(id) ? 'offered' : 'not offered'}, the relay says ${verdict}`);
        }
      });
      assert.deepEqual(wrong, []);
      for (const [id, action] of offered) {
        const expected = command(id, c.target);
        assert.equal(action.type, expected.type, id);
        // A report's reason comes from its dialog; every other action sends its body as is.
        if (!action.report) assert.deepEqual(action.body, expected.body, id);
      }
    });
  }
});

test('isModerator is the Python is_moderator', () => {
  for (const c of permissions.moderators) {
    assert.equal(isModerator(room(c.room), c.user), c.moderates, `[${c.world}] ${c.user}`);
  }
});

test('reaches is the Python require_reach', () => {
  for (const c of permissions.reaches) {
    assert.equal(reaches(room(c.room), c.actor, c.target), c.reaches, `[${c.world}] ${c.actor} → ${c.target}`);
  }
});

test('mayUnpin is the Python unpin_link verdict', () => {
  for (const c of permissions.unpin) {
    const r = room(c.room);
    const link = r.pinned_links.find((/** @type {{url: string}} */ l) => l.url === c.url);
    assert.equal(mayUnpin(r, c.actor, link), c.allowed, `[${c.world}] ${c.actor} unpins ${c.url}`);
  }
});
