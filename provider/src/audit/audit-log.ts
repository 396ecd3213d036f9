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

export type AuditLog = ReturnType<typeof createAuditLog>;
