/**
 * The state file of `pull --state`: what a scheduled export has delivered so far. Versioned JSON,
 * documented in docs/scheduled-export.md. Pure: parse and serialise, no I/O.
 */
import { z } from 'zod';
import { dateOf, normalizeTimestamp } from '../time.js';

/**
 * The newest version this defender-alerts reads. 2 added what `status` and the metrics file need
 * (`lastRun`, `lastSuccessAt`, `totals`), all optional: a version 1 file still loads, and is
 * written back as version 2. 3 is the state of a tenant no run has delivered for yet
 * ({@link NoCheckpointStateSchema}).
 */
export const STATE_VERSION = 3 as const;
/**
 * What a state with a checkpoint is written as. Version 3 added nothing to it, so each file carries
 * the lowest version that holds its content: a release that reads version 2 still reads every
 * checkpoint (a downgrade keeps them), and refuses only the record of a tenant that never
 * delivered, saying to upgrade.
 */
export const CHECKPOINT_VERSION = 2 as const;
const CHECKPOINT_VERSIONS = [1, 2] as const;

const Count = z.number().int().nonnegative();

/** How the last run (or `--follow` cycle) under this state ended. */
export const RunRecordSchema = z.object({
  outcome: z.enum(['ok', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: Count,
  /** Alerts it delivered (for a failed run: those its committed windows delivered). */
  alerts: Count,
  exitCode: z.number().int().optional(),
  /** The failure's code and one line: `AADSTS7000215: Entra ID refused …`. */
  error: z.string().optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** What every run under this state added up to, for `status` and counters that survive restarts. */
export const TotalsSchema = z.object({
  runs: Count,
  failedRuns: Count,
  alerts: Count,
  invalid: Count,
  retries: Count,
  throttleWaits: Count,
  throttleWaitMs: Count,
  /** Answers by status class: `2xx`, `4xx`, `5xx`, and `network` for requests that got none. */
  requests: z.record(z.string(), Count),
});
export type Totals = z.infer<typeof TotalsSchema>;

export const NO_TOTALS: Totals = {
  runs: 0,
  failedRuns: 0,
  alerts: 0,
  invalid: 0,
  retries: 0,
  throttleWaits: 0,
  throttleWaitMs: 0,
  requests: {},
};

/**
 * A normalised timestamp that is also a real instant: `2024-13-45T99:99:99.0000000Z` has the right
 * form, but its Date is invalid, and date arithmetic on it would throw (exit 1, a crash) rather
 * than report a corrupt state file (test/state/state.property.test.ts).
 */
const Timestamp = z
  .string()
  .refine(
    (t) => normalizeTimestamp(t) === t && !Number.isNaN(dateOf(t).getTime()) && dateOf(t).toISOString().slice(0, 19) === t.slice(0, 19),
    'expected a timestamp like 2024-05-01T10:00:00.0000000Z',
  );

/** Whose state it is: a state of another tenant, API or endpoint is refused (see {@link parseState}). */
const IDENTITY_SHAPE = {
  /** Which API the checkpoint belongs to (`siem`); checkpoints of different APIs do not mix. */
  api: z.string().min(1),
  tenant: z.string().min(1),
  /** The API origin the alerts came from (region host or --base-url). */
  endpoint: z.string().min(1),
};

export const StateSchema = z
  .object({
    version: z.union(CHECKPOINT_VERSIONS.map((v) => z.literal(v))),
    ...IDENTITY_SHAPE,
    /**
     * Everything up to here has been read completely and delivered; the next run asks from
     * `readUntil − overlap` so alerts that reach the API late are still caught.
     */
    readUntil: Timestamp,
    /** The latest LastProcessedTimeUtc delivered (for people; null before the first alert). */
    latestAlert: Timestamp.nullable(),
    /**
     * `recent` holds the key of every alert delivered with a LastProcessedTimeUtc from here on
     * (normally `readUntil − overlap`); a later run never reads from before it, or it could repeat.
     */
    recentSince: Timestamp,
    /** Where the first run started (its --since): nothing before it was ever asked for. */
    origin: Timestamp.optional(),
    /** Keys (`FullId|LastProcessedTimeUtc`) of alerts delivered since `recentSince`: not repeated. */
    recent: z.array(z.string()),
    updatedAt: z.string(),
    lastRun: RunRecordSchema.optional(),
    /** When a run last ended well (ISO-8601). */
    lastSuccessAt: z.string().optional(),
    totals: TotalsSchema.optional(),
  })
  // recent covers [recentSince, readUntil]; the other way round cannot come from a run of ours.
  .refine((s) => s.recentSince <= s.readUntil, { path: ['recentSince'], message: 'is after readUntil' });

export type State = z.infer<typeof StateSchema>;

/**
 * Version 3: the state of a tenant whose every run so far failed before it delivered a window (a
 * customer that never consented): whose it is and how its runs ended, and no checkpoint. It is
 * written to the state file itself, by the run under the state's lock, so a tenant's state keeps
 * one reader (`readState`) and one writer (`writeState`); the next run finds no checkpoint, starts
 * from --since as a first run does, carries the totals on, and replaces it with a real state
 * (atomically, as every state). A sibling record (`<state>.failed.json`) would be a second file to
 * keep in step, listed by `status --state-dir` as a state, named like the state of a tenant called
 * `<name>.failed`, and left behind unless removed after the first delivery. Strict: a version 3
 * file with a checkpoint's fields was not written by us.
 */
export const NoCheckpointStateSchema = z.strictObject({
  version: z.literal(3),
  ...IDENTITY_SHAPE,
  updatedAt: z.string(),
  lastRun: RunRecordSchema,
  lastSuccessAt: z.string().optional(),
  totals: TotalsSchema.optional(),
});
export type NoCheckpointState = z.infer<typeof NoCheckpointStateSchema>;

/** What a state file holds: a checkpoint with its run history, or (version 3) the history alone. */
export type StateFile = State | NoCheckpointState;

/** Whether the file holds a checkpoint: some run delivered a window under it. */
export function hasCheckpoint(file: StateFile): file is State {
  return file.version !== 3;
}

/** Where the state must fit: a state file of another tenant, API or endpoint is an error. */
export interface StateIdentity {
  api: string;
  tenant: string;
  endpoint: string;
}

export type ParseResult = { ok: true; state: StateFile } | { ok: false; reason: string };

/**
 * Parses a state file's text; `reason` completes "the state file … is not usable: <reason>".
 * Without `identity` (`status`), a state of any tenant, API or endpoint is accepted.
 */
export function parseState(text: string, identity?: StateIdentity): ParseResult {
  // An editor on Windows may save the file with a byte-order mark; the content is still ours.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // Our writes are atomic (temp file + rename), so an empty file was made by something else.
  if (body.trim() === '') return { ok: false, reason: 'it is empty' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'it is not valid JSON' };
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > STATE_VERSION) {
    return {
      ok: false,
      reason: `it has version ${version}, newer than this defender-alerts understands (${STATE_VERSION}); upgrade defender-alerts`,
    };
  }
  const parsed = version === 3 ? NoCheckpointStateSchema.safeParse(json) : StateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `it does not have the expected content (${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'})`,
    };
  }
  const state: StateFile = hasCheckpoint(parsed.data) ? { ...parsed.data, version: CHECKPOINT_VERSION } : parsed.data;
  if (identity === undefined) return { ok: true, state };
  for (const key of ['api', 'tenant', 'endpoint'] as const) {
    if (state[key] !== identity[key]) {
      return { ok: false, reason: `it belongs to ${key} "${state[key]}", not "${identity[key]}"; use a separate --state file for each` };
    }
  }
  return { ok: true, state };
}

/** The file's text: stable key order, one key per line, a final newline. */
export function serializeState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
