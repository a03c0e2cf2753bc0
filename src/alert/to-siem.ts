/**
 * `--schema siem`: Defender for Endpoint and Graph alerts mapped onto the SIEM API's flat layout,
 * so SIEM parsers and jq filters written for the SIEM API keep working after a migration.
 *
 * The mapping follows Microsoft's published SIEM → alerts_v2 field table (defender-endpoint
 * "configure-siem"; docs/microsoft-apis.md) and its Defender for Endpoint equivalents. Every one of the 50
 * SIEM fields is present in every mapped alert, in the SIEM API's order; a field with no
 * equivalent is null. Severity is capitalised as the SIEM API wrote it (`High`), so filters like
 * `select(.Severity=="High")` still match.
 */
import { SIEM_FIELDS } from '../microsoft.js';
import type { GraphAlert, GraphEvidence } from './graph-schema.js';
import type { MdeAlert } from './mde-schema.js';

/** The SIEM API's fields in the order of Microsoft's 2020 response example. */
export { SIEM_FIELDS };

export type SiemField = (typeof SIEM_FIELDS)[number];
type Value = string | number | boolean | null;
export type MappedAlert = Record<SiemField, Value>;

/** `high` → `High`, `informational` → `Informational`, `UnSpecified` stays. */
function severity(value: string | null | undefined): string | null {
  if (!value) return null;
  return value.charAt(0).toUpperCase() + value.slice(1);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const joined = (v: unknown): string | null =>
  Array.isArray(v) && v.length > 0 ? v.filter((x) => typeof x === 'string').join(', ') || null : null;

function emptyAlert(): MappedAlert {
  return Object.fromEntries(SIEM_FIELDS.map((f) => [f, null])) as MappedAlert;
}

/** `host.corp.example` → machine `host`, domain `corp.example`. */
function splitDnsName(dns: string | null): { machine: string | null; domain: string | null } {
  if (!dns) return { machine: null, domain: null };
  const dot = dns.indexOf('.');
  return dot < 0 ? { machine: dns, domain: null } : { machine: dns.slice(0, dot), domain: dns.slice(dot + 1) };
}

function evidenceOf(alert: GraphAlert, type: string): Record<string, unknown> | undefined {
  return (alert.evidence ?? []).find((e: GraphEvidence) => e['@odata.type'] === `#microsoft.graph.security.${type}`);
}

/** One Graph alerts_v2 alert in the SIEM layout (Microsoft's mapping table). */
export function graphToSiem(alert: GraphAlert): MappedAlert {
  const out = emptyAlert();
  const device = evidenceOf(alert, 'deviceEvidence');
  const file = evidenceOf(alert, 'fileEvidence');
  const fileDetails = (file?.['fileDetails'] ?? {}) as Record<string, unknown>;
  const process = evidenceOf(alert, 'processEvidence');
  const user = evidenceOf(alert, 'userEvidence');
  const account = (user?.['userAccount'] ?? {}) as Record<string, unknown>;
  const ip = evidenceOf(alert, 'ipEvidence');
  const url = evidenceOf(alert, 'urlEvidence');
  const dns = str(device?.['deviceDnsName']);
  const { machine, domain } = splitDnsName(dns);
  const tags = joined(device?.['tags']);
  Object.assign(out, {
    AlertTime: str(alert.createdDateTime),
    ComputerDnsName: dns,
    AlertTitle: str(alert.title),
    Category: str(alert.category),
    Severity: severity(alert.severity),
    AlertId: alert.id,
    Actor: str(alert.actorDisplayName),
    LinkToWDATP: str(alert.alertWebUrl),
    Sha1: str(fileDetails['sha1']),
    FileName: str(fileDetails['fileName']),
    FilePath: str(fileDetails['filePath']),
    IpAddress: str(ip?.['ipAddress']),
    Url: str(url?.['url']),
    IoaDefinitionId: str(alert.detectorId),
    UserName: str(account['accountName']),
    LastProcessedTimeUtc: str(alert.lastActivityDateTime),
    ThreatCategory: joined(alert.mitreTechniques),
    ThreatFamily: str(alert.threatFamilyName),
    ThreatName: str(alert.threatDisplayName),
    Source: str(alert.detectionSource),
    Md5: str(fileDetails['md5']),
    Sha256: str(fileDetails['sha256']),
    UserDomain: str(account['domainName']),
    MachineDomain: domain,
    MachineName: machine,
    FileHash: str(fileDetails['sha1']) ?? str(fileDetails['sha256']),
    DeviceID: str(device?.['mdeDeviceId']),
    MachineGroup: str(device?.['rbacGroupName']),
    Description: str(alert.description),
    DeviceCreatedMachineTags: tags,
    CloudCreatedMachineTags: tags,
    CommandLine: str(process?.['processCommandLine']),
    IncidentLinkToWDATP: str(alert.incidentWebUrl),
    LinkToMTP: str(alert.alertWebUrl),
    IncidentLinkToMTP: str(alert.incidentWebUrl),
  } satisfies Partial<MappedAlert>);
  return out;
}

/**
 * One Defender for Endpoint alert in the SIEM layout (the same mapping, on the MDE entity's names).
 * The MDE entity carries no portal links (the portal host depends on the cloud): those stay null.
 */
export function mdeToSiem(alert: MdeAlert): MappedAlert {
  const out = emptyAlert();
  const dns = str(alert.computerDnsName);
  const { machine, domain } = splitDnsName(dns);
  const evidence = Array.isArray(alert.evidence) ? alert.evidence : alert.evidence ? [alert.evidence] : [];
  const file = evidence.find((e) => e['entityType'] === 'File') as Record<string, unknown> | undefined;
  const process = evidence.find((e) => e['entityType'] === 'Process') as Record<string, unknown> | undefined;
  Object.assign(out, {
    AlertTime: str(alert.alertCreationTime),
    ComputerDnsName: dns,
    AlertTitle: str(alert.title),
    Category: str(alert.category),
    Severity: severity(alert.severity),
    AlertId: alert.id,
    Sha1: str(file?.['sha1']),
    FileName: str(file?.['fileName']),
    FilePath: str(file?.['filePath']),
    IoaDefinitionId: str(alert.detectorId),
    UserName: str(alert.relatedUser?.userName),
    LastProcessedTimeUtc: str(alert.lastEventTime),
    ThreatCategory: joined(alert.mitreTechniques),
    ThreatFamily: str(alert.threatFamilyName),
    ThreatName: str(alert.threatName),
    Source: str(alert.detectionSource),
    Sha256: str(file?.['sha256']),
    UserDomain: str(alert.relatedUser?.domainName),
    MachineDomain: domain,
    MachineName: machine,
    FileHash: str(file?.['sha1']) ?? str(file?.['sha256']),
    DeviceID: str(alert.machineId),
    MachineGroup: str(alert.rbacGroupName),
    Description: str(alert.description),
    CommandLine: str(process?.['processCommandLine']),
  } satisfies Partial<MappedAlert>);
  return out;
}
