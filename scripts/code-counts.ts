// Size and structure counts of a source tree's src/, for before/after notes of refactoring issues:
//   node --import tsx scripts/code-counts.ts [--root DIR] [--list] [--json FILE]
// --root: the checkout to count (default: the current directory); --list: also print every
// counted file, function, name and import; --json: write the counts and lists to FILE.
//
// What is counted (TypeScript compiler API; every *.ts under ROOT/src):
// - files over 200 lines (lines as `wc -l` counts them, a last line without a newline included);
// - functions over 40 lines: function declarations, methods, constructors, accessors, arrow
//   functions and function expressions whose body spans more than 40 lines (from the line of its
//   `{` to the line of its `}`; an expression body from its first to its last line); a nested
//   function counts on its own as well as inside its parent;
// - duplicate exported names: identifiers that two or more modules export as their own (an
//   `export … from` re-export or `export { x }` of an imported x is the defining module's name,
//   not another; a type and a value of one name in one module count once);
// - cross-folder imports: distinct (importing file, imported file) pairs under src/ whose
//   top-level folders differ (files directly in src/ form the group "(root)"), from static
//   imports, `export … from`, dynamic `import()` and `import('…')` types. Of those: how many are
//   deep (name a module file of the other folder, not a folder's index.ts: the convention of
//   docs/architecture.md's "Modules, not barrels"), how many name an index.ts, how many name a
//   barrel (an index.ts other than src/index.ts that only re-exports: what that rule forbids and
//   test/architecture/imports.test.ts refuses), and how many name a module in a subfolder of the
//   other top-level folder (e.g. trainer → model/layers/norm.ts).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const FILE_LINES = 200;
const FUNCTION_LINES = 40;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(flag('--root') ?? '.');
const src = join(root, 'src');
const list = args.includes('--list');
const jsonOut = flag('--json');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
    });
}

/** Path relative to src/, with forward slashes. */
const rel = (file: string): string => relative(src, file).split(sep).join('/');

function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

type FunctionLike = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.AccessorDeclaration | ts.ArrowFunction | ts.FunctionExpression;

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** A readable name: the declaration's own, or the variable / property / call it sits in. */
function functionName(node: FunctionLike, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText(sf);
  if (ts.isCallExpression(p)) return `(callback of ${p.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function longFunctions(sf: ts.SourceFile): LongFunction[] {
  const out: LongFunction[] = [];
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node) && node.body) {
      const lines = lineOf(node.body.getEnd()) - lineOf(node.body.getStart(sf)) + 1;
      if (lines > FUNCTION_LINES) out.push({ file: rel(sf.fileName), name: functionName(node, sf), line: lineOf(node.getStart(sf)), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Names each module exports as its own (aliases resolved: a re-export belongs to the defining module). */
function ownExports(program: ts.Program, sf: ts.SourceFile): string[] {
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) return [];
  const names = new Set<string>();
  for (const s of checker.getExportsOfModule(moduleSymbol)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const decls = target.getDeclarations() ?? [];
    if (decls.some((d) => d.getSourceFile() === sf)) names.add(s.getName());
  }
  return [...names].sort();
}

/** The relative module specifiers a file imports: static, export-from, dynamic, and import types. */
function specifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((s) => s.startsWith('.'));
}

/** The src file a relative specifier names (`./x.js` → x.ts, a folder → its index.ts), or null outside src/. */
function resolveImport(from: string, spec: string, files: Set<string>): string | null {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) if (files.has(c)) return c;
  return null;
}

const topFolder = (file: string): string => {
  const parts = rel(file).split('/');
  return parts.length > 1 ? parts[0] : '(root)';
};

/** An index.ts other than src/index.ts that holds nothing but re-exports (the architecture test's rule). */
function isBarrel(file: string): boolean {
  if (!file.endsWith(`${sep}index.ts`) || rel(file) === 'index.ts') return false;
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/export\s+(type\s+)?(\*|\{[^}]*\})\s*from\s*['"][^'"]+['"];?/g, '')
    .replace(/import[^;]+;/g, '')
    .trim();
  return code === '';
}

const files = walk(src);
const fileSet = new Set(files);
const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });

const bigFiles: { file: string; lines: number }[] = [];
const functions: LongFunction[] = [];
const exporters = new Map<string, string[]>();
const crossFolder: { from: string; to: string }[] = [];

for (const file of files) {
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`not in the program: ${file}`);
  const lines = lineCount(sf.text);
  if (lines > FILE_LINES) bigFiles.push({ file: rel(file), lines });
  functions.push(...longFunctions(sf));
  for (const name of ownExports(program, sf)) exporters.set(name, [...(exporters.get(name) ?? []), rel(file)]);
  const targets = new Set(specifiers(sf).flatMap((s) => resolveImport(file, s, fileSet) ?? []));
  for (const t of targets) if (topFolder(t) !== topFolder(file)) crossFolder.push({ from: rel(file), to: rel(t) });
}

const duplicates = [...exporters].filter(([, mods]) => mods.length > 1).sort(([a], [b]) => a.localeCompare(b));
const toIndex = crossFolder.filter((e) => e.to.endsWith('/index.ts') || e.to === 'index.ts');
const toBarrel = crossFolder.filter((e) => isBarrel(join(src, e.to)));
const deep = crossFolder.filter((e) => !toIndex.includes(e));
const nested = crossFolder.filter((e) => e.to.split('/').length > 2);

const counts = {
  srcFiles: files.length,
  filesOver200Lines: bigFiles.length,
  functionsOver40Lines: functions.length,
  duplicateExportedNames: duplicates.length,
  crossFolderImports: crossFolder.length,
  deepCrossFolderImports: deep.length,
  crossFolderImportsOfIndex: toIndex.length,
  crossFolderImportsOfBarrels: toBarrel.length,
  crossFolderImportsIntoSubfolders: nested.length,
};

console.log(`src/ of ${root}`);
console.log('| count | value |\n|---|---|');
for (const [k, v] of Object.entries(counts)) console.log(`| ${k} | ${v} |`);
if (list) {
  console.log(`\nfiles over ${FILE_LINES} lines:`);
  for (const f of [...bigFiles].sort((a, b) => b.lines - a.lines)) console.log(`  ${f.lines}  ${f.file}`);
  console.log(`\nfunctions over ${FUNCTION_LINES} lines:`);
  for (const f of [...functions].sort((a, b) => b.lines - a.lines)) console.log(`  ${f.lines}  ${f.file}:${f.line}  ${f.name}`);
  console.log('\nduplicate exported names:');
  for (const [name, mods] of duplicates) console.log(`  ${name}: ${mods.join(', ')}`);
  console.log('\ncross-folder imports of an index.ts (barrels marked *):');
  for (const e of toIndex) console.log(`  ${e.from} → ${e.to}${isBarrel(join(src, e.to)) ? ' *' : ''}`);
  console.log('\ncross-folder imports into a subfolder of another top-level folder:');
  for (const e of nested) console.log(`  ${e.from} → ${e.to}`);
}
if (jsonOut) {
  const lists = { bigFiles, functions, duplicates: Object.fromEntries(duplicates), crossFolder, deep, toIndex, toBarrel, nested };
  writeFileSync(jsonOut, `${JSON.stringify({ root, counts, lists }, null, 2)}\n`);
}
