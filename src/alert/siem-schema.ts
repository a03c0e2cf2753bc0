/**
 * The shape of one alert (detection) from the SIEM alert-export API, `GET {base}/api/alerts`.
 *
 * Field list and types: the 50 fields of the 2020 response example in Microsoft's "Pull Microsoft
 * Defender for Endpoint alerts using SIEM REST API" page (docs/microsoft-apis.md §1; a copy of
 * the example is test/fixtures/siem-api-alerts-msdocs.json).
 * Real answers drift, so the schema is deliberately tolerant: an absent value may be `null`
 * (2017 example), `""` (2020 example) or a missing key (2018 real answer); the 2017 example
 * spells `IoaDefinitiondId`; unknown fields are kept. Only the identity fields we page and
 * deduplicate on are required. Validation never changes what we output: the alert's own bytes
 * are passed through, so this schema only decides whether an alert is usable.
 */
import type { z } from 'zod';
import { alertSchemaOf } from './field-schema.js';
import { compilePrecheck, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';
import { compileByteCheck } from './byte-check.js';

/**
 * The documented fields and the kind of value each holds: the one source of both the zod schema
 * below and the precheck of ./precheck.ts.
 */
export const SIEM_FIELD_KINDS = {
  // Identity: what checkpointing and deduplication rely on.
  AlertId: 'identity',
  LastProcessedTimeUtc: 'timestamp',
  /** `AlertId:IocUniqueId`; several detections of one alert share an AlertId. Absent in older answers. */
  FullId: 'text',

  AlertTime: 'text',
  ComputerDnsName: 'text',
  AlertTitle: 'text',
  Category: 'text',
  Severity: 'text',
  Actor: 'text',
  LinkToWDATP: 'text',
  IocName: 'text',
  IocValue: 'text',
  CreatorIocName: 'text',
  CreatorIocValue: 'text',
  Sha1: 'text',
  FileName: 'text',
  FilePath: 'text',
  IpAddress: 'text',
  Url: 'text',
  IoaDefinitionId: 'text',
  /** The 2017 documentation example's spelling of IoaDefinitionId. */
  IoaDefinitiondId: 'text',
  UserName: 'text',
  AlertPart: 'integer',
  ThreatCategory: 'text',
  ThreatFamily: 'text',
  ThreatName: 'text',
  RemediationAction: 'text',
  RemediationIsSuccess: 'flag',
  Source: 'text',
  Md5: 'text',
  Sha256: 'text',
  WasExecutingWhileDetected: 'flag',
  UserDomain: 'text',
  LogOnUsers: 'text',
  MachineDomain: 'text',
  MachineName: 'text',
  InternalIPv4List: 'text',
  InternalIPv6List: 'text',
  FileHash: 'text',
  DeviceID: 'text',
  MachineGroup: 'text',
  Description: 'text',
  DeviceCreatedMachineTags: 'text',
  CloudCreatedMachineTags: 'text',
  CommandLine: 'text',
  IncidentLinkToWDATP: 'text',
  ReportID: 'integer',
  LinkToMTP: 'text',
  IncidentLinkToMTP: 'text',
  ExternalId: 'text',
  IocUniqueId: 'text',
} as const satisfies Record<string, FieldKind>;

/** One SIEM API alert. Unknown fields pass through untouched (`z.looseObject`). */
export const SiemAlertSchema = alertSchemaOf(SIEM_FIELD_KINDS, '2020-09-30T14:11:44.0779765Z');

// Valid alerts skip zod: its answer is needed only to explain a failure (see ./precheck.ts).
registerPrecheck(SiemAlertSchema, compilePrecheck(SIEM_FIELD_KINDS));

/**
 * Checks a compact flat alert on its bytes, extracting what the SIEM source's identity reads
 * (`siemKey` in ../api/siem.ts): valid alerts then skip JSON.parse (see ./byte-check.ts).
 */
export const SIEM_BYTE_CHECK = compileByteCheck(SIEM_FIELD_KINDS, ['AlertId', 'FullId', 'LastProcessedTimeUtc']);

/** One SIEM API alert as validated; index with care, most fields may be absent. */
export type SiemAlert = z.infer<typeof SiemAlertSchema>;
