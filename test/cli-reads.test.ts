import { beforeAll, describe, expect, it } from 'vitest';
import { seriesTable } from '../src/cli/series.ts';
import { changeText } from '../src/cli/summary.ts';
import { columns, periodLabel, signed, sparkline } from '../src/cli/text-output.ts';
import { useTestContext } from './helpers/app.ts';
import { kpihub } from './helpers/cli.ts';
import { engines } from './helpers/engines.ts';

// `kpihub series` and `kpihub summary` as a user runs them: child processes reading a real
// server over HTTP, on both engines (the rollups they read are the store's).

describe.each(engines())('kpihub series and summary [%s]', (engine) => {
  const ctx = useTestContext(engine);
  let url: string;
  let revenueId: string;
  let churnId: string;
  let datasetId: string;

  const post = async (path: string, payload: object) => {
    const res = await ctx().call(ctx().orgA.write, { method: 'POST', url: path, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const as = (key: string) => ({ KPIHUB_URL: url, KPIHUB_API_KEY: key });
  const read = (args: string[]) => kpihub(args, as(ctx().orgA.read));

  beforeAll(async () => {
    url = await ctx().app.listen({ host: '127.0.0.1', port: 0 });
    datasetId = (await post('/v1/datasets', { name: 'Board pack' })).id;
    revenueId = (
      await post('/v1/metrics', {
        name: 'Revenue',
        value_type: 'currency',
        unit: 'USD',
        dataset_id: datasetId,
      })
    ).id;
    churnId = (await post('/v1/metrics', { name: 'Churn', value_type: 'percentage', dataset_id: datasetId }))
      .id;
    const point = (date: string, value: string, region?: string) => ({
      date,
      value,
      ...(region ? { coordinates: { region } } : {}),
    });
    const put = async (data_points: object[]) => {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'PUT',
        url: `/v1/metrics/${revenueId}/data_points`,
        payload: { data_points },
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    // A point from before the metric had its dimension: in a breakdown, member null.
    await put([point('2024-01-15', '1')]);
    const patched = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/metrics/${revenueId}`,
      payload: { dimensions: [{ name: 'region' }] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await put([
      point('2024-01-15', '100', 'EU'),
      point('2024-01-15', '50', 'US'),
      point('2024-01-15', '10', 'APAC'),
      point('2024-02-10', '120', 'EU'),
      point('2024-02-10', '40', 'US'),
      point('2024-03-05', '90.5', 'EU'),
      point('2024-03-05', '60', 'US'),
      point('2024-03-05', '30', 'APAC'),
    ]);
  });

  it('prints a rollup as a table, and as the JSON the API answers', async () => {
    const r = await read(['series', '--metric', revenueId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'period     sum  count',
        '2024-01    161      4',
        '2024-02    160      2',
        '2024-03  180.5      3',
        '',
      ].join('\n'),
    );

    const q = await read([
      'series',
      '--metric',
      revenueId,
      '--granularity',
      'quarter',
      '--agg',
      'max',
      '--coordinate',
      'region=EU',
    ]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toBe('period   max  count\n2024-Q1  120      3\n');

    const json = await read(['series', '--metric', revenueId, '--from', '2024-02-01', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const served = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${revenueId}/series?from=2024-02-01`,
    });
    expect(JSON.parse(json.stdout)).toEqual(served.json());
    expect(JSON.parse(json.stdout).points).toEqual([
      { period_start: '2024-02-01', value: '160', count: 2 },
      { period_start: '2024-03-01', value: '180.5', count: 3 },
    ]);
  });

  it('breaks a series down by member, the members past --top in one "other" column', async () => {
    const r = await read(['series', '--metric', revenueId, '--group-by', 'region', '--top', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'period     EU  US  other (2)  all (sum)',
        '2024-01   100  50         11        161',
        '2024-02   120  40          -        160',
        '2024-03  90.5  60         30      180.5',
        '',
      ].join('\n'),
    );
    const all = await read(['series', '--metric', revenueId, '--group-by', 'region', '--to', '2024-01-31']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toBe('period    EU  US  APAC  (none)  all (sum)');

    const json = await read([
      'series',
      '--metric',
      revenueId,
      '--group-by',
      'region',
      '--top',
      '1',
      '--json',
    ]);
    const groups = JSON.parse(json.stdout).groups;
    expect(
      groups.map((g: { member: string | null; other: boolean; members: number; value: string }) => g),
    ).toEqual([
      expect.objectContaining({ member: 'EU', other: false, members: 1, value: '310.5' }),
      expect.objectContaining({ other: true, members: 3, value: '191' }),
    ]);
  });

  it('summarizes every metric of a dataset, one with data and one without', async () => {
    const r = await read(['summary', '--dataset', datasetId, '--periods', '4']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const revenue = lines.find((l) => l.startsWith('Revenue')) as string;
    expect(revenue).toMatch(
      /^Revenue {2}180\.5 USD {2}2024-03 {2}\+20\.5 \(\+12\.81%\) {3}▁▁█ {2}changed \d{4}-\d\d-\d\d \d\d:\d\dZ by \S+/,
    );
    // Four periods: the month before January has no data, a blank.
    expect(revenue).toContain('   ▁▁█  ');
    expect(lines.find((l) => l.startsWith('Churn'))).toMatch(/^Churn +no data$/);

    const json = await read(['summary', '--dataset', datasetId, '--json', '--agg', 'count']);
    expect(json.code, json.stderr).toBe(0);
    const items = JSON.parse(json.stdout);
    expect(items.map((i: { metric_id: string }) => i.metric_id).sort()).toEqual([revenueId, churnId].sort());
    const rev = items.find((i: { metric_id: string }) => i.metric_id === revenueId);
    expect(rev).toMatchObject({
      agg: 'count',
      granularity: 'month',
      latest: { period_start: '2024-03-01', value: '3', count: 3 },
      previous: { period_start: '2024-02-01', value: '2' },
      change: { absolute: '1', percent: '50' },
    });
    expect(items.find((i: { metric_id: string }) => i.metric_id === churnId)).toMatchObject({
      latest: null,
      change: null,
      sparkline: [],
    });
  });

  it("exits 1 with the server's problem for another organization's key or an unknown id", async () => {
    const [other, theirs, unknown, badGroup] = await Promise.all([
      kpihub(['series', '--metric', revenueId], as(ctx().orgB.admin)),
      kpihub(['summary', '--dataset', datasetId], as(ctx().orgB.admin)),
      read(['summary', '--dataset', '00000000-0000-4000-8000-000000000000']),
      read(['series', '--metric', revenueId, '--group-by', 'colour']),
    ]);
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('');
    expect(other.stderr).toMatch(/^kpihub: the server refused the series: 404 /);

    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toMatch(/^kpihub: the server refused the summary: 404 /);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^kpihub: the server refused the summary: 404 /);

    expect(badGroup.code).toBe(1);
    expect(badGroup.stderr).toMatch(/refused the series: 422 .*\n {2}group_by: must name a dimension/);
  });
});

describe('kpihub series and summary arguments', () => {
  it('exits 2 for arguments commander or the command rejects, before any request', async () => {
    const env = { KPIHUB_URL: 'http://127.0.0.1:1', KPIHUB_API_KEY: 'unused' };
    const argv = [
      ['series', '--metric', 'm', '--granularity', 'fortnight'],
      ['series', '--metric', 'm', '--top', '0'],
      ['summary', '--dataset', 'd', '--periods', 'x'],
    ];
    const results = await Promise.all(argv.map((args) => kpihub(args, env)));
    for (const [i, bad] of results.entries()) expect(bad.code, `${argv[i].join(' ')}: ${bad.stderr}`).toBe(2);
    const keyless = await kpihub(['summary', '--dataset', 'd'], { KPIHUB_URL: env.KPIHUB_URL });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('an API key is needed');
  });
});

describe('text output', () => {
  it('labels periods by granularity', () => {
    expect(periodLabel('2024-04-01', 'quarter')).toBe('2024-Q2');
    expect(periodLabel('2024-04-01', 'month')).toBe('2024-04');
    expect(periodLabel('2024-01-01', 'year')).toBe('2024');
    expect(periodLabel('2024-04-08', 'week')).toBe('2024-04-08');
  });

  it('signs changes, and leaves out a percent the server could not compute', () => {
    expect(signed('12.5')).toBe('+12.5');
    expect(signed('-3')).toBe('-3');
    expect(signed('0')).toBe('0');
    expect(changeText({ absolute: '12.5', percent: '3.2' })).toBe('+12.5 (+3.2%)');
    expect(changeText({ absolute: '-4', percent: null })).toBe('-4');
  });

  it('draws sparklines with gaps, a flat line half high, exact strings never rounded for display', () => {
    expect(sparkline(['1', '2', '3', '4', '5', '6', '7', '8'])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([null, '5', null, '5'])).toBe(' ▄ ▄');
    expect(sparkline([null, null])).toBe('  ');
    expect(sparkline(['hello', '1', '2'])).toBe(' ▁█');
    const big = '12345678901234567890.123456789';
    expect(
      seriesTable({
        granularity: 'day',
        agg: 'sum',
        points: [{ period_start: '2024-01-01', value: big, count: 1 }],
      })[1],
    ).toContain(big);
  });

  it('aligns columns by code point, without trailing blanks', () => {
    expect(
      columns(
        [
          ['Zürich', '1'],
          ['EU', '10'],
        ],
        ['left', 'right'],
      ),
    ).toEqual(['Zürich   1', 'EU      10']);
    expect(columns([['a', '']], ['left', 'left'])).toEqual(['a']);
  });
});
