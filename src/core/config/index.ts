// Network configuration (design sections 1, 5, 7, 8): the genesis file and templates, their
// JSON forms, schemas with file-and-field errors, hashes, and lookups.
export * from './config-error.js';
export * from './consensus-schema.js';
export * from './genesis.js';
export * from './genesis-hash.js';
export * from './genesis-json.js';
export * from './genesis-schema.js';
export * from './json-fields.js';
export * from './json-text.js';
export * from './network-checks.js';
export * from './network-file.js';
export * from './policy-schema.js';
export * from './template.js';
export * from './validators.js';
