import type { FieldIssue } from './errors.ts';
import { issueIndex } from './job-issues.ts';
import type { JobRecord as JobRow, JobStatus } from './job-types.ts';

// A job as the native API and the webhook events show it (snake_case, like all of /v1).

export interface ImportError {
  /** 0-based index of the item in the request's list, when the payload is a list. */
  index: number | null;
  /** 1-based line of the file, when the payload is a file. */
  line: number | null;
  field: string;
  column: string | null;
  reason: string;
}

export interface ImportView {
  id: string;
  kind: string;
  status: JobStatus;
  received: number;
  applied: number;
  rejected: number;
  errors: ImportError[];
  progress: Record<string, number> | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  /** From the first start to the end, in ms. */
  duration_ms: number | null;
  created_by: string | null;
  result: Record<string, unknown> | null;
  /** Where the written data can be read, when the job completed. */
  result_url: string | null;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function jobIssues(row: JobRow): FieldIssue[] {
  return parse<FieldIssue[]>(row.errors) ?? [];
}

export function jobResult(row: JobRow): Record<string, unknown> | null {
  return parse<Record<string, unknown>>(row.result);
}

export function toImportView(row: JobRow): ImportView {
  const result = jobResult(row);
  const url = row.status === 'completed' && typeof result?.url === 'string' ? result.url : null;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status as JobStatus,
    received: Number(row.received),
    applied: Number(row.applied),
    rejected: Number(row.rejected),
    errors: jobIssues(row).map((i) => ({
      index: i.line === undefined ? (issueIndex(i) ?? null) : null,
      line: i.line ?? null,
      field: i.field,
      column: i.column ?? null,
      reason: i.message,
    })),
    progress: parse<Record<string, number>>(row.progress),
    attempts: Number(row.attempts),
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    updated_at: row.updated_at,
    duration_ms:
      row.started_at && row.finished_at ? Date.parse(row.finished_at) - Date.parse(row.started_at) : null,
    created_by: row.created_by,
    result,
    result_url: url,
  };
}
