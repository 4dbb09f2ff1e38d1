// The errors part has no internals: its face inside Weft is its public face.
export * from './index.js';
