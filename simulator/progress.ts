/** A one-line progress bar for long runs; drawn only on a terminal so logs and pipes stay clean. */

const WIDTH = 30;
const REDRAW_MS = 100;

export interface ProgressBar {
  /** `fraction` done (0–1), with a short note such as a row count. */
  update(fraction: number, note: string): void;
  /** Clears the line. */
  done(): void;
}

/** A bar on `stream`, or null when the stream is not a terminal. */
export function terminalProgressBar(
  stream: NodeJS.WriteStream,
  now: () => number = Date.now,
): ProgressBar | null {
  if (!stream.isTTY) return null;
  const started = now();
  let drawn = Number.NEGATIVE_INFINITY;
  return {
    update(fraction, note) {
      const time = now();
      if (time - drawn < REDRAW_MS && fraction < 1) return;
      drawn = time;
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
      const elapsed = ((time - started) / 1000).toFixed(1);
      stream.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${note}  ${elapsed} s `,
      );
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
