// Messages between the pool and its workers. Both buffers are transferred, never copied.

/** Pool -> worker: verify this packed batch (see packed-batch.ts). */
export interface VerifyRequest {
  readonly batchId: number;
  readonly packed: ArrayBuffer;
}

/** Worker -> pool: the result bitmap of that batch (see bitmap.ts). */
export interface VerifyReply {
  readonly kind: 'verified';
  readonly batchId: number;
  readonly bitmap: ArrayBuffer;
}

/** Worker -> pool, once: the worker's module is loaded and listening. */
export interface WorkerReady {
  readonly kind: 'ready';
}

export type WorkerMessage = VerifyReply | WorkerReady;
