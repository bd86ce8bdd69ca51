// Emoji reactions: the fixed set the relay accepts (server/room/validation.py REACTIONS), a
// button row that respects the per-person rate limit, and the floating layer everyone sees.

export const REACTIONS = [
  ['💯', 'hundred points'],
  ['😂', 'laughing'],
  ['👋', 'wave'],
  ['✌️', 'peace'],
  ['❤️', 'heart'],
  ['✊', 'raised fist'],
  ['👍', 'thumbs up'],
  ['🙌', 'raised hands'],
  ['🔥', 'fire'],
  ['🎉', 'party'],
];

const MAX_FLOATING = 24;
const FLOAT_MS = 4000;

/** Show one reaction floating up from the bottom, with who sent it (as text). */
export function floatReaction(layer, emoji, name) {
  while (layer.childElementCount >= MAX_FLOATING) layer.firstElementChild.remove();
  const bubble = document.createElement('div');
  bubble.className = 'reaction-float';
  bubble.style.setProperty('--x', `${8 + Math.random() * 76}%`);
  bubble.style.setProperty('--drift', `${Math.round(Math.random() * 40 - 20)}px`);
  const glyph = document.createElement('span');
  glyph.className = 'reaction-emoji';
  glyph.textContent = emoji;
  const who = document.createElement('span');
  who.className = 'reaction-name';
  who.textContent = name;
  bubble.append(glyph, who);
  layer.append(bubble);
  const remove = () => bubble.remove();
  bubble.addEventListener('animationend', remove);
  setTimeout(remove, FLOAT_MS + 500);
}

/**
 * The reaction buttons. `send(emoji)` returns a promise; the row disables itself for
 * `minIntervalMs` after each press so a person never hits the relay's limit by accident.
 */
export function reactionBar(send, minIntervalMs = 1000) {
  const group = document.createElement('div');
  group.className = 'reactions';
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Send a reaction');
  const buttons = REACTIONS.map(([emoji, label]) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'reaction-button';
    button.textContent = emoji;
    button.setAttribute('aria-label', `React with ${label}`);
    button.title = label;
    button.dataset.emoji = emoji;
    button.addEventListener('click', async () => {
      if (group.dataset.cooling === 'true') return;
      cool(minIntervalMs);
      try {
        await send(emoji);
      } catch {
        // the caller reports refusals
      }
    });
    group.append(button);
    return button;
  });
  let timer = 0;
  function cool(ms) {
    group.dataset.cooling = 'true';
    // aria-disabled keeps the focused button focusable (disabled would drop focus).
    for (const b of buttons) b.setAttribute('aria-disabled', 'true');
    clearTimeout(timer);
    timer = setTimeout(() => {
      group.dataset.cooling = 'false';
      for (const b of buttons) b.removeAttribute('aria-disabled');
    }, ms);
  }
  group.dataset.cooling = 'false';
  return group;
}
