import { InterruptedError } from './errors.js';

/**
 * Cooperative cancellation for long stages. The CLI wires SIGINT/SIGTERM to `requestStop`;
 * stages call `throwIfStopped()` between units of work. Library users may pass their own signal.
 */
const controller = new AbortController();

export const stopSignal: AbortSignal = controller.signal;

export function requestStop(reason: string): void {
  if (!controller.signal.aborted) controller.abort(reason);
}

export function throwIfStopped(signal: AbortSignal = stopSignal): void {
  if (signal.aborted) {
    throw new InterruptedError(`stopped (${String(signal.reason)}); finished work is kept: rerun the same command to resume`);
  }
}
