import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { RevocationList, revocationEventTypes, type Subject } from '../src/index.ts';

const t0 = 1_900_000_000; // seconds
const hour = 3600;

function token(claims: Partial<Subject> & { issuedAt: number; expiresAt: number }): Subject {
  return { sub: 'user-1', clientId: 'web', roles: [], permissions: [], scope: [], jti: 'j-1', sid: 's-1', ...claims };
}

/** Moves the clock to `seconds` and prunes, as the receiver does after every poll. */
function at(list: RevocationList, seconds: number) {
  mock.timers.setTime(seconds * 1000);
  list.prune();
}

/**
 * Each event is kept until the last token it covers has expired (its `covered_tokens_exp`, plus
 * leeway), whatever the provider's access-token lifetime is, and dropped after.
 */
describe('revocation retention follows the tokens an event covers', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: t0 * 1000 }));
  afterEach(() => mock.timers.reset());

  test('a subject-wide event outlives 2 h when tokens live longer, and goes once they cannot be valid', () => {
    const list = new RevocationList({ leewaySeconds: 60 });
    // The provider issues 4 h tokens: one minted just before the change is valid until t0 + 4 h.
    const covered = token({ issuedAt: t0 - 1, expiresAt: t0 - 1 + 4 * hour });
    const changedAt = t0;
    list.apply({
      [revocationEventTypes.accountDisabled]: {
        subject: { format: 'opaque', id: 'user-1' },
        event_timestamp: changedAt,
        covered_tokens_exp: changedAt + 4 * hour + 300,
      },
    });
    at(list, t0 + 3 * hour);
    assert.equal(list.isRevoked(covered), true, 'kept while the token could still be valid');
    at(list, t0 + 4 * hour + 300 + 59);
    assert.equal(list.isRevoked(covered), true, 'kept through the leeway');
    at(list, t0 + 4 * hour + 300 + 61);
    assert.equal(list.size, 0, 'dropped once no covered token can be valid');
  });

  test('a token-revoked event is kept until that token’s exp (plus leeway), not a fixed time', () => {
    const list = new RevocationList({ leewaySeconds: 60 });
    const revoked = token({ issuedAt: t0 - 60, expiresAt: t0 + 120, jti: 'short-lived' });
    list.apply({
      [revocationEventTypes.tokenRevoked]: {
        subject: { format: 'opaque', id: 'user-1' },
        jti: 'short-lived',
        covered_tokens_exp: revoked.expiresAt,
      },
    });
    at(list, t0 + 170);
    assert.equal(list.isRevoked(revoked), true);
    at(list, t0 + 181);
    assert.equal(list.size, 0);
  });

  test('a session-revoked event is kept for its covered tokens, and a later event never shortens it', () => {
    const list = new RevocationList({ leewaySeconds: 0 });
    const session = (coveredUntil: number) => ({
      [revocationEventTypes.sessionRevoked]: {
        subject: {
          format: 'complex',
          user: { format: 'opaque', id: 'user-1' },
          session: { format: 'opaque', id: 's-1' },
        },
        event_timestamp: t0,
        covered_tokens_exp: coveredUntil,
      },
    });
    const covered = token({ issuedAt: t0 - 10, expiresAt: t0 + 1800 });
    list.apply(session(t0 + 2100));
    list.apply(session(t0 + 600)); // the same session said again (e.g. a replayed SET)
    at(list, t0 + 2000);
    assert.equal(list.isRevoked(covered), true);
    at(list, t0 + 2101);
    assert.equal(list.isRevoked(covered), false);
  });

  test('an event that does not say when its tokens expire is kept for retainSeconds', () => {
    const list = new RevocationList({ retainSeconds: 900 });
    list.apply({
      [revocationEventTypes.credentialChange]: { subject: { format: 'opaque', id: 'user-1' }, event_timestamp: t0 },
    });
    const covered = token({ issuedAt: t0 - 5, expiresAt: t0 + 600 });
    at(list, t0 + 899);
    assert.equal(list.isRevoked(covered), true);
    at(list, t0 + 901);
    assert.equal(list.size, 0);
  });

  test('the disk copy keeps each event’s own retention across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'usher-kit-retention-'));
    try {
      const file = path.join(dir, 'revocations.json');
      const list = new RevocationList({ file, leewaySeconds: 0 });
      list.apply({
        [revocationEventTypes.tokenRevoked]: {
          subject: { format: 'opaque', id: 'user-1' },
          jti: 'soon',
          covered_tokens_exp: t0 + 100,
        },
        [revocationEventTypes.tokenClaimsChange]: {
          subject: { format: 'opaque', id: 'user-2' },
          event_timestamp: t0,
          covered_tokens_exp: t0 + 5 * hour,
        },
      });
      await list.flush();
      mock.timers.setTime((t0 + 3 * hour) * 1000);
      const restarted = new RevocationList({ file, leewaySeconds: 0 });
      await restarted.load();
      assert.equal(restarted.size, 1, 'the expired jti is gone, the subject event stays');
      assert.equal(restarted.isRevoked(token({ sub: 'user-2', issuedAt: t0 - 1, expiresAt: t0 + 5 * hour })), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
