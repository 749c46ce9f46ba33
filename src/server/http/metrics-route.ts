/**
 * `GET /metrics`: background sync in the Prometheus text format, for any instance to answer (everything comes
 * from the database): the queue's jobs by state and the mailboxes by state of their last run. The sync-duration
 * histogram and Graph counters are per worker process, on the worker's own `/metrics` (README "Background sync").
 * Only a request from this machine (loopback, not forwarded by a trusted proxy) or one carrying the bearer token of
 * a CRM administrator is answered; anyone else gets 403 (README "Security model").
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Database } from "../db/database";
import { QueueInspector } from "../worker/mailbox-queue";
import { METRICS_CONTENT_TYPE, metricsText, type MetricFamily } from "../worker/metrics-text";
import { queueFamily } from "../worker/worker-metrics";
import type { Authenticator } from "./authenticator";

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/;

async function mailboxFamily(db: Database): Promise<MetricFamily> {
  const result = await db.query<{ enabled: number; failing: number; throttled: number }>(
    `SELECT count(*) FILTER (WHERE enabled)::int AS enabled,
            count(*) FILTER (WHERE enabled AND last_run_outcome = 'failed')::int AS failing,
            count(*) FILTER (WHERE enabled AND last_run_outcome = 'throttled')::int AS throttled
       FROM server_mailboxes`,
  );
  const row = result.rows[0] ?? { enabled: 0, failing: 0, throttled: 0 };
  return {
    name: "outlook_crm_mailboxes",
    help: "Mailboxes enabled for background sync, and those whose last run failed or was throttled.",
    type: "gauge",
    samples: (["enabled", "failing", "throttled"] as const).map((state) => ({
      labels: { state },
      value: row[state],
    })),
  };
}

export function registerMetricsRoute(
  app: FastifyInstance,
  options: { readonly db: Database; readonly authenticator: Authenticator },
): void {
  const inspector = new QueueInspector(options.db, options.db.schema);
  const allowed = async (request: FastifyRequest): Promise<boolean> => {
    if (LOOPBACK.has(request.ip)) return true;
    const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
    const user = token === undefined ? null : await options.authenticator.authenticate(token);
    return user?.administrator === true;
  };
  app.get("/metrics", async (request, reply) => {
    if (!(await allowed(request))) {
      return reply.code(403).send({
        error: {
          code: "forbidden",
          message: "Metrics are answered only on this machine or to a CRM administrator's token.",
        },
      });
    }
    const families = [queueFamily(await inspector.counts()), await mailboxFamily(options.db)];
    return reply.type(METRICS_CONTENT_TYPE).send(metricsText(families));
  });
}
