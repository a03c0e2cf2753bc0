/**
 * The building blocks of configuration validation: zod field builders (origins, times, durations,
 * whole numbers) that the option table's value rules use (setting-values.ts), and gathering each
 * setting by precedence. Pure.
 */
import { z } from 'zod';
import { parseDuration, parseTimeOption, TimeParseError } from '../time.js';
import { optionKey, type SettingKey, type SettingSpec } from './spec.js';
import type { Env, Flags } from './types.js';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A verified domain: DNS labels, at least two. The tenant goes into the token URL's path, so
// nothing else (no '/', '?', '%', '..') may pass.
export const DOMAIN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An origin we may send credentials to: https anywhere, plain http only on loopback (the simulator,
 * a local TLS-terminating proxy) — a bearer token over plain http on a network is a leak.
 */
export function origin(what: string) {
  return z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a URL; expected e.g. https://host.example` });
      return z.NEVER;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      ctx.addIssue({ code: 'custom', message: `${what} must use https:// (plain http only on loopback), got "${text}"` });
      return z.NEVER;
    }
    if (url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: `${what} must not carry a query, fragment or credentials: "${text}"` });
      return z.NEVER;
    }
    // Keep a path prefix (a reverse proxy may mount the API below one) without a trailing slash;
    // rebuilt from origin and path so an empty `?` or `#` cannot swallow the API path appended later.
    return new URL(url.origin + url.pathname.replace(/\/+$/, ''));
  });
}

export function timeOption(now: Date) {
  return z.string().transform((text, ctx) => {
    try {
      return parseTimeOption(text, now);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof TimeParseError ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

export function duration(minMs: number, maxMs: number) {
  return z.string().transform((text, ctx) => {
    try {
      const ms = parseDuration(text);
      if (ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `must be from ${minMs / 1000}s to ${maxMs / 86_400_000}d` });
        return z.NEVER;
      }
      return ms;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof TimeParseError ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

/**
 * A whole number from `min` to `max`, with one problem in our words whatever is wrong: digits too
 * many for a JavaScript number are simply too large.
 */
export function wholeNumber(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    if (!/^\d+$/.test(text)) {
      ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    const n = Number(text);
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: n < min ? `must be at least ${min}` : `must be at most ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

/** Gathers each setting by precedence: flag > environment (which already includes --env-file) > default. */
export function gather(specs: readonly SettingSpec[], flags: Flags, env: Env): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const spec of specs) {
    const key = optionKey(spec.flag);
    const flag = flags[key as SettingKey];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    raw[key] = flag ?? (fromEnv === '' ? undefined : fromEnv) ?? spec.default;
  }
  return raw;
}

export { fail } from './problems.js';
