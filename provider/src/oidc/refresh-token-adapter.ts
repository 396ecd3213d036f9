import { createHash } from 'node:crypto';
import { statement, type Knex, type Statement } from '@usher/platform';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import {
  answerWithSuccessor,
  deferConsumption,
  reuseIntervalSeconds,
  takeDeferredConsumption,
} from './refresh-rotation.ts';

/** A successor names the token it replaced by this digest: no token value is stored a second time. */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

interface RotationStatements {
  rotate: Statement<{ id: string }>;
  liveSuccessor: Statement<{ id: string; payload: AdapterPayload }>;
}

export function rotationStatements(knex: Knex): RotationStatements {
  return {
    // The old token is consumed only if nobody consumed it first, and the successor is stored only
    // if it was: one statement, so both commit or neither does (a crash or a failed insert leaves
    // the old token usable), and one token never gets two successors.
    rotate: statement(
      knex,
      'usher_refresh_rotate',
      `with replaced as (
         update oidc_payloads set consumed_at = now()
         where model = 'RefreshToken' and id = $1 and consumed_at is null
         returning id
       )
       insert into oidc_payloads (model, id, payload, grant_id, expires_at, rotated_from)
       select 'RefreshToken', $2::text, $3::jsonb, $4::text, $5::timestamptz, $6::text from replaced
       returning id`,
    ),
    // The live successor of a token consumed less than the reuse interval ago: none once the
    // successor has itself been used (the presented token is then an older ancestor).
    liveSuccessor: statement(
      knex,
      'usher_refresh_successor',
      `select s.id, s.payload from oidc_payloads s
       where s.model = 'RefreshToken' and s.rotated_from = $1 and s.consumed_at is null
         and (s.expires_at is null or s.expires_at > now())
         and exists (
           select 1 from oidc_payloads p
           where p.model = 'RefreshToken' and p.id = $2
             and p.consumed_at > now() - $3::integer * interval '1 second')
       limit 1`,
    ),
  };
}

/**
 * Refresh tokens, in PostgreSQL like every durable model (`rows`), with rotation made atomic and
 * the reuse interval applied (see refresh-rotation.ts). They must stay in PostgreSQL, never in
 * Redis: the rotation is one SQL statement.
 */
export class RefreshTokenAdapter implements Adapter {
  constructor(
    private readonly rows: Adapter,
    private readonly statements: RotationStatements,
    private readonly transaction: () => Knex | undefined,
  ) {}

  private async liveSuccessor(id: string, interval: number) {
    const [successor] = await this.statements.liveSuccessor([digest(id), id, interval], this.transaction());
    return successor;
  }

  /**
   * A token consumed within the reuse interval whose successor is unused stands for that
   * successor: oidc-provider then validates the successor (client, expiry, sender binding, grant)
   * and issues a fresh access token from it. Any other consumed token is found consumed, and
   * oidc-provider's reuse detection revokes the grant.
   */
  async find(id: string) {
    const found = await this.rows.find(id);
    const interval = reuseIntervalSeconds();
    if (!found?.consumed || interval === 0) return found;
    const successor = await this.liveSuccessor(id, interval);
    if (!successor) return found;
    answerWithSuccessor(successor.id);
    return successor.payload;
  }

  async consume(id: string) {
    if (!deferConsumption(id)) await this.rows.consume(id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    const replaced = takeDeferredConsumption();
    if (replaced === undefined) return this.rows.upsert(id, payload, expiresIn);
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    const values = [replaced, id, JSON.stringify(payload), payload.grantId ?? null, expiresAt, digest(replaced)];
    const [stored] = await this.statements.rotate(values, this.transaction());
    if (stored) return;
    // Another request rotated the same token between our read and this write: within the reuse
    // interval both get its successor; otherwise (or if the grant was revoked meanwhile) this one fails.
    const interval = reuseIntervalSeconds();
    const successor = interval > 0 ? await this.liveSuccessor(replaced, interval) : undefined;
    if (!successor) throw new errors.InvalidGrant('refresh token already used');
    answerWithSuccessor(successor.id);
  }

  findByUid(uid: string) {
    return this.rows.findByUid(uid);
  }

  findByUserCode(userCode: string) {
    return this.rows.findByUserCode(userCode);
  }

  destroy(id: string) {
    return this.rows.destroy(id);
  }

  revokeByGrantId(grantId: string) {
    return this.rows.revokeByGrantId(grantId);
  }
}
