/**
 * One alert of Microsoft Graph `security/alerts_v2` (docs/microsoft-apis.md §3). Tolerant: enums
 * evolve (`unknownFutureValue` and newer members with `Prefer: include-unknown-enum-members`),
 * absent values may be null or missing, unknown fields are kept. Required: `id` and
 * `lastUpdateDateTime`.
 */
import type { z } from 'zod';
import { compileByteCheck } from './byte-check.js';
import { alertSchemaOf, TypedObjectSchema } from './field-schema.js';
import { compilePrecheck, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';

/**
 * The documented fields and the kind of value each holds: the one source of the zod schema below
 * and of the checks that let valid alerts skip zod and JSON.parse (./precheck.ts, ./byte-check.ts).
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
  /** Polymorphic by `@odata.type` (deviceEvidence, fileEvidence, processEvidence, …). */
  evidence: 'typedObjects',
} as const satisfies Record<string, FieldKind>;

export const GraphAlertSchema = alertSchemaOf(GRAPH_FIELD_KINDS, '2021-05-02T14:19:01.3266667Z');

/** Evidence is polymorphic by `@odata.type` (deviceEvidence, fileEvidence, processEvidence, …). */
export const GraphEvidenceSchema = TypedObjectSchema;

export type GraphAlert = z.infer<typeof GraphAlertSchema>;
export type GraphEvidence = z.infer<typeof GraphEvidenceSchema>;

registerPrecheck(GraphAlertSchema, compilePrecheck(GRAPH_FIELD_KINDS));

/** What the Graph source's identity reads. */
export const GRAPH_BYTE_CHECK = compileByteCheck(GRAPH_FIELD_KINDS, ['id', 'lastUpdateDateTime']);
