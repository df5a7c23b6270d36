/** Public API of the tickets stage. */
export { materialize, ERRORS_FILE, type MaterializeOptions, type MaterializeResult } from './materialize.js';
export { resolveK, ticketMeta, type KeepSpec, type TicketMetaInput } from './meta.js';
export { ScoreCursor } from './scorecursor.js';
export * from './policies/index.js';
