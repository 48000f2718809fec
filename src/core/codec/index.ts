export {
  type CborMap,
  type CborValue,
  compareTextKeys,
  decodeCanonical,
  encodeCanonical,
} from './canonical.js';
export { diagnoseNonCanonical } from './diagnose.js';
export * from './schema.js';
