/**
 * Polls `check` every `intervalMs` until it holds, and answers how long that took, in milliseconds;
 * throws after `timeoutMs`. The tests of revocation delays report what it answers.
 */
export async function until(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}
