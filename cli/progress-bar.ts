// A progress bar for long commands (chain verify, chain export): drawn on stderr only when it is a
// terminal, so scripts and logs see none of it, and redrawn at most ten times a second.

/** Where the bar is drawn; process.stderr by default. */
export interface ProgressTerminal {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Clears the bar's line, if one was drawn. */
  end(): void;
}

const WIDTH_CHARS = 30;
const REDRAW_INTERVAL_MS = 100;

export function progressBar(
  label: string,
  terminal: ProgressTerminal = process.stderr,
  nowMs: () => number = () => performance.now(),
): ProgressBar {
  if (!terminal.isTTY) return { update() {}, end() {} };
  let lastDrawMs = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total) {
      const now = nowMs();
      // The last step is always drawn, so the bar never stops short of full.
      if (done < total && now - lastDrawMs < REDRAW_INTERVAL_MS) return;
      lastDrawMs = now;
      const filled = total === 0 ? WIDTH_CHARS : Math.round((done / total) * WIDTH_CHARS);
      terminal.write(
        `\r${label} [${'#'.repeat(filled)}${' '.repeat(WIDTH_CHARS - filled)}] ${done}/${total}`,
      );
      drawn = true;
    },
    end() {
      if (drawn) terminal.write('\r\u001b[2K');
    },
  };
}
