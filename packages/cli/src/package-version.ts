// Generated from package.json by scripts/write-package-version.mjs (build, prepack): do not edit.

/** The version of `@serf-ts/cli`, as `serf version` prints it. */
export const PACKAGE_VERSION = "0.1.0";
