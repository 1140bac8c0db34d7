/**
 * A progress line on stderr with rate and ETA. It redraws in place on a terminal and prints a plain line
 * at most every few seconds otherwise (CI logs), and stays silent when `quiet`.
 */
export interface ProgressOptions {
  label: string;
  unit: string;
  total?: number;
  /** Work already done before this process started (a resumed job): counted in the total, not in the rate. */
  startAt?: number;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private extra = '';

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  setTotal(total: number | undefined): void {
    this.options.total = total;
  }

  update(done: number, extra = ''): void {
    this.done = done;
    this.extra = extra;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 100 : 5000)) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  finish(extra = ''): void {
    this.extra = extra || this.extra;
    this.draw(true);
  }

  private draw(final: boolean): void {
    if (this.options.quiet) return;
    const seconds = (Date.now() - this.start) / 1000;
    const rate = seconds > 0 ? (this.done - (this.options.startAt ?? 0)) / seconds : 0;
    const { total, label, unit } = this.options;
    let text = `${label}: ${formatCount(this.done)}`;
    if (total !== undefined && total > 0) {
      const fraction = Math.min(1, this.done / total);
      text += `/${formatCount(total)} ${unit} (${(fraction * 100).toFixed(1)}%)`;
      if (!final && rate > 0) text += ` ETA ${formatDuration((total - this.done) / rate)}`;
    } else {
      text += ` ${unit}`;
    }
    text += ` ${formatCount(rate)} ${unit}/s`;
    if (final) text += ` in ${formatDuration(seconds)}`;
    if (this.extra) text += ` ${this.extra}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else this.stream.write(`${text}\n`);
  }
}

export function formatCount(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
