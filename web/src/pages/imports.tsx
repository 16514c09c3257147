import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, problemText, type Schemas } from '../api/client';
import { actorLabel, formatDateTime, formatDuration } from '../format';

type Job = Schemas['Import'];
type JobError = Schemas['ImportError'];

// Every job of the organization (native imports, Workiva operations, AchieveIt files), and
// a CSV upload: map its columns, dry-run it, import it; running jobs are polled until done.

const POLL_MS = 1000;
const running = (j: Job) => j.status === 'queued' || j.status === 'running';

/** The fields a CSV column can be mapped to (POST /v1/imports `mapping`). */
const FIELDS = [
  ['metric', 'Metric'],
  ['date', 'Date (or period start)'],
  ['period_end', 'Period end'],
  ['value', 'Value'],
  ['notes', 'Notes'],
  ['status', 'Status'],
] as const;
type Field = (typeof FIELDS)[number][0];

function guess(columns: string[], field: Field): string {
  const names: Record<Field, string[]> = {
    metric: ['metric_id', 'metric_external_id', 'metric', 'external_id'],
    date: ['date', 'period_start', 'as_of', 'day'],
    period_end: ['period_end'],
    value: ['value', 'amount'],
    notes: ['notes', 'note', 'comment'],
    status: ['status'],
  };
  return columns.find((c) => names[field].includes(c.trim().toLowerCase())) ?? '';
}

function Progress(props: { job: Job }) {
  const j = props.job;
  const read = j.progress?.read ?? j.received;
  const applied = j.progress?.applied ?? j.applied;
  const total = j.received || read;
  return (
    <span class="progress-cell">
      {running(j) && total > 0 && <progress max={total} value={applied} aria-label="Rows applied" />}
      <span data-testid="job-counts">
        {read} read · {applied} applied{j.rejected ? ` · ${j.rejected} rejected` : ''}
      </span>
    </span>
  );
}

export function JobErrors(props: { errors: JobError[]; limit?: number }) {
  const shown = props.errors.slice(0, props.limit ?? 100);
  return (
    <div class="table-wrap">
      <table class="job-errors">
        <caption class="sr-only">Errors</caption>
        <thead>
          <tr>
            <th>Line</th>
            <th>Column</th>
            <th>Field</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e, i) => (
            <tr key={i}>
              <td data-testid="error-line">{e.line ?? (e.index !== null ? `item ${e.index}` : '—')}</td>
              <td data-testid="error-column">{e.column ?? '—'}</td>
              <td>{e.field}</td>
              <td>{e.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.errors.length > shown.length && (
        <p class="muted">and {props.errors.length - shown.length} more</p>
      )}
    </div>
  );
}

function Upload(props: { onJob(job: Job): void; followed: Job | null }) {
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [mapping, setMapping] = useState<Record<Field, string>>({} as Record<Field, string>);
  const [byExternal, setByExternal] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dry, setDry] = useState(false);

  const choose = async (f: File | null) => {
    setFile(f);
    setError(null);
    if (!f) return;
    // The header row only: the file itself is read by the server.
    const head = (await f.slice(0, 64 * 1024).text()).split(/\r?\n/)[0] ?? '';
    const cols = head.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    setColumns(cols);
    const m = Object.fromEntries(FIELDS.map(([k]) => [k, guess(cols, k)])) as Record<Field, string>;
    setMapping(m);
    setByExternal(/external/i.test(m.metric));
  };

  const send = async (dryRun: boolean) => {
    if (!file) return;
    setError(null);
    const map: Record<string, string> = {};
    if (mapping.metric) map[byExternal ? 'metric_external_id' : 'metric_id'] = mapping.metric;
    if (mapping.date) map[mapping.period_end ? 'period_start' : 'date'] = mapping.date;
    for (const k of ['period_end', 'value', 'notes', 'status'] as const) if (mapping[k]) map[k] = mapping[k];
    const form = new FormData();
    form.set('format', 'csv');
    form.set('dry_run', String(dryRun));
    form.set('mapping', JSON.stringify(map));
    form.set('file', file, file.name);
    const { data, error: problem } = await api.POST('/v1/imports', {
      // A multipart body: the browser writes it (and its boundary) from the FormData.
      body: form as never,
      bodySerializer: (b: unknown) => b as FormData,
    });
    setDry(dryRun);
    if (data) props.onJob(data);
    else setError(problemText(problem));
  };

  const f = props.followed;
  return (
    <section class="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Import a CSV file</h2>
      <label>
        CSV file
        <input
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => choose(e.currentTarget.files?.[0] ?? null)}
        />
      </label>
      {file && columns.length > 0 && (
        <form class="mapping" onSubmit={(e) => e.preventDefault()} aria-label="Column mapping">
          <fieldset>
            <legend>Which column holds each field</legend>
            {FIELDS.map(([k, label]) => (
              <label key={k}>
                {label}
                <select
                  name={k}
                  value={mapping[k]}
                  onChange={(e) => setMapping({ ...mapping, [k]: e.currentTarget.value })}
                >
                  <option value="">(none)</option>
                  {columns.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
            ))}
            <label class="check">
              <input
                type="checkbox"
                checked={byExternal}
                onChange={(e) => setByExternal(e.currentTarget.checked)}
              />
              The metric column holds external ids
            </label>
          </fieldset>
          <button type="button" class="secondary" onClick={() => send(true)}>
            Dry run
          </button>
          <button type="button" onClick={() => send(false)}>
            Import
          </button>
        </form>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {f && (
        <div class="followed" aria-live="polite" data-testid="followed-job" data-status={f.status}>
          <p>
            {dry ? 'Dry run' : 'Import'} <strong data-testid="followed-status">{f.status}</strong>:{' '}
            <Progress job={f} />
            {f.duration_ms !== null && ` in ${formatDuration(f.duration_ms)}`}
          </p>
          {f.errors.length > 0 && <JobErrors errors={f.errors} limit={20} />}
        </div>
      )}
    </section>
  );
}

export function ImportsPage() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [followed, setFollowed] = useState<Job | null>(null);
  const [tick, setTick] = useState(0);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    let live = true;
    (async () => {
      const { data, error: problem } = await api.GET('/v1/imports', { params: { query: { limit: 50 } } });
      if (!live) return;
      if (!data) return setError(problemText(problem));
      setJobs(data.items);
      let again = data.items.some(running);
      if (followed) {
        const { data: job } = await api.GET('/v1/imports/{id}', { params: { path: { id: followed.id } } });
        if (!live) return;
        if (job) setFollowed(job);
        again ||= !job || running(job);
      }
      // Live progress: ask again while anything runs.
      if (again) timer.current = setTimeout(() => setTick((t) => t + 1), POLL_MS) as unknown as number;
    })();
    return () => {
      live = false;
      clearTimeout(timer.current);
    };
  }, [tick, followed?.id]);

  return (
    <section>
      <h1>Imports</h1>
      <Upload followed={followed} onJob={(job) => setFollowed(job)} />
      <h2>Jobs</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!jobs ? (
        <p class="loading">Loading…</p>
      ) : jobs.length === 0 ? (
        <p class="muted">No jobs yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="jobs">
            <thead>
              <tr>
                <th>Started</th>
                <th>Kind</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Duration</th>
                <th>By</th>
                <th>
                  <span class="sr-only">Errors</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <Fragment key={j.id}>
                  <tr data-job-id={j.id}>
                    <td>{formatDateTime(j.created_at)}</td>
                    <td>{j.kind}</td>
                    <td>
                      <span class={`status ${j.status}`}>{j.status}</span>
                    </td>
                    <td>
                      <Progress job={j} />
                    </td>
                    <td>{formatDuration(j.duration_ms)}</td>
                    <td title={j.created_by ?? undefined}>{actorLabel(j.created_by)}</td>
                    <td>
                      {j.errors.length > 0 && (
                        <button
                          type="button"
                          class="secondary"
                          aria-expanded={open === j.id}
                          onClick={() => setOpen(open === j.id ? null : j.id)}
                        >
                          {j.errors.length} error{j.errors.length === 1 ? '' : 's'}
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === j.id && (
                    <tr>
                      <td colSpan={7}>
                        <JobErrors errors={j.errors} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
