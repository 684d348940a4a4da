import { describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi.ts";
import { HTTP_ROUTES } from "./routes.ts";
import { HTTP_SCHEMAS } from "./schemas.ts";

describe("openApiDocument", () => {
  const doc = openApiDocument("1.2.3") as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string }>>;
    components: { schemas: Record<string, unknown> };
  };

  it("describes every route once", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
    expect(ids.sort()).toEqual(HTTP_ROUTES.map((r) => r.operationId).sort());
  });

  it("embeds the schemas the agent validates with, and every $ref resolves", () => {
    expect(doc.components.schemas).toEqual(JSON.parse(JSON.stringify(HTTP_SCHEMAS)));
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(doc.components.schemas).toHaveProperty(ref.slice("#/components/schemas/".length));
    }
  });
});
