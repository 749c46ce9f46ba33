/**
 * Which Mailbox requirement set each Office.js member the add-in uses needs, and whether each use is covered:
 * by the manifest's declared minimum, or by an `isSetSupported("Mailbox", "x.y")` guard around it. The levels
 * come from the `[Api set: Mailbox x.y]` remarks of `@types/office-js`, read with the TypeScript compiler API;
 * a member without a Mailbox remark takes its interface's (or enum's), and one with none is not a Mailbox API.
 * Members reached as `a.b` count, and so do the properties of object literals passed where Office.js expects an
 * options object (`event.completed({ allowEvent })`), found through the literal's contextual type.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import type { XmlElement } from "./manifest-checks";

/**
 * `[Api set: Mailbox x.y]`, or the "Requirement sets" list of a member shared with other applications (`{@link
 * …/outlook-api-requirement-sets | Mailbox x.y}`, e.g. UI.displayDialogAsync).
 */
const API_SET = /\[Api set: Mailbox (\d+\.\d+)\]|outlook-api-requirement-sets \| Mailbox (\d+\.\d+)\}/g;

/** One use of an Office.js member that needs a Mailbox requirement set. */
export interface MemberUse {
  /** `Interface.member` as @types/office-js declares it. */
  readonly member: string;
  /** The lowest Mailbox version its remarks name. */
  readonly needs: string;
  /** The highest version an enclosing isSetSupported guard checks, or null when unguarded. */
  readonly guardedAt: string | null;
  /** file:line of the use. */
  readonly at: string;
}

/** Compares two "major.minor" versions. */
export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

function lowest(versions: readonly string[]): string | null {
  return [...versions].sort(compareVersions)[0] ?? null;
}

/** The versions named in a declaration's own JSDoc (its remarks included). */
function declaredVersions(declaration: ts.Declaration): string[] {
  const text = ts
    .getJSDocCommentsAndTags(declaration)
    .map((doc) => doc.getText())
    .join("\n");
  return [...text.matchAll(API_SET)].map((match) => match[1] ?? match[2] ?? "");
}

function isOfficeDeclaration(declaration: ts.Declaration): boolean {
  return declaration.getSourceFile().fileName.includes(`${path.sep}@types${path.sep}office-js${path.sep}`);
}

/** The Mailbox version a member symbol needs: its own remark, else its container's; null when neither has one. */
function requiredVersion(symbol: ts.Symbol): { member: string; needs: string } | null {
  const declarations = (symbol.declarations ?? []).filter(isOfficeDeclaration);
  if (declarations.length === 0) return null;
  const own = lowest(declarations.flatMap(declaredVersions));
  const container = declarations[0]?.parent;
  const containerName =
    container === undefined
      ? null
      : ts.isInterfaceDeclaration(container) || ts.isEnumDeclaration(container)
        ? container.name.text
        : ts.isModuleBlock(container)
          ? container.parent.name.getText()
          : null;
  const inherited =
    container !== undefined && (ts.isInterfaceDeclaration(container) || ts.isEnumDeclaration(container))
      ? lowest(declaredVersions(container))
      : null;
  const needs = own ?? inherited;
  if (needs === null) return null;
  return { member: `${containerName ?? "Office"}.${symbol.getName()}`, needs };
}

/**
 * The Mailbox version a property `name` of the object literal `literal` needs, where the literal stands for an
 * Office.js options type (its contextual type; for a union, the lowest version of the members that declare it).
 */
function optionVersion(
  checker: ts.TypeChecker,
  literal: ts.ObjectLiteralExpression,
  name: string,
): { member: string; needs: string } | null {
  const contextual = checker.getContextualType(literal);
  if (contextual === undefined) return null;
  const candidates = (contextual.isUnion() ? contextual.types : [contextual])
    .map((type) => type.getProperty(name))
    .map((symbol) => (symbol === undefined ? null : requiredVersion(symbol)))
    .filter((found): found is { member: string; needs: string } => found !== null)
    .sort((a, b) => compareVersions(a.needs, b.needs));
  return candidates[0] ?? null;
}

/** The version a guard expression checks: `…isSetSupported("Mailbox", "x.y")`, possibly inside `&&`. */
function guardVersion(condition: ts.Expression): string | null {
  let found: string | null = null;
  const visit = (node: ts.Node): void => {
    if (ts.isPrefixUnaryExpression(node)) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === "isSetSupported"
    ) {
      const [name, version] = node.arguments;
      if (
        name !== undefined &&
        version !== undefined &&
        ts.isStringLiteral(name) &&
        name.text === "Mailbox" &&
        ts.isStringLiteral(version) &&
        (found === null || compareVersions(version.text, found) > 0)
      ) {
        found = version.text;
      }
      return;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken)
      return;
    ts.forEachChild(node, visit);
  };
  visit(condition);
  return found;
}

/** The version `if (!isSetSupported(…)) return/throw …;` guarantees for the statements after it. */
function earlyExitVersion(statement: ts.Statement): string | null {
  if (!ts.isIfStatement(statement) || statement.elseStatement !== undefined) return null;
  const condition = statement.expression;
  if (!ts.isPrefixUnaryExpression(condition) || condition.operator !== ts.SyntaxKind.ExclamationToken)
    return null;
  const exits = (node: ts.Statement): boolean =>
    ts.isReturnStatement(node) ||
    ts.isThrowStatement(node) ||
    (ts.isBlock(node) && node.statements.length > 0 && exits(node.statements[node.statements.length - 1]!));
  return exits(statement.thenStatement) ? guardVersion(condition.operand) : null;
}

/** The highest version the guards around `node` check. */
function enclosingGuard(node: ts.Node): string | null {
  let best: string | null = null;
  const consider = (version: string | null) => {
    if (version !== null && (best === null || compareVersions(version, best) > 0)) best = version;
  };
  let child: ts.Node = node;
  for (let parent = node.parent; parent !== undefined; child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) && parent.thenStatement === child) consider(guardVersion(parent.expression));
    if (ts.isConditionalExpression(parent) && parent.whenTrue === child)
      consider(guardVersion(parent.condition));
    if (
      ts.isBinaryExpression(parent) &&
      parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken &&
      parent.right === child
    )
      consider(guardVersion(parent.left));
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      for (const statement of parent.statements) {
        if (statement === child) break;
        consider(earlyExitVersion(statement));
      }
    }
  }
  return best;
}

/** Every use, in `files`, of an Office.js member that needs a Mailbox requirement set. */
export function mailboxMemberUses(
  files: readonly string[],
  options: { readonly typeRoots: string },
): MemberUse[] {
  const program = ts.createProgram([...files], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["office-js"],
    typeRoots: [options.typeRoots],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const uses: MemberUse[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (source === undefined) throw new Error(`cannot read ${file}`);
    const record = (name: ts.Node, required: { member: string; needs: string } | null): void => {
      if (required === null) return;
      const { line } = source.getLineAndCharacterOfPosition(name.getStart());
      uses.push({
        ...required,
        guardedAt: enclosingGuard(name),
        at: `${path.relative(process.cwd(), file)}:${line + 1}`,
      });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        record(node.name, symbol === undefined ? null : requiredVersion(symbol));
      }
      if (ts.isObjectLiteralExpression(node)) {
        for (const property of node.properties) {
          if (property.name !== undefined && !ts.isComputedPropertyName(property.name))
            record(property.name, optionVersion(checker, node, property.name.getText()));
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return uses;
}

/**
 * Pages Outlook opens only on clients above the manifest's minimum, by the path of their code: auth-dialog.html
 * opens only in a dialog, and displayDialogAsync is Mailbox 1.4 (dialog-api-requirement-sets, "Outlook support").
 */
export const PAGE_MINIMUMS: Readonly<Record<string, string>> = { "src/entry/auth-dialog/": "1.4" };

/** The uses the declared minimum (or their page's) does not cover and no guard of a high enough version encloses. */
export function uncoveredUses(uses: readonly MemberUse[], declaredMinimum: string): string[] {
  const minimumOf = (use: MemberUse): string => {
    const page = Object.entries(PAGE_MINIMUMS).find(([prefix]) =>
      use.at.split(path.sep).join("/").startsWith(prefix),
    );
    return page !== undefined && compareVersions(page[1], declaredMinimum) > 0 ? page[1] : declaredMinimum;
  };
  return uses
    .filter(
      (use) =>
        compareVersions(use.needs, minimumOf(use)) > 0 &&
        (use.guardedAt === null || compareVersions(use.guardedAt, use.needs) < 0),
    )
    .map(
      (use) =>
        `${use.at}: ${use.member} needs Mailbox ${use.needs}, above the manifest's ${minimumOf(use)}` +
        (use.guardedAt === null ? ", with no isSetSupported guard" : `, guarded only at ${use.guardedAt}`),
    );
}

/** The add-in's own code under `root`: everything in src but the simulator, the server and the command-line tools. */
export function addinSourceFiles(root: string): string[] {
  const skipped = ["src/sim/", "src/entry/sim-app/", "src/server/", "src/entry/cli/"];
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : full.endsWith(".ts") ? [full] : [];
    });
  return walk(path.join(root, "src")).filter(
    (file) =>
      !skipped.some((prefix) => path.relative(root, file).split(path.sep).join("/").startsWith(prefix)),
  );
}

/** The Mailbox MinVersion the manifest's base Requirements declare; throws when it declares none. */
export function declaredMailboxMinimum(manifest: XmlElement): string {
  const requirements = manifest.children.find((c) => c.name === "Requirements");
  const sets = requirements?.children.find((c) => c.name === "Sets");
  const mailbox = sets?.children.find((set) => set.attrs["Name"] === "Mailbox");
  const version = mailbox?.attrs["MinVersion"];
  if (version === undefined) throw new Error("manifest.xml declares no Mailbox MinVersion in <Requirements>");
  return version;
}
