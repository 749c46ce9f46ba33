import { CONTRACT_CASES, type NewCache } from "./contract-cases";

/** Registers every LocalCache contract case as a mocha test under `name`. */
export function runAll(name: string, newCache: NewCache): void {
  describe(name, () => {
    for (const contractCase of CONTRACT_CASES) {
      it(contractCase.name, () => contractCase.run(newCache));
    }
  });
}
