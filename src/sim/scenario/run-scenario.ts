/**
 * Runs a checked scenario against a {@link ScenarioWorld} and returns the output of docs/SCENARIOS.md. Steps act as
 * the user and the world would (through the simulated mailbox and the server's in-process service; a CRM step
 * whose `by` may not do the action under the CRM's record rules acts as the world's administrator), and as
 * the add-in's user interface would (through the engine's API); the engines themselves reach Outlook and
 * the server only through their real adapters. After each step the run settles: every engine's queued work
 * and every scheduled timer due by then has run.
 */
import { SyncError } from "../../core/errors";
import type { SyncEngine } from "../../engine/sync-engine";
import type { MailboxItemRef } from "../../ports/mailbox-store";
import {
  isPackageStep,
  outputPackages,
  packageErrors,
  runPackageStep,
  type OutputPackages,
} from "./scenario-packages";
import type { ScenarioStep } from "./scenario-schema";
import type { ScenarioWorld } from "./scenario-world";
import {
  itemLink,
  outputItem,
  outputRecord,
  type OutputConflict,
  type OutputError,
  type ScenarioOutput,
} from "./scenario-output";
import type { CheckedScenario } from "./validate-scenario";

/** Runs every step in order and returns the final state. Step failures reject with the step's index. */
export async function runScenario(checked: CheckedScenario, world: ScenarioWorld): Promise<ScenarioOutput> {
  const { scenario, stepTimes } = checked;
  await world.setUp(scenario);
  for (const [index, step] of scenario.steps.entries()) {
    const time = stepTimes[index] ?? world.clock.now();
    await world.advanceTo(time);
    try {
      await runStep(world, step);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const detail =
        error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
      throw new Error(`steps[${index}] (${step.do}) failed: ${message}${detail}`, { cause: error });
    }
    await world.settle();
    await world.refreshRefs();
  }
  return collectOutput(world);
}

/** The store's reference (id and type) to the item a ref names; throws SyncError("notFound") when it is gone. */
function itemRefOf(world: ScenarioWorld, ref: string): MailboxItemRef {
  const itemId = world.refs.itemOf(ref);
  const item = world.mailbox.get(itemId);
  if (item === undefined) throw new SyncError("notFound", { details: `the item of ref "${ref}" is gone` });
  return { itemId, type: item.type };
}

async function runStep(world: ScenarioWorld, step: ScenarioStep): Promise<void> {
  const { mailbox, refs, service } = world;
  if (isPackageStep(step)) {
    await runPackageStep({ service, confirm: (clientId) => world.confirmPackage(clientId) }, step);
    return;
  }
  switch (step.do) {
    case "sync":
      await world.client(step.client).engine.syncNow();
      return;
    case "reconcile":
      await world.client(step.client).engine.reconcileNow();
      return;
    case "outlook.create": {
      const item = mailbox.createItem(
        { type: step.type, fields: step.fields },
        { notify: step.notify ?? true, by: "world" },
      );
      refs.setItem(step.ref, item.immutableId);
      return;
    }
    case "outlook.update":
      mailbox.updateItem(
        refs.itemOf(step.ref),
        { fields: step.fields },
        { notify: step.notify ?? true, by: "world" },
      );
      return;
    case "outlook.delete":
      mailbox.deleteItem(refs.itemOf(step.ref), { notify: step.notify ?? true, by: "world" });
      return;
    case "outlook.updateOccurrence": {
      const exception = mailbox.updateOccurrence(
        refs.itemOf(step.series),
        step.originalStart,
        { fields: step.fields },
        { notify: step.notify ?? true, by: "world" },
      );
      refs.setItem(step.ref, exception.immutableId);
      return;
    }
    case "outlook.cancelOccurrence":
      mailbox.cancelOccurrence(refs.itemOf(step.series), step.originalStart, {
        notify: step.notify ?? true,
        by: "world",
      });
      return;
    case "crm.create": {
      const { record } = await service.records.create({
        // Only an administrator creates a record owned by someone else.
        by: (step.by ?? step.owner) === step.owner ? step.owner : world.administrator,
        type: step.type,
        owner: step.owner,
        fields: world.refs.resolve(step.fields),
      });
      refs.setRecord(step.ref, record.id);
      return;
    }
    case "crm.update": {
      const id = refs.recordOf(step.ref);
      const by = await world.actorFor(step.by ?? (await world.ownerOf(id)), id, "update");
      await service.records.update({ by, id, fields: world.refs.resolve(step.fields) });
      return;
    }
    case "crm.delete": {
      const id = refs.recordOf(step.ref);
      const by = await world.actorFor(step.by ?? (await world.ownerOf(id)), id, "delete");
      await service.records.delete({ by, id });
      return;
    }
    case "crm.assign": {
      const id = refs.recordOf(step.ref);
      await service.records.assign({ by: await world.ownerOf(id), id, owner: step.owner });
      return;
    }
    case "track": {
      const itemId = refs.itemOf(step.ref);
      mailbox.select(itemId);
      await world.settle();
      await click(world, step.client, (pane) =>
        pane.track({ surface: step.via, item: itemRefOf(world, step.ref) }),
      );
      if (step.via === "inspector") {
        mailbox.select(null);
        await world.settle();
      }
      return;
    }
    case "untrack":
      await click(world, step.client, (pane) =>
        pane.untrack({
          surface: "explorer",
          item: itemRefOf(world, step.ref),
          deleteInCrm: step.deleteInCrm ?? false,
        }),
      );
      return;
    case "setRegarding":
      await click(world, step.client, (pane) =>
        pane.setRegarding({
          surface: "explorer",
          item: itemRefOf(world, step.ref),
          regardingId: refs.recordOf(step.regarding),
        }),
      );
      return;
    case "compose": {
      const draft = mailbox.openCompose(step.fields);
      refs.setItem(step.ref, draft.immutableId);
      await world.settle();
      if (step.track === true)
        await click(world, step.client, (pane) => pane.track({ surface: "inspector" }));
      return;
    }
    case "send": {
      // A sent draft keeps its immutable id (it moves to Sent Items), so its ref stays.
      const result = await mailbox.sendDraft(refs.itemOf(step.ref));
      if (!result.sent)
        throw new SyncError("invalidInput", {
          details: `the send was blocked: ${result.errorMessage ?? "no reason"}`,
        });
      return;
    }
    case "settings":
      await world.client(step.client).engine.saveSettings(definedOnly(step.settings));
      return;
    case "privileges":
      await service.users.setPrivileges(step.user, step.privileges);
      return;
  }
}

/**
 * A click in the client's task pane. Beside a headless primary the pane only stamps the request on the item
 * and asks the server for a run, which runs the mailbox at once (SPEC "A mailbox has one synchronizer":
 * tracking from the pane is immediate). An e-mail the pane tracked itself asks for none.
 */
async function click(
  world: ScenarioWorld,
  clientId: string,
  action: (pane: SyncEngine) => Promise<unknown>,
): Promise<void> {
  const client = world.client(clientId);
  await action(client.pane);
  if (client.runIfAsked !== null) {
    await world.settle();
    await client.runIfAsked();
  }
}

async function collectOutput(world: ScenarioWorld): Promise<ScenarioOutput> {
  await world.refreshRefs();
  const { refs } = world;
  const refOfRecord = (id: string): string | undefined => refs.recordRef(id) ?? refs.itemRef(id);
  const crm: ScenarioOutput["crm"] = {};
  for (const record of await world.service.records.listAll()) {
    const ref = refs.recordRef(record.id);
    if (ref !== undefined) crm[ref] = outputRecord(record, refOfRecord);
  }
  const outlook: ScenarioOutput["outlook"] = {};
  for (const item of world.mailbox.allItems()) {
    const ref = refs.itemRef(item.immutableId);
    if (ref === undefined) continue;
    outlook[ref] = outputItem(item, itemLink(item, world.addinId), refOfRecord);
  }
  const conflicts: OutputConflict[] = [];
  const errors: OutputError[] = [];
  const packages: Record<string, OutputPackages> = {};
  for (const client of world.clients()) {
    const mapRef = async (mapId: string): Promise<string> => {
      const mapping = await client.cache.getMapping(mapId);
      const byRecord = mapping?.crmId ? refs.recordRef(mapping.crmId) : undefined;
      const byItem = mapping?.itemId ? refs.itemRef(mapping.itemId) : undefined;
      return byRecord ?? byItem ?? mapId;
    };
    const history = [...(await client.engine.conflicts(1000))].reverse();
    for (const conflict of history) {
      conflicts.push({
        ref: await mapRef(conflict.mapId),
        field: conflict.field,
        kept: conflict.kept,
        overwritten: conflict.overwritten,
        winner: conflict.winner,
      });
    }
    const status = client.engine.status();
    for (const error of status.errors) {
      errors.push({ ref: await mapRef(error.mapId), code: error.code, message: error.message });
    }
    for (const error of packageErrors(status)) {
      const item = error.item;
      const ref =
        item === null
          ? null
          : ((item.crmId === null ? undefined : refs.recordRef(item.crmId)) ??
            (item.itemId === null ? undefined : refs.itemRef(item.itemId)) ??
            (await mapRef(item.mapId)));
      errors.push({ ref, client: client.id, code: error.code, message: error.message });
    }
    packages[client.id] = outputPackages(status);
  }
  errors.sort((a, b) => byText(a.ref ?? "", b.ref ?? "") || byText(a.client ?? "", b.client ?? ""));
  return { crm, outlook, conflicts, errors, packages };
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The keys of a partial object that hold a value (zod leaves absent keys as undefined). */
function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
