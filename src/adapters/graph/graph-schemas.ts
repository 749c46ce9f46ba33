import { z } from "zod";

/** Shapes of the Graph answers the store relies on; anything else is reported, never trusted. */

export const extendedPropertySchema = z.object({ id: z.string(), value: z.string() });

export const resourceSchema = z.looseObject({
  id: z.string().min(1),
  changeKey: z.string().optional(),
  "@odata.etag": z.string().optional(),
  lastModifiedDateTime: z.string(),
  categories: z.array(z.string()).optional(),
  parentFolderId: z.string().optional(),
  transactionId: z.string().nullable().optional(),
  isDraft: z.boolean().optional(),
  type: z.string().optional(),
  seriesMasterId: z.string().nullable().optional(),
  singleValueExtendedProperties: z.array(extendedPropertySchema).optional(),
});
export type GraphResource = z.infer<typeof resourceSchema>;

/** An entry of an id-only listing ($select=id): the id, with @odata.etag and nothing else relied on. */
export const idSchema = z.looseObject({ id: z.string().min(1) });

/** A To Do task's linked resources and open extensions, when expanded. */
export const taskPartsSchema = z.looseObject({
  linkedResources: z
    .array(
      z.looseObject({
        applicationName: z.string().nullable().optional(),
        externalId: z.string().nullable().optional(),
      }),
    )
    .optional(),
  extensions: z.array(z.looseObject({ id: z.string(), extensionName: z.string().optional() })).optional(),
});

export const removedSchema = z.object({
  id: z.string().min(1),
  "@removed": z.object({ reason: z.string() }),
});

export const collectionSchema = z.looseObject({
  value: z.array(z.unknown()),
  "@odata.nextLink": z.string().optional(),
  "@odata.deltaLink": z.string().optional(),
});

/** An instance of a series, as "List instances" answers it (metadata: event.originalStart, event.type). */
export const instanceSchema = z.looseObject({
  id: z.string().min(1),
  originalStart: z.string().optional(),
  type: z.string().optional(),
});

export const folderSchema = z.looseObject({ id: z.string().min(1) });
export const folderListSchema = z.object({
  value: z.array(z.looseObject({ id: z.string().min(1), wellknownListName: z.string().optional() })),
});

export const batchResponseSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

/** translateExchangeIds: a convertIdResult per input id, targetId only when the conversion succeeded. */
export const translateResultSchema = z.object({
  value: z.array(
    z.looseObject({
      sourceId: z.string(),
      targetId: z.string().optional(),
      errorDetails: z.looseObject({ code: z.string().optional() }).optional(),
    }),
  ),
});

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
