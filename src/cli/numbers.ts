/**
 * The one parser of numeric flags: `--flag 12`. Empty text is never 0; integers are written as
 * digits (no `1e3`, no `0x10`); bounds are checked and named in the message.
 */
import { InputError, show } from '../util/errors.js';

export interface NumberRule {
  /** Whole numbers only, written as decimal digits (a leading minus where min < 0). */
  integer?: boolean;
  min?: number;
  max?: number;
}

function expected(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) return `${kind} in [${min}, ${max}]`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/** The number `text` of `--flag`; an InputError naming the flag, the text and what was expected. */
export function parseNumber(flag: string, text: string, rule: NumberRule = {}): number {
  const t = text.trim();
  const v = Number(t);
  const wellFormed = t !== '' && Number.isFinite(v) && (!rule.integer || (/^-?\d+$/.test(t) && Number.isSafeInteger(v)));
  if (!wellFormed || (rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max)) {
    throw new InputError(`--${flag} is ${show(text)}, expected ${expected(rule)}`);
  }
  return v;
}

/** parseNumber for an optional flag: undefined stays undefined. */
export function optionalNumber(flag: string, text: string | undefined, rule: NumberRule = {}): number | undefined {
  return text === undefined ? undefined : parseNumber(flag, text, rule);
}

/** A comma-separated list of numbers (`--mean 0.5,0.5,0.5`). */
export function parseNumbers(flag: string, text: string, rule: NumberRule = {}): number[] {
  return text.split(',').map((t) => parseNumber(flag, t, rule));
}
