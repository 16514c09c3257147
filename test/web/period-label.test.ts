import { afterEach, describe, expect, it } from 'vitest';
import { periodLabel } from '../../web/src/format.ts';

// The chart's x-axis labels: one per period of the series' granularity, read in UTC (a
// period starts at UTC midnight; read in a reader's zone west of UTC it would be the day before).

const at = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

describe('chart period labels', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    process.env.TZ = zone;
  });

  it('labels years, quarters and months by the period, not by a day in it', () => {
    expect(periodLabel(at('2024-01-01'), 'year', true)).toBe('2024');
    expect(periodLabel(at('2024-04-01'), 'quarter', true)).toBe('Q2 2024');
    expect(periodLabel(at('2024-12-01'), 'quarter', false)).toBe('Q4 2024');
    const march = periodLabel(at('2024-03-01'), 'month', false);
    expect(march).toContain('2024');
    expect(march).not.toMatch(/\b1\b/);
  });

  it('keeps the UTC day west of UTC, and adds the year when the series spans years', () => {
    process.env.TZ = 'Pacific/Honolulu';
    expect(new Date(at('2024-03-01') * 1000).getDate()).toBe(29); // the local day is Feb 29 there
    const day = periodLabel(at('2024-03-01'), 'day', false);
    expect(day).toMatch(/\b1\b/);
    expect(day).not.toContain('29');
    expect(day).not.toContain('2024');
    expect(periodLabel(at('2024-03-01'), 'week', true)).toContain('2024');
    expect(periodLabel(at('2024-01-01'), 'month', false)).toBe(periodLabel(at('2024-01-31'), 'month', false));
  });
});
