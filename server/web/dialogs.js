// Modal dialogs on the native <dialog> element: it traps focus and makes the rest of the
// page inert while open, Escape cancels, and focus goes back to whatever opened it.

import { h } from './dom.js';

let openCount = 0;

/**
 * A dialog's button: `run` returning (or resolving to) false keeps the dialog open (to show
 * an error, say); without `run` the button just closes it.
 * @typedef {{label: string, kind?: 'primary' | 'danger' | 'plain', autofocus?: boolean,
 *   run?: () => boolean | void | Promise<boolean | void>}} DialogAction
 */

/**
 * openDialog({title, text, content, actions, onCancel, className})
 * Returns {dialog, close, closed, setError}.
 * @param {{title: string, text?: string | null, content?: Node[], actions?: DialogAction[],
 *   onCancel?: (() => void) | null, className?: string}} options
 */
export function openDialog({ title, text = null, content = [], actions = [], onCancel = null, className = '' }) {
  const active = document.activeElement;
  const opener = active instanceof HTMLElement ? active : null;
  const titleId = `dialog-title-${++openCount}`;
  const textId = `dialog-text-${openCount}`;
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const buttons = actions.map((action) =>
    h('button', {
      type: 'button',
      class: `button ${action.kind || 'plain'}`,
      autofocus: action.autofocus || null,
      onclick: async (ev) => {
        const button = ev.currentTarget;
        button.disabled = true;
        error.textContent = '';
        let keepOpen;
        try {
          keepOpen = (await action.run?.()) === false;
        } catch (failure) {
          keepOpen = true;
          error.textContent = (failure instanceof Error && failure.message) || String(failure);
        }
        button.disabled = false;
        if (!keepOpen) close();
      },
    }, action.label),
  );
  const dialog = h(
    'dialog',
    {
      class: `dialog ${className}`,
      'aria-labelledby': titleId,
      'aria-describedby': text ? textId : null,
    },
    h('h2', { id: titleId, class: 'dialog-title' }, title),
    text ? h('p', { id: textId, class: 'dialog-text' }, text) : null,
    content,
    error,
    h('div', { class: 'dialog-actions' }, buttons),
  );
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    const target = opener && opener.isConnected && !opener.closest('[hidden]') ? opener : document.getElementById('main-heading');
    target?.focus?.();
  }
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    onCancel?.();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = dialog.querySelector('[autofocus]') || dialog.querySelector('input, textarea') || buttons[0];
  first?.focus();
  return {
    dialog,
    close,
    get closed() { return closed; },
    setError(message) { error.textContent = message; },
  };
}

/**
 * Yes/No confirmation; resolves true for yes.
 * @param {{title: string, text: string, yes: string, no?: string, danger?: boolean}} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, yes, no = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    let answered = false;
    openDialog({
      title,
      text,
      actions: [
        { label: yes, kind: danger ? 'danger' : 'primary', run: () => { answered = true; resolve(true); } },
        { label: no, kind: 'plain', run: () => { answered = true; resolve(false); } },
      ],
      onCancel: () => { if (!answered) resolve(false); },
    });
  });
}

const REPORT_REASONS = [
  'Spam or scam',
  'Harassment or hate',
  'Threats or violence',
  'Sexual content',
  'Pretending to be someone else',
  'Something else',
];

/**
 * Report a person (targetName given) or the room. `submit(reason)` sends it and may throw
 * an error with a message for the person.
 */
export function reportDialog({ targetName, submit, onDone }) {
  const group = `report-reason-${Date.now()}`;
  const radios = REPORT_REASONS.map((reason, index) =>
    h('label', { class: 'choice' },
      h('input', { type: 'radio', name: group, value: reason, checked: index === 0 }),
      ' ', reason),
  );
  const details = h('textarea', {
    id: `${group}-details`, rows: '3', maxlength: '400',
    'aria-describedby': `${group}-hint`,
  });
  const content = [
    h('fieldset', { class: 'choices' }, h('legend', {}, 'What is wrong?'), radios),
    h('label', { for: `${group}-details`, class: 'field-label' }, 'Anything the moderators should know (optional)'),
    details,
    h('p', { id: `${group}-hint`, class: 'hint' },
      'Reports go to the host and co-hosts and into the room’s moderation log. The person is not told who reported them.'),
  ];
  const subject = targetName ? `Report ${targetName}` : 'Report this room';
  const handle = openDialog({
    title: subject,
    content,
    className: 'report-dialog',
    actions: [
      {
        label: 'Send report',
        kind: 'danger',
        run: async () => {
          const picked = handle.dialog.querySelector(`input[name="${group}"]:checked`);
          const extra = details.value.trim();
          const reason = [picked ? picked.value : 'Something else', extra].filter(Boolean).join(': ').slice(0, 500);
          await submit(reason);
          onDone?.();
        },
      },
      { label: 'Cancel', kind: 'plain' },
    ],
  });
  return handle;
}
