// Progress of the jobs running in this process. A job's counters reach its row with each
// lease renewal, but on SQLite a file import's open write transaction holds the only
// writer, so the row cannot change until the commit. An in-process worker (npm start)
// also keeps them here, and status reads in the same process show them live.

const live = new Map<string, string>();

export function setLiveProgress(jobId: string, progressJson: string): void {
  live.set(jobId, progressJson);
}

export function clearLiveProgress(jobId: string): void {
  live.delete(jobId);
}

/** The row with this process's fresher progress, while the job runs here. */
export function withLiveProgress<T extends { id: string; status: string; progress: string | null }>(
  row: T,
): T {
  const json = row.status === 'running' ? live.get(row.id) : undefined;
  return json === undefined ? row : { ...row, progress: json };
}
