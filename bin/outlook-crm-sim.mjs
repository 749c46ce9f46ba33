#!/usr/bin/env node
// Scenario runner bin: loads the TypeScript entry point through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/entry/cli/sim.ts");
