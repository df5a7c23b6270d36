/**
 * The pipeline file's TypeScript types (src/pipeline/types.ts) are checked against its JSON Schema
 * (schemas/pipeline.schema.json), the source of truth: for each interface, the same keys, the
 * same required keys, and the same values for string-literal unions. Read with the TypeScript
 * compiler API, so a field added to one and not the other fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { schemaPath } from '../../src/util/schemas.js';

interface SchemaObject {
  properties?: Record<string, { enum?: unknown[]; const?: unknown }>;
  required?: string[];
}

const schema = JSON.parse(readFileSync(schemaPath('pipeline.schema.json'), 'utf8')) as SchemaObject & { $defs: Record<string, SchemaObject> };
const INTERFACES: Record<string, SchemaObject> = {
  Pipeline: schema,
  ShardsSpec: (schema as SchemaObject & { properties: Record<string, SchemaObject> }).properties.shards as SchemaObject,
  PatchifySpec: schema.$defs.patchify as SchemaObject,
  MaterializeStage: schema.$defs.materializeStage as SchemaObject,
  ScoreStage: schema.$defs.scoreStage as SchemaObject,
  TrainStage: schema.$defs.trainStage as SchemaObject,
  TrainAugmentSpec: (schema.$defs.trainStage as SchemaObject & { properties: Record<string, SchemaObject> }).properties.augment as SchemaObject,
  ReportStage: schema.$defs.reportStage as SchemaObject,
};

interface Member {
  optional: boolean;
  literals: string[] | null;
}

function members(): Map<string, Map<string, Member>> {
  const file = new URL('../../src/pipeline/types.ts', import.meta.url);
  const sf = ts.createSourceFile('types.ts', readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, Map<string, Member>>();
  sf.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const m = new Map<string, Member>();
    for (const el of node.members) {
      if (!ts.isPropertySignature(el) || !el.type) continue;
      const t = el.type;
      const lits = ts.isUnionTypeNode(t) && t.types.every((x) => ts.isLiteralTypeNode(x) && ts.isStringLiteral(x.literal))
        ? t.types.map((x) => ((x as ts.LiteralTypeNode).literal as ts.StringLiteral).text) : null;
      m.set(el.name.getText(sf), { optional: el.questionToken !== undefined, literals: lits });
    }
    out.set(node.name.text, m);
  });
  return out;
}

test('pipeline types: each interface has the schema\'s keys, required keys and literal values', () => {
  const all = members();
  for (const [name, def] of Object.entries(INTERFACES)) {
    const m = all.get(name);
    assert.ok(m, `interface ${name} in src/pipeline/types.ts`);
    const schemaKeys = Object.keys(def.properties ?? {}).filter((k) => k !== '$schema').sort();
    assert.deepEqual([...m.keys()].sort(), schemaKeys, `${name}: keys`);
    const required = [...m].filter(([, v]) => !v.optional).map(([k]) => k).sort();
    assert.deepEqual(required, [...(def.required ?? [])].sort(), `${name}: required keys`);
    for (const [key, v] of m) {
      const values = def.properties?.[key]?.enum;
      if (v.literals && values) assert.deepEqual([...v.literals].sort(), values.filter((x) => x !== null).map(String).sort(), `${name}.${key}: values`);
    }
  }
});
