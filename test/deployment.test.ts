/**
 * Checks the deployment files without Docker: the service manifest (services.ts), docker-compose.yml,
 * the Dockerfiles of the services that ship as images, .dockerignore and the proxy configuration are
 * parsed and held against the repository, the manifest and each service's own settings schema, so a
 * renamed file or variable breaks here rather than at deploy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { providerSettings } from '../provider/src/config.ts';
import { filmsSettings, loadFilmsConfig } from '../resource-servers/films/src/config.ts';
import { resourceServers, services as manifest, type ServiceEntry } from '../services.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The services of the manifest that ship as an image. */
const shipped = manifest.filter((entry): entry is ServiceEntry & { dockerfile: string } => Boolean(entry.dockerfile));

function shippedService(name: string): ServiceEntry & { dockerfile: string } {
  const found = shipped.find((entry) => entry.name === name);
  assert.ok(found, `services.ts lists ${name} with its Dockerfile`);
  return found;
}

const providerDockerfile = shippedService('provider').dockerfile;
const filmsDockerfile = shippedService('films').dockerfile;
/** The variables docker-compose.yml requires (`${NAME:?...}`); everything else has a default. */
const requiredVariables = { KEY_ENCRYPTION_SECRET: 'k'.repeat(32), FILMS_CLIENT_SECRET: 'f'.repeat(32) };
/** Compose services that are instances of the provider. */
const providerInstances = /^provider(-\d+)?$/;

type Record_ = Record<string, unknown>;

function isRecord(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Record_ {
  assert.ok(isRecord(value), `${what} must be a mapping`);
  return value;
}

function strings(value: unknown, what: string): string[] {
  assert.ok(Array.isArray(value), `${what} must be a list`);
  for (const item of value) assert.equal(typeof item, 'string', `${what} must list strings`);
  return value as string[];
}

function readRepoFile(file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

function isFileOrDirectory(file: string): boolean {
  return existsSync(file) && (statSync(file).isFile() || statSync(file).isDirectory());
}

// --- docker-compose.yml -----------------------------------------------------------------------

function loadCompose(): Record_ {
  // `merge` resolves the `<<: *provider` keys the way Docker Compose does.
  return record(parse(readRepoFile('docker-compose.yml'), { merge: true }), 'docker-compose.yml');
}

function services(compose: Record_): Record_ {
  return record(compose['services'], 'services');
}

function service(compose: Record_, name: string): Record_ {
  return record(services(compose)[name], `service ${name}`);
}

function providerServiceNames(compose: Record_): string[] {
  return Object.keys(services(compose)).filter((name) => providerInstances.test(name));
}

/** A service's environment as name -> raw value, whichever of the two Compose forms it uses. */
function environment(svc: Record_, name: string): Map<string, string> {
  const raw = svc['environment'];
  const result = new Map<string, string>();
  if (raw === undefined) return result;
  if (Array.isArray(raw)) {
    for (const entry of strings(raw, `${name}.environment`)) {
      const separator = entry.indexOf('=');
      assert.ok(separator > 0, `${name}.environment entry "${entry}" must be NAME=value`);
      result.set(entry.slice(0, separator), entry.slice(separator + 1));
    }
    return result;
  }
  for (const [key, value] of Object.entries(record(raw, `${name}.environment`))) {
    // Compose rejects unquoted YAML booleans here; numbers are fine.
    assert.ok(
      typeof value === 'string' || typeof value === 'number',
      `${name}.environment.${key} must be a string (quote booleans), got ${typeof value}`,
    );
    result.set(key, String(value));
  }
  return result;
}

class MissingVariable extends Error {}

/** Compose variable interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}. */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, colon?: string, operator?: string, operand?: string, bare?: string) => {
      if (match === '$$') return '$';
      const variable = braced ?? bare ?? '';
      const current = variables[variable];
      const unset = current === undefined || (colon === ':' && current === '');
      if (!unset) return current;
      if (operator === '-') return operand ?? '';
      if (operator === '?') throw new MissingVariable(`${variable}: ${operand ?? 'required'}`);
      return '';
    },
  );
}

/** The environment a container gets: interpolated, with empty values dropped (loadConfig reads them as unset). */
function resolvedEnvironment(svc: Record_, name: string, variables: Record<string, string>): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [key, value] of environment(svc, name)) {
    const resolved = interpolate(value, variables);
    if (resolved !== '') input[key] = resolved;
  }
  return input;
}

function dependsOn(svc: Record_, name: string): Record_ {
  // The short list form cannot carry a condition, so only the mapping form is accepted.
  return record(svc['depends_on'], `${name}.depends_on`);
}

function dependencyCondition(svc: Record_, name: string, dependency: string): unknown {
  return record(dependsOn(svc, name)[dependency], `${name}.depends_on.${dependency}`)['condition'];
}

/** Each mount as source (a host path for a bind mount, else a volume name) and target. */
function volumes(svc: Record_, name: string): { source: string; target: string }[] {
  const raw = svc['volumes'];
  if (raw === undefined) return [];
  assert.ok(Array.isArray(raw), `${name}.volumes must be a list`);
  return raw.map((entry: unknown) => {
    if (typeof entry === 'string') {
      const [source = '', target = ''] = entry.split(':');
      return { source, target };
    }
    const long = record(entry, `${name}.volumes entry`);
    return { source: String(long['source'] ?? ''), target: String(long['target'] ?? '') };
  });
}

/** The host path of a bind mount (`./a:/b[:ro]` or the long form), or the name of a named volume. */
function volumeSources(svc: Record_, name: string): string[] {
  return volumes(svc, name).map((volume) => volume.source);
}

const isBindMount = (source: string) => /^[./~]/.test(source);

// --- Dockerfiles ------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, joining `\` continuations and dropping comments. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      if (pending.trim()) logical.push(pending.trim());
      pending = '';
    }
  }
  if (pending.trim()) logical.push(pending.trim());

  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = {
      keyword: keyword.toUpperCase(),
      args: rest.join(' '),
    };
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        image: words[0] ?? '',
        name: as >= 0 ? words[as + 1] : undefined,
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      assert.ok(stage, `${instruction.keyword} appears before the first FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

interface Copy {
  flags: Map<string, string>;
  sources: string[];
  destination: string;
}

function parseCopy(args: string): Copy {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let flag = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest); flag; flag = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(flag[1] ?? '', flag[2] ?? '');
    rest = rest.slice(flag[0].length);
  }
  const parts = rest.startsWith('[') ? strings(JSON.parse(rest), `COPY ${args}`) : rest.split(/\s+/);
  assert.ok(parts.length >= 2, `COPY ${args} needs a source and a destination`);
  return {
    flags,
    sources: parts.slice(0, -1),
    destination: parts.at(-1) ?? '',
  };
}

function loadDockerfile(file: string): Stage[] {
  return parseDockerfile(readRepoFile(file));
}

function finalStage(stages: Stage[], file: string): Stage {
  const stage = stages.at(-1);
  assert.ok(stage, `${file} has no FROM`);
  return stage;
}

/** The image a stage ultimately builds on, following `FROM <earlier stage>`. */
function baseImage(stages: Stage[], stage: Stage): string {
  const parent = stages.find((candidate) => candidate !== stage && candidate.name === stage.image);
  return parent ? baseImage(stages, parent) : stage.image;
}

/** COPY/ADD instructions that read from the build context (not from another stage). */
function contextCopies(stages: Stage[]): Copy[] {
  return stages
    .flatMap((stage) => stage.instructions)
    .filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD')
    .map((instruction) => parseCopy(instruction.args))
    .filter((copy) => !copy.flags.has('from'));
}

const isGlob = (source: string) => /[*?[]/.test(source);

/** A .dockerignore pattern as a RegExp over context-relative paths (`*` within a segment, `**` across). */
function ignorePattern(pattern: string): RegExp {
  const text = pattern.replace(/^\/|\/$/g, '');
  let source = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (text.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (text[i] === '*') source += '[^/]*';
    else if (text[i] === '?') source += '[^/]';
    else source += (text[i] ?? '').replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A matched folder leaves out everything in it.
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** Every service that builds an image: its Dockerfile (relative to the repository) and build context. */
function builds(compose: Record_): { name: string; dockerfile: string; context: string }[] {
  return Object.entries(services(compose)).flatMap(([name, svc]) => {
    const build = record(svc, name)['build'];
    if (build === undefined) return [];
    const context = path.resolve(
      root,
      typeof build === 'string' ? build : String(record(build, name)['context'] ?? '.'),
    );
    const dockerfile = isRecord(build) ? String(build['dockerfile'] ?? 'Dockerfile') : 'Dockerfile';
    return [{ name, dockerfile: path.relative(root, path.resolve(context, dockerfile)), context }];
  });
}

/** The Dockerfiles the stack builds, each once (every provider instance shares one). */
function builtDockerfiles(compose: Record_): { dockerfile: string; context: string }[] {
  const seen = new Map<string, { dockerfile: string; context: string }>();
  for (const { dockerfile, context } of builds(compose)) seen.set(dockerfile, { dockerfile, context });
  return [...seen.values()];
}

/** The workspace folders a workspace needs at run time: itself and its @usher/* dependencies, transitively. */
function workspaceClosure(folder: string): string[] {
  const rootManifest = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
  const byName = new Map<string, string>();
  for (const workspace of rootManifest.workspaces) {
    if (!existsSync(path.join(root, workspace, 'package.json'))) continue;
    const manifest = JSON.parse(readRepoFile(`${workspace}/package.json`)) as { name: string };
    byName.set(manifest.name, workspace);
  }
  const needed = new Set<string>();
  const visit = (workspace: string) => {
    if (needed.has(workspace)) return;
    needed.add(workspace);
    const manifest = JSON.parse(readRepoFile(`${workspace}/package.json`)) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      const local = byName.get(dependency);
      if (local) visit(local);
    }
  };
  visit(folder);
  return [...needed].sort();
}

function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}

/** npm ci installs exactly the lockfile, so the lockfile must be in place first. */
function assertLockfileBeforeInstall(dockerfile: string) {
  const stages = loadDockerfile(dockerfile);
  const installing = stages.filter((stage) =>
    stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args)),
  );
  assert.ok(installing.length > 0, `${dockerfile} runs npm ci`);
  for (const stage of installing) {
    const install = stage.instructions.findIndex(
      (instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args),
    );
    const lockfile = stage.instructions.findIndex(
      (instruction) =>
        instruction.keyword === 'COPY' &&
        parseCopy(instruction.args).sources.some((source) => path.posix.basename(source) === 'package-lock.json'),
    );
    assert.ok(lockfile >= 0, `${dockerfile}: package-lock.json is copied in the stage that runs npm ci`);
    assert.ok(lockfile < install, `${dockerfile}: package-lock.json is copied before npm ci runs`);
  }
}

/**
 * What every runtime image must be: Node.js 22, NODE_ENV=production, an unprivileged user, the
 * service's port exposed, a health check on /healthz, and node itself as PID 1 running `script`.
 */
function assertRuntimeStage(file: string, port: number, script: string) {
  const stages = loadDockerfile(file);
  const stage = finalStage(stages, file);

  assert.match(baseImage(stages, stage), /^node:22([.-]|$)/, `${file}: the final stage runs on Node.js 22`);
  assert.equal(lastInstruction(stage, 'USER')?.args.trim(), 'node', `${file}: the final stage drops root`);
  const exposed = stage.instructions
    .filter((instruction) => instruction.keyword === 'EXPOSE')
    .flatMap((instruction) => instruction.args.split(/\s+/));
  assert.ok(
    exposed.some((exposedPort) => exposedPort === String(port) || exposedPort === `${port}/tcp`),
    `${file}: EXPOSE ${port}: ${exposed.join(' ')}`,
  );
  assert.ok(
    stage.instructions.some(
      (instruction) => instruction.keyword === 'ENV' && /\bNODE_ENV[= ]\s*"?production"?/.test(instruction.args),
    ),
    `${file}: NODE_ENV is production`,
  );

  const healthcheck = lastInstruction(stage, 'HEALTHCHECK')?.args ?? '';
  assert.doesNotMatch(healthcheck, /^NONE\b/i, `${file}: the health check is not disabled`);
  assert.match(healthcheck, /\bCMD\b.*\/healthz/, `${file}: the health check probes /healthz`);
  assert.match(healthcheck, new RegExp(`\\b${port}\\b`), `${file}: the health check probes port ${port}`);

  const command = lastInstruction(stage, 'CMD');
  assert.ok(command, `${file}: the final stage has a CMD`);
  const argv = strings(JSON.parse(command.args), 'CMD');
  assert.equal(argv[0], 'node', `${file}: CMD runs node directly, so signals reach it`);
  const commandScript = argv.slice(1).find((arg) => /\.[cm]?[jt]s$/.test(arg));
  assert.equal(commandScript, script, `${file}: CMD runs ${script}: ${command.args}`);
  assert.ok(existsSync(path.join(root, script)), `CMD script ${script} exists`);
}

// --- docker-compose.yml tests -----------------------------------------------------------------

test('docker-compose.yml parses and declares the whole stack', () => {
  const compose = loadCompose();
  for (const name of ['postgres', 'redis', 'provider-2', 'proxy', ...shipped.map((entry) => entry.name)]) {
    assert.ok(isRecord(services(compose)[name]), `service ${name} is missing`);
  }
});

test('every provider instance builds from provider/Dockerfile and shares Postgres and Redis', () => {
  const compose = loadCompose();
  const names = providerServiceNames(compose);
  assert.ok(names.includes('provider') && names.includes('provider-2'), `provider instances: ${names.join(', ')}`);
  for (const name of names) {
    const svc = service(compose, name);
    const build = record(svc['build'], `${name}.build`);
    assert.equal(path.resolve(root, String(build['context'])), root, `${name} builds with the repository as context`);
    assert.equal(build['dockerfile'], providerDockerfile, `${name}.build.dockerfile`);

    const env = environment(svc, name);
    const database = new URL(interpolate(env.get('DATABASE_URL') ?? '', {}));
    assert.match(database.protocol, /^postgres(ql)?:$/, `${name} DATABASE_URL scheme`);
    assert.equal(database.hostname, 'postgres', `${name} DATABASE_URL host`);
    const redis = new URL(interpolate(env.get('REDIS_URL') ?? '', {}));
    assert.match(redis.protocol, /^rediss?:$/, `${name} REDIS_URL scheme`);
    assert.equal(redis.hostname, 'redis', `${name} REDIS_URL host`);
    assert.equal(env.get('TRUST_PROXY'), 'true', `${name} sits behind the proxy and must trust X-Forwarded-*`);

    const dependencies = dependsOn(svc, name);
    for (const store of ['postgres', 'redis']) {
      const condition = record(dependencies[store], `${name}.depends_on.${store}`)['condition'];
      assert.equal(condition, 'service_healthy', `${name} waits for ${store} to be healthy`);
    }
  }
});

test('the environment set on the provider is exactly what its config reads, and valid', () => {
  const compose = loadCompose();
  const known = new Set(Object.keys(providerSettings.shape));
  for (const name of providerServiceNames(compose)) {
    const env = environment(service(compose, name), name);
    assert.ok(env.size > 0, `${name} sets no environment`);
    for (const key of env.keys()) {
      assert.ok(known.has(key), `${name} sets ${key}, which provider/src/config.ts does not read`);
    }

    // Without the secret, `docker compose up` must refuse to start rather than run without encryption.
    assert.throws(() => interpolate(env.get('KEY_ENCRYPTION_SECRET') ?? '', {}), MissingVariable);
    // Nor without films' feed secret: an empty one would fail the provider's schema on every restart.
    assert.throws(
      () => interpolate(env.get('USHER_EVENT_RECEIVERS') ?? '', { KEY_ENCRYPTION_SECRET: 'k'.repeat(32) }),
      MissingVariable,
    );

    // With only the required variables given, the defaults must satisfy the provider's schema.
    const input = resolvedEnvironment(service(compose, name), name, requiredVariables);
    const parsed = providerSettings.safeParse(input);
    assert.ok(parsed.success, `${name} environment: ${parsed.error?.message ?? ''}`);
    assert.equal(parsed.data.TRUST_PROXY, true);
    assert.equal(parsed.data.PORT, 3000, `${name} listens where the proxy and the health check expect`);
  }
});

test('postgres and redis have health checks and keep their data in named volumes', () => {
  const compose = loadCompose();
  const declared = record(compose['volumes'], 'top-level volumes');

  const postgres = service(compose, 'postgres');
  const postgresCheck = strings(record(postgres['healthcheck'], 'postgres.healthcheck')['test'], 'postgres test');
  assert.ok(postgresCheck.join(' ').includes('pg_isready'), 'postgres health check uses pg_isready');
  const postgresVolumes = volumeSources(postgres, 'postgres').filter((source) => !isBindMount(source));
  assert.ok(postgresVolumes.length > 0, 'postgres keeps its data in a named volume');
  for (const volume of postgresVolumes) assert.ok(volume in declared, `volume ${volume} is declared`);

  const redis = service(compose, 'redis');
  const redisCheck = strings(record(redis['healthcheck'], 'redis.healthcheck')['test'], 'redis test');
  assert.match(redisCheck.join(' '), /redis-cli.*\bping\b/, 'redis health check pings');
  const command = redis['command'];
  const commandLine = Array.isArray(command) ? strings(command, 'redis.command').join(' ') : String(command);
  assert.match(commandLine, /--appendonly\s+yes/, 'redis persists with the append-only file');
  for (const volume of volumeSources(redis, 'redis').filter((source) => !isBindMount(source))) {
    assert.ok(volume in declared, `volume ${volume} is declared`);
  }
});

test('the proxy publishes port 3000 and balances over every provider instance', () => {
  const compose = loadCompose();
  const proxy = service(compose, 'proxy');
  const ports = strings(proxy['ports'], 'proxy.ports');
  assert.ok(
    ports.some((port) => /^(.+:)?3000:\d+$/.test(port)),
    `proxy publishes 3000: ${ports.join(', ')}`,
  );

  const configs = volumeSources(proxy, 'proxy').filter((source) => source.endsWith('.conf'));
  assert.equal(configs.length, 1, 'proxy mounts one .conf file');
  const configPath = path.resolve(root, configs[0] ?? '');
  assert.ok(existsSync(configPath) && statSync(configPath).isFile(), `${configPath} exists`);
  const config = readFileSync(configPath, 'utf8').replace(/#.*$/gm, '');

  const instances = providerServiceNames(compose);
  for (const name of instances) {
    assert.match(config, new RegExp(`\\bserver\\s+${name}:3000\\b`), `the proxy sends traffic to ${name}`);
  }
  const upstreams = [...config.matchAll(/\bserver\s+([\w.-]+):\d+/g)].map((match) => match[1]);
  assert.deepEqual(upstreams.sort(), [...instances].sort(), 'the proxy targets only provider instances');

  for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Request-Id']) {
    assert.match(config, new RegExp(`proxy_set_header\\s+${header}\\s`, 'i'), `the proxy passes ${header}`);
  }
});

// --- films in docker-compose.yml ---------------------------------------------------------------

test('films builds from its Dockerfile, shares Postgres and Redis, and waits for the provider', () => {
  const compose = loadCompose();
  const films = service(compose, 'films');
  const build = record(films['build'], 'films.build');
  assert.equal(path.resolve(root, String(build['context'])), root, 'films builds with the repository as context');
  assert.equal(build['dockerfile'], filmsDockerfile, 'films.build.dockerfile');

  const env = environment(films, 'films');
  const database = new URL(interpolate(env.get('DATABASE_URL') ?? '', {}));
  assert.match(database.protocol, /^postgres(ql)?:$/, 'films DATABASE_URL scheme');
  assert.equal(database.hostname, 'postgres', 'films DATABASE_URL host');
  // The same database as the provider: films keeps to its own schema in it.
  const providerEnv = environment(service(compose, 'provider'), 'provider');
  assert.equal(env.get('DATABASE_URL'), providerEnv.get('DATABASE_URL'), 'films shares the provider database');
  const redis = new URL(interpolate(env.get('REDIS_URL') ?? '', {}));
  assert.match(redis.protocol, /^rediss?:$/, 'films REDIS_URL scheme');
  assert.equal(redis.hostname, 'redis', 'films REDIS_URL host');

  for (const dependency of ['postgres', 'redis', 'provider']) {
    assert.equal(
      dependencyCondition(films, 'films', dependency),
      'service_healthy',
      `films waits for ${dependency} to be healthy`,
    );
  }

  const ports = strings(films['ports'], 'films.ports');
  assert.ok(
    ports.some((port) => /^(.+:)?3001:3001$/.test(port)),
    `films publishes 3001: ${ports.join(', ')}`,
  );
});

test('the environment set on films is exactly what its config reads, and valid', () => {
  const compose = loadCompose();
  const films = service(compose, 'films');
  const known = new Set(Object.keys(filmsSettings.shape));
  const env = environment(films, 'films');
  for (const key of env.keys()) {
    assert.ok(known.has(key), `films sets ${key}, which resource-servers/films/src/config.ts does not read`);
  }
  // Without the feed secret films would honour revoked tokens until they expire: refuse to start.
  assert.throws(() => interpolate(env.get('FILMS_CLIENT_SECRET') ?? '', {}), MissingVariable);

  const config = loadFilmsConfig(resolvedEnvironment(films, 'films', requiredVariables));
  assert.equal(config.FILMS_PORT, 3001, 'films listens where its published port and health check expect');
  assert.equal(config.issuer, 'http://localhost:3000', 'films expects the public issuer by default');
  assert.equal(config.resource, 'http://localhost:3001');
  assert.equal(config.FILMS_CLIENT_ID, 'films-service');
  assert.ok(config.REDIS_URL, 'films follows the feed by Redis pub/sub too');
  assert.equal(config.seed, false, 'no demo catalogue in production unless FILMS_SEED asks');
  assert.equal(
    loadFilmsConfig(resolvedEnvironment(films, 'films', { ...requiredVariables, FILMS_SEED: '1' })).seed,
    true,
    'FILMS_SEED=1 loads the demo catalogue',
  );
});

test('films reaches the provider inside the network, through the proxy, while expecting the public issuer', () => {
  const compose = loadCompose();
  const films = service(compose, 'films');
  const variables = { ...requiredVariables, USHER_ISSUER: 'https://id.example.com' };
  const config = loadFilmsConfig(resolvedEnvironment(films, 'films', variables));
  const provider = providerSettings.parse(resolvedEnvironment(service(compose, 'provider'), 'provider', variables));
  assert.equal(config.issuer, provider.ISSUER, 'films expects the issuer the provider puts in its tokens');
  assert.notEqual(config.providerUrl, config.issuer, 'the public issuer is not where films finds the provider');

  const internal = new URL(config.providerUrl);
  const listening = internal.port || (internal.protocol === 'https:' ? '443' : '80');
  if (internal.hostname === 'proxy') {
    const conf = readRepoFile('deploy/nginx.conf').replace(/#.*$/gm, '');
    assert.match(conf, new RegExp(`\\blisten\\s+${listening}\\b`), `the proxy listens on ${listening} inside`);
  } else {
    assert.match(internal.hostname, providerInstances, `films reaches ${internal.hostname}, not a provider`);
    assert.equal(listening, '3000', 'provider instances listen on 3000');
  }
  assert.ok(internal.hostname in services(compose), `${internal.hostname} is a service of the stack`);
  assert.ok(internal.hostname in dependsOn(films, 'films'), `films starts after ${internal.hostname}`);
});

test('every provider instance registers films as a resource server and its feed client, consistently', () => {
  const compose = loadCompose();
  const films = service(compose, 'films');
  const variableSets = [
    requiredVariables,
    {
      ...requiredVariables,
      FILMS_RESOURCE: 'https://films.example.com',
      FILMS_PUBLIC_URL: 'https://films.example.com',
    },
  ];
  for (const variables of variableSets) {
    const config = loadFilmsConfig(resolvedEnvironment(films, 'films', variables));
    for (const name of providerServiceNames(compose)) {
      const provider = providerSettings.parse(resolvedEnvironment(service(compose, name), name, variables));
      assert.deepEqual(
        provider.USHER_RESOURCE_SERVERS?.map((server) => server.identifier),
        [config.resource],
        `${name} registers films' audience ${config.resource}`,
      );
      assert.deepEqual(
        provider.USHER_EVENT_RECEIVERS,
        [{ clientId: config.FILMS_CLIENT_ID, secret: config.FILMS_CLIENT_SECRET }],
        `${name} registers the client films polls the feed with`,
      );
    }
  }
});

test('films keeps its keys and revocation events in a named volume, where its config puts them', () => {
  const compose = loadCompose();
  const films = service(compose, 'films');
  const config = loadFilmsConfig(resolvedEnvironment(films, 'films', requiredVariables));
  const stage = finalStage(loadDockerfile(filmsDockerfile), filmsDockerfile);
  const workdir = lastInstruction(stage, 'WORKDIR')?.args.trim() ?? '/';
  // In the image the repository root is the working directory, so the state folder lands under it.
  const inImage = path.posix.join(workdir, path.relative(root, config.keysCacheDir).split(path.sep).join('/'));
  assert.equal(path.dirname(config.revocationsFile), config.keysCacheDir, 'revocations sit beside the keys');

  const mount = volumes(films, 'films').find((volume) => volume.target === inImage);
  assert.ok(mount, `films mounts a volume on ${inImage}`);
  assert.ok(!isBindMount(mount.source), 'a named volume, not a host folder');
  assert.ok(mount.source in record(compose['volumes'], 'top-level volumes'), `volume ${mount.source} is declared`);
  // A new named volume copies the ownership of the folder it is mounted on: the image must create it
  // for the node user, or films could not write there.
  assert.ok(
    stage.instructions.some(
      (instruction) =>
        instruction.keyword === 'RUN' &&
        instruction.args.includes(`mkdir -p ${inImage}`) &&
        /chown -R node:node/.test(instruction.args),
    ),
    `${filmsDockerfile} creates ${inImage} for the node user`,
  );
});

test('every build points at a Dockerfile that exists', () => {
  const compose = loadCompose();
  let builds = 0;
  for (const [name, svc] of Object.entries(services(compose))) {
    const build = record(svc, name)['build'];
    if (build === undefined) continue;
    builds += 1;
    const context = path.resolve(
      root,
      typeof build === 'string' ? build : String(record(build, name)['context'] ?? '.'),
    );
    const dockerfile = isRecord(build) ? String(build['dockerfile'] ?? 'Dockerfile') : 'Dockerfile';
    assert.ok(existsSync(path.resolve(context, dockerfile)), `${name}: ${dockerfile} exists in ${context}`);
  }
  assert.ok(builds > 0, 'no service builds an image');
});

// --- provider/Dockerfile tests ----------------------------------------------------------------

test('the stack builds every service of the manifest that ships as an image, each from its own Dockerfile', () => {
  const dockerfiles = builtDockerfiles(loadCompose()).map((build) => build.dockerfile);
  assert.deepEqual(dockerfiles.sort(), shipped.map((entry) => entry.dockerfile).sort());
});

test('everything each Dockerfile copies from the build context exists and is not ignored', () => {
  for (const { dockerfile, context } of builtDockerfiles(loadCompose())) {
    const ignored = readFileSync(path.join(context, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
    assert.ok(
      ignored.some((pattern) => /(^|\/)node_modules$/.test(pattern)),
      '.dockerignore leaves out node_modules',
    );
    assert.ok(ignored.includes('.git'), '.dockerignore leaves out .git');

    const sources = contextCopies(loadDockerfile(dockerfile)).flatMap((copy) => copy.sources);
    assert.ok(sources.length > 0, `${dockerfile} copies nothing from the context`);
    for (const source of sources.filter((candidate) => !isGlob(candidate))) {
      const relative = path.posix.normalize(source).replace(/\/$/, '');
      assert.ok(isFileOrDirectory(path.join(context, relative)), `${dockerfile}: COPY source ${source} exists`);
      for (const pattern of ignored) {
        assert.ok(
          !ignorePattern(pattern).test(relative),
          `${dockerfile}: COPY source ${source} is excluded by .dockerignore pattern ${pattern}`,
        );
      }
    }
  }
});

test('.dockerignore patterns match the way Docker reads them', () => {
  assert.ok(ignorePattern('**/node_modules').test('node_modules'));
  assert.ok(ignorePattern('**/node_modules').test('provider/node_modules/koa/index.js'));
  assert.ok(ignorePattern('resource-servers/*/test').test('resource-servers/films/test/catalogue.test.ts'));
  assert.ok(!ignorePattern('resource-servers/*/test').test('resource-servers/films'));
  assert.ok(!ignorePattern('test').test('resource-servers/films/test'), 'an unanchored name is still rooted');
  assert.ok(ignorePattern('**/Dockerfile').test('resource-servers/films/Dockerfile'));
  assert.ok(!ignorePattern('dist').test('distribution'));
});

test('each image installs the dependencies of exactly the workspaces it copies, and only those', () => {
  for (const { dockerfile } of builtDockerfiles(loadCompose())) {
    const stages = loadDockerfile(dockerfile);
    const installing = stages.find((stage) =>
      stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args)),
    );
    assert.ok(installing, `${dockerfile} runs npm ci`);
    const at = installing.instructions.findIndex(
      (instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args),
    );
    const install = installing.instructions[at]!;
    const manifests = new Set(
      installing.instructions
        .slice(0, at)
        .filter((instruction) => instruction.keyword === 'COPY')
        .map((instruction) => parseCopy(instruction.args))
        .flatMap((copy) => copy.sources.map((source) => path.posix.normalize(source))),
    );
    assert.match(install.args, /--omit=dev\b/, `${dockerfile}: no development dependencies in the image`);
    const workspace = /--workspace[= ](\S+)/.exec(install.args)?.[1];
    assert.ok(workspace, `${dockerfile}: npm ci names the workspace it installs`);
    const needed = workspaceClosure(workspace);

    const sources = new Set(
      contextCopies(stages).flatMap((copy) =>
        copy.sources.map((source) => path.posix.normalize(source).replace(/\/$/, '')),
      ),
    );
    for (const folder of needed) {
      assert.ok(manifests.has(`${folder}/package.json`), `${dockerfile} copies ${folder}/package.json before npm ci`);
      assert.ok(sources.has(folder), `${dockerfile} copies ${folder}/, which ${workspace} needs at run time`);
    }
    // Workspace folders outside the closure stay out: each image holds its service and nothing of another.
    const rootManifest = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    for (const other of rootManifest.workspaces.filter((folder) => !needed.includes(folder))) {
      for (const source of sources) {
        assert.ok(
          source !== other && !source.startsWith(`${other}/`),
          `${dockerfile} copies ${source}, part of ${other}, which ${workspace} does not need`,
        );
      }
    }
  }
});

test("the root postinstall is harmless where scripts/ is not copied (the images' npm ci runs it)", () => {
  const command = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts.postinstall;
  assert.ok(command, 'package.json has a postinstall script');
  const empty = mkdtempSync(path.join(tmpdir(), 'usher-postinstall-'));
  try {
    const run = spawnSync('sh', ['-c', command], { cwd: empty, encoding: 'utf8' });
    assert.equal(run.status, 0, `postinstall outside the repository: ${run.stderr}`);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('each Dockerfile copies package-lock.json before npm ci, in the same stage', () => {
  for (const { dockerfile } of builtDockerfiles(loadCompose())) assertLockfileBeforeInstall(dockerfile);
});

for (const entry of shipped) {
  test(`the final stage runs ${entry.name} on node 22 as the node user, on port ${entry.port.default}, with a health check`, () => {
    assertRuntimeStage(entry.dockerfile, entry.port.default, entry.entry);
  });
}

test('the manifest ships the provider and films, each with its entry, port and Dockerfile', () => {
  const runs = shipped.map((entry) => [entry.name, entry.entry, entry.port.default, entry.dockerfile]);
  assert.deepEqual(runs.slice(0, 2), [
    ['provider', 'provider/src/main.ts', 3000, 'provider/Dockerfile'],
    ['films', 'resource-servers/films/src/main.ts', 3001, 'resource-servers/films/Dockerfile'],
  ]);
});

// --- services.ts, the service manifest --------------------------------------------------------

/** Every file named `name` in the repository, outside installed and generated folders. */
function filesNamed(name: string, folder = '.'): string[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(folder, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', '.git', '.data', 'dist', 'test-artifacts'].includes(entry.name)
        ? []
        : filesNamed(name, relative);
    }
    return entry.name === name ? [path.posix.normalize(relative)] : [];
  });
}

test('every service of the manifest has what its entry names: its main module, migrations, Dockerfile', () => {
  const names = manifest.map((entry) => entry.name);
  assert.equal(new Set(names).size, names.length, `service names are unique: ${names.join(', ')}`);
  const ports = manifest.map((entry) => entry.port.default);
  assert.equal(new Set(ports).size, ports.length, `default ports are unique: ${ports.join(', ')}`);
  for (const entry of manifest) {
    assert.ok(existsSync(path.join(root, entry.entry)), `${entry.name}: ${entry.entry} exists`);
    assert.match(entry.readiness, /^\/\S*$/, `${entry.name}: readiness is a path`);
    if (entry.schema) {
      assert.match(entry.schema, /^[a-z_][a-z0-9_]*$/, `${entry.name}: schema ${entry.schema} is a plain identifier`);
      assert.ok(isFileOrDirectory(path.join(root, 'migrations', entry.schema)), `migrations/${entry.schema}/ exists`);
    }
    if (entry.dockerfile) assert.ok(existsSync(path.join(root, entry.dockerfile)), `${entry.dockerfile} exists`);
  }
});

test('every service in the tree is in the manifest: each main module, Dockerfile and migrations folder', () => {
  const entries = new Set(manifest.map((entry) => entry.entry));
  const mains = readdirSync(path.join(root, 'resource-servers'))
    .map((folder) => `resource-servers/${folder}/src/main.ts`)
    .filter((file) => existsSync(path.join(root, file)));
  for (const main of ['provider/src/main.ts', ...mains]) assert.ok(entries.has(main), `services.ts lists ${main}`);
  assert.deepEqual(filesNamed('Dockerfile').sort(), shipped.map((entry) => entry.dockerfile).sort());
  const schemas = manifest.flatMap((entry) => (entry.schema ? [entry.schema] : []));
  assert.deepEqual(readdirSync(path.join(root, 'migrations')).sort(), [...schemas].sort());
});

test('docker-compose.yml runs each service of the manifest from its Dockerfile, on its port', () => {
  const compose = loadCompose();
  for (const entry of shipped) {
    const instances = Object.keys(services(compose)).filter((name) => new RegExp(`^${entry.name}(-\\d+)?$`).test(name));
    assert.ok(instances.length > 0, `docker-compose.yml runs ${entry.name}`);
    for (const name of instances) {
      const svc = service(compose, name);
      const build = builds(compose).find((candidate) => candidate.name === name);
      assert.equal(build?.dockerfile, entry.dockerfile, `${name} builds from ${entry.dockerfile}`);
      const env = resolvedEnvironment(svc, name, requiredVariables);
      assert.equal(env[entry.port.setting], String(entry.port.default), `${name} sets ${entry.port.setting}`);
    }
  }
});

test('every provider instance registers each resource server of the manifest, and its feed client', () => {
  const compose = loadCompose();
  assert.ok(resourceServers.length > 0, 'the manifest lists resource servers');
  for (const name of providerServiceNames(compose)) {
    const provider = providerSettings.parse(resolvedEnvironment(service(compose, name), name, requiredVariables));
    for (const entry of resourceServers) {
      const { resourceSetting, feedClient } = entry.resourceServer;
      const env = resolvedEnvironment(service(compose, entry.name), entry.name, requiredVariables);
      const resource =
        env[resourceSetting] ?? env[entry.publicUrlSetting] ?? `http://localhost:${env[entry.port.setting]}`;
      assert.ok(
        provider.USHER_RESOURCE_SERVERS?.some(
          (server) => server.name === entry.resourceServer.name && server.identifier === resource,
        ),
        `${name} registers ${entry.resourceServer.name}=${resource}`,
      );
      assert.equal(env[feedClient.idSetting], feedClient.id, `${entry.name} polls the feed as ${feedClient.id}`);
      assert.ok(
        provider.USHER_EVENT_RECEIVERS?.some(
          (receiver) => receiver.clientId === feedClient.id && receiver.secret === env[feedClient.secretSetting],
        ),
        `${name} registers ${feedClient.id} with the secret ${entry.name} is given`,
      );
    }
  }
});
