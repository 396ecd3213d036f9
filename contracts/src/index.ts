export {
  evaluatePermissionQuery,
  InvalidPermissionQuery,
  parsePermissionQuery,
  type PermissionQuery,
} from './permission-query.ts';
export {
  permissionNamePattern,
  permissionsAdmin,
  securityEventsReceivePermission,
  subscriptionPermission,
  superuserPermission,
} from './permission-names.ts';
export {
  claimsCacheSeconds,
  claimsChangeLeadSeconds,
  coversWholeSubject,
  securityEventsChannel,
  securityEventsPollPath,
  securityEventTokenType,
  securityEventTypes,
  subjectWideEventTypes,
  type SecurityEventBody,
  type SecurityEventType,
} from './security-events.ts';
