/**
 * The tenants the simulator serves: the default one (the published credentials') and, for
 * multi-tenant ("MSSP") runs, a fleet of more, each with its own alerts, its own Defender for
 * Endpoint and Graph quotas (the real quotas are per app and tenant) and, when a test asks, its
 * own trouble.
 * A fleet tenant is built on first use, so a simulator serving 100 000 tenants costs nothing
 * until a client reaches one.
 */
import { SIMULATOR_CREDENTIALS, fleetTenantIndex, servedTenantId } from './credentials.js';
import { hashSeed } from './prng.js';
import { Quota, SlidingWindowLimit } from './rate-limit.js';
import { AlertStore } from './store.js';

/**
 * What can be wrong in one tenant. The first three are Entra's answers when the app is not (fully)
 * set up in a customer tenant; with the last two, tokens are issued but the alert APIs refuse
 * (403: the permission was never granted) or fail (500).
 */
export const TENANT_TROUBLES = ['no-consent', 'missing-service-principal', 'app-unknown', 'forbidden', 'server-error'] as const;
export type TenantTrouble = (typeof TENANT_TROUBLES)[number];

export function isTenantTrouble(value: unknown): value is TenantTrouble {
  return (TENANT_TROUBLES as readonly unknown[]).includes(value);
}

/** One tenant's own state. */
export interface Tenant {
  /** Its canonical id. */
  id: string;
  store: AlertStore;
  /** The Defender for Endpoint API's quotas of the app in this tenant. */
  mdeQuota: Quota;
  /** Graph's security API quota of the app in this tenant (alerts_v2). */
  graphQuota: Quota;
}

/** What every tenant is built from: the simulator's alert and quota options. */
export interface TenantSettings {
  /** When the simulator started: every tenant's initial alerts end here, whenever it is built. */
  startedAt: Date;
  seed: number;
  alerts: number;
  windowHours: number;
  rate: number;
  sharedUpdateTime: number;
  mdeCallsPerMinute: number;
  mdeCallsPerHour: number;
  mdeMinuteSeconds: number;
  graphCallsPerMinute: number;
  graphMinuteSeconds: number;
  /** Charged to the Defender for Endpoint quotas only. */
  quotaUsed: number;
}

// Keeps fleet seeds apart from the other streams derived from the simulator's seed.
const FLEET_SEED_STREAM = 0x7e4a47;

/** Builds one tenant. Fleet tenants leave out Microsoft's examples, whose ids would repeat in each. */
export function buildTenant(id: string, s: TenantSettings, seed: number, includeExamples: boolean): Tenant {
  const store = new AlertStore({
    now: s.startedAt,
    seed,
    initial: s.alerts,
    windowHours: s.windowHours,
    ratePerMinute: s.rate,
    includeExamples,
  });
  if (s.sharedUpdateTime > 0) {
    store.bulkUpdate(s.sharedUpdateTime, new Date(s.startedAt.getTime() - (s.windowHours * 3_600_000) / 2));
  }
  const mdeQuota = new Quota([
    new SlidingWindowLimit(s.mdeCallsPerMinute, s.mdeMinuteSeconds * 1000),
    new SlidingWindowLimit(s.mdeCallsPerHour, 3_600_000),
  ]);
  // Charged at the start, as for the default tenant, even when the tenant is built later.
  mdeQuota.charge(s.quotaUsed, s.startedAt.getTime());
  const graphQuota = new Quota([new SlidingWindowLimit(s.graphCallsPerMinute, s.graphMinuteSeconds * 1000)]);
  return { id, store, mdeQuota, graphQuota };
}

export class TenantDirectory {
  readonly #fleet: number;
  readonly #settings: TenantSettings;
  readonly #fleetTenants = new Map<string, Tenant>();
  // By canonical id; kept apart from the tenants so trouble costs no store.
  readonly #trouble = new Map<string, TenantTrouble>();
  /** The published tenant, as the simulator always served it. */
  readonly default: Tenant;

  constructor(settings: TenantSettings, fleet: number, includeExamples: boolean) {
    this.#settings = settings;
    this.#fleet = fleet;
    this.default = buildTenant(SIMULATOR_CREDENTIALS.tenantId, settings, settings.seed, includeExamples);
  }

  /** Number of fleet tenants served besides the default one. */
  get fleet(): number {
    return this.#fleet;
  }

  /** The canonical id of the tenant `tenant` (id or domain, any case) names, or undefined if not served. */
  idOf(tenant: string): string | undefined {
    return servedTenantId(tenant, this.#fleet);
  }

  /** The tenant `tenant` names, built on first use; undefined if not served. */
  get(tenant: string): Tenant | undefined {
    const id = this.idOf(tenant);
    if (id === undefined) return undefined;
    if (id === this.default.id) return this.default;
    let built = this.#fleetTenants.get(id);
    if (built === undefined) {
      const index = fleetTenantIndex(id) as number;
      built = buildTenant(id, this.#settings, hashSeed(this.#settings.seed, FLEET_SEED_STREAM, index), false);
      this.#fleetTenants.set(id, built);
    }
    return built;
  }

  troubleOf(tenant: string): TenantTrouble | undefined {
    const id = this.idOf(tenant);
    return id === undefined ? undefined : this.#trouble.get(id);
  }

  /** Sets (or, with null, clears) a tenant's trouble; returns its canonical id, undefined if not served. */
  setTrouble(tenant: string, trouble: TenantTrouble | null): string | undefined {
    const id = this.idOf(tenant);
    if (id === undefined) return undefined;
    if (trouble === null) this.#trouble.delete(id);
    else this.#trouble.set(id, trouble);
    return id;
  }
}
