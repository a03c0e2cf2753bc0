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

export type SimulatorCredentials = typeof SIMULATOR_CREDENTIALS;

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
