import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/core/errors.ts';
import {
  bucketStart,
  daysInMonth,
  isIsoDate,
  monthsBefore,
  previousBucket,
  reportingPeriod,
} from '../../src/core/periods.ts';

// Pure rules: no database is involved, so these run once rather than per engine.

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Invalid);
    return (e as Invalid).issues;
  }
  throw new Error('expected Invalid');
};

describe('isIsoDate', () => {
  it.each([
    '2024-01-01',
    '2024-02-29',
    '2000-02-29',
    '1600-02-29',
    '2023-12-31',
    '0001-01-01',
    '9999-12-31',
    '0004-02-29',
  ])('%s is a date', (s) => {
    expect(isIsoDate(s)).toBe(true);
  });

  // Year 0000 (no calendar year; PostgreSQL's date refuses it) is refused on both engines.
  it.each([
    '0000-02-29',
    '0000-01-01',
    '2023-02-29',
    '1900-02-29',
    '2100-02-29',
    '0100-02-29',
    '2024-04-31',
    '2024-00-10',
    '2024-13-01',
    '2024-01-00',
    '2024-01-32',
    '2024-1-01',
    '2024-01-1',
    '20240101',
    '2024-01-01T00:00:00Z',
    ' 2024-01-01',
    '+2024-01-01',
    '',
  ])('%j is not', (s) => {
    expect(isIsoDate(s)).toBe(false);
  });

  it('daysInMonth knows the leap years, early ones included', () => {
    expect([2023, 2024, 1900, 2000, 2100, 4, 100, 400].map((y) => daysInMonth(y, 2))).toEqual([
      28, 29, 28, 29, 28, 29, 28, 29,
    ]);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });
});

describe('reportingPeriod', () => {
  it('spans the first day of month start to the last day of month end', () => {
    expect(reportingPeriod({ year: 2024, start: 1, end: 3 })).toEqual({
      start: '2024-01-01',
      end: '2024-03-31',
    });
    expect(reportingPeriod({ year: 2024, start: 4, end: 4 })).toEqual({
      start: '2024-04-01',
      end: '2024-04-30',
    });
    expect(reportingPeriod({ year: 2024, start: 1, end: 12 })).toEqual({
      start: '2024-01-01',
      end: '2024-12-31',
    });
  });

  it('ends a February on its leap day only in leap years', () => {
    expect(reportingPeriod({ year: 2024, start: 2, end: 2 }).end).toBe('2024-02-29');
    expect(reportingPeriod({ year: 2023, start: 2, end: 2 }).end).toBe('2023-02-28');
    expect(reportingPeriod({ year: 2000, start: 1, end: 2 }).end).toBe('2000-02-29');
    expect(reportingPeriod({ year: 1900, start: 2, end: 2 }).end).toBe('1900-02-28');
    expect(reportingPeriod({ year: 2100, start: 2, end: 2 }).end).toBe('2100-02-28');
    expect(reportingPeriod({ year: 4, start: 2, end: 2 })).toEqual({
      start: '0004-02-01',
      end: '0004-02-29',
    });
  });

  it('refuses bad months and years, naming each field under the path', () => {
    expect(issuesOf(() => reportingPeriod({ year: 2024, start: 0, end: 3 }))).toEqual([
      { field: 'reportingPeriod.start', message: expect.any(String) },
    ]);
    expect(issuesOf(() => reportingPeriod({ year: 2024, start: 1, end: 13 }))).toEqual([
      { field: 'reportingPeriod.end', message: expect.any(String) },
    ]);
    expect(issuesOf(() => reportingPeriod({ year: 2024, start: 1.5, end: 2 }))).toEqual([
      { field: 'reportingPeriod.start', message: expect.any(String) },
    ]);
    expect(
      issuesOf(() => reportingPeriod({ year: 2024, start: 5, end: 4 }, 'values[2].reportingPeriod')),
    ).toEqual([{ field: 'values[2].reportingPeriod.start', message: 'must not be after end' }]);
    expect(
      issuesOf(() => reportingPeriod({ year: 0, start: Number.NaN, end: 99 })).map((i) => i.field),
    ).toEqual(['reportingPeriod.year', 'reportingPeriod.start', 'reportingPeriod.end']);
    expect(issuesOf(() => reportingPeriod({ year: 10_000, start: 1, end: 1 }))[0].field).toBe(
      'reportingPeriod.year',
    );
  });
});

describe('bucketStart', () => {
  it('day and month', () => {
    expect(bucketStart('2024-02-29', 'day')).toBe('2024-02-29');
    expect(bucketStart('2024-02-29', 'month')).toBe('2024-02-01');
  });

  it('weeks start on Monday (ISO-8601), across month and year ends', () => {
    expect(bucketStart('2024-01-01', 'week')).toBe('2024-01-01'); // a Monday
    expect(bucketStart('2024-01-07', 'week')).toBe('2024-01-01'); // Sunday: same week
    expect(bucketStart('2024-01-08', 'week')).toBe('2024-01-08');
    expect(bucketStart('2021-01-01', 'week')).toBe('2020-12-28'); // Friday: the week began last year
    expect(bucketStart('2024-03-02', 'week')).toBe('2024-02-26'); // across a leap day
    expect(bucketStart('2024-12-31', 'week')).toBe('2024-12-30');
    // Years below 100 are years, not 19xx.
    expect(bucketStart('0050-03-15', 'week')).toBe('0050-03-14');
  });

  it('quarters and years', () => {
    const q = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) =>
      bucketStart(`2024-${m}-15`, 'quarter'),
    );
    expect(q).toEqual([
      ...Array(3).fill('2024-01-01'),
      ...Array(3).fill('2024-04-01'),
      ...Array(3).fill('2024-07-01'),
      ...Array(3).fill('2024-10-01'),
    ]);
    expect(bucketStart('2024-12-31', 'year')).toBe('2024-01-01');
    expect(bucketStart('0099-06-30', 'year')).toBe('0099-01-01');
  });
});

describe('previousBucket and monthsBefore', () => {
  it('step back across month, quarter and year edges', () => {
    expect(previousBucket('2024-03-01', 'day')).toBe('2024-02-29');
    expect(previousBucket('2025-01-06', 'week')).toBe('2024-12-30');
    expect(previousBucket('2024-01-01', 'month')).toBe('2023-12-01');
    expect(previousBucket('2024-01-01', 'quarter')).toBe('2023-10-01');
    expect(previousBucket('2024-01-01', 'year')).toBe('2023-01-01');
    // Years below 100 stay themselves (Date.UTC would read 0099 as 1999).
    expect(previousBucket('0100-01-01', 'year')).toBe('0099-01-01');
  });

  it('monthsBefore counts whole months back from the month a date falls in', () => {
    expect(monthsBefore('2024-03-17', 0)).toBe('2024-03-01');
    expect(monthsBefore('2024-03-17', 3)).toBe('2023-12-01');
    expect(monthsBefore('2024-03-01', 27)).toBe('2021-12-01');
  });
});
