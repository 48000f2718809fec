// What a CLI command run in the test process writes to stdout and stderr, kept out of the test's
// own output.

export interface CapturedOutput<T> {
  readonly stdout: string;
  readonly stderr: string;
  /** What `run` resolved with, when it did. */
  readonly value?: T;
  /** What `run` threw, when it did. */
  readonly error?: unknown;
}

export async function outputOf<T>(run: () => Promise<T>): Promise<CapturedOutput<T>> {
  const written = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].write = ((chunk: string | Uint8Array) => {
      written[name] += String(chunk);
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    // Awaited before `written` is copied, which an object literal would do first.
    const value = await run();
    return { ...written, value };
  } catch (error) {
    return { ...written, error };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}
