/** A group of benchmark tasks measured in one run, and the ratios to print between them. */
export interface BenchSuite {
  readonly name: string;
  /** An asynchronous task must be an `async` function: tinybench awaits only those. */
  readonly tasks: Readonly<Record<string, () => unknown>>;
  readonly ratios: ReadonlyArray<{
    readonly label: string;
    /** Task measured (ratio = its mean latency / the baseline's; for throughput ratios, list the peer as task). */
    readonly task: string;
    /** Task it is compared with. */
    readonly baseline: string;
    /** Highest acceptable ratio of mean latencies, when the issue sets one. */
    readonly target?: number;
    /** Lowest acceptable ratio, for targets stated as "at least" (throughput relative to a peer). */
    readonly atLeast?: number;
  }>;
  /** Runs the measurement inside something the tasks need (a request context); default: as is. */
  around?<T>(run: () => Promise<T>): Promise<T>;
  /**
   * Rounds and time per task per round, when the suite needs other than the run's: a peer whose
   * speed swings (a database server's flushes) is compared over many short rounds in alternating order.
   */
  readonly rounds?: { readonly count: number; readonly timeMs: number };
  /** Figures of its own to print after the ratios (latency percentiles). */
  report?(): string;
  close(): Promise<void>;
}

/**
 * A suite measured under load rather than call by call (HTTP over a socket, with autocannon): it runs its
 * peers itself and reports its own table.
 */
export interface LoadSuite {
  readonly name: string;
  /** The report in Markdown, and how many targets it missed. */
  run(): Promise<{ readonly report: string; readonly missed: number }>;
  close(): Promise<void>;
}
