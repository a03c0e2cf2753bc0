/**
 * The simulator's alerts as the Defender for Endpoint alerts API serves them (`GET /api/alerts`,
 * docs/microsoft-apis.md §2): camelCase entities, one per alert id, with the detections' evidence merged under
 * `evidence[]` when the client asks for `$expand=evidence`. Shapes follow Microsoft's documented
 * answer and the real answers in `test/fixtures/mde-api-alerts-elastic-fixture.ndjson`. Pure.
 */
import { SIMULATOR_CREDENTIALS } from './credentials.js';
import { firstText, incidentIdOf, mitreTechniquesOf, stateOf, text, type MergedAlert } from './merged-alert.js';
import type { ODataDialect, ODataRow } from './odata.js';
import { formatTicksTrimmed } from './ticks.js';
import { MDE_MAX_PAGE } from '../src/microsoft.js';

/** `GET /api/alerts` as an OData service: `$top` up to 10 000 (its documented maximum). */
export const MDE_DIALECT: ODataDialect = {
  timeFields: ['lastUpdateTime', 'alertCreationTime', 'firstEventTime', 'lastEventTime', 'resolvedTime'],
  textFields: ['status', 'severity', 'category', 'detectionSource', 'investigationState'],
  orderFields: ['lastUpdateTime', 'alertCreationTime'],
  // Undocumented; the simulator keeps the store's order (oldest update first), which is stable.
  defaultOrder: undefined,
  defaultTop: MDE_MAX_PAGE,
  maxTop: MDE_MAX_PAGE,
  maxSkip: undefined,
  expandable: ['evidence'],
  countable: false,
  skipToken: false,
};

/** The SIEM `Source` → the alerts API's `detectionSource`. */
const DETECTION_SOURCES: Record<string, string> = {
  EDR: 'WindowsDefenderAtp',
  'Windows Defender ATP': 'WindowsDefenderAtp',
  WindowsDefenderAv: 'WindowsDefenderAv',
  CustomerTI: 'CustomerTI',
};

/** `WindowsDefenderAtp`, `WindowsDefenderAv`, `CustomerTI`, … (the SIEM `Source` mapped). */
export function mdeDetectionSource(alert: MergedAlert): string | null {
  const source = firstText(alert, 'Source');
  return source === undefined ? null : (DETECTION_SOURCES[source] ?? source);
}

/** A row of the MDE answer: the values `$filter`/`$orderby` compare, and the entity to serve. */
export function mdeRow(
  alert: MergedAlert,
  expandEvidence: boolean,
  tenantId: string = SIMULATOR_CREDENTIALS.tenantId,
): ODataRow<Record<string, unknown>> {
  const state = stateOf(alert);
  const resolved = state === 'resolved';
  return {
    render: () => mdeAlert(alert, expandEvidence, tenantId),
    times: {
      lastUpdateTime: alert.lastUpdateTicks,
      alertCreationTime: alert.createdTicks,
      firstEventTime: alert.createdTicks,
      lastEventTime: alert.createdTicks,
      resolvedTime: resolved ? alert.lastUpdateTicks : undefined,
    },
    texts: {
      status: MDE_STATUS[state],
      severity: mdeSeverity(alert),
      category: firstText(alert, 'Category'),
      detectionSource: mdeDetectionSource(alert) ?? undefined,
      investigationState: mdeInvestigationState(alert),
    },
  };
}

const MDE_STATUS = { new: 'New', inProgress: 'InProgress', resolved: 'Resolved' } as const;

function mdeSeverity(alert: MergedAlert): string {
  return firstText(alert, 'Severity') ?? 'UnSpecified';
}

function mdeInvestigationState(alert: MergedAlert): string {
  // Automated investigations do not run for custom indicators.
  if (mdeDetectionSource(alert) === 'CustomerTI') return 'UnsupportedAlertType';
  return { new: 'PendingApproval', inProgress: 'Running', resolved: 'SuccessfullyRemediated' }[stateOf(alert)];
}

/** One alert entity of tenant `tenantId`, keys in the order of Microsoft's documented answer. */
export function mdeAlert(
  alert: MergedAlert,
  expandEvidence: boolean,
  tenantId: string = SIMULATOR_CREDENTIALS.tenantId,
): Record<string, unknown> {
  const state = stateOf(alert);
  // The API writes .NET's round-trip form with trailing zeros trimmed (`2020-07-03T15:15:39.13Z`).
  const updated = formatTicksTrimmed(alert.lastUpdateTicks);
  const created = alert.createdTicks === undefined ? null : formatTicksTrimmed(alert.createdTicks);
  const source = mdeDetectionSource(alert);
  const user = firstText(alert, 'UserName');
  const userDomain = firstText(alert, 'UserDomain') ?? null;
  const entity: Record<string, unknown> = {
    id: alert.id,
    incidentId: incidentIdOf(alert),
    // Automated investigations run for EDR and antivirus alerts, not for custom indicators.
    investigationId: source === 'CustomerTI' ? null : 1 + (alert.hash % 9_973),
    assignedTo: state === 'new' ? null : state === 'inProgress' ? 'secops@simulator.onmicrosoft.com' : 'Automation',
    severity: mdeSeverity(alert),
    status: MDE_STATUS[state],
    classification: state === 'resolved' ? 'TruePositive' : null,
    determination: state === 'resolved' ? 'Malware' : null,
    investigationState: mdeInvestigationState(alert),
    detectionSource: source,
    detectorId: firstText(alert, 'IoaDefinitionId') ?? null,
    category: firstText(alert, 'Category') ?? null,
    threatFamilyName: firstText(alert, 'ThreatFamily') ?? null,
    title: firstText(alert, 'AlertTitle') ?? null,
    description: firstText(alert, 'Description') ?? null,
    alertCreationTime: created,
    // The SIEM API has only the alert's time: the activity is taken to be at that instant.
    firstEventTime: created,
    lastEventTime: created,
    lastUpdateTime: updated,
    resolvedTime: state === 'resolved' ? updated : null,
    machineId: firstText(alert, 'DeviceID') ?? null,
    computerDnsName: firstText(alert, 'ComputerDnsName') ?? null,
    rbacGroupName: firstText(alert, 'MachineGroup') ?? null,
    aadTenantId: tenantId,
    threatName: firstText(alert, 'ThreatName') ?? null,
    mitreTechniques: mitreTechniquesOf(alert),
    relatedUser: user === undefined ? null : { userName: user, domainName: userDomain },
    loggedOnUsers: user === undefined ? [] : [{ accountName: user, domainName: userDomain }],
    comments: [],
  };
  if (expandEvidence) entity['evidence'] = mdeEvidence(alert, created);
  return entity;
}

/** Every key an MDE evidence object carries, null when it does not apply (as the API sends them). */
const EVIDENCE_KEYS = [
  'entityType',
  'evidenceCreationTime',
  'sha1',
  'sha256',
  'fileName',
  'filePath',
  'processId',
  'processCommandLine',
  'processCreationTime',
  'parentProcessId',
  'parentProcessCreationTime',
  'parentProcessFileName',
  'parentProcessFilePath',
  'ipAddress',
  'url',
  'registryKey',
  'registryHive',
  'registryValueType',
  'registryValue',
  'accountName',
  'domainName',
  'userSid',
  'aadUserId',
  'userPrincipalName',
  'detectionStatus',
] as const;

type EvidenceKey = (typeof EVIDENCE_KEYS)[number];

function evidenceObject(values: Partial<Record<EvidenceKey, unknown>>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const key of EVIDENCE_KEYS) object[key] = values[key] ?? null;
  return object;
}

/** The detections' files, processes, user, IP addresses and URLs, each entity once. */
function mdeEvidence(alert: MergedAlert, created: string | null): Record<string, unknown>[] {
  const evidence: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const push = (key: string, values: Partial<Record<EvidenceKey, unknown>>): void => {
    if (seen.has(key)) return;
    seen.add(key);
    evidence.push(evidenceObject({ evidenceCreationTime: created, ...values }));
  };
  const remediated = alert.detections.some((d) => d['RemediationIsSuccess'] === true);
  const status = remediated ? 'Prevented' : 'Detected';
  for (const d of alert.detections) {
    const fileName = text(d, 'FileName');
    const filePath = text(d, 'FilePath');
    const sha1 = text(d, 'Sha1') ?? null;
    const sha256 = text(d, 'Sha256') ?? null;
    if (fileName !== undefined || sha1 !== null) {
      push(`file|${filePath ?? ''}|${fileName ?? ''}|${sha1 ?? ''}`, {
        entityType: 'File',
        sha1,
        sha256,
        fileName,
        filePath,
        detectionStatus: status,
      });
    }
    const commandLine = text(d, 'CommandLine');
    if (commandLine !== undefined) {
      push(`process|${fileName ?? ''}|${commandLine}`, {
        entityType: 'Process',
        sha1,
        sha256,
        fileName,
        filePath,
        processId: 1000 + ((alert.hash + evidence.length * 7919) % 60_000),
        processCommandLine: commandLine,
        processCreationTime: created,
        parentProcessId: 500 + (alert.hash % 4_000),
        detectionStatus: status,
      });
    }
    const ip = text(d, 'IpAddress');
    if (ip !== undefined) push(`ip|${ip}`, { entityType: 'Ip', ipAddress: ip });
    const url = text(d, 'Url');
    if (url !== undefined) push(`url|${url}`, { entityType: 'Url', url });
    const user = text(d, 'UserName');
    if (user !== undefined) {
      const domain = text(d, 'UserDomain') ?? null;
      push(`user|${domain ?? ''}|${user}`, { entityType: 'User', accountName: user, domainName: domain });
    }
  }
  return evidence;
}
