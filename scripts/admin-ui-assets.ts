/**
 * The admin UI's built assets (admin-ui/dist), made with Vite when missing or older than the UI's
 * sources. `npm start` calls this while the databases and the other services start, so a fresh
 * checkout (`npm ci && npm start`) needs no separate build step; the browser test calls it too.
 */
import { spawn } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const adminUiDir = path.join(root, 'admin-ui');
export const adminUiDist = path.join(adminUiDir, 'dist');
const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((name) =>
  path.join(adminUiDir, name),
);

async function newestChange(file: string): Promise<number> {
  const info = await stat(file).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(file);
  const times = await Promise.all(entries.map((entry) => newestChange(path.join(file, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** True when admin-ui/dist is missing or older than a source file. */
export async function adminUiStale(): Promise<boolean> {
  const built = await stat(path.join(adminUiDist, 'index.html')).catch(() => null);
  if (!built) return true;
  const changes = await Promise.all(sources.map(newestChange));
  return Math.max(...changes) > built.mtimeMs;
}

/**
 * Builds into a private folder and swaps it in, so two builds at once (two test files, or a test and
 * `npm start`) never serve a half-written dist.
 */
export async function buildAdminUi(): Promise<void> {
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const outDir = path.join(root, 'node_modules', '.cache', `usher-admin-ui-${process.pid}-${Date.now()}`);
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: adminUiDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    await rm(outDir, { recursive: true, force: true });
    throw new Error(`vite build failed (${code}):\n${output.join('')}`);
  }
  const previous = `${outDir}-previous`;
  await rename(adminUiDist, previous).catch(() => undefined);
  // Losing a race to another build of the same sources is fine: its dist is as good as ours.
  await rename(outDir, adminUiDist).catch(() => rm(outDir, { recursive: true, force: true }));
  await rm(previous, { recursive: true, force: true });
}

/** Builds the admin UI when its assets are missing or stale; answers whether it built. */
export async function ensureAdminUiAssets(): Promise<boolean> {
  if (!(await adminUiStale())) return false;
  await buildAdminUi();
  return true;
}
