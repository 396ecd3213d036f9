import type { Knex } from '@usher/platform';

export interface AuditEvent {
  /** Who did it: a user id, `client:<id>`, or `cli`. */
  actor: string | null;
  action: string;
  targetType?: string;
  target?: string;
  data?: Record<string, unknown>;
}

/** Every change is recorded in the same transaction as the change itself. */
export function createAuditLog(knex: Knex) {
  return {
    async record(event: AuditEvent, trx: Knex = knex): Promise<void> {
      await trx('audit_events').insert({
        actor: event.actor,
        action: event.action,
        target_type: event.targetType ?? null,
        target: event.target ?? null,
        data: event.data ? JSON.stringify(event.data) : null,
      });
    },
  };
}

export interface AuditQuery {
  actor?: string | undefined;
  target?: string | undefined;
  /** An action, or every action of a kind when it ends with `.*` (`user.*`). */
  type?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  offset: number;
  limit: number;
}

export interface AuditRow {
  id: string;
  actor: string | null;
  action: string;
  target_type: string | null;
  target: string | null;
  data: Record<string, unknown> | null;
  created_at: Date;
}

/** Audit events newest first, filtered as an administrator asks. */
export async function queryAuditLog(knex: Knex, query: AuditQuery): Promise<{ items: AuditRow[]; total: number }> {
  const base = knex('audit_events');
  if (query.actor !== undefined) base.where('actor', query.actor);
  if (query.target !== undefined) base.where('target', query.target);
  if (query.type !== undefined) {
    if (query.type.endsWith('.*')) {
      const prefix = query.type.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      base.whereLike('action', `${prefix}%`);
    } else base.where('action', query.type);
  }
  if (query.since) base.where('created_at', '>=', query.since);
  if (query.until) base.where('created_at', '<', query.until);
  const [counted, items] = await Promise.all([
    base.clone().count<{ count: string }[]>({ count: '*' }),
    base
      .clone()
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .offset(query.offset)
      .limit(query.limit)
      .select('*'),
  ]);
  return { items: items as AuditRow[], total: Number(counted[0]?.count ?? 0) };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
