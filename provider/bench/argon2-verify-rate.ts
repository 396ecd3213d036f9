/**
 * Bench child: the bare argon2 verify rate, in its own process so that it has the same libuv thread
 * pool as the server. Hashes one password with our argon2Options, then verifies it with 4 in flight
 * for the given seconds (argument, default 6). Prints {verifiesPerSecond, verifies, seconds,
 * cpuSecondsPerVerify (all threads), threadPool, memoryCostKiB}.
 */
import argon2 from 'argon2';
import { argon2Options, hashPassword } from '../src/accounts/password-hasher.ts';

const seconds = Number(process.argv[2] ?? 6);
const concurrency = 4;
const password = 'correct horse battery staple';
const hash = await hashPassword(password);

async function verifyUntil(deadline: number): Promise<number> {
  let count = 0;
  while (performance.now() < deadline) {
    if (!(await argon2.verify(hash, password))) throw new Error('argon2 verify failed');
    count += 1;
  }
  return count;
}

await Promise.all(Array.from({ length: concurrency }, () => verifyUntil(performance.now() + 500))); // warm-up
const started = performance.now();
const cpuBefore = process.cpuUsage();
const counts = await Promise.all(Array.from({ length: concurrency }, () => verifyUntil(started + seconds * 1000)));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const verifies = counts.reduce((sum, count) => sum + count, 0);
process.stdout.write(
  `${JSON.stringify({
    verifiesPerSecond: verifies / elapsed,
    verifies,
    seconds: elapsed,
    cpuSecondsPerVerify: (cpu.user + cpu.system) / 1e6 / verifies,
    threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    memoryCostKiB: argon2Options.memoryCost,
  })}\n`,
);
