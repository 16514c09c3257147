// The contract between bench/run.ts and its sections. A section measures one thing in
// the same run as its reference (the raw database, a bare route, a peer), so its ratios
// compare like with like on whatever machine runs it.

export interface BenchServer {
  url: string;
  /** An admin key of the server's default organization. */
  key: string;
  orgId: string;
  /** The server process, for the reliability scripts' RSS samples. */
  pid?: number;
  stop(): Promise<void>;
}

export interface BenchEnv {
  /** A scratch folder for this run (databases, generated files). */
  dir: string;
  /** Starts KPI Hub on a fresh SQLite file in `dir` (extra env settings may be given). */
  startServer(env?: Record<string, string>): Promise<BenchServer>;
  /** True when the run was asked to be quick (BENCH_QUICK=1): smaller sizes, same code paths. */
  quick: boolean;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export interface Ratio {
  name: string;
  value: number;
  /** The target the issue sets (the ratio must be at least this). */
  target?: number;
}

export interface BenchSection {
  title: string;
  figures: Figure[];
  ratios: Ratio[];
  notes?: string[];
}
