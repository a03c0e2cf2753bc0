/**
 * One alert as one ArcSight Common Event Format (CEF) line, with Microsoft's default ArcSight
 * mapping of the SIEM fields (Defender for Endpoint "alert fields" page, api-portal-mapping.md).
 * Pure. Keys are the CEF names of "Implementing ArcSight Common Event Format" rev. 25 (the names
 * Microsoft Sentinel's CommonSecurityLog maps too); docs/cef-leef.md has the table and the reasons.
 */
import {
  alertTimeMs,
  DEVICE_PRODUCT,
  DEVICE_VENDOR,
  DEVICE_VERSION,
  eventClassId,
  flag,
  headerField,
  hostName,
  severityScore,
  text,
  type SiemRecord,
} from './siem-record.js';
import { TENANT_FIELD } from './tenant-field.js';

/** One extension: its CEF key, where the value comes from, and the label a custom field carries. */
interface Extension {
  readonly key: string;
  readonly value: (alert: SiemRecord) => string | undefined;
  /** For the custom fields (cs*, cn*, flexString*): the `<key>Label` that names what they hold. */
  readonly label?: string;
}

const field =
  (name: string) =>
  (alert: SiemRecord): string | undefined =>
    text(alert, name);

/** Microsoft's table, in its order. A custom field is labelled with the SIEM field it carries. */
const EXTENSIONS: readonly Extension[] = [
  { key: 'cat', value: field('Category') },
  { key: 'sourceServiceName', value: field('Source') },
  { key: 'shost', value: hostName },
  { key: 'fname', value: field('FileName') },
  { key: 'filePath', value: field('FilePath') },
  { key: 'sntdom', value: field('UserDomain') },
  { key: 'suser', value: field('UserName') },
  { key: 'fileHash', value: field('Sha1') },
  { key: 'cs6', value: field('Sha256'), label: 'Sha256' },
  { key: 'cs5', value: field('Md5'), label: 'Md5' },
  { key: 'cs1', value: field('ThreatName'), label: 'ThreatName' },
  { key: 'src', value: field('IpAddress') },
  { key: 'request', value: field('Url') },
  { key: 'cn2', value: (alert) => flag(alert, 'RemediationIsSuccess'), label: 'RemediationIsSuccess' },
  { key: 'cn1', value: (alert) => flag(alert, 'WasExecutingWhileDetected'), label: 'WasExecutingWhileDetected' },
  { key: 'externalId', value: field('AlertId') },
  { key: 'flexString1', value: field('LinkToWDATP'), label: 'LinkToWDATP' },
  // Milliseconds since the epoch: one of the forms rev. 25 allows, and the one with no month
  // names to localise, no time zone to forget and no milliseconds to lose.
  { key: 'rt', value: (alert) => alertTimeMs(alert)?.toString() },
  { key: 'sourceDnsDomain', value: field('MachineDomain') },
  { key: 'cs4', value: field('Actor'), label: 'Actor' },
  { key: 'suid', value: field('LogOnUsers') },
  // Not Microsoft's: many tenants in one stream (pull --tenants) add the tenant's label to each
  // alert (output/shared-output.ts), and it rides in a custom string no other field uses.
  { key: 'cs2', value: field(TENANT_FIELD), label: TENANT_FIELD },
];

const EXTENSION_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '=': '\\=', '\r': '\\r', '\n': '\\n' };

/** An extension value as rev. 25 wants it: `\` and `=` escaped, CR and LF written as `\r` and `\n`. */
function extensionValue(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => EXTENSION_ESCAPES[c] ?? c);
}

/**
 * The CEF line of one alert in the SIEM layout, without a line terminator:
 * `CEF:0|Microsoft|Microsoft Defender ATP|2.0|<Signature ID>|<AlertTitle>|<Severity>|<extension>`.
 * Severity is 1, 3, 6 or 8 (Informational, Low, Medium, High), else CEF's `Unknown`. A field that
 * is absent, null or "" leaves its key (and label) out; nothing is truncated.
 */
export function cefLine(alert: SiemRecord): string {
  const header = [
    'CEF:0',
    DEVICE_VENDOR,
    DEVICE_PRODUCT,
    DEVICE_VERSION,
    headerField(eventClassId(alert)),
    headerField(text(alert, 'AlertTitle') ?? ''),
    String(severityScore(alert) ?? 'Unknown'),
  ];
  const pairs: string[] = [];
  for (const { key, value, label } of EXTENSIONS) {
    const v = value(alert);
    if (v === undefined) continue;
    if (label !== undefined) pairs.push(`${key}Label=${label}`);
    pairs.push(`${key}=${extensionValue(v)}`);
  }
  return `${header.join('|')}|${pairs.join(' ')}`;
}
