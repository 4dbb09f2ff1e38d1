/** A warning or error line kept for operators: what failed, without shipping logs anywhere. */
export interface RecentLine {
  /** ISO time. */
  readonly time: string;
  readonly level: 'warn' | 'error' | 'fatal';
  readonly msg: string;
  readonly system?: string;
  readonly correlationId?: string;
  /** The message of the logged error, when there is one. */
  readonly error?: string;
}

/** Longer messages are cut: one line must not hold a request body's worth of memory. */
const MAX_TEXT = 1000;

/**
 * The latest warning and error lines, at most `size`, kept per system: when full, the oldest line of
 * the system holding the most goes. A flood from one system (request errors) pushes out its own
 * lines, and others' only down to an equal share, never all of them.
 */
export class RecentLines {
  readonly #size: number;
  readonly #bySystem = new Map<string, Array<{ readonly seq: number; readonly line: RecentLine }>>();
  #count = 0;
  #seq = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** Keeps a line, dropping the oldest of the largest system's lines when the ring is full. */
  push(line: RecentLine): void {
    const kept: RecentLine = {
      ...line,
      msg: cut(line.msg),
      ...(line.error === undefined ? {} : { error: cut(line.error) }),
    };
    const key = line.system ?? '';
    let lines = this.#bySystem.get(key);
    if (lines === undefined) {
      lines = [];
      this.#bySystem.set(key, lines);
    }
    lines.push({ seq: this.#seq++, line: kept });
    this.#count++;
    if (this.#count > this.#size) this.#evict();
  }

  /** Every kept line, oldest first. */
  lines(): RecentLine[] {
    return [...this.#bySystem.values()]
      .flat()
      .sort((a, b) => a.seq - b.seq)
      .map((entry) => entry.line);
  }

  #evict(): void {
    // Only when full, and over a handful of systems: a scan is cheaper than keeping an ordered index.
    let largest: { key: string; length: number; oldest: number } | undefined;
    for (const [key, lines] of this.#bySystem) {
      const oldest = lines[0]?.seq ?? Infinity;
      if (
        largest === undefined ||
        lines.length > largest.length ||
        (lines.length === largest.length && oldest < largest.oldest)
      ) {
        largest = { key, length: lines.length, oldest };
      }
    }
    if (largest === undefined) return;
    const lines = this.#bySystem.get(largest.key);
    lines?.shift();
    if (lines?.length === 0) this.#bySystem.delete(largest.key);
    this.#count--;
  }
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
