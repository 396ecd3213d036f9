import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const prefix = 'enc:v1:';

/**
 * Encrypts secrets at rest (private signing keys, client secrets) with AES-256-GCM under a key
 * derived from KEY_ENCRYPTION_SECRET. Without a secret, values are stored as they are, and a later
 * configured secret still reads them (only `enc:v1:` values are decrypted).
 */
export interface SecretBox {
  readonly encrypting: boolean;
  seal(plaintext: string): string;
  open(stored: string): string;
}

export function createSecretBox(secret: string | undefined): SecretBox {
  const key = secret ? Buffer.from(hkdfSync('sha256', secret, 'usher', 'usher secret box v1', 32)) : null;
  return {
    encrypting: key !== null,
    seal(plaintext) {
      if (!key) return plaintext;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return prefix + [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join(':');
    },
    open(stored) {
      if (!stored.startsWith(prefix)) return stored;
      if (!key) throw new Error('KEY_ENCRYPTION_SECRET is needed to read encrypted secrets');
      const [iv, tag, body] = stored
        .slice(prefix.length)
        .split(':')
        .map((part) => Buffer.from(part, 'base64url'));
      if (!iv || !tag || !body) throw new Error('malformed encrypted secret');
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    },
  };
}
