// The node's own configuration file (node.json) and the startup identity check.
export * from './identity.js';
export * from './node-config.js';
