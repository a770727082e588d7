// The audit log's wire shapes, exactly CSP's (MfaAuditLogDto, PagedPostResponseMfaAuditLogDto); the feature's
// types are derived from them (Static), so the query code and the wire cannot drift apart.
import { type Static, Type } from 'typebox';

export const MfaAuditLogDto = Type.Object(
  {
    action: Type.String(),
    details: Type.Object({ deviceName: Type.Optional(Type.String()) }),
    eventDate: Type.Integer({ format: 'int64' }),
    eventId: Type.String(),
    modifiedBy: Type.String(),
    username: Type.String(),
  },
  { title: 'MfaAuditLogDto' },
);

export type MfaAuditLogDto = Static<typeof MfaAuditLogDto>;

export const PagedPostResponseMfaAuditLogDto = Type.Object(
  { itemsPerPage: Type.Integer(), results: Type.Array(MfaAuditLogDto), startIndex: Type.Integer(), totalResults: Type.Integer() },
  { title: 'PagedPostResponseMfaAuditLogDto' },
);
export type PagedAuditLog = Static<typeof PagedPostResponseMfaAuditLogDto>;
