// What a CLI command run in the test process writes to stdout, kept out of the test's own output.

/** What `run` writes to stdout, and what it threw, if anything. */
export async function stdoutOf(run: () => Promise<void>): Promise<{ text: string; error?: unknown }> {
  let text = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
    return { text };
  } catch (error) {
    return { text, error };
  } finally {
    process.stdout.write = write;
  }
}
