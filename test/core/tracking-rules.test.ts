import assert from "node:assert/strict";
import {
  decideSyncTiming,
  type Surface,
  type SyncAction,
  type SyncTiming,
  type TrackedItemKind,
  type TrackingClient,
} from "../../src/core/tracking-rules";

const NON_EMAIL: readonly TrackedItemKind[] = ["contact", "appointment", "task"];
const SENT_OR_RECEIVED: readonly TrackedItemKind[] = ["receivedEmail", "sentEmail"];
const ALL_CLIENTS: readonly TrackingClient[] = ["primary", "secondary", "delegate"];

/** The seed's Appendix B and SPEC §7, one row per cell: items, clients, action, surface → timing. */
const APPENDIX_B: readonly (readonly [
  string,
  readonly TrackedItemKind[],
  readonly TrackingClient[],
  SyncAction,
  Surface,
  SyncTiming,
])[] = [
  [
    "sent/received e-mail: track in inspector is immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "track",
    "inspector",
    "immediate",
  ],
  [
    "sent/received e-mail: update (regarding) in inspector is immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "update",
    "inspector",
    "immediate",
  ],
  [
    "sent/received e-mail: untrack in inspector is immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "untrack",
    "inspector",
    "immediate",
  ],
  [
    "sent/received e-mail: delete in inspector is not immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "delete",
    "inspector",
    "nextSync",
  ],
  [
    "sent/received e-mail: track in explorer is immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "track",
    "explorer",
    "immediate",
  ],
  [
    "sent/received e-mail: set regarding in explorer is immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "setRegarding",
    "explorer",
    "immediate",
  ],
  [
    "sent/received e-mail: delete in explorer is not immediate",
    SENT_OR_RECEIVED,
    ALL_CLIENTS,
    "delete",
    "explorer",
    "nextSync",
  ],
  [
    "draft e-mail: track in inspector happens on send",
    ["draftEmail"],
    ALL_CLIENTS,
    "track",
    "inspector",
    "onSend",
  ],
  [
    "draft e-mail: update in inspector happens on send",
    ["draftEmail"],
    ALL_CLIENTS,
    "update",
    "inspector",
    "onSend",
  ],
  [
    "draft e-mail: never placed in the CRM when untracked",
    ["draftEmail"],
    ALL_CLIENTS,
    "untrack",
    "inspector",
    "never",
  ],
  [
    "draft e-mail: never placed in the CRM when deleted",
    ["draftEmail"],
    ALL_CLIENTS,
    "delete",
    "explorer",
    "never",
  ],
  [
    "non-e-mail, primary: track in inspector on save or close",
    NON_EMAIL,
    ["primary"],
    "track",
    "inspector",
    "onSaveOrClose",
  ],
  [
    "non-e-mail, primary: update in inspector on save or close",
    NON_EMAIL,
    ["primary"],
    "update",
    "inspector",
    "onSaveOrClose",
  ],
  [
    "non-e-mail, primary: untrack in inspector on close",
    NON_EMAIL,
    ["primary"],
    "untrack",
    "inspector",
    "onSaveOrClose",
  ],
  [
    "non-e-mail, primary: delete in inspector at the next sync",
    NON_EMAIL,
    ["primary"],
    "delete",
    "inspector",
    "nextSync",
  ],
  [
    "non-e-mail, primary: track in explorer is immediate",
    NON_EMAIL,
    ["primary"],
    "track",
    "explorer",
    "immediate",
  ],
  [
    "non-e-mail, primary: set regarding in explorer is immediate",
    NON_EMAIL,
    ["primary"],
    "setRegarding",
    "explorer",
    "immediate",
  ],
  [
    "non-e-mail, primary: delete in explorer at the next sync",
    NON_EMAIL,
    ["primary"],
    "delete",
    "explorer",
    "nextSync",
  ],
  [
    "non-e-mail, primary: untrack in explorer is immediate (seed silent)",
    NON_EMAIL,
    ["primary"],
    "untrack",
    "explorer",
    "immediate",
  ],
  [
    "non-e-mail, primary: update from an explorer at the next sync (seed silent)",
    NON_EMAIL,
    ["primary"],
    "update",
    "explorer",
    "nextSync",
  ],
];

describe("tracking rules: SPEC §7 / seed Appendix B", () => {
  for (const [title, items, clients, action, surface, expected] of APPENDIX_B) {
    it(title, () => {
      for (const item of items) {
        for (const client of clients) {
          assert.equal(decideSyncTiming({ action, item, client, surface }), expected, `${item} on ${client}`);
        }
      }
    });
  }

  it("non-e-mail on a secondary or delegated client: never immediate, deferred to the primary", () => {
    for (const item of NON_EMAIL) {
      for (const client of ["secondary", "delegate"] as const) {
        for (const action of ["track", "untrack", "setRegarding", "update", "delete"] as const) {
          for (const surface of ["explorer", "inspector"] as const) {
            assert.equal(decideSyncTiming({ action, item, client, surface }), "deferToPrimary");
          }
        }
      }
    }
  });

  it("answers every combination of action, item, client and surface", () => {
    const seen = new Set<SyncTiming>();
    for (const item of [...NON_EMAIL, ...SENT_OR_RECEIVED, "draftEmail"] as const) {
      for (const client of ALL_CLIENTS) {
        for (const action of ["track", "untrack", "setRegarding", "update", "delete"] as const) {
          for (const surface of ["explorer", "inspector"] as const)
            seen.add(decideSyncTiming({ action, item, client, surface }));
        }
      }
    }
    assert.deepEqual([...seen].sort(), [
      "deferToPrimary",
      "immediate",
      "never",
      "nextSync",
      "onSaveOrClose",
      "onSend",
    ]);
  });
});
