/**
 * The shape of one SIEM alert-export record as the simulator serves it: a flat object of
 * strings, integers, booleans and nulls (docs/microsoft-apis.md §1). Deliberately loose, because
 * real answers drift (null vs "" vs absent keys, `IoaDefinitiondId`), and the simulator must be
 * able to serve whatever a test hands it.
 */
export type SiemAlertValue = string | number | boolean | null;
export type SiemAlert = Record<string, SiemAlertValue>;

/** The 50 documented fields, in the order Microsoft's 2020 example lists them. */
export const SIEM_ALERT_FIELDS = [
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

export type SiemAlertField = (typeof SIEM_ALERT_FIELDS)[number];
