import type { EntityType } from "../../core/types";
import type { SimulatedFolder, SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { error, isReply, type Reply } from "./graph-reply";
import type { TaskPart } from "./graph-todo";

/**
 * The paths the Graph twin serves, by the shape `resolvePath` gives them (keys as `{id}`), and the mailbox
 * folder or item each addresses. Each names the Graph page it follows.
 */

/** What a served path addresses. */
export type Target =
  | { kind: "translate" }
  | { kind: "folder"; folder: SimulatedFolder; json: Record<string, unknown> }
  | {
      kind: "folders";
      json: Record<string, unknown>[];
      /** Where a POST makes a folder, its metadata type, and how the new folder is answered. */
      create?: {
        readonly parent: "contacts" | "tasks";
        readonly entityType: string;
        readonly render: (folder: SimulatedFolder) => Record<string, unknown>;
      };
    }
  | { kind: "collection"; type: EntityType; folder: SimulatedFolder | null; createIn: SimulatedFolder }
  | { kind: "item"; type: EntityType; folder: SimulatedFolder | null; itemId: string }
  | { kind: "delta"; type: EntityType; folder: SimulatedFolder }
  | { kind: "instances"; itemId: string }
  | { kind: "parts"; part: TaskPart; folder: SimulatedFolder; itemId: string; partId: string | null };

/** The served paths (shapes from resolvePath) and what they address; null for a path the twin does not serve. */
export function locate(
  mailbox: SimulatedMailbox,
  shape: string,
  keys: readonly string[],
): Target | Reply | null {
  const wellKnown = (name: "contacts" | "calendar" | "tasks"): SimulatedFolder => {
    const folder = mailbox.folder(name);
    if (folder === undefined) throw new Error(`the mailbox lacks its ${name} folder`);
    return folder;
  };
  const folderOf = (key: string | undefined, type: EntityType): SimulatedFolder | Reply => {
    const folder = key === undefined ? undefined : mailbox.folder(key);
    return folder?.type === type
      ? folder
      : error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
  };
  const contacts = wellKnown("contacts");
  const [k0, k1, k2] = keys;
  const contactFolderJson = (folder: SimulatedFolder) => ({
    id: folder.folderId,
    displayName: folder.name,
    ...(folder.parentFolderId !== null && { parentFolderId: folder.parentFolderId }),
  });
  const listJson = (folder: SimulatedFolder) => ({
    id: folder.folderId,
    displayName: folder.name,
    isOwner: true,
    isShared: false,
    // metadata: EnumType wellknownListName (none, defaultList, flaggedEmails, …).
    wellknownListName: folder.wellKnownName === "tasks" ? "defaultList" : "none",
  });
  const inFolder = (type: EntityType, key: string | undefined) => folderOf(key, type);
  switch (shape) {
    case "me/translateExchangeIds":
      return { kind: "translate" };
    case "me/contactFolders":
      // user-list-contactfolders: "the contact folder collection in the default Contacts folder" (its children).
      return {
        kind: "folders",
        json: mailbox
          .folders()
          .filter((f) => f.type === "contact" && f.parentFolderId === contacts.folderId)
          .map(contactFolderJson),
        // user-post-contactfolders makes a folder there.
        create: {
          parent: "contacts",
          entityType: "microsoft.graph.contactFolder",
          render: contactFolderJson,
        },
      };
    case "me/contactFolders/{id}":
    case "me/contactFolders/{id}/childFolders": {
      const folder = inFolder("contact", k0);
      if (isReply(folder)) return folder;
      return shape.endsWith("childFolders")
        ? {
            kind: "folders",
            json: mailbox
              .folders()
              .filter((f) => f.type === "contact" && f.parentFolderId === folder.folderId)
              .map(contactFolderJson),
          }
        : { kind: "folder", folder, json: contactFolderJson(folder) };
    }
    case "me/contacts":
      // user-list-contacts / user-post-contacts: /me/contacts is the default Contacts folder.
      return { kind: "collection", type: "contact", folder: contacts, createIn: contacts };
    case "me/contacts/{id}":
      return { kind: "item", type: "contact", folder: null, itemId: k0 ?? "" };
    case "me/contacts/delta":
      return { kind: "delta", type: "contact", folder: contacts };
    case "me/contactFolders/{id}/contacts":
    case "me/contactFolders/{id}/contacts/{id}":
    case "me/contactFolders/{id}/contacts/delta": {
      const folder = inFolder("contact", k0);
      if (isReply(folder)) return folder;
      if (shape.endsWith("delta")) return { kind: "delta", type: "contact", folder };
      return shape.endsWith("{id}/contacts/{id}")
        ? { kind: "item", type: "contact", folder, itemId: k1 ?? "" }
        : { kind: "collection", type: "contact", folder, createIn: folder };
    }
    case "me/calendar": {
      const calendar = wellKnown("calendar");
      return { kind: "folder", folder: calendar, json: { id: calendar.folderId, name: calendar.name } };
    }
    case "me/events": {
      const calendar = wellKnown("calendar");
      return { kind: "collection", type: "appointment", folder: calendar, createIn: calendar };
    }
    case "me/events/{id}":
      return { kind: "item", type: "appointment", folder: null, itemId: k0 ?? "" };
    case "me/events/{id}/instances":
      return { kind: "instances", itemId: k0 ?? "" };
    case "me/calendarView/delta":
      return { kind: "delta", type: "appointment", folder: wellKnown("calendar") };
    case "me/todo/lists":
      return {
        kind: "folders",
        json: mailbox
          .folders()
          .filter((f) => f.type === "task")
          .map(listJson),
        // todo-post-lists makes a list.
        create: { parent: "tasks", entityType: "microsoft.graph.todoTaskList", render: listJson },
      };
    case "me/todo/lists/{id}": {
      const folder = inFolder("task", k0);
      return isReply(folder) ? folder : { kind: "folder", folder, json: listJson(folder) };
    }
    case "me/todo/lists/{id}/tasks":
    case "me/todo/lists/{id}/tasks/{id}":
    case "me/todo/lists/{id}/tasks/delta": {
      const folder = inFolder("task", k0);
      if (isReply(folder)) return folder;
      if (shape.endsWith("delta")) return { kind: "delta", type: "task", folder };
      return k1 !== undefined
        ? { kind: "item", type: "task", folder, itemId: k1 }
        : { kind: "collection", type: "task", folder, createIn: folder };
    }
    case "me/todo/lists/{id}/tasks/{id}/linkedResources":
    case "me/todo/lists/{id}/tasks/{id}/linkedResources/{id}":
    case "me/todo/lists/{id}/tasks/{id}/extensions":
    case "me/todo/lists/{id}/tasks/{id}/extensions/{id}": {
      const folder = inFolder("task", k0);
      if (isReply(folder)) return folder;
      return {
        kind: "parts",
        part: shape.includes("linkedResources") ? "linkedResources" : "extensions",
        folder,
        itemId: k1 ?? "",
        partId: k2 ?? null,
      };
    }
    case "me/mailFolders/{id}": {
      const folder = inFolder("email", k0);
      return isReply(folder)
        ? folder
        : {
            kind: "folder",
            folder,
            json: {
              id: folder.folderId,
              displayName: folder.name,
              ...(folder.parentFolderId !== null && { parentFolderId: folder.parentFolderId }),
            },
          };
    }
    case "me/messages": {
      // user-post-messages: a new message is a draft in the Drafts folder.
      const drafts = mailbox.folder("drafts");
      if (drafts === undefined) throw new Error("the mailbox lacks its drafts folder");
      return { kind: "collection", type: "email", folder: null, createIn: drafts };
    }
    case "me/messages/{id}":
      return { kind: "item", type: "email", folder: null, itemId: k0 ?? "" };
    case "me/mailFolders/{id}/messages":
    case "me/mailFolders/{id}/messages/{id}":
    case "me/mailFolders/{id}/messages/delta": {
      const folder = inFolder("email", k0);
      if (isReply(folder)) return folder;
      if (shape.endsWith("delta")) return { kind: "delta", type: "email", folder };
      return k1 !== undefined
        ? { kind: "item", type: "email", folder, itemId: k1 }
        : { kind: "collection", type: "email", folder, createIn: folder };
    }
    default:
      return null;
  }
}
