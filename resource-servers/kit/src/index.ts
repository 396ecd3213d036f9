export { outcomeCodes, isRejection, type Outcome, type OutcomeCode, type Subject } from './outcomes.ts';
export {
  evaluatePermissionQuery,
  InvalidPermissionQuery,
  parsePermissionQuery,
  superuserPermission,
  type PermissionQuery,
} from '@usher/contracts';
export { ProviderKeys, type KeyLookup, type ProviderKeysOptions } from './provider-keys.ts';
export { TokenVerifier, type RevocationCheck, type TokenVerifierOptions } from './token-verifier.ts';
export {
  authenticate,
  can,
  degradedHeader,
  requirePermission,
  type AuthenticateOptions,
  type RequestAuth,
} from './express-auth.ts';
export { RevocationList, revocationEventTypes, type RevocationListOptions } from './revocation-list.ts';
export { SecurityEventReceiver, type ReceiverOptions } from './security-event-receiver.ts';
