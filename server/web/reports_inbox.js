// The moderators' reports inbox: every report the room keeps (`room.reports`, newest first)
// and the ones only counted (`room.folded_reports`: "3 more reports about Tom"), each with
// Remove, Block and Dismiss. The relay has no command to dismiss a report (the console's
// Dismiss is its own too), so Dismiss hides the row in this page only, remembered per room
// for this tab (sessionStorage); the report stays in the room for every other moderator.

import { announce, h, show, syncList } from './dom.js';
import { formatClock, plural } from './format.js';
import { person } from './mirror.js';
import { personActions } from './permissions.js';

function reportKey(report) {
  return `${report.reporter_id}|${report.user_id ?? ''}|${report.at}`;
}

export class ReportsInbox {
  /**
   * @param {object} ctl  RoomActions: actOnReported(userId, block)
   * @param {string} roomId
   * @param {object} names  nameOf(room, userId), also for people who left (the log's)
   */
  constructor(ctl, roomId, names) {
    this.ctl = ctl;
    this.names = names;
    this.storageKey = `roomcast.dismissed-reports.${roomId}`;
    this.dismissed = new Set(this._load());
    this.fresh = 0; // reports that came in since the moderator last looked at the inbox
    this.heading = h('h2', { id: 'reports-heading' }, 'Reports');
    this.list = h('ol', { class: 'reports-list', 'aria-labelledby': 'reports-heading' });
    this.empty = h('p', { class: 'hint' }, 'No reports.');
    this.root = h('section', { class: 'reports', 'aria-labelledby': 'reports-heading' },
      this.heading, this.list, this.empty);
    // Looking at the inbox (focus or a press inside it) is what makes new reports seen.
    const seen = () => this.markSeen();
    this.root.addEventListener('focusin', seen);
    this.root.addEventListener('pointerdown', seen);
  }

  _load() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(this.storageKey) || '[]');
      return Array.isArray(kept) ? kept : [];
    } catch {
      return [];
    }
  }

  _save() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify([...this.dismissed]));
    } catch {
      // storage full or off: the row stays hidden until the page is reloaded
    }
  }

  /** A report came in (event `report_filed`): count it as new and say so. */
  noteNew(room, e) {
    this.fresh += 1;
    const target = e.user_id ? this.names.nameOf(room, e.user_id) : 'the room';
    announce(`New report: ${this.names.nameOf(room, e.actor)} reported ${target}.`, { urgent: true });
    this.update(this.room, this.you, this.visible);
  }

  markSeen() {
    if (!this.fresh) return;
    this.fresh = 0;
    this._heading();
  }

  _heading() {
    const rows = this.rows?.length ?? 0;
    this.heading.textContent = this.fresh
      ? `Reports (${this.fresh} new)`
      : `Reports (${rows})`;
    this.heading.classList.toggle('has-new', this.fresh > 0);
  }

  dismiss(key) {
    this.dismissed.add(key);
    this._save();
    announce('Report dismissed from your list.');
    this.update(this.room, this.you, this.visible);
  }

  _rows(room) {
    const rows = [];
    for (const [target, count] of Object.entries(room.folded_reports || {})) {
      const key = `folded|${target}|${count}`; // a further report brings the row back
      if (this.dismissed.has(key)) continue;
      rows.push({
        key, userId: target || null, at: null,
        text: `${plural(count, 'more report', 'more reports')} about ${target ? this.names.nameOf(room, target) : 'the room'}`,
      });
    }
    for (const report of [...room.reports].reverse()) { // newest first
      const key = reportKey(report);
      if (this.dismissed.has(key)) continue;
      const target = report.user_id ? this.names.nameOf(room, report.user_id) : 'the room';
      rows.push({
        key, userId: report.user_id ?? null, at: report.at,
        text: `${this.names.nameOf(room, report.reporter_id)} reported ${target}: “${report.reason}”`,
      });
    }
    return rows;
  }

  update(room, you, visible) {
    this.room = room;
    this.you = you;
    this.visible = visible;
    show(this.root, Boolean(visible && room));
    if (!visible || !room) return;
    this.rows = this._rows(room);
    syncList(this.list, this.rows, (r) => r.key, (r) => this._item(r), (el, r) => this._patch(el, r, room, you));
    show(this.empty, this.rows.length === 0);
    this._heading();
  }

  _item(row) {
    const key = row.key;
    const userId = row.userId;
    return h('li', { class: 'report' },
      h('p', { class: 'report-text' }, h('time', { class: 'when' }), h('span', { class: 'what' })),
      h('span', { class: 'row wrap' },
        h('button', { type: 'button', class: 'button plain small remove', onclick: () => this.ctl.actOnReported(userId, false) }, 'Remove'),
        h('button', { type: 'button', class: 'button danger small block', onclick: () => this.ctl.actOnReported(userId, true) }, 'Block'),
        h('button', { type: 'button', class: 'button plain small dismiss', onclick: () => this.dismiss(key) }, 'Dismiss')));
  }

  _patch(el, row, room, you) {
    const time = el.querySelector('time');
    time.textContent = row.at === null ? '' : `${formatClock(row.at)} `;
    el.querySelector('.what').textContent = row.text;
    const here = row.userId && person(room, row.userId);
    // The same rule as the person dialog's Remove and Block (actOnReported sends that action).
    const canAct = Boolean(here && personActions(room, you, row.userId).some((a) => a.id === 'remove'));
    const name = row.userId ? this.names.nameOf(room, row.userId) : '';
    const remove = el.querySelector('.remove');
    const block = el.querySelector('.block');
    show(remove, canAct);
    show(block, canAct);
    remove.setAttribute('aria-label', `Remove ${name}`);
    block.setAttribute('aria-label', `Block ${name}`);
    el.querySelector('.dismiss').setAttribute('aria-label', `Dismiss: ${row.text}`);
  }
}
