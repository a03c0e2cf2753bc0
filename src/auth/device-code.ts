/**
 * Sign-in for machines without a browser: the device authorization grant (RFC 8628) as Entra ID
 * v2 implements it. We ask for a device code, show the user where to enter it, and poll the
 * token endpoint at the interval the server asks for until the user has signed in elsewhere.
 */
import { z } from 'zod';
import { AuthError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { registerSecret } from '../secrets.js';
import { entraError } from './entra-errors.js';
import { postTokenForm, signInScope, v2Url, type EntraDeps, type UserTokens } from './user-credential.js';
import { isRefusal, postForm } from './token-endpoint.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// Entra sends numbers; accept digit strings too, as the v1 token endpoint does.
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const DeviceCodeAnswer = z.looseObject({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().min(1),
  expires_in: seconds,
  // RFC 8628 §3.2: 5 seconds when the server names no interval.
  interval: seconds.optional(),
  message: z.string().optional(),
});
export type DeviceCodeAnswer = z.infer<typeof DeviceCodeAnswer>;

// RFC 8628 §3.5: after slow_down the interval grows by 5 seconds for all later requests.
const SLOW_DOWN_STEP_MS = 5_000;

export interface DeviceCodeOptions extends EntraDeps {
  authorityHost: URL;
  tenant: string;
  clientId: string;
  /** The resource scope (`<resource>/.default`). */
  scope: string;
  /** Shows the user where to go and which code to enter (stderr). */
  announce: (message: string) => void;
  /** Injected for tests; must reject with the signal's reason when it aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** What to tell the user: Entra's own `message`, else one built from the URL and code. */
export function deviceCodeMessage(answer: DeviceCodeAnswer): string {
  return (
    answer.message ??
    `To sign in, use a web browser to open the page ${answer.verification_uri} and enter the code ${answer.user_code} to authenticate.`
  );
}

/** The next polling step after an error answer: wait longer, keep waiting, or stop with an error. */
export type PollStep = { next: 'poll'; intervalMs: number } | { next: 'stop'; error: AuthError };

/** Pure: what an error answer to a device-code poll means (RFC 8628 §3.5, and Entra's own codes). */
export function pollStep(error: string, intervalMs: number): PollStep | undefined {
  switch (error) {
    case 'authorization_pending':
      return { next: 'poll', intervalMs };
    case 'slow_down':
      return { next: 'poll', intervalMs: intervalMs + SLOW_DOWN_STEP_MS };
    case 'expired_token':
      return {
        next: 'stop',
        error: new AuthError('DEVICE_CODE_EXPIRED', 'the device code expired before the sign-in was completed', {
          hint: 'run defender-alerts login --device-code again and enter the new code',
        }),
      };
    // RFC 8628 says access_denied; Entra ID answers authorization_declined.
    case 'access_denied':
    case 'authorization_declined':
      return {
        next: 'stop',
        error: new AuthError('SIGN_IN_DECLINED', 'the sign-in was declined in the browser', {
          hint: 'run defender-alerts login --device-code again and accept the sign-in',
        }),
      };
    default:
      return undefined;
  }
}

/** Runs the device code sign-in and returns the user's tokens. */
export async function signInWithDeviceCode(o: DeviceCodeOptions): Promise<UserTokens> {
  const now = o.now ?? Date.now;
  const wait = o.sleep ?? sleep;
  const codeUrl = v2Url(o.authorityHost, o.tenant, 'devicecode');
  const device = await requestDeviceCode(codeUrl, new URLSearchParams({ client_id: o.clientId, scope: signInScope(o.scope) }), o);
  registerSecret(device.device_code);
  o.announce(deviceCodeMessage(device));
  const deadlineMs = now() + device.expires_in * 1000;
  let intervalMs = (device.interval ?? 5) * 1000;
  const tokenUrl = v2Url(o.authorityHost, o.tenant, 'token');
  const form = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, client_id: o.clientId, device_code: device.device_code });
  for (;;) {
    await wait(intervalMs, o.signal);
    if (now() >= deadlineMs) {
      // Past expires_in the server would only answer expired_token: say so without asking.
      const expired = pollStep('expired_token', intervalMs);
      if (expired?.next === 'stop') throw expired.error;
    }
    const answer = await postTokenForm(tokenUrl, form, o, o.signal);
    if (answer.ok) return answer.tokens;
    const step = pollStep(answer.error, intervalMs);
    if (step === undefined) throw entraError(answer.status, answer.bodyText, tokenUrl.href);
    if (step.next === 'stop') throw step.error;
    if (step.intervalMs !== intervalMs) o.log.debug({ intervalMs: step.intervalMs }, 'the token endpoint asked to poll more slowly');
    intervalMs = step.intervalMs;
  }
}

async function requestDeviceCode(url: URL, form: URLSearchParams, o: DeviceCodeOptions): Promise<DeviceCodeAnswer> {
  try {
    return await postForm(
      url,
      () => form,
      (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const parsed = DeviceCodeAnswer.safeParse(json);
        if (!parsed.success) {
          throw new AuthError('DEVICE_CODE_MALFORMED', `the device code endpoint ${url.href} answered 200 without a device code`, {
            hint: 'check --authority-host: it must be the Entra ID host (https://login.microsoftonline.com) or the simulator',
          });
        }
        return parsed.data;
      },
      o,
      'device code request',
      o.signal,
    );
  } catch (err) {
    if (isRefusal(err)) throw entraError(err.status, err.bodyText, url.href);
    throw err;
  }
}
