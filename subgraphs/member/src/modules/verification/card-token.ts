import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Rotating member card codes (电子会员证 QR codes).
 *
 * A code is AES-256-GCM over (member id, expiry) under a key derived from CARD_TOKEN_SECRET:
 * - unforgeable without the key (GCM authenticates every bit),
 * - unreadable (the member id is encrypted; a screenshot tells nothing about the person),
 * - stateless to issue (no database write per refresh of the member app's QR code),
 * - unique per issue (random nonce), so "first verifier wins" can key on the code itself.
 *
 * Layout: "1" (version) + base64url(nonce 12 | ciphertext 20 | tag 16) = 65 characters, which fits
 * a low-density QR code that cheap counter scanners read reliably.
 */
const VERSION = '1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PLAINTEXT_BYTES = 16 + 4;
const ENCODED_LENGTH = VERSION.length + Math.ceil(((NONCE_BYTES + PLAINTEXT_BYTES + TAG_BYTES) * 4) / 3);
export const CARD_TOKEN_TTL_SECONDS = 60;

export type DecodedCardToken = { ok: true; memberId: string; expiresAt: Date; digest: Buffer } | { ok: false };

function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class CardTokenCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A derived key, so CARD_TOKEN_SECRET never touches AES directly and could sign other things later.
    this.key = Buffer.from(hkdfSync('sha256', secret, 'union-benefits/card-token', 'aes-256-gcm v1', 32));
  }

  issue(memberId: string, now = new Date(), ttlSeconds = CARD_TOKEN_TTL_SECONDS): { token: string; expiresAt: Date } {
    const expiresAt = new Date((Math.floor(now.getTime() / 1000) + ttlSeconds) * 1000);
    const plaintext = Buffer.alloc(PLAINTEXT_BYTES);
    uuidToBytes(memberId).copy(plaintext, 0);
    plaintext.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 16);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(VERSION));
    const body = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { token: VERSION + body.toString('base64url'), expiresAt };
  }

  /** Checks authenticity only; expiry is the caller's decision (a replay by the same partner is not an error). */
  decode(token: string): DecodedCardToken {
    if (typeof token !== 'string' || token.length !== ENCODED_LENGTH || !token.startsWith(VERSION)) return { ok: false };
    const encoded = token.slice(VERSION.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return { ok: false };
    const body = Buffer.from(encoded, 'base64url');
    // Non-canonical base64 (other trailing bits) would give a second spelling of one code.
    if (body.length !== NONCE_BYTES + PLAINTEXT_BYTES + TAG_BYTES || body.toString('base64url') !== encoded) return { ok: false };
    const nonce = body.subarray(0, NONCE_BYTES);
    const ciphertext = body.subarray(NONCE_BYTES, NONCE_BYTES + PLAINTEXT_BYTES);
    const tag = body.subarray(NONCE_BYTES + PLAINTEXT_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(VERSION));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      return { ok: false };
    }
    return {
      ok: true,
      memberId: bytesToUuid(plaintext.subarray(0, 16)),
      expiresAt: new Date(plaintext.readUInt32BE(16) * 1000),
      digest: createHash('sha256').update(body).digest(),
    };
  }
}
