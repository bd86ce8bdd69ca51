// Who this browser is to the relay: a client id and its secret, kept in localStorage so the
// same person comes back as themselves (their place on stage, a ticket, and any block).

const IDENTITY_KEY = 'roomcast.identity.v1';
const NAME_KEY = 'roomcast.display_name';
const REMINDED_KEY = 'roomcast.reminded';

function storage() {
  try {
    const probe = '__roomcast_probe__';
    window.localStorage.setItem(probe, '1');
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return null; // storage blocked (private mode, policy): remember nothing
  }
}

function randomHex(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

function randomSecret(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let text = '';
  for (const b of buf) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function valid(identity) {
  return (
    identity &&
    typeof identity.client_id === 'string' &&
    /^web-[0-9a-f]{16}$/.test(identity.client_id) &&
    typeof identity.client_secret === 'string' &&
    identity.client_secret.length >= 16 &&
    identity.client_secret.length <= 256
  );
}

/** { client_id, client_secret, remembered } — made and saved on first use. */
export function loadIdentity() {
  const store = storage();
  if (store) {
    try {
      const saved = JSON.parse(store.getItem(IDENTITY_KEY) || 'null');
      if (valid(saved)) return { ...saved, remembered: true };
    } catch {
      // a damaged entry: make a new identity below
    }
  }
  const identity = { client_id: `web-${randomHex(8)}`, client_secret: randomSecret(32) };
  if (store) store.setItem(IDENTITY_KEY, JSON.stringify(identity));
  return { ...identity, remembered: Boolean(store) };
}

/** A fresh identity, for when the relay says ours belongs to someone else. */
export function replaceIdentity() {
  const store = storage();
  if (store) store.removeItem(IDENTITY_KEY);
  return loadIdentity();
}

export function loadDisplayName() {
  return storage()?.getItem(NAME_KEY) || '';
}

export function saveDisplayName(name) {
  storage()?.setItem(NAME_KEY, name);
}

export function wasReminded(roomId) {
  try {
    return JSON.parse(storage()?.getItem(REMINDED_KEY) || '[]').includes(roomId);
  } catch {
    return false;
  }
}

export function rememberReminded(roomId) {
  const store = storage();
  if (!store) return;
  let rooms;
  try {
    rooms = JSON.parse(store.getItem(REMINDED_KEY) || '[]');
  } catch {
    rooms = [];
  }
  if (!rooms.includes(roomId)) rooms.push(roomId);
  store.setItem(REMINDED_KEY, JSON.stringify(rooms.slice(-50)));
}

/** Client-side check of a display name (the relay checks again): a sentence, or null. */
export function displayNameProblem(name) {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter the name others will see.';
  if (Array.from(trimmed).length > 50) return 'Names are at most 50 characters.';
  // Control characters (Cc: U+0000–001F, U+007F–009F) and bidirectional overrides are
  // refused by the relay too.
  if (/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(trimmed)) {
    return 'The name contains invisible control characters; remove them.';
  }
  return null;
}
