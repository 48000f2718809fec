// Preloaded into a test node's process (`node --import`, test/helpers/network.ts clockOffsetsMs):
// its wall clock, Date.now, runs the number of milliseconds in the file named by
// BAYLEDGER_TEST_CLOCK_OFFSET_FILE off the machine's. The file is read again every 50 ms, so a test
// can step a running node's clock as NTP or an operator would. Date.now is what the node reads as
// its wall clock (src/node/clock.ts); monotonic time (performance.now, timers) is left alone, as a
// real step of the system clock leaves it. Plain JavaScript: it runs inside the built node.
import { readFileSync } from 'node:fs';

const file = process.env.BAYLEDGER_TEST_CLOCK_OFFSET_FILE;
if (file === undefined) throw new Error('skewed-clock.mjs needs BAYLEDGER_TEST_CLOCK_OFFSET_FILE');
const machineNow = Date.now.bind(Date);
let offsetMs = 0;

// The test replaces the file by renaming a new one over it, so a read sees the old or the new.
function readOffset() {
  const value = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isSafeInteger(value)) throw new Error(`${file}: not a whole number of milliseconds`);
  offsetMs = value;
}

readOffset();
// A failed re-read keeps the offset in force (the test network removes its folder only after
// stopping its nodes); thrown from a timer, it would end the node instead.
setInterval(() => {
  try {
    readOffset();
  } catch {}
}, 50).unref();
Date.now = () => machineNow() + offsetMs;
