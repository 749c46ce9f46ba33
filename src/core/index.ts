/**
 * The core's public API: pure sync rules that the engine, the server and the user interface call.
 * See README.md in this folder for what each module decides.
 */
export * from "./types";
export * from "./errors";
export * from "./field-maps";
export * from "./field-values";
export * from "./field-kinds";
export * from "./codecs";
export * from "./mapping";
export * from "./merge";
export * from "./match-keys";
export * from "./rule-table";
export * from "./deletion-rules";
export * from "./tracking-rules";
export * from "./filter-rules";
export * from "./reconciliation";
export * from "./retry-policy";
export * from "./version-range";
export * from "./customization-package";
export * from "./package-rules";
export * from "./recurrence";
export * from "./series-edits";
