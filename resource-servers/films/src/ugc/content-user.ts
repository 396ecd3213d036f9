import { superuserPermission } from '@usher/contracts';
import { can, type PermissionQuery, type Subject } from '@usher/kit';
import { viewerOf, type Viewer } from '../catalogue/subscription-rule.ts';

/** Who may delete anyone's review (CONTRACTS 3.4); `all_all` passes every query anyway. */
export const moderationQuery: PermissionQuery = { any: ['ugc_moderate', superuserPermission] };

/** The signed-in caller of a user-content endpoint: their content is keyed by the token's subject. */
export interface ContentUser {
  id: string;
  viewer: Viewer;
  moderator: boolean;
}

export function contentUserOf(subject: Subject): ContentUser {
  return { id: subject.sub, viewer: viewerOf(subject), moderator: can(subject, moderationQuery) };
}
