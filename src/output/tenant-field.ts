/**
 * The field that carries the tenant's label in a shared output. camelCase like the alerts of two of
 * the three APIs, and a name none of them uses (Graph's `tenantId` is the tenant's GUID, which the
 * label need not be): docs/many-tenants.md.
 */
export const TENANT_FIELD = 'tenantLabel';
