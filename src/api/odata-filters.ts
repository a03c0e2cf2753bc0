/**
 * Server-side filters of the OData APIs (`--severity`, `--status`, `--detection-source`): the
 * `$filter` clauses they add, so the service sends only the alerts asked for — fewer bytes and
 * fewer pages. Pure.
 */

/** Values per alert property; an empty list is no filter. */
export interface AlertFilters {
  severity: readonly string[];
  status: readonly string[];
  detectionSource: readonly string[];
}

export const NO_FILTERS: AlertFilters = { severity: [], status: [], detectionSource: [] };

/** An OData string literal: single quotes, a quote doubled. */
export function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `severity eq 'High'`, or `(severity eq 'High' or severity eq 'Medium')` for several values. */
export function filterClauses(filters: AlertFilters): string[] {
  const clauses: string[] = [];
  for (const [field, values] of Object.entries(filters) as [keyof AlertFilters, readonly string[]][]) {
    const unique = [...new Set(values)];
    if (unique.length === 0) continue;
    const terms = unique.map((v) => `${field} eq ${quote(v)}`);
    clauses.push(terms.length === 1 ? (terms[0] ?? '') : `(${terms.join(' or ')})`);
  }
  return clauses;
}
