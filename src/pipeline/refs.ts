/**
 * Dataset references in pipeline files: `<materialize stage>[@<keep>]/<source>`, e.g. `full/test`,
 * `ticket@0.5/train`. `{keep}` in a train stage's references is replaced by each of its keep values.
 */
export interface DatasetRef {
  stage: string;
  keep: number | null;
  source: string;
}

const REF = /^([A-Za-z0-9][A-Za-z0-9_-]*)(?:@([0-9.]+))?\/([A-Za-z0-9][A-Za-z0-9_-]*)$/;

export function parseDatasetRef(text: string): DatasetRef | null {
  const m = REF.exec(text);
  if (!m) return null;
  const keep = m[2] === undefined ? null : Number(m[2]);
  if (keep !== null && !(keep > 0 && keep <= 1)) return null;
  return { stage: m[1], keep, source: m[3] };
}

export function substituteKeep(text: string, keep: number | null): string {
  return keep === null ? text : text.replaceAll('{keep}', formatKeep(keep));
}

/** Canonical text of a keep value in names and references (no float noise). */
export function formatKeep(keep: number): string {
  return String(Number(keep.toPrecision(6)));
}
