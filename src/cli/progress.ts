/**
 * A small progress bar. On a terminal it redraws one line in place; elsewhere (pipes, CI, tests)
 * it writes a plain line only when the count moves by a tenth of the total (or, with no total
 * known yet, when the count changes), so logs stay short and readable.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private done = 0;
  private total: number | null = null;
  private lastPlain = -1;
  private lastStep = -1;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly out: ProgressStream,
    private readonly label: string,
    private readonly unit: string,
    private readonly width = 30,
  ) {}

  /** `total` null: not known yet (a sync run learns its total only as it goes). */
  update(done: number, total: number | null, note = ""): void {
    if (this.finished) return;
    this.done = done;
    this.total = total;
    if (this.out.isTTY) {
      this.out.write(`\r${this.line(note)}\x1b[K`);
      this.drawn = true;
      return;
    }
    if (total && total > 0) {
      const step = Math.floor((done / total) * 10);
      if (step === this.lastStep && done !== total) return;
      this.lastStep = step;
    } else if (done === this.lastPlain) {
      return;
    }
    this.lastPlain = done;
    this.out.write(`${this.line(note)}\n`);
  }

  /** Ends the bar's line; later output starts on a fresh line. */
  stop(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.out.isTTY && this.drawn) this.out.write("\n");
  }

  line(note = ""): string {
    const { done, total } = this;
    const suffix = note ? ` ${note}` : "";
    if (total === null || total <= 0) {
      return `${this.label} [${"·".repeat(this.width)}] ${done} ${this.unit}${suffix}`;
    }
    const ratio = Math.min(1, done / total);
    const filled = Math.round(ratio * this.width);
    const pct = String(Math.floor(ratio * 100)).padStart(3);
    return `${this.label} [${"█".repeat(filled)}${"░".repeat(this.width - filled)}] ${pct}% ${done}/${total} ${this.unit}${suffix}`;
  }
}
