import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coversWholeSubject, securityEventTypes, type SecurityEventBody } from '@usher/contracts';
import type { Subject } from './outcomes.ts';
import type { RevocationCheck } from './token-verifier.ts';

/** Event types the kit applies: the shared contracts' (OpenID CAEP / RISC, and Usher's own for a single token). */
export const revocationEventTypes = securityEventTypes;

interface Saved {
  subjects: [string, { before: number; until: number }][];
  sessions: [string, number][];
  tokens: [string, number][];
}

type EventBody = SecurityEventBody;

/** What one applied event covers: a single token, a session, or a subject's tokens issued before an instant. */
export type Revocation =
  | { kind: 'token'; jti: string }
  | { kind: 'session'; sub: string; sid: string }
  | { kind: 'subject'; sub: string; before: number };

export type RevocationListener = (revocation: Revocation) => void;

export interface RevocationListOptions {
  /** Where the list is persisted, so a restart does not forget a revocation. */
  file?: string;
  /**
   * How long to keep an event that does not say when its tokens expire (a transmitter other than
   * Usher's): set it to the issuer's longest access-token lifetime. Default 2 h.
   */
  retainSeconds?: number;
  /** Kept this long past `covered_tokens_exp`, for clock skew and the verifier's leeway. Default 60 s. */
  leewaySeconds?: number;
}

/**
 * What the revocation feed has said, kept until every token it covers has expired: whole subjects
 * from an instant on (claims change, password change, blocking, deletion), sessions (sign-out) and
 * single tokens (by jti). Each event's own `covered_tokens_exp` says how long that is, so retention
 * follows the provider's configured token lifetime. Persisted to disk so a restart does not forget a
 * revocation.
 */
export class RevocationList implements RevocationCheck {
  private subjects = new Map<string, { before: number; until: number }>();
  private sessions = new Map<string, number>();
  private tokens = new Map<string, number>();
  private saving: Promise<void> | null = null;
  private dirty = false;
  private readonly listeners = new Set<RevocationListener>();

  constructor(private readonly options: RevocationListOptions = {}) {}

  /** Until when an event must be kept: past the last expiry of a token it covers. */
  private keepUntil(body: EventBody, now: number): number {
    if (typeof body.covered_tokens_exp === 'number' && Number.isFinite(body.covered_tokens_exp)) {
      return body.covered_tokens_exp * 1000 + (this.options.leewaySeconds ?? 60) * 1000;
    }
    return now + (this.options.retainSeconds ?? 2 * 60 * 60) * 1000;
  }

  async load(): Promise<void> {
    if (!this.options.file) return;
    try {
      const saved = JSON.parse(await readFile(this.options.file, 'utf8')) as Saved;
      this.subjects = new Map(saved.subjects);
      this.sessions = new Map(saved.sessions);
      this.tokens = new Map(saved.tokens);
      this.prune();
    } catch {
      // nothing saved yet
    }
  }

  /**
   * Calls `listener` with each revocation applied from now on (long-lived answers, such as event
   * streams, end when theirs is covered). Answers the function that stops the calls.
   */
  onRevocation(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(revocation: Revocation) {
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch {
        // one listener's failure must not keep the revocation from the others
      }
    }
  }

  /** Applies the `events` claim of a verified SET; answers whether anything was understood. */
  apply(events: Record<string, EventBody>): boolean {
    let applied = false;
    const now = Date.now();
    const revocations: Revocation[] = [];
    for (const [type, body] of Object.entries(events)) {
      const subject = body.subject?.user?.id ?? body.subject?.id;
      if (!subject) continue;
      const until = this.keepUntil(body, now);
      if (type === revocationEventTypes.tokenRevoked && body.jti) {
        this.tokens.set(body.jti, Math.max(until, this.tokens.get(body.jti) ?? 0));
        revocations.push({ kind: 'token', jti: body.jti });
        applied = true;
      } else if (type === revocationEventTypes.sessionRevoked && body.subject?.session?.id) {
        const key = `${subject} ${body.subject.session.id}`;
        this.sessions.set(key, Math.max(until, this.sessions.get(key) ?? 0));
        revocations.push({ kind: 'session', sub: subject, sid: body.subject.session.id });
        applied = true;
      } else if (coversWholeSubject(type)) {
        const before = body.event_timestamp ?? Math.floor(now / 1000);
        const existing = this.subjects.get(subject);
        this.subjects.set(subject, {
          before: Math.max(before, existing?.before ?? 0),
          until: Math.max(until, existing?.until ?? 0),
        });
        revocations.push({ kind: 'subject', sub: subject, before });
        applied = true;
      }
    }
    if (applied) this.scheduleSave();
    // After every event is in the list: a listener asking isRevoked sees them all.
    for (const revocation of revocations) this.notify(revocation);
    return applied;
  }

  isRevoked(subject: Subject): boolean {
    if (subject.jti && this.tokens.has(subject.jti)) return true;
    if (subject.sid && this.sessions.has(`${subject.sub} ${subject.sid}`)) return true;
    const wide = this.subjects.get(subject.sub);
    return wide !== undefined && subject.issuedAt < wide.before;
  }

  get size() {
    return this.subjects.size + this.sessions.size + this.tokens.size;
  }

  prune() {
    const now = Date.now();
    for (const map of [this.sessions, this.tokens]) for (const [key, until] of map) if (until < now) map.delete(key);
    for (const [key, value] of this.subjects) if (value.until < now) this.subjects.delete(key);
  }

  private scheduleSave() {
    if (!this.options.file) return;
    this.dirty = true;
    this.saving ??= (async () => {
      while (this.dirty) {
        this.dirty = false;
        const file = this.options.file!;
        await mkdir(path.dirname(file), { recursive: true });
        const saved: Saved = { subjects: [...this.subjects], sessions: [...this.sessions], tokens: [...this.tokens] };
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify(saved));
        await rename(temporary, file);
      }
    })()
      .catch(() => {})
      .finally(() => {
        this.saving = null;
      });
  }

  /** Waits for pending writes (tests, shutdown). */
  async flush(): Promise<void> {
    await this.saving;
  }
}
