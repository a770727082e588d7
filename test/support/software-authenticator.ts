// A software WebAuthn authenticator for tests: an ES256 key from node:crypto, `none` attestation in CBOR, the
// authenticatorData flags and sign counter a real authenticator sets. Every field can be spoiled on purpose.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { encodeCbor } from './cbor.js';

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
const b64url = (data: Buffer): string => data.toString('base64url');

export interface AuthenticatorOptions {
  rpId: string;
  origin: string;
  /** Verifies the user (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
  /** A synced passkey: backup eligible and backed up (BE, BS). Default false (a device-bound key). */
  synced?: boolean;
}

/** What a test may spoil in one ceremony. */
export interface Spoil {
  origin?: string;
  rpIdForHash?: string;
  challenge?: string;
  type?: string;
  /** Replaces the computed flags byte. */
  flags?: number;
  /** Replaces the counter this ceremony reports (the authenticator's own count is not changed). */
  signCount?: number;
  /** Raw clientDataJSON bytes instead of the computed ones. */
  clientDataJSON?: Buffer;
  /** Raw attestationObject / authenticatorData bytes instead of the computed ones. */
  attestationObject?: Buffer;
  authenticatorData?: Buffer;
  /** Sign with this key instead of the credential's. */
  signingKey?: KeyObject;
}

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  signCount = 0;

  constructor(readonly options: AuthenticatorOptions) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  private flags(extra: number): number {
    const { userVerification = true, synced = false } = this.options;
    return FLAG.UP | (userVerification ? FLAG.UV : 0) | (synced ? FLAG.BE | FLAG.BS : 0) | extra;
  }

  private clientData(type: string, challenge: string, spoil: Spoil): Buffer {
    if (spoil.clientDataJSON) return spoil.clientDataJSON;
    return Buffer.from(
      JSON.stringify({ type: spoil.type ?? type, challenge: spoil.challenge ?? challenge, origin: spoil.origin ?? this.options.origin, crossOrigin: false }),
    );
  }

  private authData(flags: number, signCount: number, spoil: Spoil, attested?: Buffer): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(spoil.signCount ?? signCount);
    const parts = [sha256(spoil.rpIdForHash ?? this.options.rpId), Buffer.from([spoil.flags ?? flags]), counter];
    return Buffer.concat(attested ? [...parts, attested] : parts);
  }

  /** The COSE_Key of the public key (EC2, ES256, P-256). */
  private coseKey(): Buffer {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return encodeCbor(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  /** navigator.credentials.create() answering `options` (PublicKeyCredentialCreationOptionsJSON). */
  create(options: { challenge: string }, spoil: Spoil = {}) {
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.coseKey()]);
    const authData = this.authData(this.flags(FLAG.AT), this.signCount, spoil, attested);
    const attestationObject = spoil.attestationObject ?? encodeCbor({ fmt: 'none', attStmt: {}, authData });
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, spoil)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() answering `options` (PublicKeyCredentialRequestOptionsJSON); counts one use. */
  get(options: { challenge: string }, spoil: Spoil = {}) {
    this.signCount += 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, spoil);
    const authenticatorData = spoil.authenticatorData ?? this.authData(this.flags(0), this.signCount, spoil);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), spoil.signingKey ?? this.keys.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        userHandle: undefined as string | undefined,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
