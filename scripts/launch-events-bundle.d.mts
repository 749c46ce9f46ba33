/** Types of launch-events-bundle.mjs, for the tests that import it. */
export const LAUNCH_EVENTS_FILE: string;
export const LAUNCH_COMPLETE_WITHIN_MS: number;
export function buildLaunchEvents(options: {
  production: boolean;
}): Promise<{ code: string; inputs: string[] }>;
export const OFFICE_ADDINS_ALLOWED_FILE: string;
export function officeAddinsAllowed(baseUrl: string): string;
export class LaunchEventsPlugin {
  constructor(options: { production: boolean; baseUrl: string });
  apply(compiler: unknown): void;
}
