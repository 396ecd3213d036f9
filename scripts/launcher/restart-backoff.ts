/**
 * When the launcher restarts a crashed service, as a supervisor would: after a wait that doubles
 * with each crash in a row (so a service that cannot start does not spin), back to the shortest
 * wait once it has stayed up a while, and never again once it has crashed several times in a row
 * without ever becoming ready (it will not, and its output says why).
 */

export interface RestartPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A service ready this long has recovered: its next crash waits firstDelayMs again. */
  stableAfterMs: number;
  /** Crashes in a row, each before becoming ready, after which the launcher gives up. */
  maxCrashesBeforeReady: number;
}

export const restartPolicy: RestartPolicy = {
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 30_000,
  maxCrashesBeforeReady: 4,
};

export type AfterCrash = { restart: true; delayMs: number } | { restart: false; crashesBeforeReady: number };

/** One service's crash history, answering what to do about each crash. */
export class RestartBackoff {
  #delayMs: number;
  #crashesBeforeReady = 0;
  #readySince: number | undefined;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.#delayMs = policy.firstDelayMs;
  }

  /** The current process answered its readiness probe. */
  ready(): void {
    this.#readySince = this.now();
    this.#crashesBeforeReady = 0;
  }

  /** The current process crashed: wait and restart, or give up. */
  crashed(): AfterCrash {
    const readySince = this.#readySince;
    this.#readySince = undefined;
    if (readySince === undefined) {
      this.#crashesBeforeReady += 1;
      if (this.#crashesBeforeReady >= this.policy.maxCrashesBeforeReady) {
        return { restart: false, crashesBeforeReady: this.#crashesBeforeReady };
      }
    } else if (this.now() - readySince >= this.policy.stableAfterMs) {
      this.#delayMs = this.policy.firstDelayMs;
    }
    const delayMs = this.#delayMs;
    this.#delayMs = Math.min(delayMs * 2, this.policy.maxDelayMs);
    return { restart: true, delayMs };
  }
}
