export { allVerified, countVerified, isVerified } from './bitmap.js';
export type { SignatureCheck } from './signature-check.js';
export { DEFAULT_BATCH_ITEMS, VerifyPool, type VerifyPoolOptions } from './verify-pool.js';
export { startModuleWorker } from './worker-script.js';
