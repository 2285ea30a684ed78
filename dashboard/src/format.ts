/** How times and numbers read on screen. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const clockTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const wholeNumber = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** "12 May, 14:05" in the viewer's time zone. */
export function formatDateTime(isoTime: string | null): string {
  return isoTime === null ? '—' : dateTime.format(new Date(isoTime));
}

export function formatClock(ms: number): string {
  return clockTime.format(new Date(ms));
}

/** A span of time in the largest sensible unit: "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.round(abs / 1000)} s`;
  const minutes = Math.round(abs / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  if (abs < DAY) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const hours = Math.round(abs / HOUR);
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** "5 min ago" or "in 5 min". */
export function formatRelative(isoTime: string | null, now: number): string {
  if (isoTime === null) return 'never';
  const delta = Date.parse(isoTime) - now;
  return delta <= 0 ? `${formatSpan(delta)} ago` : `in ${formatSpan(delta)}`;
}

/** A measurement with sensible precision: 3 significant digits below 100, whole numbers (grouped) above. */
export function formatValue(value: number | undefined, unit = ''): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const text = Math.abs(value) >= 100 ? wholeNumber.format(value) : Number(value.toPrecision(3)).toString();
  return unit ? `${text} ${unit}` : text;
}

/** A column of measurements with the same number of decimals, so they line up. */
export function formatFixed(value: number | undefined, decimals: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);
}

export const words = (code: string) => code.replaceAll('_', ' ');

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;

/** Server texts carry times as ISO-8601 UTC; shown in the viewer's time zone like every other time. */
export function localizeTimes(text: string): string {
  return text.replace(ISO_TIME, (match) => formatDateTime(match));
}

/** The later of two optional ISO times. */
export function latestOf(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a || !b) return a ?? b ?? null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
