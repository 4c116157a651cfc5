import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts credentials at rest (provider tokens, DGA passwords) with AES-256-GCM.
 * Stored form: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'smarthydro', 'credentials-v1', 32));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
  }

  decrypt(stored: string): string {
    const [v, iv, tag, data] = stored.split(':');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new Error('cannot decrypt a stored credential: SECRET_KEY differs from the one it was encrypted with', {
        cause: err,
      });
    }
  }

  /** Key for signing session tokens, derived separately from the encryption key. */
  signingKey(): string {
    return Buffer.from(hkdfSync('sha256', this.key, 'smarthydro', 'session-tokens-v1', 32)).toString('hex');
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
