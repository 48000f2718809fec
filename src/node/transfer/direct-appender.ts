// Sequential writes into a file through O_DIRECT, bypassing the page cache: used for the item files
// a recipient receives (item-write-worker.ts). On the KVM machine the benchmarks run on, copying
// into page-cache pages the guest has not used yet cost 1.8-2.0 s of kernel CPU per 500 MB, against
// about 0.1 s for the same writes through O_DIRECT (docs/PERFORMANCE.md, "Payload").
//
// O_DIRECT wants the memory, the file offset and the length aligned to the device's block size.
// Node hands out no aligned memory, but a WebAssembly.Memory is page-aligned: bytes are staged in
// one, written as whole aligned blocks as it fills, and `flush` writes the last partial block
// padded with zeros and cuts the file back to its real end (ftruncate). The next write rewrites
// that block with more bytes. A first write at an unaligned offset (a resumed transfer) reads the
// partial block before it back, through the ordinary descriptor. Where O_DIRECT is refused (the
// open, or a write: tmpfs, an odd block size) the appender writes through the ordinary descriptor,
// as every write did before; the bytes on disk are the same either way.
import { constants, ftruncate, open, read, write } from 'node:fs';
import { promisify } from 'node:util';
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { writeAllToDescriptor } from './durable-fs.js';

/** Offsets, lengths and memory of O_DIRECT I/O are multiples of this (4 KiB covers 512-byte disks). */
export const DIRECT_IO_ALIGN_BYTES = 4096;

const openAsync = promisify(open);
const writeAsync = promisify(write);
const readAsync = promisify(read);
const ftruncateAsync = promisify(ftruncate);

/** WebAssembly.Memory, which @types/node does not declare as a value. */
const WasmMemory = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly.Memory;
const WASM_PAGE_BYTES = 65_536;

/**
 * Stages given back by finished appenders, for the next ones (a thread writes at most two items
 * at once): a WebAssembly memory reserves a large range of address space, so they are reused
 * rather than made per item.
 */
const spareStages: Uint8Array[] = [];
const MAX_SPARE_STAGES = 2;

/** `byteLength` bytes of page-aligned memory (a WebAssembly memory's start is page-aligned). */
function alignedBytes(byteLength: number): Uint8Array {
  const memory = new WasmMemory({ initial: Math.ceil(byteLength / WASM_PAGE_BYTES) });
  return new Uint8Array(memory.buffer, 0, byteLength);
}

/**
 * Opens `file` (which must exist) for O_DIRECT writes; undefined where the file system refuses
 * O_DIRECT. The caller closes the descriptor.
 */
export async function openDirect(file: string): Promise<number | undefined> {
  try {
    return await openAsync(file, constants.O_WRONLY | constants.O_DIRECT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw error;
  }
}

function isDirectRefusal(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EINVAL';
}

/** A positional write of all of `bytes` (a short O_DIRECT write leaves an unaligned rest: EINVAL). */
async function writeWhole(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await writeAsync(fd, bytes, done, bytes.byteLength - done, position + done);
    assert(bytesWritten > 0, 'a write that wrote nothing');
    done += bytesWritten;
  }
}

export class DirectAppender {
  /** The ordinary descriptor: the fallback, and where a partial first block is read from. */
  readonly #fd: number;
  /** The O_DIRECT descriptor, or undefined once (or since) O_DIRECT was refused. */
  #directFd: number | undefined;
  #stage: Uint8Array | undefined;
  /** File offset of the stage's first byte (aligned), and how many bytes it holds. */
  #from = 0;
  #staged = 0;
  /** The offset the next write must start at; -1 before the first. */
  #next = -1;
  #released = false;

  constructor(fd: number, directFd: number | undefined) {
    this.#fd = fd;
    this.#directFd = directFd;
  }

  /** Whether writes still go through O_DIRECT (false on file systems that refuse it): for tests. */
  get direct(): boolean {
    return this.#directFd !== undefined;
  }

  /** Writes `pieces`, consecutive, at `offset`: where the previous write ended (any offset first). */
  async write(offset: number, pieces: readonly Uint8Array[]): Promise<void> {
    assert(!this.#released, 'a write after release');
    assert(this.#next === -1 || offset === this.#next, `append at ${offset}, expected ${this.#next}`);
    if (this.#next === -1 && this.#directFd !== undefined) await this.#begin(offset);
    let at = offset;
    for (const piece of pieces) {
      // Checked per piece: O_DIRECT may be refused in the middle of a write.
      if (this.#directFd === undefined) await writeAllToDescriptor(this.#fd, [piece], at);
      else await this.#stagePiece(piece);
      at += piece.byteLength;
    }
    this.#next = at;
  }

  /**
   * Puts every staged byte in the file (the partial last block padded, the file then cut back to
   * the real end), so a datasync of the file covers all that was written. The stage is kept: the
   * next write continues the partial block.
   */
  async flush(): Promise<void> {
    if (this.#directFd === undefined || this.#stage === undefined || this.#staged === 0) return;
    const stage = this.#stage;
    const whole = this.#staged - (this.#staged % DIRECT_IO_ALIGN_BYTES);
    const padded = whole === this.#staged ? whole : whole + DIRECT_IO_ALIGN_BYTES;
    stage.fill(0, this.#staged, padded);
    const wrote = await this.#writeDirect(stage.subarray(0, padded), this.#from);
    if (!wrote) return;
    if (padded !== this.#staged) await ftruncateAsync(this.#directFd, this.#from + this.#staged);
    // Whole blocks are final; the partial one stays staged for the next write.
    stage.copyWithin(0, whole, this.#staged);
    this.#from += whole;
    this.#staged -= whole;
  }

  /** Drops the stage after the last write's flush (the memory goes back with it); no write may follow. */
  release(): void {
    if (this.#stage !== undefined && spareStages.length < MAX_SPARE_STAGES) spareStages.push(this.#stage);
    this.#stage = undefined;
    this.#staged = 0;
    this.#released = true;
  }

  async #begin(offset: number): Promise<void> {
    this.#stage = spareStages.pop() ?? alignedBytes(LIMITS.directWriteStageBytes + DIRECT_IO_ALIGN_BYTES);
    this.#from = offset - (offset % DIRECT_IO_ALIGN_BYTES);
    this.#staged = offset - this.#from;
    // Resuming inside a block: its first bytes are on disk already, and are written again with it.
    for (let done = 0; done < this.#staged; ) {
      const { bytesRead } = await readAsync(
        this.#fd,
        this.#stage,
        done,
        this.#staged - done,
        this.#from + done,
      );
      assert(bytesRead > 0, `item file shorter than the ${offset} bytes written before`);
      done += bytesRead;
    }
  }

  async #stagePiece(piece: Uint8Array): Promise<void> {
    for (let done = 0; done < piece.byteLength; ) {
      const stage = this.#stage!;
      const take = Math.min(piece.byteLength - done, LIMITS.directWriteStageBytes - this.#staged);
      stage.set(piece.subarray(done, done + take), this.#staged);
      this.#staged += take;
      done += take;
      if (this.#staged === LIMITS.directWriteStageBytes) {
        if (!(await this.#writeDirect(stage.subarray(0, this.#staged), this.#from))) {
          // O_DIRECT refused: what was staged went through the ordinary descriptor, ending at
          // #from; the rest of the piece follows it there (write() takes the next pieces).
          await writeAllToDescriptor(this.#fd, [piece.subarray(done)], this.#from);
          return;
        }
        this.#from += this.#staged;
        this.#staged = 0;
      }
    }
  }

  /**
   * Writes staged bytes at `position` through O_DIRECT; false when O_DIRECT is refused, after
   * writing the real bytes (not the padding) through the ordinary descriptor instead and switching
   * to it for good.
   */
  async #writeDirect(bytes: Uint8Array, position: number): Promise<boolean> {
    try {
      await writeWhole(this.#directFd!, bytes, position);
      return true;
    } catch (error) {
      if (!isDirectRefusal(error)) throw error;
      this.#directFd = undefined;
      await writeAllToDescriptor(this.#fd, [this.#stage!.subarray(0, this.#staged)], this.#from);
      this.#from += this.#staged;
      this.#staged = 0;
      this.#stage = undefined;
      return false;
    }
  }
}
