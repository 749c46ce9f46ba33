#!/usr/bin/env node
// `npm start` after the build: the sync server, the add-in and the simulator on one origin, through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/entry/cli/start.ts");
await main();
