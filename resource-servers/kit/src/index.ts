// Token checking: outcomes, keys, revocations, the verifier, and the one call that wires them.
export {
  outcomeCodes,
  isRejection,
  type Outcome,
  type OutcomeCode,
  type Rejection,
  type RejectionCode,
  type Subject,
} from './outcomes.ts';
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
  RevocationList,
  revocationEventTypes,
  type Revocation,
  type RevocationListener,
  type RevocationListOptions,
} from './revocation-list.ts';
export { SecurityEventReceiver, type ReceiverOptions } from './security-event-receiver.ts';
export { startTokenChecks, type TokenCheckDeps, type TokenChecks } from './token-checks.ts';

// Settings every resource server shares.
export {
  resourceServerConfig,
  resourceServerSettings,
  type FeedSettings,
  type ResourceServerConfig,
  type ResourceServerFields,
  type ResourceServerSettings,
} from './resource-server-settings.ts';

// The Express layer.
export { createServiceApp, type ServiceApp, type ServiceAppOptions } from './http/service-app.ts';
export { RouteTable, type HttpMethod, type Operation } from './http/route-table.ts';
export {
  authenticate,
  can,
  degradedHeader,
  requirePermission,
  requireUser,
  subjectOf,
  type AuthenticateOptions,
  type RequestAuth,
} from './http/express-auth.ts';
export { RequestFailure, type Failure, type FailureKind, type FieldError } from './http/failures.ts';
export {
  answerFailure,
  defaultFailureProblem,
  problemAnswer,
  problemRenderer,
  useErrorRenderer,
  type ErrorAnswer,
  type ErrorRenderer,
} from './http/error-answers.ts';
export { errorResponses } from './http/error-responses.ts';
export { validate, type InputSchemas, type Validation, type ValidInput } from './http/validate.ts';
export { requestLog } from './http/request-log.ts';
export type { Readiness } from './http/ops-routes.ts';
export {
  openEventStream,
  type EventStream,
  type EventStreamOptions,
  type StreamEnd,
  type StreamEvent,
} from './http/event-stream.ts';
