/**
 * Progress for long work: a bar with rate and ETA on a TTY, a plain line every few seconds when
 * not (logs, CI). Writes to stderr so stdout stays clean for data (`dlth stream`).
 */
export interface ProgressOptions {
  label: string;
  /** Total units, when known (enables percentage and ETA). */
  total?: number;
  unit?: string;
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines when not a TTY. */
  intervalSec?: number;
  /** Silence everything (tests, library use). */
  quiet?: boolean;
}

export interface Progress {
  tick(n?: number, note?: string): void;
  done(note?: string): void;
  readonly count: number;
}

export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '-';
  return perSec >= 100 ? perSec.toFixed(0) : perSec >= 10 ? perSec.toFixed(1) : perSec.toFixed(2);
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const mm = String(m).padStart(2, '0');
  const sss = String(ss).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${sss}` : `${mm}:${sss}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const quiet = options.quiet ?? process.env.DLTH_QUIET === '1';
  // DLTH_STDERR_TTY: set by the CLI's quiet filter (cli/quiet.ts) for a child whose stderr is a pipe to a terminal.
  const tty = Boolean(stream.isTTY) || (stream === process.stderr && process.env.DLTH_STDERR_TTY === '1');
  const unit = options.unit ?? 'it';
  const intervalMs = (options.intervalSec ?? 5) * 1000;
  const start = performance.now();
  let count = 0;
  let lastDraw = 0;
  let lastNote = '';

  const line = (final: boolean): string => {
    const elapsed = (performance.now() - start) / 1000;
    const rate = elapsed > 0 ? count / elapsed : 0;
    const parts = [options.label];
    if (options.total !== undefined && options.total > 0) {
      const frac = Math.min(1, count / options.total);
      if (tty) {
        const width = 24;
        const filled = Math.round(frac * width);
        parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      }
      parts.push(`${count}/${options.total} (${(frac * 100).toFixed(1)}%)`);
      parts.push(`${formatRate(rate)} ${unit}/s`);
      parts.push(final ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration((options.total - count) / rate)}`);
    } else {
      parts.push(`${count} ${unit}`, `${formatRate(rate)} ${unit}/s`, formatDuration(elapsed));
    }
    if (lastNote) parts.push(lastNote);
    return parts.join('  ');
  };

  const draw = (final: boolean): void => {
    if (quiet) return;
    if (tty) stream.write(`\r\x1b[K${line(final)}${final ? '\n' : ''}`);
    else stream.write(`${line(final)}\n`);
  };

  return {
    get count() {
      return count;
    },
    tick(n = 1, note?: string) {
      count += n;
      if (note !== undefined) lastNote = note;
      const now = performance.now();
      if (now - lastDraw >= (tty ? 100 : intervalMs)) {
        lastDraw = now;
        draw(false);
      }
    },
    done(note?: string) {
      if (note !== undefined) lastNote = note;
      draw(true);
    },
  };
}
