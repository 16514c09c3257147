import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestContext } from './app.ts';

/** The seed's body parameter example, with its dimension key replaced by a real dimension id. */
export function seedBody(dimensionId: string) {
  return {
    data: [
      {
        coordinates: { [dimensionId]: 'Ames, IA' },
        dataSource: {
          connectionType: 'spreadsheetCell',
          spreadsheetCellConnection: {
            cell: 'A1',
            sheet: '576696e0f7a143b4a0bc7c20a34480ab',
            spreadsheet: '7a5e271acf1d49d480a6fbabc394a0fa',
          },
        },
        fieldsToClear: ['notes'],
        id: 'bf9aa2c3-f278-4c77-8acb-97584e843dcd',
        notes: 'metric value notes',
        reportingPeriod: { end: 12, start: 1, year: 2024 },
        status: 'complete',
        task: 'VGFMDU1MmJiOGEwZDVjZWYzNDlVhZDWU5Y2jYzY3zax5iMg',
        value: '512.8768743',
      },
    ],
  };
}

export interface Program {
  programId: string;
  metricId: string;
  dimensionId: string;
  /** Another metric of the same program. */
  otherMetricId: string;
}

/** A dataset (Workiva program) with a number metric that has one dimension, made natively. */
export async function createProgram(ctx: TestContext, key: string): Promise<Program> {
  const res = await ctx.call(key, {
    method: 'POST',
    url: '/v1/datasets',
    payload: {
      name: `Sustainability ${Math.random()}`,
      metrics: [
        { name: 'Energy', value_type: 'number', dimensions: [{ name: 'Facility' }] },
        { name: 'Water', value_type: 'number' },
      ],
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return {
    programId: body.id,
    metricId: body.metrics[0].id,
    dimensionId: body.metrics[0].dimensions[0].id,
    otherMetricId: body.metrics[1].id,
  };
}

export const valuesUrl = (p: { programId: string; metricId: string }) =>
  `/prototype/platform/programs/${p.programId}/metrics/${p.metricId}/values`;

/** Asserts a Workiva error body and returns it. */
export function expectWorkivaError(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(Object.keys(body).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  return body as {
    code: string;
    message: string;
    details?: { code: string; message: string; target: string }[];
  };
}

/** The operation path from a 202's Location header. */
export function operationPathOf(res: LightMyRequestResponse): string {
  const location = String(res.headers.location);
  const m = /^https?:\/\/[^/]+(\/prototype\/platform\/operations\/[0-9a-f-]{36})$/.exec(location);
  expect(m, location).not.toBeNull();
  return (m as RegExpExecArray)[1];
}
