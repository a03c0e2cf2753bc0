/**
 * The shapes configuration takes: what the commands receive once flags, environment and files
 * were resolved and validated (resolve.ts).
 */
import type { AlertFilters } from '../api/odata-filters.js';
import type { AlertQuery } from '../api/source.js';
import type { LogLevel } from '../log.js';
import type { ApiName, Cloud, TokenAudience } from '../microsoft.js';
import type { SettingKey } from './spec.js';

/**
 * What commander parsed, by its key of each setting of the option table (spec.ts): a key that is
 * no setting's does not compile.
 */
export type Flags = Readonly<Partial<Record<SettingKey, unknown>>>;
export type Env = Readonly<Record<string, string | undefined>>;

export interface AuthConfig {
  api: ApiName;
  cloud: Cloud;
  tenant: string;
  clientId: string;
  /**
   * How the app proves itself: its client secret, or a certificate (PEM file) to sign assertions
   * with; or `user`: the delegated sign-in cached by `defender-alerts login` (`--auth user`).
   */
  credential: { kind: 'secret'; secret: string } | { kind: 'certificate'; path: string } | { kind: 'user' };
  /** What token to ask for: v1 `resource=` (siem) or v2 `scope=` (mde, graph). */
  audience: TokenAudience;
  authorityHost: URL;
  /** Exporter origin (from --base-url, else --region); absent only for `token`, which needs none. */
  baseUrl: URL | undefined;
  timeoutMs: number;
  maxRetries: number;
  /** Total time a run may spend waiting out throttled answers (`--max-throttle-wait`). */
  maxThrottleWaitMs: number;
  logLevel: LogLevel;
  /** What was given but does not apply, said as a warning and ignored (a region for --api graph). */
  warnings: readonly string[];
}

/** Settings of the OData APIs (ignored for siem). */
export interface ODataSettings {
  mde: { filterOn: 'lastUpdateTime' | 'alertCreationTime'; expandEvidence: boolean; pageSize: number };
  graph: { serviceSource: string | undefined; pageSize: number };
}

export interface PullConfig extends AuthConfig, ODataSettings {
  /** native: each API's own alert objects; siem: mapped onto the SIEM API's flat fields. */
  schema: 'native' | 'siem';
  baseUrl: URL;
  query: AlertQuery;
  format: 'json' | 'ndjson' | 'cef' | 'leef';
  /** `--split evidence`: one NDJSON record per evidence item. */
  split: 'evidence' | undefined;
  /** Server-side filters of the OData APIs (none for siem). */
  filters: AlertFilters;
  output: string | undefined;
  /** Append to --output instead of replacing it (ndjson only). */
  append: boolean;
  /** Scheduled-export checkpointing (`--state`); absent for a plain pull. */
  state: StateConfig | undefined;
  /** `--follow`: run as a service, a stateful run every interval. */
  follow: { intervalMs: number; jitterMs: number } | undefined;
  /** Where to write Prometheus metrics after each run (`--metrics-file`; needs a state). */
  metricsFile: string | undefined;
}

export interface StateConfig {
  path: string;
  /** Re-read this much before the checkpoint (late arrivals, clock skew). */
  overlapMs: number;
  /**
   * How a long range is cut into windows (state/window-plan.ts): `--window <duration>` fixes their
   * length; `--window auto` (the default) starts at an hour and sizes each window by what the
   * previous ones held.
   */
  windowMs: number;
  adaptiveWindows: boolean;
  /** Windows read at once (`--parallel`), delivered in order. */
  parallel: number;
}

/** What the caller read for the secret: the file's (or stdin's) content, if a file was named. */
export interface ResolveInput {
  flags: Flags;
  env: Env;
  /** Content of --client-secret-file, already read and trimmed of its trailing newline. */
  secretFromFile?: string | undefined;
  now: Date;
}

/** What `login` needs besides the sign-in's identity. */
export interface LoginConfig extends AuthConfig {
  deviceCode: boolean;
  /** Loopback listener port; 0 picks a free one. */
  redirectPort: number;
  openBrowser: boolean;
  /** How long to wait for the user to finish signing in. */
  waitMs: number;
}
