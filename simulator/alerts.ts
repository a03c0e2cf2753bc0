/**
 * Deterministic generation of realistic SIEM alert-export records.
 *
 * An alert is a pure function of (seed, group, part, LastProcessedTimeUtc): the store keeps only
 * those numbers and the answer is generated while it streams, so a million alerts cost a few
 * megabytes, not gigabytes. A *group* is one Defender alert (one AlertId); its *parts* are the
 * raw detections the SIEM API returns separately (same AlertId, different IocUniqueId/FullId).
 *
 * Generated alerts show the drift of real answers (docs/microsoft-apis.md §1): absent values as
 * `""`, as `null`, or as missing keys; the 2017 `IoaDefinitiondId` spelling; 7-digit
 * `LastProcessedTimeUtc` and .NET-trimmed `AlertTime`.
 */
import {
  CLOUD_TAGS,
  DETECTION_TEMPLATES,
  DEVICE_TAGS,
  DOMAINS,
  IOC_IPS,
  IOC_URLS,
  MACHINE_GROUPS,
  MACHINE_PREFIXES,
  USERS,
  type DetectionTemplate,
} from './alert-catalog.js';
import { SIEM_FIELDS } from '../src/microsoft.js';
import type { SiemAlert, SiemAlertField, SiemAlertValue } from './alert-types.js';
import { createRng, hashSeed, type Rng } from './prng.js';
import { DOTNET_EPOCH_OFFSET_TICKS, TICKS_PER_SECOND, formatTicks, formatTicksTrimmed, type Ticks } from './ticks.js';

/** How an alert spells an absent value: `""` (2020 docs), `null` (2017 docs) or no key (2018 answer). */
export type AbsentStyle = 'empty' | 'null' | 'omit';

/** Stream tags, so the group-, part- and machine-level streams of one seed never coincide. */
const STREAM = { group: 1, part: 2, machine: 3 } as const;
const MACHINE_POOL_SIZE = 250;
const BOOLEAN_FIELDS = new Set<string>(['RemediationIsSuccess', 'WasExecutingWhileDetected']);
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `"Field":` for each documented field, in order, and the 2017 typo's key. */
const QUOTED_KEYS = SIEM_FIELDS.map((field) => `${JSON.stringify(field)}:`);
const TYPO_KEY = '"IoaDefinitiondId":';
const TYPO_INDEX = SIEM_FIELDS.indexOf('IoaDefinitionId');

/**
 * Fields whose generated values are made of characters JSON never escapes (hex, base64, digits,
 * `da…_-…` ids, `https://…?alertId=…&source=SIEM` links, ISO times), so they are quoted as they are.
 */
const SAFE_FIELDS = new Set<string>([
  'AlertTime',
  'AlertId',
  'LinkToWDATP',
  'Sha1',
  'FullId',
  'LastProcessedTimeUtc',
  'Md5',
  'Sha256',
  'FileHash',
  'IncidentLinkToWDATP',
  'LinkToMTP',
  'IncidentLinkToMTP',
  'ExternalId',
  'IocUniqueId',
]);

const IS_SAFE = SIEM_FIELDS.map((field) => SAFE_FIELDS.has(field));
const IS_BOOLEAN = SIEM_FIELDS.map((field) => BOOLEAN_FIELDS.has(field));

/** JSON texts of the catalogue's strings (titles, paths, command lines…): a few hundred, escaped once. */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 10_000;

function quoted(value: string): string {
  let text = QUOTED.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    if (QUOTED.size < QUOTED_MAX) QUOTED.set(value, text);
  }
  return text;
}

/** `00` … `59`. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const SECONDS_PER_DAY = 86_400;

/**
 * formatTicks / formatTicksTrimmed without a Date per call: the day's `YYYY-MM-DDT` is
 * remembered (an answer spans few days) and the time of day is plain arithmetic. Date#toISOString
 * per timestamp was a sixth of the generation cost.
 */
class TickFormatter {
  #day = Number.NaN;
  #dayPrefix = '';

  /** `2017-01-23T11:33:45.0760449Z` (as formatTicks). */
  full(ticks: Ticks): string {
    if (ticks < 0n) return formatTicks(ticks);
    return `${this.#seconds(ticks)}.${fraction(ticks)}Z`;
  }

  /** `2020-09-30T14:09:20.35743Z` (as formatTicksTrimmed). */
  trimmed(ticks: Ticks): string {
    if (ticks < 0n) return formatTicksTrimmed(ticks);
    let digits = fraction(ticks);
    let end = digits.length;
    while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
    digits = digits.slice(0, end);
    return `${this.#seconds(ticks)}${digits === '' ? '' : `.${digits}`}Z`;
  }

  /** `YYYY-MM-DDTHH:MM:SS` of a non-negative tick count. */
  #seconds(ticks: Ticks): string {
    const second = Number(ticks / TICKS_PER_SECOND);
    const day = Math.floor(second / SECONDS_PER_DAY);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayPrefix = new Date(day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 11);
    }
    const inDay = second - day * SECONDS_PER_DAY;
    const h = Math.floor(inDay / 3600);
    const m = Math.floor((inDay % 3600) / 60);
    return `${this.#dayPrefix}${TWO_DIGITS[h]!}:${TWO_DIGITS[m]!}:${TWO_DIGITS[inDay % 60]!}`;
  }
}

/** The 7 fraction digits of a non-negative tick count. */
function fraction(ticks: Ticks): string {
  return String(Number(ticks % TICKS_PER_SECOND)).padStart(7, '0');
}

interface Machine {
  name: string;
  dnsName: string;
  domain: (typeof DOMAINS)[number];
  deviceId: string;
  group: string;
  deviceTags: string;
  cloudTags: string;
  ipv4: string;
  ipv6: string;
}

interface Group {
  template: DetectionTemplate;
  machine: Machine;
  style: AbsentStyle;
  typo: boolean;
  parts: number;
  user: string | undefined;
  alertDelayTicks: bigint;
  idDelayTicks: bigint;
  idSuffix: number;
  reportId: number;
  remediation: { action: string; success: boolean; executing: boolean } | undefined;
  iocIndex: number;
}

/** Deterministic source of generated SIEM alerts for one seed. */
export class AlertGenerator {
  readonly #seed: number;
  readonly #machines = new Map<number, Machine>();
  readonly #times = new TickFormatter();
  // Detections of one group are generated one after another: keep the last group.
  #lastGroup: { index: number; value: Group } | undefined;

  constructor(seed: number) {
    this.#seed = seed >>> 0;
  }

  /** How many detections (records sharing one AlertId) group `group` has: mostly 1, up to 4. */
  detectionsIn(group: number): number {
    return this.#groupRng(group).u32() % 10 < 8 ? 1 : 2 + (this.#groupRng(group, 1).u32() % 3);
  }

  /** The AlertId of group `group` when its detections were processed at `lastProcessed`. */
  alertId(group: number, lastProcessed: Ticks): string {
    return this.#alertId(this.#group(group), lastProcessed);
  }

  /** Detection `part` (0-based) of group `group`, processed at `lastProcessed`. */
  generate(group: number, part: number, lastProcessed: Ticks): SiemAlert {
    const { values, style, typo } = this.#values(group, part, lastProcessed);
    const alert: SiemAlert = {};
    for (const field of SIEM_FIELDS) {
      let value = values[field];
      if (value === undefined || value === '' || value === null) {
        if (style === 'omit') continue;
        value = BOOLEAN_FIELDS.has(field) || style === 'null' ? null : '';
      }
      alert[typo && field === 'IoaDefinitionId' ? 'IoaDefinitiondId' : field] = value;
    }
    return alert;
  }

  /**
   * `JSON.stringify(generate(group, part, lastProcessed))`, built directly: a million-alert answer
   * must not make the simulator the bottleneck of a benchmark, and serialising the object costs as
   * much again as generating it. Keys are pre-quoted; values made only of JSON-safe characters
   * (hashes, ids, times, links) are quoted without escaping; catalogue strings are escaped once.
   */
  generateJson(group: number, part: number, lastProcessed: Ticks): string {
    const { values, style, typo } = this.#values(group, part, lastProcessed);
    const absentText = style === 'null' ? 'null' : '""';
    let json = '';
    for (let i = 0; i < SIEM_FIELDS.length; i++) {
      const field = SIEM_FIELDS[i]!;
      const value = values[field];
      let text: string;
      if (value === undefined || value === '' || value === null) {
        if (style === 'omit') continue;
        text = IS_BOOLEAN[i] === true ? 'null' : absentText;
      } else if (typeof value === 'string') {
        text = IS_SAFE[i] === true ? `"${value}"` : quoted(value);
      } else {
        text = String(value);
      }
      json += (json === '' ? '{' : ',') + (typo && i === TYPO_INDEX ? TYPO_KEY : QUOTED_KEYS[i]!) + text;
    }
    return json === '' ? '{}' : `${json}}`;
  }

  /** The field values of one detection, before the group's absent-value style is applied. */
  #values(
    group: number,
    part: number,
    lastProcessed: Ticks,
  ): { values: Record<SiemAlertField, SiemAlertValue | undefined>; style: AbsentStyle; typo: boolean } {
    const g = this.#group(group);
    const rng = createRng(hashSeed(this.#seed, STREAM.part, group, part));
    const file = g.template.files[part % g.template.files.length] ?? { name: '', path: '' };
    const alertId = this.#alertId(g, lastProcessed);
    // One buffer of random bytes for every hash-like value: much faster than digit by digit.
    const bytes = randomBytes(rng, RANDOM_BYTES);
    const iocUniqueId = bytes.toString('base64', 0, 32);
    const sha1 = bytes.toString('hex', 32, 52);
    const sha256 = rng.chance(0.6) ? bytes.toString('hex', 52, 84) : undefined;
    const md5 = bytes.toString('hex', 84, 100);
    const externalId = bytes.toString('hex', 100, 120).toUpperCase();
    const { template: t, machine: m } = g;
    const iocUrl = t.ioc === 'Url' ? IOC_URLS[g.iocIndex % IOC_URLS.length] : undefined;
    const iocIp = t.ioc === 'IpAddress' ? IOC_IPS[g.iocIndex % IOC_IPS.length] : undefined;

    const values: Record<SiemAlertField, SiemAlertValue | undefined> = {
      AlertTime: this.#times.trimmed(lastProcessed - g.alertDelayTicks),
      ComputerDnsName: m.dnsName,
      AlertTitle: t.title,
      Category: t.category,
      Severity: t.severity,
      AlertId: alertId,
      Actor: t.actor,
      LinkToWDATP: `https://securitycenter.windows.com/alert/${alertId}`,
      IocName: t.ioc,
      IocValue: iocUrl ?? iocIp,
      CreatorIocName: undefined,
      CreatorIocValue: undefined,
      Sha1: sha1,
      FileName: file.name,
      FilePath: file.path,
      IpAddress: iocIp,
      Url: iocUrl,
      IoaDefinitionId: t.ioaDefinitionId,
      UserName: g.user,
      AlertPart: part,
      FullId: `${alertId}:${iocUniqueId}`,
      LastProcessedTimeUtc: this.#times.full(lastProcessed),
      ThreatCategory: t.threat?.category,
      ThreatFamily: t.threat?.family,
      ThreatName: t.threat?.name,
      RemediationAction: g.remediation?.action,
      RemediationIsSuccess: g.remediation?.success ?? null,
      Source: t.source,
      Md5: md5,
      Sha256: sha256,
      WasExecutingWhileDetected: g.remediation?.executing ?? null,
      UserDomain: g.user === undefined ? undefined : m.domain.netbios,
      LogOnUsers: g.user === undefined ? undefined : `${m.domain.netbios}\\${g.user}`,
      MachineDomain: m.domain.dns,
      MachineName: m.name,
      InternalIPv4List: m.ipv4,
      InternalIPv6List: m.ipv6,
      FileHash: sha1,
      DeviceID: m.deviceId,
      MachineGroup: m.group,
      Description: t.description,
      DeviceCreatedMachineTags: m.deviceTags,
      CloudCreatedMachineTags: m.cloudTags,
      CommandLine: file.commandLine,
      IncidentLinkToWDATP: `https://securitycenter.windows.com/incidents/byalert?alertId=${alertId}&source=SIEM`,
      ReportID: g.reportId,
      LinkToMTP: `https://security.microsoft.com/alert/${alertId}`,
      IncidentLinkToMTP: `https://security.microsoft.com/incidents/byalert?alertId=${alertId}&source=SIEM`,
      ExternalId: externalId,
      IocUniqueId: iocUniqueId,
    };
    return { values, style: g.style, typo: g.typo };
  }

  #groupRng(group: number, stream = 0): Rng {
    return createRng(hashSeed(this.#seed, STREAM.group, group, stream));
  }

  #alertId(g: Group, lastProcessed: Ticks): string {
    // Defender AlertIds are "da" + the .NET ticks of the alert's creation + "_" + a 32-bit int.
    const created = lastProcessed - g.alertDelayTicks - g.idDelayTicks + DOTNET_EPOCH_OFFSET_TICKS;
    return `da${created}_${g.idSuffix}`;
  }

  #group(group: number): Group {
    if (this.#lastGroup?.index === group) return this.#lastGroup.value;
    const value = this.#makeGroup(group);
    this.#lastGroup = { index: group, value };
    return value;
  }

  #makeGroup(group: number): Group {
    const rng = this.#groupRng(group, 2);
    const template = rng.pick(DETECTION_TEMPLATES);
    const styleRoll = rng.next();
    const remediationRoll = rng.next();
    return {
      template,
      machine: this.#machine(rng.int(MACHINE_POOL_SIZE)),
      style: styleRoll < 0.6 ? 'empty' : styleRoll < 0.85 ? 'null' : 'omit',
      typo: rng.chance(0.1),
      parts: this.detectionsIn(group),
      user: rng.chance(0.7) ? rng.pick(USERS) : undefined,
      // Detection → backend: seconds to ~15 minutes, with sub-second precision.
      alertDelayTicks: BigInt(5 + rng.int(900)) * TICKS_PER_SECOND + BigInt(rng.int(10_000_000)),
      idDelayTicks: BigInt(rng.int(300)) * TICKS_PER_SECOND + BigInt(rng.int(10_000_000)),
      idSuffix: rng.chance(0.2) ? -(1 + rng.int(0x7fff_ffff)) : rng.int(0x7fff_ffff),
      reportId: 1 + rng.int(0x7fff_fffe),
      remediation:
        template.remediation === undefined
          ? undefined
          : {
              action: template.remediation[Math.floor(remediationRoll * template.remediation.length)] ?? 'quarantine',
              success: rng.chance(0.9),
              executing: rng.chance(0.2),
            },
      iocIndex: rng.int(1000),
    };
  }

  #machine(index: number): Machine {
    const cached = this.#machines.get(index);
    if (cached) return cached;
    const rng = createRng(hashSeed(this.#seed, STREAM.machine, index));
    const prefix = rng.pick(MACHINE_PREFIXES);
    const name = prefix + Array.from({ length: 7 }, () => rng.pick([...ALNUM])).join('');
    const domain = rng.pick(DOMAINS);
    const machine: Machine = {
      name,
      // Older records carry the bare host name, newer ones the FQDN.
      dnsName: rng.chance(0.85) ? `${name}.${domain.dns}` : name,
      domain,
      deviceId: hex(rng, 40),
      group: rng.pick(MACHINE_GROUPS),
      deviceTags: rng.pick(DEVICE_TAGS),
      cloudTags: rng.pick(CLOUD_TAGS),
      ipv4: `10.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`,
      ipv6: rng.chance(0.5) ? `fe80::${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}` : '',
    };
    this.#machines.set(index, machine);
    return machine;
  }
}

function hex(rng: Rng, length: number): string {
  return randomBytes(rng, Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** IocUniqueId (32) + Sha1 (20) + Sha256 (32) + Md5 (16) + ExternalId (20). */
const RANDOM_BYTES = 120;

/**
 * `length` random bytes. The buffer is reused by the next call: callers turn it into strings at
 * once (allocating one per alert showed up in profiles).
 */
function randomBytes(rng: Rng, length: number): Buffer {
  const words = scratchWords.length * 4 >= length ? scratchWords : new Uint32Array(Math.ceil(length / 4));
  const count = Math.ceil(length / 4);
  for (let i = 0; i < count; i++) words[i] = rng.u32();
  return Buffer.from(words.buffer, 0, length);
}

const scratchWords = new Uint32Array(Math.ceil(RANDOM_BYTES / 4));

/**
 * A copy of a published example alert with `LastProcessedTimeUtc` moved to the second of `at`,
 * keeping the example's own 7-digit fraction (`.0760449Z`), so the rebased value still reads as
 * Microsoft's.
 */
export function rebaseExample(example: Readonly<SiemAlert>, at: Ticks): SiemAlert {
  const original = String(example.LastProcessedTimeUtc ?? '');
  const fraction = /\.\d{7}Z$/.exec(original)?.[0] ?? '.0000000Z';
  return { ...example, LastProcessedTimeUtc: formatTicks(at).slice(0, 19) + fraction };
}
