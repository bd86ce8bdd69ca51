// The rule cases the Python room rules export (tests/room/export_cases.py writes
// tests/room/cases/*.json); the page's JS ports are held to every one of them.

import { readFileSync } from 'node:fs';

const CASES = new URL('../room/cases/', import.meta.url);

/** @param {string} name  a file in tests/room/cases/ */
function load(name) {
  return JSON.parse(readFileSync(new URL(name, CASES), 'utf8'));
}

/** @type {Record<string, any>} the plain rooms (as the relay sends them), by key */
const ROOMS = load('rooms.json').rooms;

/** A fresh copy of a stored room, safe to change. @param {string} key */
export function room(key) {
  if (!(key in ROOMS)) throw new Error(`no room ${key} in rooms.json`);
  return structuredClone(ROOMS[key]);
}

export const permissions = load('permissions.json');
export const reducer = load('reducer.json');
