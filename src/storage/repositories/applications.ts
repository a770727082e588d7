// The applications repository (oidc_clients): clients that sign people in, with their exact redirect URIs.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { precompiled } from '../precompiled.js';

export interface Application {
  clientId: string;
  name: string;
  /** Null for a public client: it has no secret and proves itself with PKCE alone. */
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** How this client's ID tokens are signed (its id_token_signed_response_alg); access tokens are RS256 whatever it says. */
  idTokenAlg: IdTokenAlgorithm;
}

export type IdTokenAlgorithm = 'RS256' | 'ES256';

export type ApplicationsRepository = ReturnType<typeof createApplicationsRepository>;

const parseList = (text: string): string[] => {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
};

/** Read at every authorization-code exchange: built once (precompiled.ts). */
const findByIdQuery = precompiled(1, (db, clientId) => db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId));

export function createApplicationsRepository(db: Kysely<Database>) {
  return {
    async insert(application: Application, createdAt: number): Promise<void> {
      await db
        .insertInto('oidc_clients')
        .values({
          client_id: application.clientId,
          name: application.name,
          secret_hash: application.secretHash,
          redirect_uris: JSON.stringify(application.redirectUris),
          post_logout_redirect_uris: JSON.stringify(application.postLogoutRedirectUris),
          created_at: createdAt,
          id_token_signed_response_alg: application.idTokenAlg,
        })
        .execute();
    },

    async findById(clientId: string): Promise<Application | undefined> {
      const [row] = (await findByIdQuery(db, clientId)).rows;
      return (
        row && {
          clientId: row.client_id,
          name: row.name,
          secretHash: row.secret_hash,
          redirectUris: parseList(row.redirect_uris),
          postLogoutRedirectUris: parseList(row.post_logout_redirect_uris),
          idTokenAlg: row.id_token_signed_response_alg === 'ES256' ? 'ES256' : 'RS256',
        }
      );
    },
  };
}
