/**
 * The simulator's own endpoints (never part of a real service): stats, scripted faults, added and
 * re-processed alerts (the default tenant's), a tenant's trouble, and finishing a device sign-in
 * as the user would.
 */
import type * as http from 'node:http';
import type { SiemAlert } from '../alert-types.js';
import { parseFaults, type FaultQueue } from '../faults.js';
import { apiError, readBody, sendJson } from '../http-util.js';
import type { SimContext } from '../sim-context.js';
import { TENANT_TROUBLES, isTenantTrouble } from '../tenants.js';

/** `/_sim/*`: what a test (or a user's pipeline test) asks of the simulator itself. */
export async function handleControl(
  ctx: SimContext,
  faults: FaultQueue,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  const { stats, tenants, userAuth, now } = ctx;
  const { store } = tenants.default;
  const body = await readBody(req);
  const key = `${req.method ?? ''} ${path}`;
  try {
    switch (key) {
      case 'GET /_sim/stats':
        return sendJson(res, 200, stats.toJSON());
      case 'GET /_sim/faults':
        return sendJson(res, 200, faults.pending);
      case 'POST /_sim/faults': {
        const parsed = parseFaults(JSON.parse(body));
        faults.push(...parsed);
        return sendJson(res, 200, { queued: parsed.length, pending: faults.pending.length });
      }
      case 'DELETE /_sim/faults':
        faults.clear();
        return sendJson(res, 200, { pending: 0 });
      case 'POST /_sim/alerts': {
        const alerts = JSON.parse(body) as unknown;
        if (!Array.isArray(alerts)) throw new Error('the body must be a JSON array of alerts');
        store.add(alerts as SiemAlert[]);
        return sendJson(res, 200, { added: alerts.length });
      }
      case 'POST /_sim/device/approve':
      case 'POST /_sim/device/decline': {
        const { user_code: code } = JSON.parse(body) as { user_code?: unknown };
        if (typeof code !== 'string') throw new Error('the body must be {"user_code": "..."}');
        const done = key.endsWith('approve') ? userAuth.approveDevice(code) : userAuth.declineDevice(code);
        return done
          ? sendJson(res, 200, { user_code: code })
          : sendJson(res, 404, apiError(404, `No pending device sign-in with the code ${code}.`));
      }
      case 'POST /_sim/tenants/trouble': {
        const { tenant, trouble } = JSON.parse(body) as { tenant?: unknown; trouble?: unknown };
        if (typeof tenant !== 'string' || !(trouble === null || isTenantTrouble(trouble))) {
          throw new Error(`the body must be {"tenant": "...", "trouble": null or one of ${TENANT_TROUBLES.join(', ')}}`);
        }
        const id = tenants.setTrouble(tenant, trouble);
        return id === undefined
          ? sendJson(res, 404, apiError(404, `The simulator serves no tenant ${tenant}.`))
          : sendJson(res, 200, { tenant: id, trouble });
      }
      case 'POST /_sim/update': {
        const { alertId } = JSON.parse(body) as { alertId?: unknown };
        if (typeof alertId !== 'string') throw new Error('the body must be {"alertId": "..."}');
        return sendJson(res, 200, { updated: store.update(alertId, now()) });
      }
      default:
        return sendJson(res, 404, apiError(404, `No simulator route ${key}.`));
    }
  } catch (e) {
    return sendJson(res, 400, apiError(400, e instanceof Error ? e.message : String(e)));
  }
}
