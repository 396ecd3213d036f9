/**
 * Checks the deployment files without Docker: docker-compose.yml, provider/Dockerfile,
 * .dockerignore and the proxy configuration are parsed and held against the repository and the
 * provider's own settings schema, so a renamed file or variable breaks here rather than at deploy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { providerSettings } from '../provider/src/config.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const providerDockerfile = 'provider/Dockerfile';
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

function dependsOn(svc: Record_, name: string): Record_ {
  // The short list form cannot carry a condition, so only the mapping form is accepted.
  return record(svc['depends_on'], `${name}.depends_on`);
}

/** The host path of a bind mount (`./a:/b[:ro]` or the long form), or undefined for a named volume. */
function volumeSources(svc: Record_, name: string): string[] {
  const raw = svc['volumes'];
  if (raw === undefined) return [];
  assert.ok(Array.isArray(raw), `${name}.volumes must be a list`);
  return raw.map((entry: unknown) => {
    if (typeof entry === 'string') return entry.split(':')[0] ?? '';
    return String(record(entry, `${name}.volumes entry`)['source'] ?? '');
  });
}

const isBindMount = (source: string) => /^[./~]/.test(source);

// --- provider/Dockerfile ----------------------------------------------------------------------

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

function loadDockerfile(): Stage[] {
  return parseDockerfile(readRepoFile(providerDockerfile));
}

function finalStage(stages: Stage[]): Stage {
  const stage = stages.at(-1);
  assert.ok(stage, `${providerDockerfile} has no FROM`);
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

function buildContext(compose: Record_, name: string): string {
  const build = record(service(compose, name)['build'], `${name}.build`);
  return path.resolve(root, String(build['context'] ?? '.'));
}

// --- docker-compose.yml tests -----------------------------------------------------------------

test('docker-compose.yml parses and declares the whole stack', () => {
  const compose = loadCompose();
  for (const name of ['postgres', 'redis', 'provider', 'provider-2', 'proxy']) {
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

    // With only the required variable given, the defaults must satisfy the provider's schema.
    const variables = { KEY_ENCRYPTION_SECRET: 'k'.repeat(32) };
    const input: Record<string, string> = {};
    for (const [key, value] of env) {
      const resolved = interpolate(value, variables);
      if (resolved !== '') input[key] = resolved; // empty means unset, as loadConfig treats it
    }
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

test('everything the Dockerfile copies from the build context exists and is not ignored', () => {
  const context = buildContext(loadCompose(), 'provider');
  const ignored = readFileSync(path.join(context, '.dockerignore'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
  assert.ok(
    ignored.some((pattern) => /(^|\/)node_modules$/.test(pattern)),
    '.dockerignore leaves out node_modules',
  );
  assert.ok(ignored.includes('.git'), '.dockerignore leaves out .git');

  const sources = contextCopies(loadDockerfile()).flatMap((copy) => copy.sources);
  assert.ok(sources.length > 0, 'the Dockerfile copies nothing from the context');
  for (const source of sources.filter((candidate) => !isGlob(candidate))) {
    const relative = path.posix.normalize(source).replace(/\/$/, '');
    assert.ok(isFileOrDirectory(path.join(context, relative)), `COPY source ${source} exists`);
    const segments = relative.split('/');
    for (const pattern of ignored) {
      const anywhere = pattern.startsWith('**/');
      const target = pattern.replace(/^\*\*\//, '').replace(/^\/|\/$/g, '');
      const hit = anywhere ? segments.includes(target) : relative === target || relative.startsWith(`${target}/`);
      assert.ok(!hit, `COPY source ${source} is excluded by .dockerignore pattern ${pattern}`);
    }
  }
});

test('the Dockerfile copies package-lock.json before npm ci, in the same stage', () => {
  const stages = loadDockerfile();
  const installing = stages.filter((stage) =>
    stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args)),
  );
  assert.ok(installing.length > 0, 'the Dockerfile runs npm ci');
  for (const stage of installing) {
    const install = stage.instructions.findIndex(
      (instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args),
    );
    const lockfile = stage.instructions.findIndex(
      (instruction) =>
        instruction.keyword === 'COPY' &&
        parseCopy(instruction.args).sources.some((source) => path.posix.basename(source) === 'package-lock.json'),
    );
    assert.ok(lockfile >= 0, 'package-lock.json is copied in the stage that runs npm ci');
    assert.ok(lockfile < install, 'package-lock.json is copied before npm ci runs');
  }
});

test('the final stage runs the provider on node 22 as the node user, on port 3000, with a health check', () => {
  const stages = loadDockerfile();
  const stage = finalStage(stages);
  const last = (keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);

  assert.match(baseImage(stages, stage), /^node:22([.-]|$)/, 'the final stage runs on Node.js 22');
  assert.equal(last('USER')?.args.trim(), 'node', 'the final stage drops root');
  const exposed = stage.instructions
    .filter((instruction) => instruction.keyword === 'EXPOSE')
    .flatMap((instruction) => instruction.args.split(/\s+/));
  assert.ok(
    exposed.some((port) => port === '3000' || port === '3000/tcp'),
    `EXPOSE 3000: ${exposed.join(' ')}`,
  );
  assert.ok(
    stage.instructions.some(
      (instruction) => instruction.keyword === 'ENV' && /\bNODE_ENV[= ]\s*"?production"?/.test(instruction.args),
    ),
    'NODE_ENV is production',
  );

  const healthcheck = last('HEALTHCHECK')?.args ?? '';
  assert.doesNotMatch(healthcheck, /^NONE\b/i, 'the health check is not disabled');
  assert.match(healthcheck, /\bCMD\b.*\/healthz/, 'the health check probes /healthz');

  const command = last('CMD');
  assert.ok(command, 'the final stage has a CMD');
  const argv = strings(JSON.parse(command.args), 'CMD');
  assert.equal(argv[0], 'node', 'CMD runs node directly, so signals reach it');
  const script = argv.slice(1).find((arg) => /\.[cm]?[jt]s$/.test(arg));
  assert.ok(script, `CMD names a script: ${command.args}`);
  assert.ok(existsSync(path.join(root, script)), `CMD script ${script} exists`);
});
