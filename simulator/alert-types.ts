/**
 * The shape of one SIEM alert-export record as the simulator serves it: a flat object of
 * strings, integers, booleans and nulls (docs/microsoft-apis.md §1). Deliberately loose, because
 * real answers drift (null vs "" vs absent keys, `IoaDefinitiondId`), and the simulator must be
 * able to serve whatever a test hands it.
 */
import { SIEM_FIELDS } from '../src/microsoft.js';

export type SiemAlertValue = string | number | boolean | null;
export type SiemAlert = Record<string, SiemAlertValue>;

/** The 50 documented fields, in the order Microsoft's 2020 example lists them. */
export const SIEM_ALERT_FIELDS = SIEM_FIELDS;

export type SiemAlertField = (typeof SIEM_ALERT_FIELDS)[number];
