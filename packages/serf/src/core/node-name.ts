/**
 * Go serf 0.9.5's `ValidateNodeNames` (serf.go `validateNodeName`): with the option on, the
 * local node name may hold only ASCII letters, digits, `-` and `.`, and at most 128 bytes.
 * Go checks it once, in `Create`.
 */

/** Go `MaxNodeNameLength`. */
export const MAX_NODE_NAME_LENGTH = 128;

const INVALID = /[^A-Za-z0-9\-.]/;

/** Go's error text for a name that fails validation, or `undefined` if it passes. */
export function nodeNameError(name: string): string | undefined {
  if (INVALID.test(name)) {
    return (
      `Node name contains invalid characters ${name} , Valid characters include ` +
      "all alpha-numerics and dashes and '.' "
    );
  }
  const bytes = name.length; // ASCII only by now: one byte per character
  if (bytes > MAX_NODE_NAME_LENGTH) {
    return `Node name is ${bytes} characters. Valid length is between 1 and 128 characters`;
  }
  return undefined;
}
