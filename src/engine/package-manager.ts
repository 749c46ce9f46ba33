/**
 * The cycle's metadata step (SPEC §11, §12): asks the server whether the role's customization package changed
 * (a conditional request that costs one small answer when nothing did), checks a new package's content, decides
 * with the core's tables what to do with it, and applies it. The decisions live in src/core/package-rules.ts;
 * this module does the I/O and keeps the client's {@link PackageState} in the cache.
 *
 * Applying a package is one cache transaction: the new state (package, types to build, items to retire) and the
 * teardown of the mappings of types it drops are written together, so a crash leaves either the old package or
 * the new one, never half of each. The Outlook side of the teardown (`unstamp`) and the initial synchronization
 * of added types (`build`) are resumable work recorded in that state.
 */
import {
  DEFAULT_PACKAGE_METADATA,
  type CustomizationPackage,
  type PackageMetadata,
} from "../core/customization-package";
import { SyncError } from "../core/errors";
import {
  decidePackageOffer,
  PACKAGE_PROBLEMS,
  planPackageRebuild,
  UNSAVED_REASON_TEXT,
  unsavedLocalChanges,
  type PackageProblemCause,
} from "../core/package-rules";
import type { EntityType } from "../core/types";
import {
  appliedBatch,
  EMPTY_PACKAGE_STATE,
  type Checkpoint,
  type HeldPackage,
  type NotSavedChange,
  type OfferWait,
  type PackageState,
} from "../ports/local-cache";
import { readPackageZip } from "../protocol/package-zip";
import { BUILD_CHECKPOINT } from "./crm-pull";
import type { CycleContext } from "./cycle-context";
import type { SyncEngineDeps } from "./engine-deps";
import type { PackageStatus } from "./engine-status";
import { ERROR_CATEGORY, TRACKED_CATEGORY, withCategories } from "./link-stamp";
import { listLocalChanges, pushLocalChanges } from "./local-changes";

/** Items whose stamps one step of the teardown retires. */
const UNSTAMP_BATCH = 50;

/** A package to decide about: newly downloaded, or the one held while the server says it is still current. */
type Offer = HeldPackage & { readonly confirmed: boolean };

function held(offer: Offer, reason: OfferWait): PackageState["offered"] {
  return { etag: offer.etag, package: offer.package, reason, confirmed: offer.confirmed };
}

/** Owns the client's package state: loaded at start, saved on every change, read by every cycle. */
export class PackageManager {
  private current: PackageState = EMPTY_PACKAGE_STATE;

  constructor(
    private readonly deps: SyncEngineDeps,
    readonly productVersion: string,
  ) {}

  /** Loads the stored state (a restart keeps the applied package). */
  async load(): Promise<void> {
    this.current = (await this.deps.cache.getPackageState()) ?? EMPTY_PACKAGE_STATE;
  }

  get state(): PackageState {
    return this.current;
  }

  /** The metadata in force: the applied package's, or the default package's (SPEC §2, §4). */
  metadata(): PackageMetadata {
    return this.current.applied?.package ?? DEFAULT_PACKAGE_METADATA;
  }

  /** What the task pane shows. */
  async status(): Promise<PackageStatus> {
    const state = this.current;
    const applied = state.applied?.package ?? null;
    const offered = state.offered;
    const blocking = await Promise.all(state.blockedBy.map((mapId) => this.deps.cache.getEntry(mapId)));
    return {
      productVersion: this.productVersion,
      applied: applied === null ? null : { role: applied.role, version: applied.version },
      entities: this.metadata().entityTypes,
      waiting:
        offered?.reason === "schemaIncompatible"
          ? { version: offered.package.version, confirmed: offered.confirmed, unsaved: state.unsaved }
          : null,
      blocked:
        offered?.reason === "pushFailed"
          ? {
              version: offered.package.version,
              changes: blocking.flatMap((entry) =>
                entry === undefined
                  ? []
                  : [
                      {
                        mapId: entry.mapId,
                        code: entry.lastError?.code ?? "syncFailed",
                        message: entry.lastError?.message ?? "not saved yet",
                      },
                    ],
              ),
            }
          : null,
      preferredProduct: state.preferredProduct,
      problem: state.problem,
      notSaved: state.notSaved,
      building: state.build,
    };
  }

  /** The user confirms the waiting package: that problem is resolved, and the package applies at the next sync. */
  async confirm(): Promise<void> {
    const offered = this.current.offered;
    if (offered?.reason !== "schemaIncompatible" || offered.confirmed) {
      throw new SyncError("invalidInput", { details: "No CRM package waits for your confirmation." });
    }
    this.deps.logger.info("customization package confirmed; it applies at the next sync", {
      version: offered.package.version,
    });
    const problem = this.current.problem?.cause === "schemaIncompatible" ? null : this.current.problem;
    await this.save({ ...this.current, offered: { ...offered, confirmed: true }, problem });
  }

  /** Removes changes a package could not save from the list (all of them when `mapId` is absent). */
  async dismiss(mapId?: string): Promise<void> {
    const notSaved = this.current.notSaved.filter((change) => mapId !== undefined && change.mapId !== mapId);
    await this.save({ ...this.current, notSaved });
  }

  /** The initial synchronization of these types is done. */
  async built(types: readonly EntityType[]): Promise<void> {
    if (types.length === 0) return;
    await this.save({ ...this.current, build: this.current.build.filter((type) => !types.includes(type)) });
  }

  /**
   * The metadata step: retires the stamps a previous apply left, then checks the server's package and acts on
   * it. `context` is built from the package in force. Network and server failures propagate (the cycle fails
   * and is retried); a refused or missing package, a broken zip or an incompatible one is a package problem.
   */
  async step(context: CycleContext): Promise<void> {
    await this.retireStamps(context);
    const state = this.current;
    const sent = state.offered?.etag ?? state.applied?.etag ?? null;
    let candidate: Offer | null;
    try {
      const answer = await context.deps.crm.checkPackage(sent);
      if (answer.status === "unchanged") {
        candidate =
          state.offered?.etag === answer.etag
            ? state.offered
            : state.applied?.etag === answer.etag
              ? { ...state.applied, confirmed: false }
              : null;
      } else {
        const read = readPackageZip(answer.zip, answer.version);
        if (!read.ok) {
          await this.problem("content", {
            version: read.info?.version ?? answer.version,
            detail: read.problem,
          });
          await this.save({ ...this.current, offered: null, unsaved: [], blockedBy: [] });
          return;
        }
        if (read.package.role !== answer.role) {
          const detail = `info.xml names role "${read.package.role}", but it was published for "${answer.role}"`;
          await this.problem("content", { version: answer.version, detail });
          await this.save({ ...this.current, offered: null, unsaved: [], blockedBy: [] });
          return;
        }
        candidate = { etag: answer.etag, package: read.package, confirmed: false };
      }
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      if (error.code === "forbidden") return this.problem("forbidden", {});
      if (error.code !== "packageUnavailable") throw error;
      await this.problem("notPublished", { role: /role "([^"]*)"/.exec(error.message)?.[1] ?? "" });
      await this.save({ ...this.current, offered: null, unsaved: [], blockedBy: [] });
      return;
    }
    if (candidate !== null) await this.decide(context, candidate);
  }

  private async decide(context: CycleContext, offer: Offer): Promise<void> {
    const applied = this.current.applied;
    const decision = decidePackageOffer({
      productVersion: this.productVersion,
      applied: applied?.package ?? null,
      offered: offer.package,
      confirmed: offer.confirmed,
    });
    const preferredProduct = decision.preferredProduct;
    const facts = { version: offer.package.version, preferredProduct };
    switch (decision.action) {
      case "keep":
        await this.save({
          ...this.current,
          applied: { etag: offer.etag, package: applied?.package ?? offer.package },
          offered: null,
          preferredProduct,
          problem: null,
          unsaved: [],
          blockedBy: [],
        });
        return;
      case "reject":
        await this.save({
          ...this.current,
          offered: held(offer, "productIncompatible"),
          preferredProduct,
          unsaved: [],
          blockedBy: [],
        });
        await this.problem("productIncompatible", facts);
        return;
      case "wait": {
        const unsaved = await this.unsavedUnder(context, offer.package);
        await this.save({
          ...this.current,
          offered: held(offer, "schemaIncompatible"),
          preferredProduct,
          unsaved,
          blockedBy: [],
        });
        await this.problem("schemaIncompatible", facts);
        return;
      }
      case "applyAfterPush": {
        const blockedBy = await pushLocalChanges(context);
        if (blockedBy.length > 0) {
          context.deps.logger.warn("customization package waits for local changes to reach the CRM", {
            version: offer.package.version,
            changes: blockedBy.length,
          });
          await this.save({
            ...this.current,
            offered: held(offer, "pushFailed"),
            preferredProduct,
            problem: null,
            unsaved: [],
            blockedBy,
          });
          return;
        }
        await this.apply(context, offer, preferredProduct, []);
        return;
      }
      case "applyConfirmed":
        await this.apply(context, offer, preferredProduct, await this.unsavedUnder(context, offer.package));
        return;
    }
  }

  /** The pending local changes `next` could not save, as the task pane lists them. */
  private async unsavedUnder(context: CycleContext, next: CustomizationPackage): Promise<NotSavedChange[]> {
    const { changes, items } = await listLocalChanges(context);
    return unsavedLocalChanges(changes, next).map((unsaved) => {
      const item = items.get(unsaved.mapId) ?? null;
      const label = item?.label ?? unsaved.type;
      const facts = { version: next.version, type: unsaved.type, label, field: unsaved.field };
      return {
        mapId: unsaved.mapId,
        itemId: item?.itemId ?? null,
        crmId: item?.crmId ?? null,
        label,
        type: unsaved.type,
        field: unsaved.field,
        reason: unsaved.reason,
        message: UNSAVED_REASON_TEXT[unsaved.reason](facts),
      };
    });
  }

  /**
   * Applies `offer` in one transaction: the new state, with the initial synchronizations it needs and the items
   * to retire, and the teardown of every mapping of the types it drops (tombstones stay, so a deleted item never
   * comes back). Then retires the stamps of the torn-down items.
   */
  private async apply(
    context: CycleContext,
    offer: Offer,
    preferredProduct: string | null,
    notSaved: readonly NotSavedChange[],
  ): Promise<void> {
    const { cache, logger } = context.deps;
    const previous = this.current.applied?.package ?? null;
    const next = offer.package;
    const plan = planPackageRebuild(
      { role: previous?.role ?? null, metadata: previous ?? DEFAULT_PACKAGE_METADATA },
      { role: next.role, metadata: next },
    );
    const deleteMappings: string[] = [];
    const handled: { mapId: string; revision: number }[] = [];
    const unstamp = [...this.current.unstamp];
    for (const type of plan.teardown) {
      for (const mapping of await cache.listMappings(type)) {
        if (mapping.deletedLocally) continue;
        deleteMappings.push(mapping.mapId);
        const entry = await cache.getEntry(mapping.mapId);
        if (entry !== undefined) handled.push({ mapId: entry.mapId, revision: entry.revision });
        if (mapping.itemId !== null && mapping.linked) unstamp.push({ itemId: mapping.itemId, type });
      }
    }
    const dropped = new Set(deleteMappings);
    const pendingCreatesDone = (await cache.listPendingCreates())
      .filter((create) => dropped.has(create.mapId))
      .map((create) => create.idempotencyKey);
    const build = [
      ...new Set([...this.current.build.filter((type) => next.entityTypes.includes(type)), ...plan.build]),
    ];
    const checkpoints: Checkpoint[] =
      plan.build.length > 0
        ? [{ key: BUILD_CHECKPOINT, serverVersion: 0, watermark: null, deltaLink: null }]
        : [];
    const state: PackageState = {
      ...this.current,
      applied: { etag: offer.etag, package: next },
      offered: null,
      preferredProduct,
      problem: null,
      unsaved: [],
      notSaved: [...this.current.notSaved, ...notSaved],
      blockedBy: [],
      build,
      unstamp,
    };
    await cache.applyBatch(
      appliedBatch({ deleteMappings, handled, pendingCreatesDone, checkpoints, packageState: state }),
    );
    this.current = state;
    logger.info("applied the CRM package", {
      role: next.role,
      version: next.version,
      previous: previous?.version ?? "default",
      removed: plan.teardown.join(",") || "none",
      initialSyncFor: plan.build.join(",") || "none",
      notSaved: notSaved.length,
    });
    await this.retireStamps(context);
  }

  /**
   * The Outlook side of a teardown: each item of a dropped type loses the "Tracked to CRM" category, and its
   * stamp becomes "suspended" (keeping the CRM id, so a later package links it again without a duplicate).
   * Items linked again meanwhile, or deleted, are skipped. Saves progress after every batch.
   */
  private async retireStamps(context: CycleContext): Promise<void> {
    const { mailbox, cache } = context.deps;
    while (this.current.unstamp.length > 0) {
      const batch = this.current.unstamp.slice(0, UNSTAMP_BATCH);
      const items = await mailbox.getItems(batch);
      for (const { itemId } of batch) {
        const item = items.get(itemId) ?? null;
        if (item === null || (await cache.findByItemId(itemId)) !== undefined) continue;
        const crmId = item.link?.crmId ?? null;
        await mailbox.updateItem(item, {
          link: crmId === null ? null : { crmId, state: "suspended" },
          categories: withCategories(item.categories, [], [TRACKED_CATEGORY, ERROR_CATEGORY]),
        });
      }
      await this.save({ ...this.current, unstamp: this.current.unstamp.slice(batch.length) });
    }
  }

  /**
   * Records a package problem (SPEC §11 "the user is notified with the likely cause") and writes it to the log
   * when it is new; a problem that repeats keeps its first time and is logged once.
   */
  private async problem(
    cause: PackageProblemCause,
    facts: {
      role?: string;
      version?: string | null;
      preferredProduct?: string | null;
      detail?: string | null;
    },
  ): Promise<void> {
    const text = PACKAGE_PROBLEMS[cause];
    const message = text.message({
      role: facts.role ?? "",
      version: facts.version ?? null,
      productVersion: this.productVersion,
      preferredProduct: facts.preferredProduct ?? null,
      detail: facts.detail ?? null,
    });
    const before = this.current.problem;
    if (before?.cause === cause && before.message === message) return;
    const fields = { cause, code: text.code, action: text.action };
    if (cause === "schemaIncompatible") this.deps.logger.warn(`CRM package problem: ${message}`, fields);
    else this.deps.logger.error(`CRM package problem: ${message}`, fields);
    await this.save({
      ...this.current,
      problem: { cause, code: text.code, message, action: text.action, at: this.deps.clock.now() },
    });
  }

  private async save(state: PackageState): Promise<void> {
    await this.deps.cache.applyBatch(appliedBatch({ packageState: state }));
    this.current = state;
  }
}
