/**
 * Customization package zips (layout in customization-package.ts), built and read with fflate. The reader is
 * the add-in's content check (SPEC §11 "Download or content errors"): a zip that is not a complete, valid
 * package is refused with a message naming the file and what is wrong; nothing of it is used.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import {
  packageMetadataProblems,
  type CustomizationPackage,
  type PackageInfo,
  type PackageMetadata,
} from "../core/customization-package";
import {
  PACKAGE_FILES,
  PACKAGE_LIMITS,
  PackageContentError,
  REQUIRED_PACKAGE_FILES,
  packageInfoXml,
  packageMetadataFiles,
  readPackageInfo,
  readPackageMetadata,
} from "./customization-package";

/** A package to build: its info.xml, its metadata, and files to leave out (to make a broken package on purpose). */
export interface PackageDefinition {
  readonly info: PackageInfo;
  readonly metadata: PackageMetadata;
  readonly omit?: readonly string[];
}

/** The files of a package, by name. */
export function packageFiles(definition: PackageDefinition): Record<string, string> {
  const files: Record<string, string> = {
    [PACKAGE_FILES.info]: packageInfoXml(definition.info),
    ...packageMetadataFiles(definition.metadata),
  };
  for (const name of definition.omit ?? []) delete files[name];
  return files;
}

/** Zips files given by name (UTF-8 text). */
export function zipFiles(files: Readonly<Record<string, string>>): Uint8Array {
  return zipSync(
    Object.fromEntries(Object.entries(files).map(([name, content]) => [name, strToU8(content)])),
  );
}

/** The zip of a package. */
export function buildPackageZip(definition: PackageDefinition): Uint8Array {
  return zipFiles(packageFiles(definition));
}

/** The outcome of the content check: the package, or what is wrong (with info.xml's facts when it was readable). */
export type PackageReadResult =
  | { readonly ok: true; readonly package: CustomizationPackage }
  | { readonly ok: false; readonly problem: string; readonly info: PackageInfo | null };

function unzip(zip: Uint8Array): Record<string, string> {
  if (zip.byteLength > PACKAGE_LIMITS.zipBytes) {
    throw new PackageContentError(`the zip is larger than ${PACKAGE_LIMITS.zipBytes} bytes`);
  }
  let entries: Record<string, Uint8Array>;
  const tooLarge: string[] = [];
  try {
    entries = unzipSync(zip, {
      filter: (file) => {
        if (!REQUIRED_PACKAGE_FILES.includes(file.name)) return false;
        if (file.originalSize > PACKAGE_LIMITS.fileBytes) tooLarge.push(file.name);
        return file.originalSize <= PACKAGE_LIMITS.fileBytes;
      },
    });
  } catch (error) {
    throw new PackageContentError(
      `the download is not a readable zip (${error instanceof Error ? error.message : ""})`,
    );
  }
  if (tooLarge.length > 0)
    throw new PackageContentError(`${tooLarge.join(", ")} larger than ${PACKAGE_LIMITS.fileBytes} bytes`);
  const files: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(entries)) files[name] = strFromU8(bytes);
  return files;
}

/**
 * Checks a package's files: every required file present, info.xml with its compatibility element, the metadata
 * files well-formed and meaningful (core `packageMetadataProblems`), and info.xml's version equal to `version`
 * (the version the server published it as), when given.
 */
export function readPackageFiles(
  files: Readonly<Record<string, string>>,
  version: string | null = null,
): PackageReadResult {
  const missing = REQUIRED_PACKAGE_FILES.filter((name) => files[name] === undefined);
  const infoXml = files[PACKAGE_FILES.info];
  let info: PackageInfo | null = null;
  try {
    if (infoXml !== undefined) info = readPackageInfo(infoXml);
  } catch (error) {
    if (!(error instanceof PackageContentError) || missing.length === 0) return refused(error, null);
  }
  try {
    if (missing.length > 0) {
      const plural = missing.length > 1 ? "s" : "";
      throw new PackageContentError(`the zip lacks the required file${plural} ${missing.join(", ")}`);
    }
    if (info === null) throw new PackageContentError(`${PACKAGE_FILES.info} is missing`);
    if (version !== null && version !== info.version)
      throw new PackageContentError(
        `info.xml says version ${info.version}, but it was published as ${version}`,
      );
    const metadata = readPackageMetadata(files);
    const problems = packageMetadataProblems(metadata);
    if (problems.length > 0) throw new PackageContentError(problems.slice(0, 3).join("; "));
    return { ok: true, package: { ...info, ...metadata } };
  } catch (error) {
    return refused(error, info);
  }
}

function refused(error: unknown, info: PackageInfo | null): PackageReadResult {
  if (!(error instanceof PackageContentError)) throw error;
  return { ok: false, problem: error.message, info };
}

/** Unzips and checks a downloaded package (see {@link readPackageFiles}). */
export function readPackageZip(zip: Uint8Array, version: string | null = null): PackageReadResult {
  let files: Record<string, string>;
  try {
    files = unzip(zip);
  } catch (error) {
    if (!(error instanceof PackageContentError)) throw error;
    return { ok: false, problem: error.message, info: null };
  }
  return readPackageFiles(files, version);
}
