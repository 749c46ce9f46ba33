#!/usr/bin/env node
// Sync server bin: loads the TypeScript entry point through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/entry/cli/server.ts");
