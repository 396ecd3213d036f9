/** oidc-provider types the rest of the provider may name, so that only this folder imports it. */
export type { InteractionResults } from 'oidc-provider';
