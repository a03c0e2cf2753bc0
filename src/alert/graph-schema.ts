/**
 * One alert of Microsoft Graph `security/alerts_v2` (docs/microsoft-apis.md §3). Tolerant: enums
 * evolve (`unknownFutureValue` and newer members with `Prefer: include-unknown-enum-members`),
 * absent values may be null or missing, unknown fields are kept. Required: `id` and
 * `lastUpdateDateTime`.
 */
import { z } from 'zod';
import { compileByteCheck } from './byte-check.js';
import { compilePrecheck, UTC_TIMESTAMP, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';

const text = z.string().nullable().optional();
const required = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) });
const timestamp = required().regex(UTC_TIMESTAMP, { error: 'expected an ISO-8601 UTC timestamp like 2021-05-02T14:19:01.3266667Z' });

/** Evidence is polymorphic by `@odata.type` (deviceEvidence, fileEvidence, processEvidence, …). */
export const GraphEvidenceSchema = z.looseObject({ '@odata.type': z.string().optional() });

export const GraphAlertSchema = z.looseObject({
  id: required().min(1, { error: 'must not be empty' }),
  lastUpdateDateTime: timestamp,
  providerAlertId: text,
  incidentId: text,
  status: text,
  severity: text,
  classification: text,
  determination: text,
  serviceSource: text,
  detectionSource: text,
  detectorId: text,
  tenantId: text,
  title: text,
  description: text,
  recommendedActions: text,
  category: text,
  assignedTo: text,
  alertWebUrl: text,
  incidentWebUrl: text,
  actorDisplayName: text,
  threatDisplayName: text,
  threatFamilyName: text,
  mitreTechniques: z.array(z.string()).nullable().optional(),
  createdDateTime: text,
  resolvedDateTime: text,
  firstActivityDateTime: text,
  lastActivityDateTime: text,
  comments: z.array(z.unknown()).nullable().optional(),
  systemTags: z.array(z.unknown()).nullable().optional(),
  evidence: z.array(GraphEvidenceSchema).nullable().optional(),
});

export type GraphAlert = z.infer<typeof GraphAlertSchema>;
export type GraphEvidence = z.infer<typeof GraphEvidenceSchema>;

/**
 * The schema's fields as kinds (./precheck.ts), for the checks that let valid alerts skip zod and
 * JSON.parse. It must say what the schema above says, field by field (test/property checks both
 * ways over mutated alerts).
 */
export const GRAPH_FIELD_KINDS = {
  id: 'identity',
  lastUpdateDateTime: 'timestamp',
  providerAlertId: 'text',
  incidentId: 'text',
  status: 'text',
  severity: 'text',
  classification: 'text',
  determination: 'text',
  serviceSource: 'text',
  detectionSource: 'text',
  detectorId: 'text',
  tenantId: 'text',
  title: 'text',
  description: 'text',
  recommendedActions: 'text',
  category: 'text',
  assignedTo: 'text',
  alertWebUrl: 'text',
  incidentWebUrl: 'text',
  actorDisplayName: 'text',
  threatDisplayName: 'text',
  threatFamilyName: 'text',
  mitreTechniques: 'strings',
  createdDateTime: 'text',
  resolvedDateTime: 'text',
  firstActivityDateTime: 'text',
  lastActivityDateTime: 'text',
  comments: 'array',
  systemTags: 'array',
  evidence: 'typedObjects',
} as const satisfies Record<string, FieldKind>;

registerPrecheck(GraphAlertSchema, compilePrecheck(GRAPH_FIELD_KINDS));

/** What the Graph source's identity reads. */
export const GRAPH_BYTE_CHECK = compileByteCheck(GRAPH_FIELD_KINDS, ['id', 'lastUpdateDateTime']);
