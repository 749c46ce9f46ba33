import { SyncError } from "../../core/errors";

/**
 * Office's callback convention: every `…Async` call answers through an AsyncResult on a later tick,
 * never synchronously, with the real AsyncResultStatus strings.
 */

/** Office.AsyncResultStatus as office.js defines it. */
export const ASYNC_RESULT_STATUS = { Succeeded: "succeeded", Failed: "failed" } as const;

/** An Office.Error: a name, a message and a numeric code. */
export interface OfficeError {
  readonly name: string;
  readonly message: string;
  readonly code: number;
}

export interface AsyncResult<T> {
  readonly status: "succeeded" | "failed";
  readonly value: T | undefined;
  readonly error: OfficeError | undefined;
  readonly asyncContext: unknown;
}

type Callback<T> = (result: AsyncResult<T>) => void;

/** An Office-style failure raised inside a simulated call. */
export class OfficeCallError extends Error {
  constructor(
    readonly officeName: string,
    message: string,
    readonly code = 9000,
  ) {
    super(message);
  }
}

/**
 * The callback and asyncContext of an `…Async` call: the callback is the last function argument, and the
 * asyncContext comes from an options object (`{ asyncContext }`) among the others.
 */
export function callbackOf<T>(args: readonly unknown[]): {
  callback: Callback<T> | undefined;
  asyncContext: unknown;
} {
  const callback = [...args].reverse().find((arg): arg is Callback<T> => typeof arg === "function");
  const options = args.find(
    (arg): arg is { asyncContext?: unknown } =>
      typeof arg === "object" && arg !== null && !Array.isArray(arg) && "asyncContext" in arg,
  );
  return { callback, asyncContext: options?.asyncContext };
}

/**
 * Runs `work` on a later tick and reports its outcome to the call's callback: a value as Succeeded, an
 * {@link OfficeCallError} as Failed with its name, a mailbox SyncError as ItemNotFound / InvalidArgument;
 * anything else fails as "InternalError".
 */
export function answerLater<T>(args: readonly unknown[], work: () => T): void {
  const { callback, asyncContext } = callbackOf<T>(args);
  queueMicrotask(() => {
    let result: AsyncResult<T>;
    try {
      result = { status: ASYNC_RESULT_STATUS.Succeeded, value: work(), error: undefined, asyncContext };
    } catch (error) {
      const officeError: OfficeError =
        error instanceof OfficeCallError
          ? { name: error.officeName, message: error.message, code: error.code }
          : error instanceof SyncError
            ? {
                name: error.code === "notFound" ? "ItemNotFound" : "InvalidArgument",
                message: error.message,
                code: 9041,
              }
            : {
                name: "InternalError",
                message: error instanceof Error ? error.message : String(error),
                code: 5001,
              };
      result = { status: ASYNC_RESULT_STATUS.Failed, value: undefined, error: officeError, asyncContext };
    }
    callback?.(result);
  });
}
