// Building the page without ever parsing markup: every name, title and link text that came
// from someone else goes in as a text node. There is no innerHTML anywhere in the client.

const SAFE_SCHEMES = new Set(['http:', 'https:']);

/** The URL as a string if it is an absolute http(s) link, else null. */
export function safeHttpUrl(value) {
  if (typeof value !== 'string' || value.length > 2048) return null;
  try {
    const url = new URL(value);
    if (!SAFE_SCHEMES.has(url.protocol) || !url.hostname || url.username || url.password) {
      return null;
    }
    return url.href;
  } catch {
    return null;
  }
}

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': 'Close'}, 'text', child)
 * Strings become text nodes; `on*` props must be functions; `href` must be http(s) or a
 * same-page fragment; `text` sets textContent.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (key === 'href') {
      const text = String(value);
      const href = text.startsWith('#') ? text : safeHttpUrl(text);
      if (href) el.setAttribute('href', href);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace an element's children with `children` (text or nodes). */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * Keep `list`'s children in step with `items`, reusing the element of each key so that focus
 * and animations survive an update (one changed person touches one row).
 */
export function syncList(list, items, keyOf, make, patch) {
  const existing = new Map();
  for (const child of list.children) existing.set(child.dataset.key, child);
  let cursor = list.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let el = existing.get(key);
    if (el) {
      existing.delete(key);
    } else {
      el = make(item);
      el.dataset.key = key;
    }
    patch(el, item);
    if (el !== cursor) list.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const stale of existing.values()) stale.remove();
}

let announceTimer = 0;

/** Say something to screen readers (polite; `urgent` uses the assertive region). */
export function announce(message, { urgent = false } = {}) {
  const region = document.getElementById(urgent ? 'alert' : 'announcer');
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { region.textContent = message; }, 50);
}

/** Initials for an avatar (shown beside the name, never instead of it). */
export function initials(name) {
  const words = String(name).trim().split(/\s+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] || '');
  return letters.join('').toUpperCase() || '?';
}

/** A stable hue for a person, from their id. */
export function hueOf(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 360;
}
