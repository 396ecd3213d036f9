import { subscriptionPermission, superuserPermission } from '@usher/contracts';
import { can, type PermissionQuery, type Subject } from '@usher/kit';

/** CONTRACTS 3.2: a subscriber holds `pro_read` (or `all_all`). */
export const subscriptionQuery: PermissionQuery = { any: [subscriptionPermission, superuserPermission] };

/** Non-subscribers see films rated up to this (included) and films without a rating. */
export const publicRatingLimit = 7.0;

export interface Viewer {
  subscriber: boolean;
}

export function viewerOf(subject: Subject | null | undefined): Viewer {
  return { subscriber: can(subject, subscriptionQuery) };
}

/** The highest rating the viewer may see, or null for no limit. */
export function maxRatingFor(viewer: Viewer): number | null {
  return viewer.subscriber ? null : publicRatingLimit;
}

export function mayOpen(viewer: Viewer, rating: number | null): boolean {
  return viewer.subscriber || rating === null || rating <= publicRatingLimit;
}
