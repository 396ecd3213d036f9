import type { ChangeContext } from '../audit/change-context.ts';
import { eventTypes } from '../security-events/event-types.ts';
import type { ClientMetadata } from './client-store.ts';
import { changedRegistration, ClientMetadataRefused, memberOfProblem, newRegistration } from './registration-rules.ts';

export class UnknownClient extends Error {
  constructor(readonly clientId: string) {
    super(`Client ${clientId} not found`);
    this.name = 'UnknownClient';
  }
}

/** A public client has no secret to rotate. */
export class NoClientSecret extends Error {
  constructor(clientId: string) {
    super(`Client ${clientId} is a public client and has no secret`);
    this.name = 'NoClientSecret';
  }
}

/** Answers why metadata is refused (the running provider's own rules), or null. */
export type ClientMetadataCheck = (metadata: Record<string, unknown>) => Promise<string | null>;

type StoredClient = ClientMetadata & { client_secret?: string };

/**
 * Registering and changing clients, audited. Metadata meets our registration rules
 * (registration-rules.ts), then oidc-provider's own, before it is stored, so a client accepted here
 * is one the provider loads, whether the admin API or the CLI registers it.
 */
export function clientChanges({ domain, feed, actor }: ChangeContext, check: ClientMetadataCheck) {
  const { clients, access, audit } = domain;

  async function validated(metadata: Record<string, unknown>) {
    const problem = await check(metadata);
    if (problem !== null) throw new ClientMetadataRefused(memberOfProblem(problem), problem);
  }

  const withoutSecret = ({ client_secret: _secret, ...rest }: StoredClient) => rest;

  return {
    /**
     * The answer holds the secret: the only time it is shown. The secret is generated unless one
     * is given that meets the secret rules (carrying a client over with its secret, say).
     */
    async create(input: Record<string, unknown>, permissions: string[]): Promise<StoredClient> {
      const metadata = newRegistration(input);
      await validated(metadata);
      return feed.withEvents(async (trx) => {
        const stored = await clients.create(metadata, trx);
        for (const permission of permissions) await access.grantPermissionToClient(stored.client_id, permission, trx);
        await audit.record(
          {
            actor,
            action: 'client.created',
            targetType: 'client',
            target: stored.client_id,
            data: { after: { ...withoutSecret(stored), permissions } },
          },
          trx,
        );
        return stored;
      });
    },

    /**
     * Members given replace the stored ones; `null` removes one. The client is read locked in the
     * change's transaction, so two concurrent updates cannot each merge into a stale copy. A change
     * that changes nothing writes, audits and announces nothing.
     */
    update: (clientId: string, changes: Record<string, unknown>): Promise<StoredClient> =>
      feed.withEvents(async (trx, emit) => {
        const current = await clients.find(clientId, trx, { forUpdate: true });
        if (!current) throw new UnknownClient(clientId);
        const merged = changedRegistration(current, changes);
        if (merged === null) return current;
        await validated(merged);
        await clients.update(clientId, merged, trx);
        const after = (await clients.find(clientId, trx, { forUpdate: true }))!;
        await audit.record(
          {
            actor,
            action: 'client.updated',
            targetType: 'client',
            target: clientId,
            data: { before: withoutSecret(current), after: withoutSecret(after) },
          },
          trx,
        );
        // What the client may request changed: its client-credentials tokens are re-evaluated.
        await emit({ type: eventTypes.tokenClaimsChange, subject: clientId });
        return after;
      }),

    /** Removes the client, the grants and tokens issued to it, and retires its machine tokens. */
    remove: (clientId: string) =>
      feed.withEvents(async (trx, emit) => {
        const current = await clients.find(clientId, trx);
        if (!current) throw new UnknownClient(clientId);
        await trx('oidc_payloads').whereRaw(`payload->>'clientId' = ?`, [clientId]).delete();
        await clients.delete(clientId, trx);
        await audit.record(
          {
            actor,
            action: 'client.deleted',
            targetType: 'client',
            target: clientId,
            data: { before: withoutSecret(current) },
          },
          trx,
        );
        await emit({ type: eventTypes.accountPurged, subject: clientId });
      }),

    rotateSecret: (clientId: string) =>
      feed.withEvents(async (trx, emit) => {
        if (!(await clients.find(clientId, trx))) throw new UnknownClient(clientId);
        const secret = await clients.rotateSecret(clientId, trx);
        if (secret === null) throw new NoClientSecret(clientId);
        await audit.record({ actor, action: 'client.secret_rotated', targetType: 'client', target: clientId }, trx);
        await emit({
          type: eventTypes.credentialChange,
          subject: clientId,
          data: { credential_type: 'client_secret' },
        });
        return secret;
      }),
  };
}
