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
import { z } from 'zod';
import { compilePrecheck, UTC_TIMESTAMP, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';
import { compileByteCheck } from './byte-check.js';

/** A string field that may be absent: missing, `null` or `""`. */
const text = z.string().nullable().optional();

/** An integer field that may be absent. Not `z.int()`: that rejects integers beyond 2^53. */
const integer = z
  .union([z.number().refine(Number.isInteger, { error: 'expected an integer' }), z.literal(''), z.null()], {
    error: (issue) => `expected an integer, "" or null, got ${describe(issue.input)}`,
  })
  .optional();

/** A boolean field that may be absent (`null` in both documented examples). */
const flag = z
  .union([z.boolean(), z.literal(''), z.null()], {
    error: (issue) => `expected true, false, "" or null, got ${describe(issue.input)}`,
  })
  .optional();

/** A required string: says "required" rather than "expected string, received undefined". */
const required = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) });

const identity = required().min(1, { error: 'must not be empty' });

/** An ISO-8601 UTC timestamp as the API writes it (see UTC_TIMESTAMP). */
const utcTimestamp = required().regex(UTC_TIMESTAMP, {
  error: 'expected an ISO-8601 UTC timestamp like 2020-09-30T14:11:44.0779765Z',
});

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

const SCHEMA_OF_KIND = { identity, timestamp: utcTimestamp, text, integer, flag } as const;

type SiemShape = { [K in keyof typeof SIEM_FIELD_KINDS]: (typeof SCHEMA_OF_KIND)[(typeof SIEM_FIELD_KINDS)[K]] };

function siemShape(): SiemShape {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, kind] of Object.entries(SIEM_FIELD_KINDS)) shape[field] = SCHEMA_OF_KIND[kind];
  return shape as SiemShape;
}

/** One SIEM API alert. Unknown fields pass through untouched (`z.looseObject`). */
export const SiemAlertSchema = z.looseObject(siemShape());

// Valid alerts skip zod: its answer is needed only to explain a failure (see ./precheck.ts).
registerPrecheck(SiemAlertSchema, compilePrecheck(SIEM_FIELD_KINDS));

/**
 * Checks a compact flat alert on its bytes, extracting what the SIEM source's identity reads
 * (`siemKey` in ../api/siem.ts): valid alerts then skip JSON.parse (see ./byte-check.ts).
 */
export const SIEM_BYTE_CHECK = compileByteCheck(SIEM_FIELD_KINDS, ['AlertId', 'FullId', 'LastProcessedTimeUtc']);

/** One SIEM API alert as validated; index with care, most fields may be absent. */
export type SiemAlert = z.infer<typeof SiemAlertSchema>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
}
