/**
 * Paging moved to platform (offset-paging.ts); this name stays while src/http imports it from here.
 * New code imports from '@usher/platform'.
 */
export { pagedList, windowOf, type PageRequest, type PagedList } from '@usher/platform';
