// TOTP seeds at rest: sealed with the master key (AES-256-GCM, src/secrets/), bound to the user id.
import { openSecret, sealSecret } from '../secrets/sealed-box.js';

/** The AAD is the user id: a seed copied into another user's row fails to open. */
export function encryptSeed(masterKey: Buffer, seed: Uint8Array, userId: string): string {
  return sealSecret(masterKey, seed, userId);
}

export function decryptSeed(masterKey: Buffer, ciphertext: string, userId: string): Uint8Array {
  return openSecret(masterKey, ciphertext, userId);
}
