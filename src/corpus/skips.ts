import { UserError } from '../util/errors.ts';
import type { SkipEvent, SkipReason } from './types.ts';

/**
 * Counts what the readers skip, warns about each (up to a limit per reason, so a broken file does not
 * flood the terminal), and in strict mode turns the first skip into an error.
 */
export class SkipLog {
  readonly counts = new Map<SkipReason, number>();
  private readonly warned = new Map<SkipReason, number>();
  constructor(
    private readonly options: { strict?: boolean; warn?: (message: string) => void; maxWarningsPerReason?: number } = {},
  ) {}

  skip(event: SkipEvent): void {
    const where = event.line !== undefined ? `${event.file}:${event.line}` : event.file;
    if (this.options.strict) {
      throw new UserError(`${where}: ${event.reason}: ${event.detail}`, {
        hint: 'fix the input, or drop --strict to skip such records with a warning',
      });
    }
    this.counts.set(event.reason, (this.counts.get(event.reason) ?? 0) + 1);
    const shown = this.warned.get(event.reason) ?? 0;
    const max = this.options.maxWarningsPerReason ?? 10;
    if (shown < max) {
      this.options.warn?.(`warning: ${where}: skipped (${event.reason}): ${event.detail}`);
    } else if (shown === max) {
      this.options.warn?.(`warning: further '${event.reason}' skips are counted but not shown`);
    }
    this.warned.set(event.reason, shown + 1);
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  summary(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
