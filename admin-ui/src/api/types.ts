import type { components } from '@usher/contracts/admin-api';

/** The admin API's shapes, as the generated types name them. */
type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Permission = Schemas['Permission'];
export type Role = Schemas['Role'];
export type UserDetails = Schemas['UserDetails'];
export type UserPage = Schemas['UserPage'];
export type Login = Schemas['Login'];
export type Session = Schemas['Session'];
export type PermissionExplanation = Schemas['PermissionExplanation'];
export type AudienceClaims = Schemas['AudienceClaims'];
export type Client = Schemas['Client'];
export type ClientWithSecret = Schemas['ClientWithSecret'];
export type SigningKey = Schemas['SigningKey'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditPage = Schemas['AuditPage'];
