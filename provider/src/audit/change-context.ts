import type { Domain } from '../domain.ts';
import type { SecurityEventFeed } from '../security-events/feed.ts';

/**
 * What every audited change needs: the data layer, the revocation feed (whose transaction the
 * change runs in, so the change, its audit record and its events commit together) and who acts:
 * a user id, `client:<client_id>`, or `cli`.
 */
export interface ChangeContext {
  domain: Domain;
  feed: SecurityEventFeed;
  actor: string;
}
