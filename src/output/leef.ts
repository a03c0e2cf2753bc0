/**
 * One alert as one IBM QRadar LEEF 2.0 line. Pure. The fields are those of Microsoft's ArcSight
 * mapping (./cef.ts); each goes to a predefined LEEF key of IBM's "Log Event Extended Format"
 * guide where one means the same thing, else to a custom key named after the SIEM field, as IBM
 * asks for data no predefined key fits. docs/cef-leef.md has the table and the reasons.
 */
import {
  alertTimeMs,
  DEVICE_PRODUCT,
  DEVICE_VENDOR,
  DEVICE_VERSION,
  eventClassId,
  headerField,
  hostName,
  severityScore,
  text,
  type SiemRecord,
} from './siem-record.js';
import { TENANT_FIELD } from './tenant-field.js';

/**
 * The attribute delimiter: a tab, LEEF 1.0's fixed one and LEEF 2.0's default, named in the
 * header in the hex form LEEF 2.0 allows (`x09`) so the header itself holds no tab.
 */
const DELIMITER = '\t';
const DELIMITER_NAME = 'x09';

/**
 * devTime's pattern, in Java SimpleDateFormat letters as QRadar reads devTimeFormat (the form
 * IBM's own example uses). `SSS` counts milliseconds, so devTime must carry exactly three digits.
 */
const DEV_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";

/** `2020-09-30T14:09:20.357+0000`: UTC, with the RFC 822 zone that the pattern's `Z` reads. */
function devTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+0000');
}

/**
 * An attribute value. LEEF defines no escape and QRadar undoes none, so a value keeps its
 * backslashes and `=` (the key ends at the first `=`); the delimiter and line breaks, which would
 * end the attribute or the record, become one space each (a CR LF pair counts as one).
 */
function attributeValue(value: string): string {
  return value.replace(/\r\n|[\r\n\t]/g, ' ');
}

/** One attribute: its key and where the value comes from. */
type Attribute = readonly [key: string, value: (alert: SiemRecord) => string | undefined];

/** The same field under the SIEM API's own name. */
const custom = (name: string): Attribute => [name, (alert) => text(alert, name)];

/** Microsoft's table, in its order; `devTimeFormat` follows the `devTime` it describes. */
const ATTRIBUTES: readonly Attribute[] = [
  // The LEEF header has no name field: the title is an attribute.
  custom('AlertTitle'),
  ['sev', (alert) => severityScore(alert)?.toString()],
  ['cat', (alert) => text(alert, 'Category')],
  custom('Source'),
  ['identHostName', hostName],
  custom('FileName'),
  custom('FilePath'),
  custom('UserDomain'),
  ['usrName', (alert) => text(alert, 'UserName')],
  custom('Sha1'),
  custom('Sha256'),
  custom('Md5'),
  custom('ThreatName'),
  ['src', (alert) => text(alert, 'IpAddress')],
  ['url', (alert) => text(alert, 'Url')],
  custom('RemediationIsSuccess'),
  custom('WasExecutingWhileDetected'),
  custom('AlertId'),
  custom('LinkToWDATP'),
  [
    'devTime',
    (alert) => {
      const ms = alertTimeMs(alert);
      return ms === undefined ? undefined : devTime(ms);
    },
  ],
  ['devTimeFormat', (alert) => (alertTimeMs(alert) === undefined ? undefined : DEV_TIME_FORMAT)],
  custom('MachineDomain'),
  custom('Actor'),
  custom('LogOnUsers'),
  // Not Microsoft's: the tenant's label that many tenants in one stream add (output/shared-output.ts).
  custom(TENANT_FIELD),
];

/**
 * The LEEF 2.0 line of one alert in the SIEM layout, without a line terminator:
 * `LEEF:2.0|Microsoft|Microsoft Defender ATP|2.0|<EventID>|x09|` and tab-separated `key=value`
 * attributes. EventID is CEF's Signature ID; `sev` is 1, 3, 6 or 8 and left out when the severity
 * is unknown (LEEF's scale starts at 1). A field that is absent, null or "" leaves its key out.
 */
export function leefLine(alert: SiemRecord): string {
  const header = ['LEEF:2.0', DEVICE_VENDOR, DEVICE_PRODUCT, DEVICE_VERSION, headerField(eventClassId(alert)), DELIMITER_NAME];
  const pairs: string[] = [];
  for (const [key, value] of ATTRIBUTES) {
    const v = value(alert);
    if (v !== undefined) pairs.push(`${key}=${attributeValue(v)}`);
  }
  return `${header.join('|')}|${pairs.join(DELIMITER)}`;
}
