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
 * Resources (v1 `resource=`, or v2 `scope=<resource>/.default`) the simulator issues tokens for:
 * the SIEM API's own app, and Azure AD Graph, which the portal's "SIEM integration" wizard
 * registered apps against (../shared/API-NOTES.md §1).
 */
export const SIMULATOR_RESOURCES = [
  'https://WDATPAlertExport.Seville.onmicrosoft.com',
  'https://graph.windows.net',
] as const;

/** The resource a client should ask for by default. */
export const DEFAULT_SIMULATOR_RESOURCE = SIMULATOR_RESOURCES[0];
