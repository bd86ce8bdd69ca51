// server/web/mirror.js `apply` against the Python reducer (server/room/reducer.py): every
// exported case's snapshot, with its events folded in as the page folds them, must become the
// room the Python made of them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { apply } from '../../server/web/mirror.js';
import { reducer, room } from './cases.mjs';

// Kinds that change nothing the page keeps (a prompt on one screen).
const NO_STATE = new Set(['unmute_asked']);

describe('mirror.js folds events as the Python reducer does', () => {
  for (const c of reducer.cases) {
    const kinds = c.events.map((/** @type {{kind: string}} */ e) => e.kind).join(', ');
    test(`${c.name} [seen by ${c.viewer}]: ${kinds}`, () => {
      const mirror = room(c.snapshot);
      for (const e of c.events) apply(mirror, e.kind, e.event);
      assert.deepEqual(mirror, { ...room(c.snapshot), ...c.changed });
    });
  }
});

test('every kind mirror.js folds has cases, and every kind in the cases is folded', () => {
  const source = readFileSync(new URL('../../server/web/mirror.js', import.meta.url), 'utf8');
  const folded = new Set([...source.matchAll(/^\s*case '([a-z_]+)':/gm)].map((m) => m[1]));
  const exported = new Set(reducer.cases.flatMap((/** @type {any} */ c) => c.events.map((/** @type {any} */ e) => e.kind)));
  assert.deepEqual([...folded].filter((k) => !exported.has(k)), [], 'folded kinds without cases');
  assert.deepEqual([...exported].filter((k) => !folded.has(k) && !NO_STATE.has(k)), [], 'kinds mirror.js ignores');
});
