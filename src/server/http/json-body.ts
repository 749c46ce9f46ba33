/**
 * The JSON body parser: plain JSON.parse, refusing a `__proto__` key or a `constructor` holding `prototype`
 * (keys that would change object prototypes once copied) with an error naming the key.
 */
import { InputError } from "../sync/service-errors";

const refuseProtoKeys = (key: string, value: unknown): unknown => {
  if (key === "__proto__") throw new InputError("body", "a key named __proto__ is not accepted");
  if (
    key === "constructor" &&
    typeof value === "object" &&
    value !== null &&
    Object.hasOwn(value, "prototype")
  ) {
    throw new InputError("body", "a constructor.prototype key is not accepted");
  }
  return value;
};

/** Parses a request body; malformed JSON or a prototype key is an InputError on `body`. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      "body",
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
