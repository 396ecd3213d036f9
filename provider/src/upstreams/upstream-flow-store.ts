import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '@usher/platform';

/**
 * What a redirect to an upstream is bound to. A sign-in flow belongs to one oidc-provider interaction
 * (whose cookie only that browser holds); a link flow to the account signed in on the account page.
 */
export type FlowBinding = { purpose: 'sign-in'; uid: string } | { purpose: 'link'; accountId: string };

export type UpstreamFlow = FlowBinding & {
  /** The `state` sent to the upstream: the flow's key. */
  state: string;
  upstream: string;
  codeVerifier: string;
  nonce?: string;
};

/** Long enough to pick an account and consent at the upstream; short enough that a leaked state is useless. */
export const flowTtlSeconds = 10 * 60;

const statePattern = /^[\w-]{43}$/;
const key = (state: string) => `upstream-flow:${state}`;

/**
 * State, PKCE verifier and nonce of redirects in progress, kept server-side (Redis or this process)
 * under the random `state`. A flow is taken once: a replayed or forged answer finds nothing.
 */
export function createFlowStore(store: KeyValueStore) {
  return {
    async save(flow: Omit<UpstreamFlow, 'state'>): Promise<string> {
      const state = randomBytes(32).toString('base64url');
      await store.set(key(state), JSON.stringify({ ...flow, state }), flowTtlSeconds);
      return state;
    },

    /** Reads a flow without using it up (to route the browser back to its interaction). */
    async peek(state: unknown): Promise<UpstreamFlow | null> {
      if (typeof state !== 'string' || !statePattern.test(state)) return null;
      const value = await store.get(key(state));
      return value ? (JSON.parse(value) as UpstreamFlow) : null;
    },

    /** Reads and deletes a flow in one step, so that two answers carrying one state cannot both use it. */
    async take(state: unknown): Promise<UpstreamFlow | null> {
      if (typeof state !== 'string' || !statePattern.test(state)) return null;
      let value: string | null;
      if (store.redis) {
        value = await store.redis.getdel(key(state));
      } else {
        // The in-process store reads and deletes synchronously inside these calls: nothing can
        // run between the two, so this is atomic within the process (its only user).
        [value] = await Promise.all([store.get(key(state)), store.del(key(state))]);
      }
      return value ? (JSON.parse(value) as UpstreamFlow) : null;
    },
  };
}

export type FlowStore = ReturnType<typeof createFlowStore>;
