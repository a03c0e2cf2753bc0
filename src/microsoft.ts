/**
 * The Microsoft services this tool talks to, as data: the three alert APIs, where each lives in
 * each cloud, which token it wants, and how large a page it serves (docs/microsoft-apis.md, and
 * Microsoft's "Defender for Endpoint for US Government customers" page). The bottom of the module
 * graph: it imports nothing. Explicit URLs (--base-url, --authority-host, --resource) always
 * override what is chosen here.
 */

export const APIS = ['siem', 'mde', 'graph'] as const;
export type ApiName = (typeof APIS)[number];

export const CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** SIEM exporter regions (public cloud). */
export const SIEM_REGIONS = ['eu', 'us', 'uk'] as const;
/** Defender for Endpoint API geo hosts (public cloud): `<region>.api.security.microsoft.com`. */
export const MDE_REGIONS = ['us', 'eu', 'uk', 'au', 'swa', 'ina', 'aea'] as const;

/** Defender for Endpoint: `$top` may be at most 10 000 (its documented maximum page size). */
export const MDE_MAX_PAGE = 10_000;
/** Graph alerts_v2: `$top` at most 1 000 and `$skip` at most 500 (400 beyond). */
export const GRAPH_MAX_PAGE = 1000;
export const GRAPH_MAX_SKIP = 500;

/** How a token for an API is asked for: v1 endpoint with `resource=`, or v2 with `scope=`. */
export type TokenAudience = { version: 'v1'; resource: string } | { version: 'v2'; scope: string };

const AUTHORITY: Record<Cloud, string> = {
  public: 'https://login.microsoftonline.com',
  gcc: 'https://login.microsoftonline.com',
  'gcc-high': 'https://login.microsoftonline.us',
  dod: 'https://login.microsoftonline.us',
};

const SIEM_GOV: Partial<Record<Cloud, string>> = {
  gcc: 'https://wdatp-alertexporter-us.gcc.securitycenter.windows.us',
  'gcc-high': 'https://wdatp-alertexporter-us.securitycenter.windows.us',
  dod: 'https://wdatp-alertexporter-us.securitycenter.windows.us',
};

const MDE_HOST: Record<Cloud, string> = {
  public: 'https://api.security.microsoft.com',
  gcc: 'https://api-gcc.securitycenter.microsoft.us',
  'gcc-high': 'https://api-gov.securitycenter.microsoft.us',
  dod: 'https://api-gov.securitycenter.microsoft.us',
};

/** The token audience of the MDE API: the public cloud keeps the older host name as its resource. */
const MDE_RESOURCE: Record<Cloud, string> = {
  public: 'https://api.securitycenter.microsoft.com',
  gcc: 'https://api-gcc.securitycenter.microsoft.us',
  'gcc-high': 'https://api-gov.securitycenter.microsoft.us',
  dod: 'https://api-gov.securitycenter.microsoft.us',
};

const GRAPH_HOST: Record<Cloud, string> = {
  public: 'https://graph.microsoft.com',
  gcc: 'https://graph.microsoft.com',
  'gcc-high': 'https://graph.microsoft.us',
  dod: 'https://dod-graph.microsoft.us',
};

export const SIEM_DEFAULT_RESOURCE = 'https://WDATPAlertExport.Seville.onmicrosoft.com';

export function authorityHost(cloud: Cloud): string {
  return AUTHORITY[cloud];
}

/**
 * The default origin of `api` in `cloud`, or undefined when the user must choose (the public SIEM
 * API needs --region: there is no neutral host).
 */
export function defaultBaseUrl(api: ApiName, cloud: Cloud, region: string | undefined): string | undefined {
  switch (api) {
    case 'siem':
      if (cloud === 'public') return region ? `https://wdatp-alertexporter-${region}.windows.com` : undefined;
      return SIEM_GOV[cloud];
    case 'mde':
      return cloud === 'public' && region ? `https://${region}.api.security.microsoft.com` : MDE_HOST[cloud];
    case 'graph':
      return GRAPH_HOST[cloud];
  }
}

/** The token each API wants. `resource` (--resource) overrides the audience for any API. */
export function tokenAudience(api: ApiName, cloud: Cloud, resource: string | undefined): TokenAudience {
  switch (api) {
    case 'siem':
      // The SIEM API documents the v1 endpoint (the seed); keep it exactly.
      return { version: 'v1', resource: resource ?? SIEM_DEFAULT_RESOURCE };
    case 'mde':
      return { version: 'v2', scope: `${resource ?? MDE_RESOURCE[cloud]}/.default` };
    case 'graph':
      return { version: 'v2', scope: `${resource ?? GRAPH_HOST[cloud]}/.default` };
  }
}

/** Which regions --region accepts for `api` (none for Graph). */
export function regionsOf(api: ApiName): readonly string[] {
  return api === 'siem' ? SIEM_REGIONS : api === 'mde' ? MDE_REGIONS : [];
}

/** The SIEM alert-export API's 50 documented fields, in the order of Microsoft's 2020 response example. */
export const SIEM_FIELDS = [
  'AlertTime',
  'ComputerDnsName',
  'AlertTitle',
  'Category',
  'Severity',
  'AlertId',
  'Actor',
  'LinkToWDATP',
  'IocName',
  'IocValue',
  'CreatorIocName',
  'CreatorIocValue',
  'Sha1',
  'FileName',
  'FilePath',
  'IpAddress',
  'Url',
  'IoaDefinitionId',
  'UserName',
  'AlertPart',
  'FullId',
  'LastProcessedTimeUtc',
  'ThreatCategory',
  'ThreatFamily',
  'ThreatName',
  'RemediationAction',
  'RemediationIsSuccess',
  'Source',
  'Md5',
  'Sha256',
  'WasExecutingWhileDetected',
  'UserDomain',
  'LogOnUsers',
  'MachineDomain',
  'MachineName',
  'InternalIPv4List',
  'InternalIPv6List',
  'FileHash',
  'DeviceID',
  'MachineGroup',
  'Description',
  'DeviceCreatedMachineTags',
  'CloudCreatedMachineTags',
  'CommandLine',
  'IncidentLinkToWDATP',
  'ReportID',
  'LinkToMTP',
  'IncidentLinkToMTP',
  'ExternalId',
  'IocUniqueId',
] as const;

/**
 * The values the OData APIs' `severity` and `status` take, as each writes them (the Defender for
 * Endpoint alerts API capitalised, Graph's enums camelCase; docs/microsoft-apis.md §2, §3).
 * `--severity`/`--status` are matched against them case-insensitively and sent as listed.
 * Detection sources are many and change often: they are sent as given.
 */
export const ALERT_FILTER_VALUES = {
  mde: {
    severity: ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'],
    status: ['Unknown', 'New', 'InProgress', 'Resolved'],
  },
  graph: {
    severity: ['unknown', 'informational', 'low', 'medium', 'high'],
    status: ['unknown', 'new', 'inProgress', 'resolved'],
  },
} as const;
