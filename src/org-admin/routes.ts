// HTTP routes of the organization admin API (this project's extension) under /csp/gateway/am/api/orgs/{orgId}/mfa,
// behind the principal-API gate; each handler checks the org role first and audits the call with its actor.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { ApiError } from '../errors.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import { recordOrgEvent } from '../orgs/org-audit.js';
import { DEFAULT_POLICY, OrgMfaPolicySchema, parsePolicy } from '../orgs/policy.js';
import { readOrgPolicy, setOrgPolicy } from '../orgs/policy-store.js';
import { CSP_AM_API } from '../paths.js';
import { DEFAULT_DOMAIN } from '../principals/users.js';
import type { Services } from '../services.js';
import { requireOrgAdmin, requireStepUp } from './access.js';
import { resetByOrgAdmin, unlockByOrgAdmin } from './actions.js';
import { OrgPrincipalDetail, OrgPrincipalDto, OrgPrincipalPage, OrgTotalsDto, StoredPolicyDto } from './dtos.js';
import { DEFAULT_PAGE_LIMIT, listOrgPrincipals, MAX_PAGE_LIMIT, toTotalsDto } from './listing.js';
import { toOrgPrincipalDto } from './principal-view.js';
import { streamOrgReport } from './report.js';

export const ORG_MFA_BASE = `${CSP_AM_API}/orgs/:orgId/mfa`;
const TAGS = ['Organization MFA (extension)'];
const OrgParams = Type.Object({ orgId: Type.String({ minLength: 1, maxLength: 255 }) });
const PrincipalParams = Type.Object({ orgId: Type.String({ minLength: 1, maxLength: 255 }), username: Type.String({ minLength: 1, maxLength: 255 }) });
const DomainQuery = Type.Object({ domain: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'default local' })) });
const STEP_UP_NOTE = 'Needs step-up (RFC 9470): an access token whose second factor (amr, auth_time) is at most --step-up-max-age seconds old.';
const ROLE_NOTE = 'The token must carry csp:org_owner or csp:org_admin for this organization (and the stored role must still be one of them).';

/** Two media types, both streamed (a stream is never serialised by Fastify, so the schemas only document it). */
const REPORT_RESPONSE = Type.Unsafe<unknown>({
  description: 'The report, streamed',
  content: {
    'text/csv': {
      schema: {
        type: 'string',
        description: `Header row: ${'username,domain,role,activated,turnedOn,pending,authenticatorCount,authenticatorTypes,recoveryCodesLeft,lockedUntil,lastMfaUse,enrolmentDueAt,exempt'}`,
      },
    },
    'application/json': {
      schema: Type.Object({ orgId: Type.String(), generatedAt: Type.Integer(), totals: OrgTotalsDto, principals: Type.Array(Type.Ref('OrgPrincipal')) }),
    },
  },
});

export function orgAdminRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(OrgPrincipalDto);
    app.addSchema(OrgMfaPolicySchema);
    const { store, clock } = services;

    /** The organization's principal by username (and domain), or 404 org_principal_not_found. */
    async function findTarget(orgId: string, username: string, domain = DEFAULT_DOMAIN) {
      const row = await store.orgPrincipals.findByUsername(orgId, username, domain);
      const user = row && (await store.principals.findById(row.id));
      if (!row || !user) throw new ApiError('org_principal_not_found');
      return { row, user };
    }

    app.get(
      `${ORG_MFA_BASE}/policy`,
      {
        schema: {
          summary: "Get the organization's MFA policy",
          description: ROLE_NOTE,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: OrgParams,
          response: withErrors({ 200: StoredPolicyDto }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        const stored = await readOrgPolicy(store, orgId);
        await recordOrgEvent(store, { orgId, actor: actor.username, action: 'ORG_POLICY_READ', eventDate: clock.now() });
        return stored ?? { policy: DEFAULT_POLICY, requiredSince: null, updatedAt: null, updatedBy: null };
      },
    );

    app.put(
      `${ORG_MFA_BASE}/policy`,
      {
        schema: {
          summary: "Replace the organization's MFA policy",
          description: `${ROLE_NOTE} ${STEP_UP_NOTE}`,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: OrgParams,
          body: OrgMfaPolicySchema,
          response: withErrors({ 200: StoredPolicyDto }, AUTHENTICATED_ERRORS),
        },
        // Validation drops unknown properties silently; a policy with a misspelt field must be refused instead.
        preValidation: async (request) => {
          const parsed = parsePolicy(request.body);
          if ('errors' in parsed) throw new ApiError('invalid_request', `The policy is invalid: ${parsed.errors.join('; ')}`);
        },
      },
      async (request) => {
        const { orgId } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        requireStepUp(services, request);
        return setOrgPolicy(store, clock, orgId, request.body, actor.username);
      },
    );

    app.get(
      `${ORG_MFA_BASE}/totals`,
      {
        schema: {
          summary: "The organization's MFA coverage in numbers (one aggregate read)",
          description: ROLE_NOTE,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: OrgParams,
          response: withErrors({ 200: OrgTotalsDto }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId } = request.params;
        await requireOrgAdmin(services, request, orgId);
        // Counts only, no principal data: not audited (the listing, a principal and the report are).
        return toTotalsDto(await store.orgPrincipals.totals(orgId, clock.now()));
      },
    );

    app.get(
      `${ORG_MFA_BASE}/principals`,
      {
        schema: {
          summary: "List the organization's principals with their MFA state (keyset pages)",
          description: `${ROLE_NOTE} mfa: on (the TOTP device activated and turned on, or passkeys only), off (no authenticator, or the TOTP device turned off), pending (a TOTP device registered, not activated, and no passkey), locked (MFA verification locked now). search: usernames beginning with it.`,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: OrgParams,
          querystring: Type.Object({
            mfa: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('pending'), Type.Literal('locked')])),
            search: Type.Optional(Type.String({ maxLength: 255 })),
            pageStart: Type.Optional(Type.String({ maxLength: 2048 })),
            pageLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })),
          }),
          response: withErrors({ 200: OrgPrincipalPage }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        const nowMs = clock.now();
        const page = await listOrgPrincipals({ store, nowMs }, { orgId, ...request.query });
        const { mfa, search } = request.query;
        await recordOrgEvent(store, { orgId, actor: actor.username, action: 'ORG_PRINCIPALS_LIST', detail: { mfa, search }, eventDate: nowMs });
        return page;
      },
    );

    app.get(
      `${ORG_MFA_BASE}/principals/:username`,
      {
        schema: {
          summary: 'One principal of the organization with its MFA state and its last 20 MFA audit events',
          description: ROLE_NOTE,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: PrincipalParams,
          querystring: DomainQuery,
          response: withErrors({ 200: OrgPrincipalDetail }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId, username } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        const { row, user } = await findTarget(orgId, username, request.query.domain);
        const nowMs = clock.now();
        const principal = toOrgPrincipalDto(row, await readOrgPolicy(store, orgId), nowMs);
        const auditEvents = await store.orgPrincipals.recentAuditEvents(user.id, 20);
        await recordOrgEvent(store, { orgId, actor: actor.username, action: 'ORG_PRINCIPAL_READ', targetUsername: username, eventDate: nowMs });
        return { principal, auditEvents };
      },
    );

    app.post(
      `${ORG_MFA_BASE}/principals/:username/unlock`,
      {
        schema: {
          summary: "Lift a principal's MFA lockout, keeping its device and recovery codes",
          description: `${ROLE_NOTE} ${STEP_UP_NOTE}`,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: PrincipalParams,
          querystring: DomainQuery,
          response: withErrors({ 200: Type.Object({ unlocked: Type.Boolean() }, { additionalProperties: false }) }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId, username } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        requireStepUp(services, request);
        const { user } = await findTarget(orgId, username, request.query.domain);
        return unlockByOrgAdmin(store, clock, user, actor.username);
      },
    );

    app.post(
      `${ORG_MFA_BASE}/principals/:username/reset`,
      {
        schema: {
          summary: "Remove a principal's MFA device and recovery codes (it enrols again; its grace period restarts)",
          description: `${ROLE_NOTE} ${STEP_UP_NOTE}`,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: PrincipalParams,
          querystring: DomainQuery,
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }),
          response: withErrors({ 200: Type.Object({ removed: Type.Boolean() }, { additionalProperties: false }) }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => {
        const { orgId, username } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        requireStepUp(services, request);
        const { user } = await findTarget(orgId, username, request.query.domain);
        return resetByOrgAdmin(store, clock, user, actor.username, request.body.reason);
      },
    );

    app.get(
      `${ORG_MFA_BASE}/report`,
      {
        schema: {
          summary: "The organization's MFA coverage, streamed: CSV (one row per principal) or JSON (totals and principals)",
          description: ROLE_NOTE,
          tags: TAGS,
          security: TOKEN_SECURITY,
          params: OrgParams,
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' })) }),
          response: withErrors({ 200: REPORT_RESPONSE }, AUTHENTICATED_ERRORS),
        },
      },
      async (request, reply) => {
        const { orgId } = request.params;
        const actor = await requireOrgAdmin(services, request, orgId);
        const format = request.query.format ?? 'json';
        const nowMs = clock.now();
        await recordOrgEvent(store, { orgId, actor: actor.username, action: 'ORG_REPORT', detail: { format }, eventDate: nowMs });
        reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="mfa-report.${format}"`);
        return reply.send(streamOrgReport({ store, nowMs }, orgId, format));
      },
    );
  };
}
