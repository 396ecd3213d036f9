import type { KeyValueStore } from '@usher/platform';
import { flowTtlSeconds } from './upstream-flow-store.ts';
import type { UpstreamProfile } from './upstream-profile.ts';

/** An upstream identity waiting for the user to prove the account its verified email belongs to. */
export interface PendingLink {
  userId: string;
  upstream: string;
  profile: UpstreamProfile;
}

const key = (uid: string) => `upstream-link:${uid}`;

/**
 * Pending links, one per interaction (whose cookie only the browser that did the upstream sign-in
 * holds), kept server-side so the profile cannot be altered between the upstream and the password.
 */
export function createPendingLinkStore(store: KeyValueStore) {
  return {
    async save(uid: string, link: PendingLink): Promise<void> {
      await store.set(key(uid), JSON.stringify(link), flowTtlSeconds);
    },
    async find(uid: string): Promise<PendingLink | null> {
      const value = await store.get(key(uid));
      return value ? (JSON.parse(value) as PendingLink) : null;
    },
    async remove(uid: string): Promise<void> {
      await store.del(key(uid));
    },
  };
}

export type PendingLinkStore = ReturnType<typeof createPendingLinkStore>;
