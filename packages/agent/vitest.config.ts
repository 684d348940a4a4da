import { packageProject } from "../../vitest.shared.ts";

export default packageProject("agent", {
  include: ["src/**/*.test.ts", "test/**/*.test.ts", "dashboard/**/*.test.ts"],
});
