// Dates as file imports write them: any ISO-8601 date or date-time (the time, and its
// zone, are ignored: the date is taken as written). Every function returns the calendar
// date as 'YYYY-MM-DD', or null when the text is not one. (AchieveIt's US form is its
// dialect's: dialects/achieveit/as-of-date.ts.)

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : DAYS[m - 1]);
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** 'YYYY-MM-DD' when (y, m, d) is a real calendar date of years 0001–9999. */
export function calendarDate(y: number, m: number, d: number): string | null {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return null;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

function fromDayOfYear(y: number, day: number): string | null {
  if (y < 1 || day < 1 || day > (isLeap(y) ? 366 : 365)) return null;
  let m = 1;
  let d = day;
  while (d > daysIn(y, m)) d -= daysIn(y, m++);
  return calendarDate(y, m, d);
}

// ISO weeks start on Monday; week 1 is the week holding the year's first Thursday.
function fromWeekDate(y: number, week: number, weekday: number): string | null {
  if (y < 1 || y > 9999 || week < 1 || week > 53 || weekday < 1 || weekday > 7) return null;
  const jan4 = new Date(Date.UTC(y, 0, 4));
  jan4.setUTCFullYear(y);
  const mondayOfWeek1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000;
  const at = new Date(mondayOfWeek1 + ((week - 1) * 7 + weekday - 1) * 86_400_000);
  // Week 53 exists only in long years: the date must stay in the same ISO week-year.
  if (week === 53) {
    const next = fromWeekDate(y + 1, 1, 1);
    if (next && at.toISOString().slice(0, 10) >= next) return null;
  }
  return calendarDate(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate());
}

// hh[:mm[:ss[.fff]]] (colons optional, as in the basic format), then Z or ±hh[:mm].
const TIME = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function validTime(text: string): boolean {
  const m = TIME.exec(text);
  if (m === null) return false;
  const [hour, minute, second, fraction] = [
    Number(m[1]),
    Number(m[2] ?? 0),
    Number(m[3] ?? 0),
    Number(m[4] ?? 0),
  ];
  // 24:00 is ISO-8601's end of day (8601:2004, 4.2.3), and only that instant: 24:30 is no time.
  if (hour === 24) return minute === 0 && second === 0 && fraction === 0;
  // 60 seconds is a leap second.
  return hour <= 23 && minute <= 59 && second <= 60;
}

const CALENDAR = /^(\d{4})-(\d{2})-(\d{2})$/;
const CALENDAR_BASIC = /^(\d{4})(\d{2})(\d{2})$/;
const ORDINAL = /^(\d{4})-?(\d{3})$/;
const WEEK = /^(\d{4})-?W(\d{2})-?([1-7])$/i;

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : Number.NaN;
};

function isoDatePart(text: string): string | null {
  // The common case, YYYY-MM-DD, without a regular expression (a file has a million).
  if (text.length === 10 && text[4] === '-' && text[7] === '-') {
    const y = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
    const m = digit(text, 5) * 10 + digit(text, 6);
    const d = digit(text, 8) * 10 + digit(text, 9);
    return Number.isNaN(y + m + d) ? null : calendarDate(y, m, d) === null ? null : text;
  }
  let m = CALENDAR.exec(text) ?? CALENDAR_BASIC.exec(text);
  if (m) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = ORDINAL.exec(text);
  if (m) return fromDayOfYear(Number(m[1]), Number(m[2]));
  m = WEEK.exec(text);
  if (m) return fromWeekDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return null;
}

/**
 * An ISO-8601 date (calendar 2024-03-31 / 20240331, ordinal 2024-091, week 2024-W13-7)
 * or a date-time of one (`T` or a space before the time; the time is checked, then ignored).
 */
export function parseIsoDate(text: string): string | null {
  const cut = text.search(/[T ]/i);
  if (cut === -1) return isoDatePart(text);
  const date = isoDatePart(text.slice(0, cut));
  return date && validTime(text.slice(cut + 1)) ? date : null;
}
