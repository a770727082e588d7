// The principal's own profile as CSP's "who am I" answers it (GET /csp/gateway/am/api/loggedin/user).
import { type Static, Type } from 'typebox';
import type { User } from '../principals/users.js';
import type { AccessTokenClaims } from '../tokens/claims.js';

/** CSP's BaseUserDto, without `accessible` and `userProfile` (nothing here to fill them with). */
export const BaseUserDto = Type.Object(
  {
    username: Type.Optional(Type.String({ description: "The user's username" })),
    domain: Type.Optional(Type.String({ description: "The user's identity provider domain: `local`, or the trusted issuer's" })),
    idpId: Type.Optional(Type.String({ description: "The user's identity provider: the trusted issuer, for users of one" })),
    userId: Type.Optional(Type.String({ description: 'The unique identifier of the user on whose behalf the token was issued' })),
    acct: Type.Optional(Type.String({ description: 'The identifier the user signs in with: URLEncoded(username)@domain, or the address' })),
    email: Type.Optional(Type.String({ description: "The user's email address, when the identity provider sent one" })),
    firstName: Type.Optional(Type.String({ description: "The user's first name, when the identity provider sent one" })),
    lastName: Type.Optional(Type.String({ description: "The user's last name, when the identity provider sent one" })),
  },
  { title: 'BaseUserDto', additionalProperties: false },
);

export type LoggedInUser = Static<typeof BaseUserDto>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * CSP's documented `acct`: the login identifier, `URLEncoded(username)@domain`, or the username itself
 * when it already is an address.
 */
export function accountOf(user: Pick<User, 'username' | 'domain'>): string {
  return user.username.includes('@') ? user.username : `${encodeURIComponent(user.username)}@${user.domain}`;
}

/**
 * The profile of the user named by verified token claims. The store knows username, domain and id; an
 * outside issuer's token may add what its identity provider knows (acct, email, given and family name),
 * and that issuer is the user's identity provider (`idpId`). Nothing is guessed beyond CSP's acct rule.
 */
export function describeLoggedInUser(user: User, claims: AccessTokenClaims, ownIssuer: string): LoggedInUser {
  const outside = claims.iss !== ownIssuer;
  const profile: LoggedInUser = {
    username: user.username,
    domain: user.domain,
    idpId: outside ? claims.iss : undefined,
    userId: user.id,
    acct: text(claims.acct) ?? accountOf(user),
    email: text(claims.email),
    firstName: text(claims.given_name),
    lastName: text(claims.family_name),
  };
  for (const key of Object.keys(profile) as (keyof LoggedInUser)[]) if (profile[key] === undefined) delete profile[key];
  return profile;
}
