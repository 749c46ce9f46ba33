/**
 * The scenario file format, version 1 (docs/SCENARIOS.md), as zod schemas. Shape only: the checks that
 * need the whole file (refs, clients, users, time order) live in validate-scenario.ts.
 */
import { z } from "zod";
import {
  PackageInputSchema,
  packageStepSchemas,
  ProductSchema,
  ScenarioRoleSchema,
} from "./scenario-packages";

/** An offset from `start` (`+15m`, `+2h`, `+1d`) or an absolute ISO 8601 time. */
export const StepTimeSchema = z.union([
  z.string().regex(/^\+\d+[mhd]$/, "an offset like +15m, +2h or +1d"),
  z.iso.datetime({ offset: true }),
]);

/** One field value: ISO strings for times, arrays of strings for lists, numbers for codes. */
export const ScenarioFieldValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.string()),
  z.null(),
]);
export const ScenarioFieldsSchema = z.record(z.string().min(1), ScenarioFieldValueSchema);

const RefSchema = z.string().min(1).max(64);
const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, "letters, digits and ._@- only");
const ItemTypeSchema = z.enum(["contact", "appointment", "task", "email"]);
const RecordTypeSchema = z.enum(["contact", "appointment", "task", "email", "account"]);
const PrivilegeSchema = z.enum(["SyncToOutlook", "GoOffline"]);
const DownloadableSchema = z.enum(["contact", "appointment", "task"]);

/** The settings a scenario sets up or changes, as the task pane would (SPEC §9). */
export const ScenarioSettingsSchema = z.strictObject({
  entities: z.array(DownloadableSchema),
  updateCompanyField: z.boolean(),
  intervalMinutes: z
    .int()
    .min(0)
    .max(24 * 60),
  roaming: z.boolean(),
});

const at = { at: StepTimeSchema.optional() };

/** Every step of docs/SCENARIOS.md "Steps", discriminated by `do`. */
export const StepSchema = z.discriminatedUnion("do", [
  z.strictObject({ ...at, do: z.literal("sync"), client: IdSchema }),
  z.strictObject({ ...at, do: z.literal("reconcile"), client: IdSchema }),
  z.strictObject({
    ...at,
    do: z.literal("outlook.create"),
    ref: RefSchema,
    type: ItemTypeSchema,
    fields: ScenarioFieldsSchema,
    notify: z.boolean().optional(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("outlook.update"),
    ref: RefSchema,
    fields: ScenarioFieldsSchema,
    notify: z.boolean().optional(),
  }),
  z.strictObject({ ...at, do: z.literal("outlook.delete"), ref: RefSchema, notify: z.boolean().optional() }),
  z.strictObject({
    ...at,
    do: z.literal("outlook.updateOccurrence"),
    ref: RefSchema,
    series: RefSchema,
    originalStart: z.string(),
    fields: ScenarioFieldsSchema,
    notify: z.boolean().optional(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("outlook.cancelOccurrence"),
    series: RefSchema,
    originalStart: z.string(),
    notify: z.boolean().optional(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("crm.create"),
    ref: RefSchema,
    type: RecordTypeSchema,
    owner: IdSchema,
    fields: ScenarioFieldsSchema,
    by: IdSchema.optional(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("crm.update"),
    ref: RefSchema,
    fields: ScenarioFieldsSchema,
    by: IdSchema.optional(),
  }),
  z.strictObject({ ...at, do: z.literal("crm.delete"), ref: RefSchema, by: IdSchema.optional() }),
  z.strictObject({ ...at, do: z.literal("crm.assign"), ref: RefSchema, owner: IdSchema }),
  z.strictObject({
    ...at,
    do: z.literal("track"),
    ref: RefSchema,
    client: IdSchema,
    via: z.enum(["explorer", "inspector"]),
  }),
  z.strictObject({
    ...at,
    do: z.literal("untrack"),
    ref: RefSchema,
    client: IdSchema,
    deleteInCrm: z.boolean().optional(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("setRegarding"),
    ref: RefSchema,
    client: IdSchema,
    regarding: RefSchema,
  }),
  z.strictObject({
    ...at,
    do: z.literal("compose"),
    ref: RefSchema,
    client: IdSchema,
    fields: ScenarioFieldsSchema,
    track: z.boolean().optional(),
  }),
  z.strictObject({ ...at, do: z.literal("send"), ref: RefSchema, client: IdSchema }),
  z.strictObject({
    ...at,
    do: z.literal("settings"),
    client: IdSchema,
    settings: ScenarioSettingsSchema.partial(),
  }),
  z.strictObject({
    ...at,
    do: z.literal("privileges"),
    user: IdSchema,
    privileges: z.array(PrivilegeSchema),
  }),
  ...packageStepSchemas(StepTimeSchema, IdSchema),
]);

/** A whole scenario file. */
export const ScenarioSchema = z.strictObject({
  version: z.literal(1),
  start: z.iso.datetime({ offset: true }),
  users: z
    .array(
      z.strictObject({
        id: IdSchema,
        privileges: z.array(PrivilegeSchema),
        role: ScenarioRoleSchema.optional(),
      }),
    )
    .min(1),
  mailbox: IdSchema,
  clients: z
    .array(
      z.strictObject({
        id: IdSchema,
        role: z.enum(["primary", "secondary"]),
        product: ProductSchema.optional(),
      }),
    )
    .min(1),
  packages: z.array(PackageInputSchema).optional(),
  settings: ScenarioSettingsSchema,
  crm: z.array(
    z.strictObject({ ref: RefSchema, type: RecordTypeSchema, owner: IdSchema, fields: ScenarioFieldsSchema }),
  ),
  outlook: z.array(z.strictObject({ ref: RefSchema, type: ItemTypeSchema, fields: ScenarioFieldsSchema })),
  steps: z.array(StepSchema),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioStep = z.infer<typeof StepSchema>;
export type ScenarioSettings = z.infer<typeof ScenarioSettingsSchema>;
export type ScenarioFields = z.infer<typeof ScenarioFieldsSchema>;
