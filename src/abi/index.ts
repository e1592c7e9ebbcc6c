// The preview1 schema: names, type layouts and function definitions.
export * from './names.js';
export * from './errno.js';
export * from './types.js';
export * from './functions.js';
export * from './fd-effects.js';
