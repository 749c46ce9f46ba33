/**
 * Versions, version ranges and customization-package compatibility (SPEC §11, from the Siebel seed).
 * A version is four dot-separated numbers (`3.05.15.00`), compared numerically part by part.
 * A range list is `A-B;C`: inclusive ranges and single versions separated by ";". Spaces around parts are allowed.
 * Malformed text throws `SyncError("invalidVersionRange")` whose details name the 0-based position and the text there.
 */
import { SyncError } from "./errors";

/** A parsed version: the text it came from and its four numeric parts. */
export interface Version {
  readonly text: string;
  readonly parts: readonly [number, number, number, number];
}

/** An inclusive range; a single version is a range from itself to itself. */
export interface VersionRange {
  readonly from: Version;
  readonly to: Version;
}

const SEPARATORS = /^[^\s;.-]+|^[\s\S]/;

class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly element: string | null,
  ) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos += 1;
  }

  fail(expected: string, at = this.pos): never {
    const found =
      at >= this.text.length
        ? "the end of the text"
        : JSON.stringify(SEPARATORS.exec(this.text.slice(at))?.[0]);
    throw new SyncError("invalidVersionRange", {
      details: `${this.element === null ? "" : `In <${this.element}>: `}At position ${at} of ${JSON.stringify(this.text)}: expected ${expected}, found ${found}.`,
    });
  }

  expect(char: string): void {
    if (this.peek() !== char) this.fail(`"${char}"`);
    this.pos += 1;
  }

  number(): number {
    const digits = /^\d+/.exec(this.text.slice(this.pos))?.[0];
    if (digits === undefined) this.fail("a number");
    this.pos += digits.length;
    return Number(digits);
  }

  version(): Version {
    const start = this.pos;
    const major = this.number();
    this.expect(".");
    const minor = this.number();
    this.expect(".");
    const patch = this.number();
    this.expect(".");
    const build = this.number();
    return { text: this.text.slice(start, this.pos), parts: [major, minor, patch, build] };
  }
}

/** Parses one version such as `3.05.15.00`. Throws `SyncError("invalidVersionRange")` naming the position. */
export function parseVersion(text: string): Version {
  const scanner = new Scanner(text, null);
  scanner.skipSpaces();
  const version = scanner.version();
  scanner.skipSpaces();
  if (!scanner.atEnd) scanner.fail("the end of the text");
  return version;
}

/** -1, 0 or 1 as `a` is lower than, equal to or higher than `b`, comparing the four parts numerically in order. */
export function compareVersions(a: Version | string, b: Version | string): -1 | 0 | 1 {
  const left = typeof a === "string" ? parseVersion(a) : a;
  const right = typeof b === "string" ? parseVersion(b) : b;
  const [l0, l1, l2, l3] = left.parts;
  const [r0, r1, r2, r3] = right.parts;
  const difference = [l0 - r0, l1 - r1, l2 - r2, l3 - r3].find((part) => part !== 0) ?? 0;
  return difference === 0 ? 0 : difference < 0 ? -1 : 1;
}

/**
 * Parses `A-B;C;…` into ranges, in order. Each range must not run backwards (`from` ≤ `to`).
 * Throws `SyncError("invalidVersionRange")` naming the 0-based position and the text found there, prefixed
 * with `In <element>: ` when `element` (the info.xml element the text came from) is given.
 */
export function parseVersionRanges(text: string, element: string | null = null): VersionRange[] {
  const scanner = new Scanner(text, element);
  const ranges: VersionRange[] = [];
  for (;;) {
    scanner.skipSpaces();
    const start = scanner.pos;
    const from = scanner.version();
    scanner.skipSpaces();
    let to = from;
    if (scanner.peek() === "-") {
      scanner.pos += 1;
      scanner.skipSpaces();
      to = scanner.version();
      scanner.skipSpaces();
      if (compareVersions(from, to) > 0) scanner.fail(`a range whose start is not after its end`, start);
    }
    ranges.push({ from, to });
    if (scanner.atEnd) return ranges;
    if (scanner.peek() !== ";") scanner.fail(`"-", ";" or the end of the text`);
    scanner.pos += 1;
  }
}

/** True when `version` lies in at least one of the inclusive `ranges`. */
export function versionInRanges(version: Version | string, ranges: readonly VersionRange[]): boolean {
  const parsed = typeof version === "string" ? parseVersion(version) : version;
  return ranges.some(
    (range) => compareVersions(range.from, parsed) <= 0 && compareVersions(parsed, range.to) <= 0,
  );
}

/** The package that is installed now, if any. */
export interface InstalledPackage {
  readonly version: string;
  readonly entityTypes: readonly string[];
}

/** The package offered, with its `info.xml` compatibility element. */
export interface OfferedPackage {
  readonly version: string;
  readonly preferredProduct: string | null;
  /** The `<products>` range list. */
  readonly products: string;
  /** The `<schemas>` range list. */
  readonly schemas: string;
  readonly entityTypes: readonly string[];
}

/** Input of {@link checkPackageCompatibility}. */
export interface CompatibilityInput {
  /** The add-in's own version. */
  readonly productVersion: string;
  readonly current: InstalledPackage | null;
  readonly next: OfferedPackage;
}

/** What SPEC §11 says to do with the offered package. */
export interface CompatibilityReport {
  /** Incompatible: the package is not applied and the user is told the preferred version. */
  readonly product: "compatible" | "incompatible";
  /** Set when the product is incompatible, or compatible but the preferred version differs from the product's. */
  readonly preferredProduct: string | null;
  /** Compatible: push pending changes, then apply. Incompatible: apply only after the user confirms. */
  readonly schema: "compatible" | "incompatible" | "firstInstall";
  /** Entity types to build (initial sync) or tear down; on first install every offered type is added. */
  readonly structure: { readonly added: string[]; readonly removed: string[] };
}

/**
 * Decides product, schema and object-structure compatibility of an offered customization package (SPEC §11).
 * Throws `SyncError("invalidVersionRange")` naming the element (`products`, `schemas`) and the position when a
 * range list is malformed, or naming the bad version when a version is malformed.
 */
export function checkPackageCompatibility(input: CompatibilityInput): CompatibilityReport {
  const { productVersion, current, next } = input;
  const compatible = versionInRanges(
    parseVersion(productVersion),
    parseVersionRanges(next.products, "products"),
  );
  const preferred = next.preferredProduct === null ? null : parseVersion(next.preferredProduct);
  const preferredDiffers = preferred !== null && compareVersions(preferred, productVersion) !== 0;
  const schemas = parseVersionRanges(next.schemas, "schemas");
  const before = current?.entityTypes ?? [];
  return {
    product: compatible ? "compatible" : "incompatible",
    preferredProduct: !compatible || preferredDiffers ? next.preferredProduct : null,
    schema:
      current === null
        ? "firstInstall"
        : versionInRanges(current.version, schemas)
          ? "compatible"
          : "incompatible",
    structure: {
      added: next.entityTypes.filter((type) => !before.includes(type)),
      removed: before.filter((type) => !next.entityTypes.includes(type)),
    },
  };
}
