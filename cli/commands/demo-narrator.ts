// The demo's narration (cli/commands/demo-run.ts): each step's title stamped with the time since
// the demo began, indented lines under it, and each step's duration kept for the summary. With
// --json it goes to stderr, so stdout carries the summary alone.
export class Narrator {
  readonly #startMs = performance.now();
  readonly #write: (text: string) => void;
  #stepMs = performance.now();
  readonly timingsMs: Record<string, number> = {};

  constructor(toStderr: boolean) {
    this.#write = toStderr ? (text) => process.stderr.write(text) : (text) => process.stdout.write(text);
  }

  #stamp(): string {
    return `[${((performance.now() - this.#startMs) / 1000).toFixed(1).padStart(6)}s]`;
  }

  step(title: string): void {
    this.#stepMs = performance.now();
    this.#write(`\n${this.#stamp()} ${title}\n`);
  }

  say(text: string): void {
    this.#write(`${' '.repeat(10)}${text}\n`);
  }

  done(name: string): number {
    const ms = Math.round(performance.now() - this.#stepMs);
    this.timingsMs[name] = ms;
    return ms;
  }

  raw(text: string): void {
    this.#write(text);
  }
}
