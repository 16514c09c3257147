import { Invalid } from '../../../core/errors.ts';

// Turning the routes' query strings and bodies into core's inputs.

export function parseCoordinates(
  raw: string | undefined,
  field = 'coordinates',
): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw);
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.values(v).every((m) => typeof m === 'string')
    ) {
      return v;
    }
  } catch {}
  throw new Invalid([{ field, message: 'must be a JSON object of strings', in: 'query' }], true);
}

export const toInput = (
  metricId: string,
  p: { date?: string; period_start?: string; period_end?: string },
  i: number,
) => ({
  metricId,
  periodStart: p.date ?? p.period_start,
  periodEnd: p.date ?? p.period_end,
  path: `data_points[${i}]`,
});
