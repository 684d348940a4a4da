/**
 * `serf agent -h` against Go serf 0.9.4: our text is Go 0.9.4's plus the 0.10.2 `-mdns-*`
 * entries; undoing exactly those (`HELP_ADDITIONS`) must give Go's bytes. Fails under
 * `CI=true` without the Go binary, skips loudly elsewhere.
 */

import { requireGoSerf, runGoSerf } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";
import { AGENT_HELP, HELP_ADDITIONS } from "./agent-help.ts";

const hasSerf = requireGoSerf();

describe.skipIf(!hasSerf)("serf agent -h vs Go serf 0.9.4", () => {
  it("is Go 0.9.4's text once the 0.10.2 additions are taken out", async () => {
    const go = await runGoSerf(["agent", "-h"]);
    expect(go.code).toBe(0);
    let ours = `${AGENT_HELP}\n`;
    for (const [old, added] of HELP_ADDITIONS) {
      expect(ours).toContain(added);
      ours = ours.replace(added, old);
    }
    expect(ours).toBe(go.stderr);
  });
});
