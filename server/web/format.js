// Times, counts and prices in the reader's own locale and words.

const timeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit',
});
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** Seconds since the epoch → "Tue 4 Jun, 21:40". */
export function formatWhen(epochSeconds) {
  return timeFormat.format(new Date(epochSeconds * 1000));
}

export function formatClock(epochSeconds) {
  return clockFormat.format(new Date(epochSeconds * 1000));
}

/** Strike from the record: the spans a person may strike (server/room/commands.STRIKE_SPANS). */
export const STRIKE_SPANS = ['last_minute', 'last_5_minutes', 'last_15_minutes', 'since_joined'];

/** "Your last minute was removed from the recording." and the like. */
export function struckSentence(span, whose) {
  const verb = span === 'last_5_minutes' || span === 'last_15_minutes' ? 'were' : 'was';
  return `${struckWhat(span, whose)} ${verb} removed from the recording.`;
}

/** "Your last minute", "Sam’s last 5 minutes", "Your voice since you joined". */
export function struckWhat(span, whose) {
  const yours = whose === null;
  const owner = yours ? 'Your' : whose === 'their' || whose.endsWith('’s') ? whose : `${whose}’s`;
  switch (span) {
    case 'last_minute': return `${owner} last minute`;
    case 'last_5_minutes': return `${owner} last 5 minutes`;
    case 'last_15_minutes': return `${owner} last 15 minutes`;
    default: return yours ? 'Your voice since you joined' : `${owner} voice since joining`;
  }
}

export function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

/** Milliseconds until something → "2 days 3 h", "1 h 05 min", "4 min 09 s", "12 s". */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  if (days > 0) return `${plural(days, 'day', 'days')} ${hours} h`;
  if (hours > 0) return `${hours} h ${two(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${two(seconds)} s`;
  return `${seconds} s`;
}

/** Seconds ago → "just now", "3 min ago". */
export function formatAgo(epochSeconds, nowMs = Date.now()) {
  const s = Math.max(0, Math.round(nowMs / 1000 - epochSeconds));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function formatPrice(cents, currency) {
  if (cents === null || cents === undefined || !currency) return '';
  if (cents === 0) return 'free ticket';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "Ann", "Ann and Bo", "Ann, Bo and Cy". */
export function listNames(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export const ROLE_LABELS = {
  host: 'Host',
  cohost: 'Co-host',
  speaker: 'Speaker',
  listener: 'Listener',
};
