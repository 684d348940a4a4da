/** `GET /metrics`: a prom-client registry in the Prometheus text exposition format. */

import type { Registry } from "prom-client";
import { sendText } from "./respond.ts";
import type { HttpRouter } from "./router.ts";

/** Registers `GET /metrics` (and `HEAD`) serving `registry`. */
export function registerMetricsRoute(router: HttpRouter, registry: Registry): void {
  router.get("/metrics", async (_req, res) => {
    const text = await registry.metrics();
    sendText(res, 200, text, registry.contentType);
  });
}
