// WebAuthn challenges: 32 random bytes, single use, five minutes, bound to one principal and one purpose,
// kept server-side (as a hash) so that any copy of the service can finish what another began.
import { createHash, randomBytes } from 'node:crypto';
import type { Repositories } from '../storage/repositories/index.js';
import type { ChallengePurpose } from '../storage/repositories/webauthn-challenges.js';
import { PasskeyRefusal } from './refusal.js';

export const CHALLENGE_TTL_MS = 5 * 60_000;

const hashOf = (challenge: string): string => createHash('sha256').update(challenge, 'utf8').digest('hex');

/** A new challenge (base64url), stored for the principal. */
export async function issueChallenge(
  repos: Pick<Repositories, 'webauthnChallenges'>,
  userId: string,
  purpose: ChallengePurpose,
  nowMs: number,
  name: string | null = null,
): Promise<string> {
  const challenge = randomBytes(32).toString('base64url');
  await repos.webauthnChallenges.insert({ challengeHash: hashOf(challenge), userId, purpose, name, expiresAt: nowMs + CHALLENGE_TTL_MS }, nowMs);
  return challenge;
}

/**
 * Spends the challenge the client answered. Unknown, already spent, another principal's and expired
 * challenges are all refused; an expired one is spent too (it can never be good again).
 */
export async function takeChallenge(
  repos: Pick<Repositories, 'webauthnChallenges'>,
  challenge: string,
  userId: string,
  purpose: ChallengePurpose,
  nowMs: number,
): Promise<{ name: string | null }> {
  const stored = await repos.webauthnChallenges.take(hashOf(challenge), userId, purpose);
  if (!stored) throw new PasskeyRefusal('The challenge is unknown, already used, or not this principal’s: request new options.');
  if (stored.expiresAt <= nowMs) throw new PasskeyRefusal('The challenge has expired: request new options.');
  return { name: stored.name };
}
