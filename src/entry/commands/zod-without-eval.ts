/**
 * Imported first by every page script that validates with zod: zod's jitless mode, so that it never compiles a
 * validator with `new Function` nor probes whether it may. The pages' Content-Security-Policy has no
 * 'unsafe-eval' (src/entry/cli/page-policy.ts), and a blocked probe would still be reported as a violation.
 * zod reads the setting when each schema is made, so this runs before any module that makes one.
 */
import { z } from "zod";

z.config({ jitless: true });
