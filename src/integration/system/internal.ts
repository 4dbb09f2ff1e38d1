// The system kit's face inside Weft: the public face, and what the composition root uses.
export * from './index.js';
export { SystemHandle } from './system-handle.js';
export { Systems } from './systems.js';
export type { SystemsParts } from './systems.js';
