// Key files and other owner-only secret files (the shell: I/O and randomness live here).
export * from './key-file.js';
export * from './secret-file.js';
