/**
 * From the SIEM API's raw detections to the alerts the newer APIs serve. The SIEM API returns
 * each detection on its own (several records can share an `AlertId`, docs/microsoft-apis.md §1); the Defender
 * for Endpoint alerts API and Graph alerts_v2 return one alert per id with the detections'
 * evidence merged. This module groups the detections and reads their values as the newer APIs
 * need them; `mde-alerts.ts` and `graph-alerts.ts` render the two entity shapes. Pure.
 */
import type { SiemAlert } from './alert-types.js';
import { parseTimestamp, type Ticks } from './ticks.js';

/** One alert of the newer APIs: the detections that share an `AlertId`, in the order served. */
export interface MergedAlert {
  id: string;
  detections: readonly SiemAlert[];
  /** The latest `LastProcessedTimeUtc` of its detections: the alert's last update. */
  lastUpdateTicks: Ticks;
  /** The earliest `AlertTime` of its detections, if any parses. */
  createdTicks: Ticks | undefined;
  /** A stable 32-bit number derived from the id, for the values the SIEM API does not carry. */
  hash: number;
}

/**
 * Groups detections by `AlertId` (first appearance decides the order). Detections without an
 * `AlertId` or a parseable `LastProcessedTimeUtc` have no counterpart in the newer APIs and are
 * left out.
 */
export function mergeDetections(detections: Iterable<SiemAlert>): MergedAlert[] {
  const byId = new Map<string, { detections: SiemAlert[]; last: Ticks; created: Ticks | undefined }>();
  for (const detection of detections) {
    const id = text(detection, 'AlertId');
    const processed = timeOf(detection, 'LastProcessedTimeUtc');
    if (id === undefined || processed === undefined) continue;
    const created = timeOf(detection, 'AlertTime');
    const entry = byId.get(id);
    if (entry === undefined) {
      byId.set(id, { detections: [detection], last: processed, created });
      continue;
    }
    entry.detections.push(detection);
    if (processed > entry.last) entry.last = processed;
    if (created !== undefined && (entry.created === undefined || created < entry.created)) entry.created = created;
  }
  return [...byId].map(([id, e]) => ({ id, detections: e.detections, lastUpdateTicks: e.last, createdTicks: e.created, hash: fnv1a(id) }));
}

/**
 * A field's value as text, or undefined when absent: the SIEM API spells "no value" as `""`,
 * `null` or a missing key depending on the year (docs/microsoft-apis.md §1).
 */
export function text(detection: SiemAlert, field: string): string | undefined {
  const value = detection[field];
  if (value === null || value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

/** The first detection's value of `field` that is present (the 2017 typo `IoaDefinitiondId` included). */
export function firstText(alert: MergedAlert, field: string): string | undefined {
  for (const detection of alert.detections) {
    const value = text(detection, field) ?? (field === 'IoaDefinitionId' ? text(detection, 'IoaDefinitiondId') : undefined);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Distinct present values of `field` across the detections, in order. */
export function allTexts(alert: MergedAlert, field: string): string[] {
  const values = new Set<string>();
  for (const detection of alert.detections) {
    const value = text(detection, field);
    if (value !== undefined) values.add(value);
  }
  return [...values];
}

/** A comma-separated tag list (`DeviceCreatedMachineTags`, `CloudCreatedMachineTags`) as tags. */
export function tagsOf(alert: MergedAlert): string[] {
  const tags = new Set<string>();
  for (const field of ['DeviceCreatedMachineTags', 'CloudCreatedMachineTags']) {
    for (const list of allTexts(alert, field)) {
      for (const tag of list.split(',')) if (tag.trim() !== '') tags.add(tag.trim());
    }
  }
  return [...tags];
}

/** How the alert stands, derived from its remediation and id (the SIEM API has no status). */
export type AlertState = 'new' | 'inProgress' | 'resolved';

export function stateOf(alert: MergedAlert): AlertState {
  // An antivirus detection remediated successfully is auto-resolved, as Defender does.
  if (alert.detections.some((d) => d['RemediationIsSuccess'] === true)) return 'resolved';
  return alert.hash % 5 === 0 ? 'inProgress' : 'new';
}

/** Incident ids are small integers in Defender; derived from the alert id so they are stable. */
export function incidentIdOf(alert: MergedAlert): number {
  return 1 + (alert.hash % 99_991);
}

/** MITRE ATT&CK techniques typical of each Defender category (the SIEM API carries none). */
const TECHNIQUES: Record<string, readonly string[]> = {
  Execution: ['T1059.001'],
  Ransomware: ['T1486', 'T1490'],
  CredentialAccess: ['T1003.001'],
  LateralMovement: ['T1021.002', 'T1047'],
  Malware: ['T1204.002'],
  DefenseEvasion: ['T1055', 'T1564.001'],
  Discovery: ['T1087.002'],
  Persistence: ['T1547.001'],
  CommandAndControl: ['T1071.001'],
};

export function mitreTechniquesOf(alert: MergedAlert): string[] {
  return [...(TECHNIQUES[firstText(alert, 'Category') ?? ''] ?? [])];
}

/** A field's timestamp as ticks, if it parses. */
function timeOf(detection: SiemAlert, field: string): Ticks | undefined {
  const value = text(detection, field);
  return value === undefined ? undefined : parseTimestamp(value);
}

/** FNV-1a, 32 bits: small, stable across runs and platforms. */
export function fnv1a(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
