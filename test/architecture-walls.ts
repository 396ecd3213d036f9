import { posix } from 'node:path';
import ts from 'typescript';

/**
 * The walls of ARCHITECTURE.md ("Which way imports run"), as a pure function over the tree's source
 * files: (path, text) pairs in, named breaches out. The test runs it on the real tree, and on the
 * real tree plus planted files to show each wall is checked, not hoped for.
 */

export interface SourceFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

export const rules = {
  contracts: 'contracts imports nothing but node: builtins',
  platform: 'platform imports no @usher package and no service',
  testSupport: 'test-support imports only platform and contracts',
  kit: 'the kit imports only platform and contracts, never a service or the provider',
  resourceServers: 'resource servers import platform, contracts and the kit, never each other nor the provider',
  provider: 'the provider never imports the kit or a resource server',
  adminUi: 'admin-ui imports no other package but type-only @usher/contracts (and platform in its server)',
  testSupportOnlyInTests: 'only tests and benches import @usher/test-support',
  byName: 'packages meet by their @usher names, never by a path into another package',
  tests: "no test imports another package's src or test: shared test code comes from @usher/test-support",
  processEnv: 'process.env is read only in config modules',
  oidcProvider: 'only provider/src/oidc/ imports oidc-provider',
  kebabCase: 'file and folder names are kebab-case',
  grabBag: 'no grab-bag modules (utils, helpers, misc, common)',
} as const;

export type RuleName = keyof typeof rules;

export interface Breach {
  rule: RuleName;
  file: string;
  detail: string;
}

type PackageKind = 'contracts' | 'platform' | 'test-support' | 'provider' | 'kit' | 'service' | 'admin-ui' | 'root';

/** Where a file lives: its package (root: scripts/, test/, knexfile.ts, migrations/) and the folder in it. */
interface Place {
  kind: PackageKind;
  /** The package's folder: `resource-servers/films`, or '' for the root. */
  folder: string;
  /** The first folder inside the package (`src`, `test`, `bench`, `server`...), or '' for a file at its top. */
  area: string;
}

const topLevelPackages: Record<string, PackageKind> = {
  contracts: 'contracts',
  platform: 'platform',
  'test-support': 'test-support',
  provider: 'provider',
  'admin-ui': 'admin-ui',
};

function placeOf(file: string): Place {
  const segments = file.split('/');
  const [top, second] = segments;
  if (top && topLevelPackages[top] && segments.length > 1)
    return { kind: topLevelPackages[top], folder: top, area: segments.length > 2 ? second! : '' };
  if (top === 'resource-servers' && second && segments.length > 2)
    return {
      kind: second === 'kit' ? 'kit' : 'service',
      folder: `${top}/${second}`,
      area: segments.length > 3 ? segments[2]! : '',
    };
  return { kind: 'root', folder: '', area: top ?? '' };
}

/** Test code: a package's test/ and bench/ folders, the root's test/, and a `*.test.ts(x)` anywhere. */
function isTestCode(file: string, place: Place): boolean {
  if (/\.test\.tsx?$/.test(file)) return true;
  if (place.kind === 'root') return place.area === 'test';
  return place.area === 'test' || place.area === 'bench';
}

interface ImportSite {
  specifier: string;
  /** Erased at run time: `import type`, `export type`, or an `import('x').T` type. */
  typeOnly: boolean;
}

interface Reading {
  imports: ImportSite[];
  readsProcessEnv: boolean;
}

/** One parse per file text: the test checks the same tree again with each planted file. */
const readings = new Map<string, Reading>();

/**
 * What a file names and reads, from its syntax tree (comments and strings never count): static and
 * dynamic imports, re-exports and import types; and whether it reads `process.env`.
 */
function read(file: SourceFile): Reading {
  const key = `${file.path}\u0000${file.text}`;
  const known = readings.get(key);
  if (known) return known;
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, scriptKind(file.path));
  const reading: Reading = { imports: [], readsProcessEnv: false };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      reading.imports.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      reading.imports.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    )
      reading.imports.push({ specifier: node.arguments[0].text, typeOnly: false });
    else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      reading.imports.push({ specifier: node.argument.literal.text, typeOnly: true });
    else if (isProcessEnv(node)) reading.readsProcessEnv = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  readings.set(key, reading);
  return reading;
}

/** `process`, or `globalThis.process`. */
const isProcess = (node: ts.Node) =>
  (ts.isIdentifier(node) && node.text === 'process') ||
  (ts.isPropertyAccessExpression(node) && node.name.text === 'process' && ts.isIdentifier(node.expression));

/** `process.env`, `process['env']`, or `const { env } = process`. */
function isProcessEnv(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node)) return node.name.text === 'env' && isProcess(node.expression);
  if (ts.isElementAccessExpression(node))
    return (
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'env' &&
      isProcess(node.expression)
    );
  if (
    ts.isVariableDeclaration(node) &&
    node.initializer &&
    isProcess(node.initializer) &&
    ts.isObjectBindingPattern(node.name)
  )
    return node.name.elements.some((element) => {
      const name = element.propertyName ?? element.name;
      return ts.isIdentifier(name) && name.text === 'env';
    });
  return false;
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** What an import reaches: a node builtin, an npm package, or one of ours (by name or by path). */
type Target =
  { kind: 'builtin' } | { kind: 'npm'; name: string } | { kind: 'ours'; place: Place; byPath: boolean; path?: string };

function resolve(from: string, site: ImportSite, packageNames: Map<string, string>): Target {
  const { specifier } = site;
  if (specifier.startsWith('node:')) return { kind: 'builtin' };
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(from), specifier));
    return { kind: 'ours', place: placeOf(target), byPath: true, path: target };
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  const folder = packageNames.get(name);
  if (folder !== undefined) return { kind: 'ours', place: { ...placeOf(`${folder}/x`), area: 'entry' }, byPath: false };
  if (name.startsWith('@usher/'))
    // A name of ours that no package.json declares (yet): still one of ours, never an npm package.
    return { kind: 'ours', place: { kind: 'service', folder: name, area: 'entry' }, byPath: false };
  return { kind: 'npm', name };
}

/** `@usher/<name>` → its folder, from every package.json in the given files. */
function packageNamesOf(files: SourceFile[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of files) {
    if (posix.basename(file.path) !== 'package.json') continue;
    const folder = posix.dirname(file.path);
    if (folder === '.') continue;
    try {
      const { name } = JSON.parse(file.text) as { name?: unknown };
      if (typeof name === 'string') names.set(name, folder);
    } catch {
      // Not ours to judge here: npm itself refuses a broken package.json.
    }
  }
  return names;
}

const samePackage = (a: Place, b: Place) => a.kind === b.kind && a.folder === b.folder;

/** Whether a file of `place` may import package `into` at all, as the walls say (test-support aside). */
function mayImport(place: Place, into: Place, typeOnly: boolean): boolean {
  switch (place.kind) {
    case 'contracts':
      return false;
    case 'platform':
      return false;
    case 'test-support':
      return into.kind === 'platform' || into.kind === 'contracts';
    case 'kit':
      return into.kind === 'platform' || into.kind === 'contracts';
    case 'service':
      return into.kind === 'platform' || into.kind === 'contracts' || into.kind === 'kit';
    case 'provider':
      return into.kind === 'platform' || into.kind === 'contracts';
    case 'admin-ui':
      // The browser app knows the provider only over HTTP; its Node server shares platform's pieces.
      return (into.kind === 'contracts' && typeOnly) || (into.kind === 'platform' && place.area === 'server');
    case 'root':
      return true;
  }
}

const packageRule: Record<Exclude<PackageKind, 'root'>, RuleName> = {
  contracts: 'contracts',
  platform: 'platform',
  'test-support': 'testSupport',
  kit: 'kit',
  service: 'resourceServers',
  provider: 'provider',
  'admin-ui': 'adminUi',
};

function importBreaches(file: SourceFile, place: Place, packageNames: Map<string, string>): Breach[] {
  const breaches: Breach[] = [];
  const testCode = isTestCode(file.path, place);
  const breach = (rule: RuleName, detail: string) => breaches.push({ rule, file: file.path, detail });
  for (const site of read(file).imports) {
    const target = resolve(file.path, site, packageNames);
    const what = `imports '${site.specifier}'`;
    if (target.kind === 'npm' && (target.name === 'oidc-provider' || target.name.startsWith('oidc-provider/'))) {
      // The provider's bench measures bare oidc-provider as the yardstick Usher is held to.
      const yardstick = place.kind === 'provider' && place.area === 'bench';
      if (!file.path.startsWith('provider/src/oidc/') && !yardstick) breach('oidcProvider', what);
    }
    const inside = target.kind === 'ours' && samePackage(target.place, place);
    if (place.kind === 'contracts' && target.kind !== 'builtin' && !inside) breach('contracts', what);
    if (target.kind !== 'ours' || inside || place.kind === 'contracts') continue;
    const into = target.place;
    if (place.kind === 'root') {
      // The root assembles the packages (start, migrate, bench) and tests the whole: it may reach any
      // package's source, but its tests take shared test code from test-support like everyone's.
      if (testCode && target.byPath && (into.area === 'test' || into.area === 'bench')) breach('tests', what);
    } else if (target.byPath && into.kind === 'root') breach('byName', `${what}, outside its package`);
    else if (testCode && target.byPath) breach('tests', what);
    else if (into.kind === 'test-support') {
      if (!testCode) breach('testSupportOnlyInTests', what);
    } else if (!mayImport(place, into, site.typeOnly)) breach(packageRule[place.kind], what);
    else if (target.byPath) breach('byName', what);
  }
  return breaches;
}

/** Config modules: the one place per process that reads the environment (and entry scripts, knexfile, tests). */
function mayReadProcessEnv(file: string, place: Place): boolean {
  if (isTestCode(file, place)) return true;
  if (
    [
      'platform/src/config.ts',
      'provider/src/config.ts',
      'admin-ui/server/config.ts',
      'knexfile.ts',
      // What the machine running the tests says (which stores, where): read once, for every package's tests.
      'test-support/src/test-environment.ts',
    ].includes(file)
  )
    return true;
  // A service's config module; the kit's example service keeps its own beside it (hello-config.ts).
  if (/^resource-servers\/[^/]+\/(src\/config|example\/[a-z-]+-config)\.ts$/.test(file)) return true;
  return place.kind === 'root' && place.area === 'scripts';
}

const kebab = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const grabBags = new Set(['utils', 'util', 'helpers', 'helper', 'misc', 'common']);

function nameBreaches(file: string): Breach[] {
  // Migrations keep knex's timestamp_name form: their order is in the name (the services' under
  // migrations/, a test's own in a folder named for them).
  if (/^migrations\/|\/[a-z-]*migrations\/[^/]+$/.test(file)) return [];
  const breaches: Breach[] = [];
  const segments = file.split('/');
  const base = segments.pop()!.split('.')[0]!;
  for (const folder of segments)
    if (!kebab.test(folder)) breaches.push({ rule: 'kebabCase', file, detail: `folder '${folder}'` });
  if (!kebab.test(base)) breaches.push({ rule: 'kebabCase', file, detail: `name '${base}'` });
  if (grabBags.has(base)) breaches.push({ rule: 'grabBag', file, detail: `'${base}' says nothing of what it holds` });
  return breaches;
}

const codeFile = /\.(ts|tsx|js|mjs|cjs)$/;

/** Every breach of the walls in `files` (code files and the packages' package.json). */
export function findBreaches(files: SourceFile[]): Breach[] {
  const packageNames = packageNamesOf(files);
  const breaches: Breach[] = [];
  for (const file of files) {
    if (!codeFile.test(file.path)) continue;
    const place = placeOf(file.path);
    breaches.push(...importBreaches(file, place, packageNames), ...nameBreaches(file.path));
    if (read(file).readsProcessEnv && !mayReadProcessEnv(file.path, place))
      breaches.push({ rule: 'processEnv', file: file.path, detail: 'reads process.env outside a config module' });
  }
  return breaches;
}

/** The packages the walls see in `files`, by folder: every one of them is checked. */
export function packagesOf(files: SourceFile[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const place = placeOf(file.path);
    if (place.kind !== 'root') folders.add(place.folder);
  }
  return [...folders].sort();
}
