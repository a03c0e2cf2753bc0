/**
 * The simulator's alerts as Microsoft Graph serves them (`GET /v1.0/security/alerts_v2`,
 * docs/microsoft-apis.md §3): `#microsoft.graph.security.alert` entities, one per alert id, with polymorphic
 * `evidence[]` always included. Values follow Microsoft's SIEM → alerts_v2 field mapping
 * (AlertTitle → title, Actor → actorDisplayName, ComputerDnsName → deviceEvidence.deviceDnsName,
 * CommandLine → processEvidence.processCommandLine, …) and the shapes of Microsoft's sample in
 * `test/fixtures/graph-alerts_v2-alert.json`. Pure.
 */
import { SIMULATOR_CREDENTIALS } from './credentials.js';
import { mdeDetectionSource } from './mde-alerts.js';
import { firstText, incidentIdOf, mitreTechniquesOf, stateOf, tagsOf, text, type AlertState, type MergedAlert } from './merged-alert.js';
import type { ODataDialect, ODataRow } from './odata.js';
import { formatTicks, type Ticks } from './ticks.js';
import { GRAPH_MAX_PAGE, GRAPH_MAX_SKIP } from '../src/microsoft.js';

/**
 * alerts_v2 as an OData service: `$top` at most 1000 and `$skip` at most 500 (Graph's security
 * API constraints); the most recent alerts first unless `$orderby` says otherwise (the list
 * operation's documentation). The default page size is not documented; 50 is assumed.
 */
export const GRAPH_DIALECT: ODataDialect = {
  timeFields: ['createdDateTime', 'lastUpdateDateTime', 'resolvedDateTime'],
  textFields: ['serviceSource', 'status', 'severity', 'classification', 'determination', 'assignedTo', 'detectionSource'],
  orderFields: ['createdDateTime', 'lastUpdateDateTime'],
  defaultOrder: { field: 'createdDateTime', descending: true },
  defaultTop: 50,
  maxTop: GRAPH_MAX_PAGE,
  maxSkip: GRAPH_MAX_SKIP,
  expandable: [],
  countable: true,
  skipToken: true,
};

const TYPE = '#microsoft.graph.security.';

/** The alerts API's `detectionSource` → Graph's `detectionSource` enum member. */
const DETECTION_SOURCES: Record<string, string> = {
  WindowsDefenderAtp: 'microsoftDefenderForEndpoint',
  WindowsDefenderAv: 'antivirus',
  CustomerTI: 'customTi',
};

/** A row of the Graph answer: the values `$filter`/`$orderby` compare, and the entity to serve. */
export function graphRow(alert: MergedAlert, tenantId: string = SIMULATOR_CREDENTIALS.tenantId): ODataRow<Record<string, unknown>> {
  const state = stateOf(alert);
  return {
    render: () => graphAlert(alert, tenantId),
    times: {
      createdDateTime: alert.createdTicks,
      lastUpdateDateTime: alert.lastUpdateTicks,
      resolvedDateTime: state === 'resolved' ? alert.lastUpdateTicks : undefined,
    },
    texts: {
      serviceSource: SERVICE_SOURCE,
      status: state,
      severity: graphSeverity(alert),
      classification: state === 'resolved' ? 'truePositive' : 'unknown',
      determination: state === 'resolved' ? 'malware' : 'unknown',
      assignedTo: graphAssignedTo(state) ?? undefined,
      detectionSource: graphDetectionSource(alert),
    },
  };
}

/** Every simulated alert comes from Defender for Endpoint. */
const SERVICE_SOURCE = 'microsoftDefenderForEndpoint';

function graphSeverity(alert: MergedAlert): string {
  return (firstText(alert, 'Severity') ?? 'unknown').toLowerCase();
}

/** Graph's `detectionSource` of an alert: the alerts API's, as Graph names it. */
function graphDetectionSource(alert: MergedAlert): string {
  const source = mdeDetectionSource(alert);
  return source === null ? 'unknown' : (DETECTION_SOURCES[source] ?? 'unknownFutureValue');
}

function graphAssignedTo(state: AlertState): string | null {
  return state === 'inProgress' ? 'secops@simulator.onmicrosoft.com' : state === 'resolved' ? 'Automation' : null;
}

/** One alert entity of tenant `tenant`, keys in the order of Microsoft's sample. */
export function graphAlert(alert: MergedAlert, tenant: string = SIMULATOR_CREDENTIALS.tenantId): Record<string, unknown> {
  const state = stateOf(alert);
  const incidentId = String(incidentIdOf(alert));
  // Graph writes 7 fraction digits for these (`2021-05-02T14:19:01.3266667Z`) …
  const created = alert.createdTicks === undefined ? null : formatTicks(alert.createdTicks);
  const updated = formatTicks(alert.lastUpdateTicks);
  // … and milliseconds for the activity times (`2021-04-26T07:45:50.116Z`).
  const activity = alert.createdTicks === undefined ? null : millis(alert.createdTicks);
  const category = firstText(alert, 'Category') ?? null;
  return {
    '@odata.type': `${TYPE}alert`,
    id: alert.id,
    providerAlertId: alert.id,
    incidentId,
    status: state,
    severity: graphSeverity(alert),
    classification: state === 'resolved' ? 'truePositive' : 'unknown',
    determination: state === 'resolved' ? 'malware' : 'unknown',
    serviceSource: SERVICE_SOURCE,
    detectionSource: graphDetectionSource(alert),
    detectorId: firstText(alert, 'IoaDefinitionId') ?? null,
    tenantId: tenant,
    title: firstText(alert, 'AlertTitle') ?? null,
    description: firstText(alert, 'Description') ?? null,
    recommendedActions: RECOMMENDED_ACTIONS,
    category,
    assignedTo: graphAssignedTo(state),
    alertWebUrl: `https://security.microsoft.com/alerts/${alert.id}?tid=${tenant}`,
    incidentWebUrl: `https://security.microsoft.com/incidents/${incidentId}?tid=${tenant}`,
    actorDisplayName: firstText(alert, 'Actor') ?? null,
    threatDisplayName: firstText(alert, 'ThreatName') ?? null,
    threatFamilyName: firstText(alert, 'ThreatFamily') ?? null,
    mitreTechniques: mitreTechniquesOf(alert),
    createdDateTime: created,
    lastUpdateDateTime: updated,
    resolvedDateTime: state === 'resolved' ? updated : null,
    firstActivityDateTime: activity,
    lastActivityDateTime: activity,
    comments: [],
    evidence: graphEvidence(alert, created),
    systemTags: [],
  };
}

const RECOMMENDED_ACTIONS =
  'Collect artifacts and determine scope\n\tReview the machine timeline for suspicious activities that may have occurred before and after the time of the alert.\n\tLook for the presence of relevant artifacts on other systems.\n\nInitiate containment & mitigation\n\tContact the user to verify intent and initiate local remediation actions as needed.\n\tUpdate AV signatures and run a full scan.';

function millis(ticks: Ticks): string {
  return new Date(Number(ticks / 10_000n)).toISOString();
}

/** What every evidence object starts with. */
function common(type: string, created: string | null, verdict: string): Record<string, unknown> {
  return {
    '@odata.type': `${TYPE}${type}`,
    createdDateTime: created,
    verdict,
    remediationStatus: verdict === 'malicious' ? 'remediated' : 'none',
    remediationStatusDetails: null,
  };
}

/** `fileDetails`/`imageFile`: the file's hashes, name and path (md5 only when the SIEM had it). */
function fileDetails(
  sha1: string | null,
  sha256: string | null,
  md5: string | undefined,
  fileName: string | null,
  filePath: string | null,
): Record<string, unknown> {
  return {
    sha1,
    sha256,
    ...(md5 === undefined ? {} : { md5 }),
    fileName,
    filePath,
    fileSize: null,
    filePublisher: null,
    signer: null,
    issuer: null,
  };
}

/** Device, files, processes, user, IPs and URLs of the alert's detections, each entity once. */
function graphEvidence(alert: MergedAlert, created: string | null): Record<string, unknown>[] {
  const evidence: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const push = (key: string, object: Record<string, unknown>): void => {
    if (seen.has(key)) return;
    seen.add(key);
    evidence.push(object);
  };
  const remediated = alert.detections.some((d) => d['RemediationIsSuccess'] === true);
  const verdict = remediated ? 'malicious' : 'suspicious';
  const detectionStatus = remediated ? 'prevented' : 'detected';
  const deviceId = firstText(alert, 'DeviceID') ?? null;
  const dnsName = firstText(alert, 'ComputerDnsName');
  const user = firstText(alert, 'UserName');
  const domain = firstText(alert, 'UserDomain') ?? null;
  const account = user === undefined ? null : userAccount(user, domain);

  if (dnsName !== undefined || deviceId !== null) {
    const ipv4 = (firstText(alert, 'InternalIPv4List') ?? '')
      .split(/[;,]/)
      .map((ip) => ip.trim())
      .filter((ip) => ip !== '');
    push('device', {
      ...common('deviceEvidence', created, verdict),
      firstSeenDateTime: null,
      mdeDeviceId: deviceId,
      azureAdDeviceId: null,
      deviceDnsName: dnsName ?? null,
      osPlatform: 'Windows10',
      osBuild: null,
      version: 'Other',
      healthStatus: 'active',
      riskScore: remediated ? 'low' : 'medium',
      rbacGroupId: null,
      rbacGroupName: firstText(alert, 'MachineGroup') ?? null,
      onboardingStatus: 'onboarded',
      defenderAvStatus: 'updated',
      ipInterfaces: ipv4,
      loggedOnUsers: user === undefined ? [] : [{ accountName: user, domainName: domain }],
      roles: ['compromised'],
      detailedRoles: ['Main device'],
      tags: tagsOf(alert),
      vmMetadata: null,
    });
  }
  for (const d of alert.detections) {
    const fileName = text(d, 'FileName') ?? null;
    const filePath = text(d, 'FilePath') ?? null;
    const sha1 = text(d, 'Sha1') ?? null;
    const sha256 = text(d, 'Sha256') ?? null;
    const md5 = text(d, 'Md5');
    if (fileName !== null || sha1 !== null) {
      push(`file|${filePath ?? ''}|${fileName ?? ''}|${sha1 ?? ''}`, {
        ...common('fileEvidence', created, verdict),
        detectionStatus,
        mdeDeviceId: deviceId,
        roles: [],
        detailedRoles: [],
        tags: [],
        fileDetails: fileDetails(sha1, sha256, md5, fileName, filePath),
      });
    }
    const commandLine = text(d, 'CommandLine');
    if (commandLine !== undefined) {
      push(`process|${fileName ?? ''}|${commandLine}`, {
        ...common('processEvidence', created, verdict),
        processId: 1000 + ((alert.hash + evidence.length * 7919) % 60_000),
        parentProcessId: 500 + (alert.hash % 4_000),
        processCommandLine: commandLine,
        processCreationDateTime: created,
        parentProcessCreationDateTime: null,
        detectionStatus,
        mdeDeviceId: deviceId,
        roles: [],
        detailedRoles: [],
        tags: [],
        imageFile: fileDetails(sha1, sha256, md5, fileName, filePath),
        parentProcessImageFile: null,
        userAccount: account,
      });
    }
    const ip = text(d, 'IpAddress');
    if (ip !== undefined) {
      push(`ip|${ip}`, {
        ...common('ipEvidence', created, verdict),
        ipAddress: ip,
        countryLetterCode: null,
        roles: [],
        detailedRoles: [],
        tags: [],
      });
    }
    const url = text(d, 'Url');
    if (url !== undefined) {
      push(`url|${url}`, { ...common('urlEvidence', created, verdict), url, roles: [], detailedRoles: [], tags: [] });
    }
  }
  if (account !== null) {
    push('user', { ...common('userEvidence', created, verdict), roles: [], detailedRoles: [], tags: [], userAccount: account });
  }
  return evidence;
}

function userAccount(accountName: string, domainName: string | null): Record<string, unknown> {
  return { accountName, domainName, userSid: null, azureAdUserId: null, userPrincipalName: null, displayName: accountName };
}
