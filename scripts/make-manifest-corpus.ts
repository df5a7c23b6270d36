// The shared corpus of manifests (test/fixtures/manifests/): one file per case and cases.json,
// which records for each file whether a reader must accept or reject it and, for a rejection, the
// JSON path the error names (null where the bytes are not a JSON value to point into). Both readers
// run it: test/shards/manifest-corpus.test.ts (parseManifest) and
// python/tests/test_manifest_corpus.py (dlth.parse_manifest). The cases start from the golden
// manifests (test/fixtures/golden/*/manifest.json) and change one thing each; the fingerprint is
// recomputed after every change, so that each case fails (or passes) for its own reason only.
//   node --import tsx scripts/make-manifest-corpus.ts     (rewrites the directory)
// The TypeScript test checks that the committed files are what this script writes.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { datasetFingerprint, serializeManifest } from '../src/shards/manifest.js';
import type { DatasetMeta, Manifest, ManifestShard } from '../src/shards/types.js';

export const CORPUS_DIR = 'test/fixtures/manifests';
export const INDEX_FILE = 'cases.json';
const GOLDEN = 'test/fixtures/golden';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
type Base = 'ticket' | 'scores' | 'full' | 'random';
type Edit = (m: Obj) => void;

export interface CorpusCase {
  file: string;
  outcome: 'accept' | 'reject';
  /** The JSON path a rejection names (`$.meta.k`; the object for a missing key), null when there is none. */
  path: string | null;
  why: string;
}
export interface CorpusFile extends CorpusCase {
  bytes: Uint8Array;
}

const golden = (base: Base): string => readFileSync(join(GOLDEN, base, 'manifest.json'), 'utf8');
const parse = (text: string): Obj => JSON.parse(text) as Obj;

/** The container holding `keys`' last element, and that element. */
function locate(m: Obj, keys: (string | number)[]): [Record<string | number, Json>, string | number] {
  let at = m as Record<string | number, Json>;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string | number, Json>;
  return [at, keys[keys.length - 1] as string | number];
}

const set = (keys: (string | number)[], value: Json): Edit => (m) => {
  const [at, key] = locate(m, keys);
  at[key] = value;
};
const drop = (keys: (string | number)[]): Edit => (m) => {
  const [at, key] = locate(m, keys);
  delete at[key];
};
const all = (...edits: Edit[]): Edit => (m) => {
  for (const edit of edits) edit(m);
};

/** The fingerprint of `m`'s own content, as a writer would have recorded it. */
function refingerprint(m: Obj): void {
  if (typeof m.meta !== 'object' || m.meta === null || !Array.isArray(m.shards)) return;
  m.fingerprint = datasetFingerprint(m.meta as unknown as DatasetMeta, m.shards as unknown as ManifestShard[]);
}

/** A golden manifest with one edit, fingerprint recomputed (unless `stale`), written as dlth writes manifests. */
function edited(base: Base, edit: Edit, stale = false): string {
  const m = parse(golden(base));
  edit(m);
  if (!stale) refingerprint(m);
  return serializeManifest(m as unknown as Manifest);
}

/** Text written by hand: its fingerprint replaced by that of what JSON.parse reads from it. */
function refingerprintText(text: string): string {
  const m = parse(text.replace(/^\uFEFF/, ''));
  const old = m.fingerprint as string;
  refingerprint(m);
  return text.replace(old, m.fingerprint as string);
}

/** A golden manifest whose value at `keys` is written as the literal `literal` (NaN, 1e400, 6.0, …). */
function literal(base: Base, keys: (string | number)[], text: string): string {
  const sentinel = 987654.321;
  const out = edited(base, set(keys, sentinel));
  if (out.split(String(sentinel)).length !== 2) throw new Error('sentinel not unique');
  return out.replace(String(sentinel), text);
}

/** Objects nested `levels` deep: `{"a": {"a": … {}}}`. */
const nest = (levels: number): Obj => (levels === 0 ? {} : { a: nest(levels - 1) });

const REQUIRED_TOP = ['kind', 'fingerprint', 'rows', 'meta', 'shards'];
const REQUIRED_META = ['format', 'version', 'kind', 'imageSize', 'patchSize', 'grid', 'channels', 'mean', 'std', 'k', 'keep', 'policy', 'seed', 'selector', 'source', 'numClasses'];
const REQUIRED_SHARD = ['file', 'rows', 'bytes', 'sha256'];
const GAP = 'not checked by either reader: schemas/README.md §10 does not ask readers to check it';

type Row = [file: string, text: string | Uint8Array, path: string | null, why: string];

/** What policy oracle records of the masks it read (schemas/README.md §4). */
const MASKS: Obj = { file: 't10k-masks-idx3-ubyte.gz', count: 6, size: [28, 28], sha256: 'ab'.repeat(32) };
const ORACLE_PARAMS: Obj = { masks: MASKS, objectAt: 0.5 };

function accepted(): Row[] {
  const rows: Row[] = [
    ['golden-ticket.json', golden('ticket'), null, 'the golden EViT ticket dataset (evitTicket, selector with preprocessing)'],
    ['golden-scores.json', golden('scores'), null, 'the golden score dataset (two EViT rates, contentHash)'],
    ['golden-full.json', golden('full'), null, 'the golden full-policy dataset (no selector)'],
    ['golden-random.json', golden('random'), null, 'the golden random-policy dataset (a seed)'],
    ['empty-dataset.json', edited('full', all(set(['shards'], []), set(['rows'], 0))), null, 'no shards, no rows'],
    ['depth-32.json', edited('ticket', set(['meta', 'selector', 'params', 'deep'], nest(27))), null, 'nested exactly 32 levels deep (in selector.params, which takes any object)'],
    ['brackets-in-strings.json', edited('ticket', set(['meta', 'source', 'kind'], `x"${'[{'.repeat(40)}\\[`)), null, 'brackets, a quote and a backslash inside a string do not count as nesting'],
    ['unicode-strings.json', edited('ticket', set(['meta', 'source', 'split'], 'ß-日本語-🦊 \u2028 \u0007 "q"')), null, 'non-ASCII, an escaped control character and U+2028 in a string (fingerprint over UTF-8)'],
    ['lone-surrogate.json', edited('ticket', set(['meta', 'source', 'split'], '\ud800x\udfff')), null, 'lone surrogates in a string: the fingerprint writes them as \\ud800 escapes, as JSON.stringify does'],
    ['bom.json', `\uFEFF${golden('ticket')}`, null, 'a UTF-8 byte order mark before the JSON is ignored (RFC 8259 allows a parser to)'],
    ['duplicate-key.json', golden('ticket').replace('{\n', '{\n  "rows": -5,\n'), null, 'a repeated key: the last value counts (-5 first, then the real 6)'],
    ['integral-floats.json', golden('ticket').replace('"rows": 6', '"rows": 6.0').replace('"k": 13', '"k": 1.3e1'), null, '6.0 and 1.3e1 are the integers 6 and 13'],
    ['params-overflow.json', refingerprintText(literal('ticket', ['meta', 'selector', 'params', 'x'], '1e400')), null, '1e400 in selector.params (any JSON) reads as infinity, which canonical JSON writes as null'],
    ['params-big-integer.json', refingerprintText(literal('ticket', ['meta', 'selector', 'params', 'x'], '123456789012345678901234567890')), null, 'an integer beyond 2^53 in selector.params reads as the nearest double (canonical 1.2345678901234568e+29)'],
    ['gap-keep-not-k-over-n.json', edited('ticket', set(['meta', 'keep'], 0.5)), null, `keep 0.5 while k = 13 of 16 derived from an EViT rate (keep should be k/N): ${GAP}`],
    ['gap-evit-survivors-not-k.json', edited('ticket', set(['meta', 'evitTicket', 'survivors'], 12)), null, `evitTicket taken "survivors" with 12 survivors but k = 13: ${GAP}`],
    ['gap-scores-with-policy.json', edited('scores', set(['meta', 'policy'], 'ticket')), null, `a score dataset with a policy (section 4 says null): ${GAP}`],
    ['gap-random-without-seed.json', edited('random', set(['meta', 'seed'], null)), null, `policy random with seed null: ${GAP}`],
    ['policy-oracle.json', edited('random', all(set(['meta', 'policy'], 'oracle'), set(['meta', 'policyParams'], ORACLE_PARAMS))), null, 'policy oracle with the mask file it read (policyParams)'],
    ['policy-prior-centre.json', edited('random', all(set(['meta', 'policy'], 'prior'), set(['meta', 'seed'], null), set(['meta', 'policyParams'], { prior: 'centre' }))), null, 'policy prior without masks: the grid centre'],
  ];
  return rows;
}

function notJson(): Row[] {
  const ticket = golden('ticket');
  const bytes = (text: string, insert: number[]): Uint8Array => {
    const at = Buffer.from(text).indexOf('"idx"') + 2;
    const b = Buffer.from(text);
    return new Uint8Array(Buffer.concat([b.subarray(0, at), Buffer.from(insert), b.subarray(at)]));
  };
  return [
    ['json-empty.json', '', null, 'no bytes'],
    ['json-garbage.json', 'manifest\n', null, 'not JSON'],
    ['json-truncated.json', ticket.slice(0, ticket.length >> 1), null, 'cut in the middle'],
    ['json-trailing-comma.json', ticket.replace(/\n}\n$/, ',\n}\n'), null, 'a comma before the closing brace'],
    ['json-nan.json', literal('ticket', ['meta', 'keep'], 'NaN'), null, 'NaN is not JSON (Python\'s json module reads it unless told not to)'],
    ['json-infinity.json', literal('ticket', ['meta', 'mean', 0], '-Infinity'), null, '-Infinity is not JSON'],
    ['utf8-invalid-byte.json', bytes(ticket, [0xff]), null, 'a 0xFF byte inside a string: not UTF-8'],
    ['utf8-encoded-surrogate.json', bytes(ticket, [0xed, 0xa0, 0x80]), null, 'a surrogate encoded in UTF-8 (ED A0 80): not UTF-8'],
    ['depth-33.json', edited('ticket', set(['meta', 'selector', 'params', 'deep'], nest(28))), null, 'nested 33 levels deep: past the 32-level limit, though the schema allows any params'],
    ['deep-brackets.json', '['.repeat(10_000), null, '10 000 open brackets'],
    ['top-array.json', '[]\n', '$', 'an array, not an object'],
    ['top-null.json', 'null\n', '$', 'null, not an object'],
  ];
}

function topLevel(): Row[] {
  const t = (file: string, edit: Edit, path: string, why: string, base: Base = 'ticket'): Row => [file, edited(base, edit), path, why];
  return [
    t('missing-format.json', drop(['format']), '$.format', 'no format'),
    t('missing-version.json', drop(['version']), '$.version', 'no version'),
    ...REQUIRED_TOP.map((key): Row => [`missing-${key}.json`, edited('ticket', drop([key]), true), '$', `no ${key}`]),
    t('unknown-key.json', set(['extra'], true), '$.extra', 'a key version 1 does not have'),
    t('format-other.json', set(['format'], 'parquet'), '$.format', 'another format'),
    t('version-2.json', set(['version'], 2), '$.version', 'a version this reader does not know'),
    t('version-string.json', set(['version'], '1'), '$.version', 'the version as a string'),
    t('kind-unknown.json', set(['kind'], 'images'), '$.kind', 'a kind that does not exist'),
    t('kind-differs-from-meta.json', set(['kind'], 'scores'), '$.meta.kind', 'kind scores, meta.kind tickets'),
    ['fingerprint-stale.json', edited('ticket', set(['meta', 'numClasses'], 10), true), '$.fingerprint', 'the content changed (numClasses), the fingerprint did not'],
    ['fingerprint-uppercase.json', edited('ticket', (m) => void (m.fingerprint = (m.fingerprint as string).toUpperCase()), true), '$.fingerprint', 'SHA256: and uppercase hex'],
    ['fingerprint-newline.json', golden('ticket').replace(/("fingerprint": "sha256:[0-9a-f]{64})"/, '$1\\n"'), '$.fingerprint', 'the right fingerprint and a newline (a Python `$` would match before it)'],
    t('rows-negative.json', set(['rows'], -1), '$.rows', 'negative rows'),
    t('rows-fraction.json', set(['rows'], 6.5), '$.rows', 'rows not an integer'),
    t('rows-2-pow-53.json', set(['rows'], 2 ** 53), '$.rows', 'rows 2^53, past the largest exact integer'),
    ['rows-overflow.json', literal('ticket', ['rows'], '1e400'), '$.rows', 'rows 1e400 (infinite as a double)'],
    t('rows-not-sum.json', set(['rows'], 7), '$.rows', 'rows 7, shards hold 6'),
    t('rows-per-shard-zero.json', set(['rowsPerShard'], 0), '$.rowsPerShard', 'rowsPerShard 0'),
  ];
}

function shardEntries(): Row[] {
  const t = (file: string, edit: Edit, path: string, why: string): Row => [file, edited('ticket', edit), path, why];
  const f = (file: string, name: string, why: string): Row => t(file, set(['shards', 0, 'file'], name), '$.shards[0].file', why);
  return [
    t('shards-not-array.json', set(['shards'], {}), '$.shards', 'shards an object'),
    t('shards-duplicate-name.json', (m) => void ((m.shards as Obj[])[1].file = 'shard-00000.arrow'), '$.shards', 'two shards with one file name'),
    ...REQUIRED_SHARD.map((key) => t(`shard-missing-${key}.json`, drop(['shards', 0, key]), '$.shards[0]', `a shard without ${key}`)),
    t('shard-unknown-key.json', set(['shards', 0, 'offset'], 0), '$.shards[0].offset', 'a shard key version 1 does not have'),
    t('shard-not-object.json', set(['shards', 0], 'shard-00000.arrow'), '$.shards[0]', 'a shard given as its file name'),
    f('shard-file-parent.json', '../x.arrow', 'a file in the parent directory'),
    f('shard-file-absolute.json', '/tmp/x.arrow', 'an absolute path'),
    f('shard-file-extension.json', 'shard-00000.parquet', 'not .arrow'),
    f('shard-file-hidden.json', '.shard-00000.arrow', 'a leading dot (a writer\'s scratch file)'),
    f('shard-file-subdirectory.json', 'a/shard-00000.arrow', 'a path with a directory'),
    f('shard-file-backslash.json', '..\\x.arrow', 'a Windows parent path'),
    f('shard-file-newline.json', 'shard-00000.arrow\n', 'a final newline (a Python `$` would match before it)'),
    f('shard-file-too-long.json', `${'a'.repeat(202)}.arrow`, 'a name longer than 201 characters before .arrow'),
    t('shard-sha256-not-hex.json', set(['shards', 0, 'sha256'], 'z'.repeat(64)), '$.shards[0].sha256', 'sha256 of 64 non-hex characters'),
    t('shard-sha256-uppercase.json', (m) => void ((m.shards as Obj[])[0].sha256 = ((m.shards as Obj[])[0].sha256 as string).toUpperCase()), '$.shards[0].sha256', 'uppercase hex'),
    t('shard-rows-negative.json', all(set(['shards', 0, 'rows'], -3), set(['rows'], 0)), '$.shards[0].rows', 'negative shard rows (the sum still matches)'),
    t('shard-bytes-negative.json', set(['shards', 0, 'bytes'], -4712), '$.shards[0].bytes', 'negative bytes'),
    t('shard-bytes-small.json', set(['shards', 0, 'bytes'], 4), '$.shards[0].bytes', 'fewer bytes than an end-of-stream marker'),
    t('shard-bytes-huge.json', set(['shards', 0, 'bytes'], 2 ** 41), '$.shards[0].bytes', 'a 2 TiB shard, past the 1 TiB limit'),
  ];
}

function metaShape(): Row[] {
  const t = (file: string, edit: Edit, path: string, why: string, base: Base = 'ticket'): Row => [file, edited(base, edit), path, why];
  const m = (name: string, key: string, value: Json, path: string, why: string): Row => t(`meta-${name}.json`, set(['meta', key], value), path, why);
  return [
    ...REQUIRED_META.map((key) => t(`meta-missing-${key}.json`, drop(['meta', key]), '$.meta', `meta without ${key}`)),
    t('meta-unknown-key.json', set(['meta', 'extra'], 1), '$.meta.extra', 'a metadata key version 1 does not have'),
    m('format', 'format', 'dlth2', '$.meta.format', 'meta.format not dlth'),
    m('version-2', 'version', 2, '$.meta.version', 'meta.version 2'),
    t('meta-image-size-short.json', set(['meta', 'imageSize'], [28]), '$.meta.imageSize', 'imageSize of one number'),
    t('meta-image-size-zero.json', set(['meta', 'imageSize', 0], 0), '$.meta.imageSize[0]', 'an image 0 pixels high'),
    m('patch-size-fraction', 'patchSize', 7.5, '$.meta.patchSize', 'patchSize not an integer'),
    m('channels-5', 'channels', 5, '$.meta.channels', '5 channels (at most 4)'),
    t('meta-channels-string.json', set(['meta', 'channels'], '1'), '$.meta.channels', 'channels as a string'),
    m('mean-empty', 'mean', [], '$.meta.mean', 'no mean'),
    t('meta-mean-string.json', set(['meta', 'mean', 0], '0.286'), '$.meta.mean[0]', 'a mean given as a string'),
    ['meta-mean-overflow.json', literal('ticket', ['meta', 'mean', 0], '1e400'), '$.meta.mean[0]', 'mean 1e400: a JSON number, but infinite'],
    m('keep-zero', 'keep', 0, '$.meta.keep', 'keep 0'),
    t('meta-keep-over-one.json', set(['meta', 'keep'], 1.5), '$.meta.keep', 'keep 1.5'),
    m('policy-unknown', 'policy', 'best', '$.meta.policy', 'a policy that does not exist'),
    t('meta-seed-negative.json', set(['meta', 'seed'], -1), '$.meta.seed', 'seed -1', 'random'),
    m('num-classes-zero', 'numClasses', 0, '$.meta.numClasses', 'numClasses 0'),
    m('k-derivation-number', 'kDerivation', 5, '$.meta.kDerivation', 'kDerivation a number'),
    t('meta-selector-missing-model.json', drop(['meta', 'selector', 'model']), '$.meta.selector', 'a selector without its model'),
    t('meta-selector-unknown-key.json', set(['meta', 'selector', 'weights'], 'w.bin'), '$.meta.selector.weights', 'a selector key that does not exist'),
    m('selector-string', 'selector', 'evit', '$.meta.selector', 'selector a string'),
    t('meta-selector-params-array.json', set(['meta', 'selector', 'params'], []), '$.meta.selector.params', 'selector params an array'),
    t('meta-selector-preprocessing-resize.json', set(['meta', 'selector', 'preprocessing', 'resize'], 'stretch'), '$.meta.selector.preprocessing.resize', 'the selector\'s preprocessing: an unknown resize'),
    t('meta-source-missing-classes.json', drop(['meta', 'source', 'classes']), '$.meta.source', 'a source without classes'),
    t('meta-source-classes-string.json', set(['meta', 'source', 'classes'], 'a,b'), '$.meta.source.classes', 'classes a string'),
    t('meta-source-string-too-long.json', set(['meta', 'source', 'kind'], 'x'.repeat(4097)), '$.meta.source.kind', 'a string of 4097 characters (at most 4096)'),
    t('meta-source-unknown-key.json', set(['meta', 'source', 'url'], 'http://x'), '$.meta.source.url', 'a source key that does not exist'),
  ];
}

function metaPreprocessing(): Row[] {
  const p = (name: string, edit: Edit, path: string, why: string): Row => [`preprocessing-${name}.json`, edited('ticket', edit), path, why];
  const at = (key: string, value: Json): Edit => set(['meta', 'preprocessing', key], value);
  return [
    p('not-object', set(['meta', 'preprocessing'], 'deit'), '$.meta.preprocessing', 'a string'),
    p('missing-from', drop(['meta', 'preprocessing', 'from']), '$.meta.preprocessing', 'no from'),
    p('unknown-key', at('gamma', 2.2), '$.meta.preprocessing.gamma', 'a key that does not exist'),
    p('resize', at('resize', 'stretch'), '$.meta.preprocessing.resize', 'an unknown resize'),
    p('resize-to-short', at('resizeTo', [224]), '$.meta.preprocessing.resizeTo', 'resizeTo of one number'),
    p('shortest-edge-zero', at('shortestEdge', 0), '$.meta.preprocessing.shortestEdge', 'shortestEdge 0'),
    p('crop-pct-zero', at('cropPct', 0), '$.meta.preprocessing.cropPct', 'cropPct 0 (the range is (0, 1])'),
    p('crop-rounding', at('cropRounding', 'ceil'), '$.meta.preprocessing.cropRounding', 'an unknown rounding'),
    p('pil-parity', at('pilParity', 'yes'), '$.meta.preprocessing.pilParity', 'pilParity not a boolean'),
    p('interpolation', at('interpolation', 3), '$.meta.preprocessing.interpolation', 'interpolation a number'),
  ];
}

function metaConsistency(): Row[] {
  const t = (file: string, edit: Edit, path: string, why: string, base: Base = 'ticket'): Row => [file, edited(base, edit), path, why];
  const meta = (values: Obj): Edit => (m) => Object.assign(m.meta as Obj, values);
  return [
    t('meta-grid-not-tiling.json', set(['meta', 'grid'], [4, 3]), '$.meta.grid', 'grid 4×3 of 7-px patches for a 28×28 image'),
    t('meta-grid-too-many-patches.json', meta({ imageSize: [2048, 2048], patchSize: 1, grid: [2048, 2048] }), '$.meta.grid', '4 194 304 patches (positions are uint16)'),
    t('meta-patch-too-large.json', meta({ imageSize: [1024, 1024], patchSize: 1024, grid: [1, 1], channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], k: 1, keep: 1 }), '$.meta.patchSize', 'one patch of 1024·1024·3 bytes (at most 1 MiB)'),
    t('meta-mean-per-channel.json', set(['meta', 'mean'], [0.2, 0.3]), '$.meta.mean', 'two means for one channel'),
    t('meta-std-per-channel.json', set(['meta', 'std'], [0.3, 0.3, 0.3]), '$.meta.std', 'three stds for one channel'),
    t('meta-std-zero.json', set(['meta', 'std', 0], 0), '$.meta.std[0]', 'a standard deviation of 0 (normalising divides by it)'),
    t('meta-std-negative.json', set(['meta', 'std', 0], -0.353), '$.meta.std[0]', 'a negative standard deviation'),
    t('meta-k-zero.json', set(['meta', 'k'], 0), '$.meta.k', 'k 0'),
    t('meta-k-over-grid.json', set(['meta', 'k'], 17), '$.meta.k', 'k 17 of a 16-patch grid'),
    t('meta-k-fraction.json', set(['meta', 'k'], 12.5), '$.meta.k', 'k not an integer'),
    t('meta-scores-k-not-n.json', set(['meta', 'k'], 15), '$.meta.k', 'a score dataset keeps all N = 16', 'scores'),
    t('meta-tickets-policy-null.json', set(['meta', 'policy'], null), '$.meta.policy', 'a ticket dataset needs a policy'),
    t('meta-rates-on-tickets.json', set(['meta', 'rates'], [0.7, 0.9]), '$.meta.rates', 'rates in a ticket dataset'),
    t('meta-rates-mode-not-evit.json', set(['meta', 'selector', 'mode'], 'cls-attn'), '$.meta.rates', 'rates from a cls-attn selector', 'scores'),
    t('meta-rates-repeated.json', all(set(['meta', 'rates'], [0.7, 0.7]), set(['meta', 'selector', 'params', 'rate'], [0.7, 0.7])), '$.meta.rates', 'a rate twice', 'scores'),
    t('meta-rates-differ-from-params.json', set(['meta', 'rates'], [0.9, 0.7]), '$.meta.rates', 'rates [0.9, 0.7], selector.params.rate [0.7, 0.9]', 'scores'),
    t('meta-rates-single.json', all(set(['meta', 'rates'], [0.7]), set(['meta', 'selector', 'params', 'rate'], [0.7])), '$.meta.rates', 'one rate (several or none)', 'scores'),
    t('meta-rates-zero.json', all(set(['meta', 'rates', 0], 0), set(['meta', 'selector', 'params', 'rate', 0], 0)), '$.meta.rates[0]', 'rate 0', 'scores'),
    t('meta-evit-ticket-on-scores.json', set(['meta', 'evitTicket'], { rate: 0.9, survivors: 13, taken: 'survivors' }), '$.meta.evitTicket', 'evitTicket in a score dataset', 'scores'),
    t('meta-evit-ticket-mode-not-evit.json', set(['meta', 'selector', 'mode'], 'cls-attn'), '$.meta.evitTicket', 'evitTicket from cls-attn scores'),
    t('meta-evit-ticket-taken.json', set(['meta', 'evitTicket', 'taken'], 'all'), '$.meta.evitTicket.taken', 'an unknown taken'),
    t('meta-evit-ticket-missing-survivors.json', drop(['meta', 'evitTicket', 'survivors']), '$.meta.evitTicket', 'no survivors'),
    t('meta-evit-ticket-rate-zero.json', set(['meta', 'evitTicket', 'rate'], 0), '$.meta.evitTicket.rate', 'rate 0'),
    t('meta-content-hash-on-tickets.json', set(['meta', 'contentHash'], 'sha256'), '$.meta.contentHash', 'content hashes in a ticket dataset'),
    t('meta-content-hash-md5.json', set(['meta', 'contentHash'], 'md5'), '$.meta.contentHash', 'a hash other than sha256', 'scores'),
    t('meta-policy-params-prior.json', set(['meta', 'policyParams'], { prior: 'edge' }), '$.meta.policyParams.prior', 'a prior that does not exist', 'random'),
    t('meta-policy-params-unknown-key.json', set(['meta', 'policyParams'], { prior: 'centre', radius: 2 }), '$.meta.policyParams.radius', 'a policyParams key that does not exist', 'random'),
    t('meta-policy-params-masks-sha256.json', set(['meta', 'policyParams'], { ...ORACLE_PARAMS, masks: { ...MASKS, sha256: 'abc' } }), '$.meta.policyParams.masks.sha256', 'a mask file hash that is not 64 hex digits', 'random'),
    t('meta-policy-params-masks-count.json', set(['meta', 'policyParams'], { ...ORACLE_PARAMS, masks: { ...MASKS, count: 0 } }), '$.meta.policyParams.masks.count', 'a mask file of 0 masks', 'random'),
  ];
}

/** Every case, in a stable order, with its bytes. */
export function buildCorpus(): CorpusFile[] {
  const accept = accepted().map((row) => ({ row, outcome: 'accept' as const }));
  const reject = [...notJson(), ...topLevel(), ...shardEntries(), ...metaShape(), ...metaPreprocessing(), ...metaConsistency()].map((row) => ({ row, outcome: 'reject' as const }));
  return [...accept, ...reject].map(({ row: [file, text, path, why], outcome }) => ({
    file, outcome, path, why, bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text,
  }));
}

/** cases.json: the outcome of every file. */
export function corpusIndex(files: readonly CorpusFile[]): string {
  const cases: CorpusCase[] = files.map(({ file, outcome, path, why }) => ({ file, outcome, path, why }));
  const description = 'Manifests both readers run (test/shards/manifest-corpus.test.ts, python/tests/test_manifest_corpus.py): each file is accepted or rejected as recorded; a rejection names `path` (the object for a missing key; null when the bytes are not a JSON object). Written by scripts/make-manifest-corpus.ts: edit that, not these files.';
  return `${JSON.stringify({ description, cases }, null, 2)}\n`;
}

function writeCorpus(dir: string): void {
  const files = buildCorpus();
  const names = new Set(files.map((f) => f.file));
  if (names.size !== files.length) throw new Error('two cases share a file name');
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (!names.has(old) && old !== INDEX_FILE) rmSync(join(dir, old));
  for (const f of files) writeFileSync(join(dir, f.file), f.bytes);
  writeFileSync(join(dir, INDEX_FILE), corpusIndex(files));
  console.log(`${dir}: ${files.length} cases (${files.filter((f) => f.outcome === 'accept').length} accepted)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) writeCorpus(CORPUS_DIR);
