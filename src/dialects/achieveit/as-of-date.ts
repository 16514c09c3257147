import { calendarDate, parseIsoDate } from '../../core/imports/iso-date.ts';

// AchieveIt's As Of Date: ISO-8601 as every file import reads it, or the US form
// MM/DD/YYYY (also M/D/YYYY), which is what most AchieveIt customers send.

const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** MM/DD/YYYY or M/D/YYYY (month first, as in the US). */
export function parseUsDate(text: string): string | null {
  const m = US.exec(text);
  return m ? calendarDate(Number(m[3]), Number(m[1]), Number(m[2])) : null;
}

/** An As Of Date: ISO-8601 or US; surrounding spaces are ignored. */
export function parseAsOfDate(text: string): string | null {
  const t = text.trim();
  return parseIsoDate(t) ?? parseUsDate(t);
}
