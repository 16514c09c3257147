import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypesSource } from '../../scripts/client-source.ts';

// The API types (the dashboard's and the CLI's) are generated from the app's OpenAPI document and committed; a
// route whose schema changed without `npm run gen:client` fails here, naming the command.

describe('the generated API client types', () => {
  it(`are what npm run gen:client makes from the current OpenAPI document (${CLIENT_TYPES_PATH})`, async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    const fresh = await clientTypesSource();
    expect(committed === fresh, `${CLIENT_TYPES_PATH} is stale: run npm run gen:client`).toBe(true);
    // The document's operations are there, by operationId.
    expect(fresh).toContain('getMetricSeries: {');
    expect(fresh).toContain('getDatasetSummary: {');
  });
});
