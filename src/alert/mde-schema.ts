/**
 * One alert of the Defender for Endpoint alerts API (`GET /api/alerts`, docs/microsoft-apis.md §2).
 * Tolerant like the SIEM schema: enums evolve (any string is accepted), absent values may be null
 * or missing, unknown fields are kept. Required: `id` and `lastUpdateTime`, which paging and
 * checkpoints use.
 */
import type { z } from 'zod';
import { compileByteCheck } from './byte-check.js';
import { alertSchemaOf } from './field-schema.js';
import { compilePrecheck, type FieldKind } from './precheck.js';
import { registerPrecheck } from './validate.js';

/**
 * The documented fields and the kind of value each holds: the one source of the zod schema below
 * and of the checks that let valid alerts skip zod and JSON.parse (./precheck.ts, ./byte-check.ts).
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
  /** An array with `$expand=evidence`, or one object a line in Elastic's published test data. */
  evidence: 'objects',
} as const satisfies Record<string, FieldKind>;

export const MdeAlertSchema = alertSchemaOf(MDE_FIELD_KINDS, '2020-07-03T15:15:39.13Z');

export type MdeAlert = z.infer<typeof MdeAlertSchema>;

registerPrecheck(MdeAlertSchema, compilePrecheck(MDE_FIELD_KINDS));

/** What the MDE source's identity reads: the id, and the two times it may filter on. */
export const MDE_BYTE_CHECK = compileByteCheck(MDE_FIELD_KINDS, ['id', 'lastUpdateTime', 'alertCreationTime']);
