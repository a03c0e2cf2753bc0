/**
 * The shape of one SIEM alert-export record as the simulator serves it: a flat object of
 * strings, integers, booleans and nulls (docs/microsoft-apis.md §1). Deliberately loose, because
 * real answers drift (null vs "" vs absent keys, `IoaDefinitiondId`), and the simulator must be
 * able to serve whatever a test hands it.
 */
import type { SIEM_FIELDS } from '../src/microsoft.js';

export type SiemAlertValue = string | number | boolean | null;
export type SiemAlert = Record<string, SiemAlertValue>;

/** One of the 50 documented fields (`SIEM_FIELDS` of src/microsoft.ts). */
export type SiemAlertField = (typeof SIEM_FIELDS)[number];
