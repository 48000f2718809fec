// Network configuration (design sections 1, 5, 7, 8): the genesis file, its JSON form and
// hashes, and lookups over it.
export * from './genesis.js';
export * from './genesis-hash.js';
export * from './genesis-json.js';
export * from './validators.js';
