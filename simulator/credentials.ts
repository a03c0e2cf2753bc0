/**
 * The simulator's PUBLISHED TEST CREDENTIALS.
 *
 * These are deliberately fake and public: they are printed by `defender-alerts simulate`,
 * written in the README and used by the tests. They open nothing but a local simulator. The
 * GUIDs are version-4-shaped all-zero placeholders so nobody mistakes them for a real tenant.
 */
export const SIMULATOR_CREDENTIALS = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  /** The tenant's domain name; Entra ID accepts either form in the token URL. */
  tenantDomain: 'simulator.onmicrosoft.com',
  clientId: '00000000-0000-4000-8000-0000000000c1',
  clientSecret: 'sim-secret-not-a-real-secret',
} as const;

/**
 * Resources of the SIEM alert-export API: its own app, and Azure AD Graph, which the portal's
 * "SIEM integration" wizard registered apps against (docs/microsoft-apis.md §1).
 */
export const SIEM_RESOURCES = ['https://WDATPAlertExport.Seville.onmicrosoft.com', 'https://graph.windows.net'] as const;

/**
 * Audiences of the Defender for Endpoint API (docs/microsoft-apis.md §2): the documented application ID URI,
 * the newer host name some clients ask for, and the US Government clouds' (GCC; GCC High/DoD).
 */
export const MDE_RESOURCES = [
  'https://api.securitycenter.microsoft.com',
  'https://api.security.microsoft.com',
  'https://api-gcc.securitycenter.microsoft.us',
  'https://api-gov.securitycenter.microsoft.us',
] as const;

/** Audiences of Microsoft Graph (docs/microsoft-apis.md §3): worldwide and GCC, GCC High, DoD. */
export const GRAPH_RESOURCES = ['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us'] as const;

/** Resources (v1 `resource=`, or v2 `scope=<resource>/.default`) the simulator issues tokens for. */
export const SIMULATOR_RESOURCES = [...SIEM_RESOURCES, ...MDE_RESOURCES, ...GRAPH_RESOURCES] as const;

/** The resource a client should ask for by default (the SIEM API's). */
export const DEFAULT_SIMULATOR_RESOURCE = SIMULATOR_RESOURCES[0];

/** Which of the simulated APIs a token's resource belongs to. */
export type SimulatorAudience = 'siem' | 'mde' | 'graph';

/** Normalises a resource as Entra compares them: case-insensitive, trailing slashes ignored. */
export function normalizeResource(resource: string): string {
  return resource.trim().replace(/\/+$/, '').toLowerCase();
}

/** The API a resource (as a client asked for it) gives access to, or undefined if none. */
export function audienceOf(resource: string): SimulatorAudience | undefined {
  const wanted = normalizeResource(resource);
  const among = (list: readonly string[]): boolean => list.some((r) => normalizeResource(r) === wanted);
  if (among(SIEM_RESOURCES)) return 'siem';
  if (among(MDE_RESOURCES)) return 'mde';
  if (among(GRAPH_RESOURCES)) return 'graph';
  return undefined;
}

/**
 * Fleet tenants (`SimulatorOptions.tenants`): the customer tenants of a multi-tenant ("MSSP") run,
 * each consenting to the same published app. Their ids share a prefix distinct from the default
 * tenant's and end in the index as 12 decimal digits, so a test reads which tenant an id is.
 */
const FLEET_TENANT_PREFIX = '00000000-0000-4000-8001-';
/** The largest index the 12 digits can hold. */
export const MAX_FLEET_INDEX = 999_999_999_999;
const FLEET_ID = /^00000000-0000-4000-8001-(\d{12})$/i;
// No leading zeros: each tenant has one domain name.
const FLEET_DOMAIN = /^tenant-([1-9]\d{0,11})\.simulator\.onmicrosoft\.com$/i;

/** The id of fleet tenant `index` (1-based): index 7 → `00000000-0000-4000-8001-000000000007`. */
export function fleetTenantId(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_FLEET_INDEX) {
    throw new RangeError(`a fleet tenant index is a whole number from 1 to ${MAX_FLEET_INDEX}, got ${index}`);
  }
  return FLEET_TENANT_PREFIX + String(index).padStart(12, '0');
}

/** The domain name of fleet tenant `index`: `tenant-7.simulator.onmicrosoft.com`. */
export function fleetTenantDomain(index: number): string {
  fleetTenantId(index);
  return `tenant-${index}.simulator.onmicrosoft.com`;
}

/** The index of the fleet tenant `tenant` (its id or domain, any case) names, else undefined. */
export function fleetTenantIndex(tenant: string): number | undefined {
  const digits = FLEET_ID.exec(tenant)?.[1] ?? FLEET_DOMAIN.exec(tenant)?.[1];
  const index = digits === undefined ? 0 : Number(digits);
  return index >= 1 ? index : undefined;
}

/**
 * The canonical id of the tenant `tenant` names (id or domain, any case) in a simulator serving
 * `fleet` fleet tenants: the default tenant's or a fleet tenant's; undefined if it serves no such
 * tenant (Entra's AADSTS90002).
 */
export function servedTenantId(tenant: string, fleet: number): string | undefined {
  const wanted = tenant.toLowerCase();
  if (wanted === SIMULATOR_CREDENTIALS.tenantId || wanted === SIMULATOR_CREDENTIALS.tenantDomain) return SIMULATOR_CREDENTIALS.tenantId;
  const index = fleetTenantIndex(tenant);
  return index !== undefined && index <= fleet ? fleetTenantId(index) : undefined;
}
