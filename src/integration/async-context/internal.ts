// Inside Weft only: the slots the parts carry their context in (the unit of work's transaction, the state store's,
// the running command, the monitoring context).
export { ContextSlot } from './context-slot.js';
