/** `full`: every patch (k = N), scores NaN. */
import { InputError } from '../../util/errors.js';
import type { PolicyContext, PatchSelection } from './types.js';

export function fullPolicy(ctx: PolicyContext): PatchSelection {
  if (ctx.k !== ctx.n) throw new InputError(`policy full keeps all ${ctx.n} patches, got k = ${ctx.k}`);
  const positions = new Uint16Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) positions[i] = i;
  return { positions, scores: new Float32Array(ctx.n).fill(NaN) };
}
