/**
 * One alert of the Defender for Endpoint alerts API (`GET /api/alerts`, docs/microsoft-apis.md §2).
 * Tolerant like the SIEM schema: enums evolve (any string is accepted), absent values may be null
 * or missing, unknown fields are kept. Required: `id` and `lastUpdateTime`, which paging and
 * checkpoints use.
 */
import { z } from 'zod';
import { compileByteCheck } from './byte-check.js';
import { compilePrecheck, UTC_TIMESTAMP, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';

const text = z.string().nullable().optional();
const count = z.number().nullable().optional();
const required = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) });
const timestamp = required().regex(UTC_TIMESTAMP, { error: 'expected an ISO-8601 UTC timestamp like 2020-07-03T15:15:39.13Z' });
const list = z.array(z.unknown()).nullable().optional();

export const MdeAlertSchema = z.looseObject({
  id: required().min(1, { error: 'must not be empty' }),
  lastUpdateTime: timestamp,
  incidentId: count,
  investigationId: count,
  assignedTo: text,
  severity: text,
  status: text,
  classification: text,
  determination: text,
  investigationState: text,
  detectionSource: text,
  detectorId: text,
  category: text,
  threatFamilyName: text,
  threatName: text,
  title: text,
  description: text,
  alertCreationTime: text,
  firstEventTime: text,
  lastEventTime: text,
  resolvedTime: text,
  machineId: text,
  computerDnsName: text,
  rbacGroupName: text,
  aadTenantId: text,
  relatedUser: z.looseObject({ userName: text, domainName: text }).nullable().optional(),
  mitreTechniques: z.array(z.string()).nullable().optional(),
  comments: list,
  // An array with `$expand=evidence`; Elastic's published test data splits it into one object per line.
  evidence: z
    .union([z.array(z.looseObject({})), z.looseObject({})])
    .nullable()
    .optional(),
});

export type MdeAlert = z.infer<typeof MdeAlertSchema>;

/**
 * The schema's fields as kinds (./precheck.ts), for the checks that let valid alerts skip zod and
 * JSON.parse. It must say what the schema above says, field by field (test/property checks both
 * ways over mutated alerts).
 */
export const MDE_FIELD_KINDS = {
  id: 'identity',
  lastUpdateTime: 'timestamp',
  incidentId: 'number',
  investigationId: 'number',
  assignedTo: 'text',
  severity: 'text',
  status: 'text',
  classification: 'text',
  determination: 'text',
  investigationState: 'text',
  detectionSource: 'text',
  detectorId: 'text',
  category: 'text',
  threatFamilyName: 'text',
  threatName: 'text',
  title: 'text',
  description: 'text',
  alertCreationTime: 'text',
  firstEventTime: 'text',
  lastEventTime: 'text',
  resolvedTime: 'text',
  machineId: 'text',
  computerDnsName: 'text',
  rbacGroupName: 'text',
  aadTenantId: 'text',
  relatedUser: 'account',
  mitreTechniques: 'strings',
  comments: 'array',
  evidence: 'objects',
} as const satisfies Record<string, FieldKind>;

registerPrecheck(MdeAlertSchema, compilePrecheck(MDE_FIELD_KINDS));

/** What the MDE source's identity reads: the id, and the two times it may filter on. */
export const MDE_BYTE_CHECK = compileByteCheck(MDE_FIELD_KINDS, ['id', 'lastUpdateTime', 'alertCreationTime']);
