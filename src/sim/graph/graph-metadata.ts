import { readFileSync } from "node:fs";
import { XMLParser } from "fast-xml-parser";

/**
 * A model of Microsoft Graph v1.0's CSDL ($metadata, `metadata/v1.0-metadata.xml`): entity, complex and enum
 * types with their base types, properties and navigation properties, bound functions and actions, and the
 * entity container's singletons. The Graph twin checks every request against it, so what the twin accepts is
 * what the metadata declares, not a hand-kept list (OData CSDL XML 4.0: EntityType, ComplexType, BaseType).
 */

/** A property's or navigation property's type: `Collection(graph.x)` → { name: "microsoft.graph.x", collection }. */
export interface TypeRef {
  readonly name: string;
  readonly collection: boolean;
}

export interface StructuredType {
  readonly name: string;
  readonly kind: "entity" | "complex";
  readonly baseType: string | null;
  readonly abstract: boolean;
  readonly properties: ReadonlyMap<string, TypeRef>;
  readonly navigation: ReadonlyMap<string, TypeRef>;
}

/** What a name on a type is: a structural property or a navigation property, with its type. */
export interface Member {
  readonly kind: "property" | "navigation";
  readonly type: TypeRef;
}

/** The default location of the vendored metadata file. */
export const METADATA_FILE = new URL("./metadata/v1.0-metadata.xml", import.meta.url);

interface XmlElement {
  readonly [key: string]: unknown;
}

function list(value: unknown): XmlElement[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as XmlElement[];
}

function attr(element: XmlElement, name: string): string | undefined {
  const value = element[`@${name}`];
  return typeof value === "string" ? value : undefined;
}

export class GraphMetadata {
  private readonly types = new Map<string, StructuredType>();
  private readonly enums = new Map<string, ReadonlySet<string>>();
  /** `Collection(microsoft.graph.x)` or `microsoft.graph.x` → names of functions and actions bound to it. */
  private readonly bound = new Map<string, Map<string, TypeRef | null>>();
  private readonly singletons = new Map<string, TypeRef>();

  constructor(xml: string) {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "@",
      // Annotations carry no type facts the twin uses; skipping them halves the parse.
      updateTag: (tagName) => tagName !== "Annotation" && tagName !== "Annotations",
    });
    const root = parser.parse(xml) as XmlElement;
    const edmx = root["edmx:Edmx"] as XmlElement;
    const services = edmx["edmx:DataServices"] as XmlElement;
    for (const schema of list(services.Schema)) {
      const namespace = attr(schema, "Namespace") ?? "";
      const alias = attr(schema, "Alias");
      const qualify = (name: string): string =>
        alias !== undefined && name.startsWith(`${alias}.`)
          ? `${namespace}.${name.slice(alias.length + 1)}`
          : name;
      const typeRef = (text: string): TypeRef => {
        const match = /^Collection\((.+)\)$/.exec(text);
        return { name: qualify(match ? (match[1] ?? "") : text), collection: match !== null };
      };
      for (const [tag, kind] of [
        ["EntityType", "entity"],
        ["ComplexType", "complex"],
      ] as const) {
        for (const element of list(schema[tag])) {
          const name = `${namespace}.${attr(element, "Name") ?? ""}`;
          const base = attr(element, "BaseType");
          this.types.set(name, {
            name,
            kind,
            baseType: base === undefined ? null : qualify(base),
            abstract: attr(element, "Abstract") === "true",
            properties: new Map(
              list(element.Property).map((p) => [attr(p, "Name") ?? "", typeRef(attr(p, "Type") ?? "")]),
            ),
            navigation: new Map(
              list(element.NavigationProperty).map((p) => [
                attr(p, "Name") ?? "",
                typeRef(attr(p, "Type") ?? ""),
              ]),
            ),
          });
        }
      }
      for (const element of list(schema.EnumType)) {
        this.enums.set(
          `${namespace}.${attr(element, "Name") ?? ""}`,
          new Set(list(element.Member).map((m) => attr(m, "Name") ?? "")),
        );
      }
      for (const tag of ["Function", "Action"]) {
        for (const element of list(schema[tag])) {
          if (attr(element, "IsBound") !== "true") continue;
          const binding = list(element.Parameter)[0];
          if (binding === undefined) continue;
          const on = typeRef(attr(binding, "Type") ?? "");
          const key = on.collection ? `Collection(${on.name})` : on.name;
          const returns = list(element.ReturnType)[0];
          const byName = this.bound.get(key) ?? new Map<string, TypeRef | null>();
          byName.set(attr(element, "Name") ?? "", returns ? typeRef(attr(returns, "Type") ?? "") : null);
          this.bound.set(key, byName);
        }
      }
      for (const container of list(schema.EntityContainer)) {
        for (const singleton of list(container.Singleton)) {
          this.singletons.set(attr(singleton, "Name") ?? "", {
            name: qualify(attr(singleton, "Type") ?? ""),
            collection: false,
          });
        }
      }
    }
  }

  /** The structured (entity or complex) type of that qualified name, or undefined. */
  type(name: string): StructuredType | undefined {
    return this.types.get(name);
  }

  /** The members of an enum type, or undefined when `name` is not one. */
  enumMembers(name: string): ReadonlySet<string> | undefined {
    return this.enums.get(name);
  }

  singleton(name: string): TypeRef | undefined {
    return this.singletons.get(name);
  }

  /** A property or navigation property of `typeName` or one of its base types. */
  member(typeName: string, name: string): Member | undefined {
    for (let type = this.types.get(typeName); type; type = this.baseOf(type)) {
      const property = type.properties.get(name);
      if (property) return { kind: "property", type: property };
      const navigation = type.navigation.get(name);
      if (navigation) return { kind: "navigation", type: navigation };
    }
    return undefined;
  }

  /** True when `typeName` is `ancestor` or derives from it. */
  derivesFrom(typeName: string, ancestor: string): boolean {
    for (let type = this.types.get(typeName); type; type = this.baseOf(type)) {
      if (type.name === ancestor) return true;
    }
    return false;
  }

  /**
   * The return type of a function or action `name` bound to `on` (or to one of its base types); null for an
   * action without a return type; undefined when no such operation is bound there.
   */
  boundOperation(on: TypeRef, name: string): TypeRef | null | undefined {
    for (let type = this.types.get(on.name); type; type = this.baseOf(type)) {
      const key = on.collection ? `Collection(${type.name})` : type.name;
      const found = this.bound.get(key);
      if (found?.has(name)) return found.get(name) ?? null;
    }
    return undefined;
  }

  private baseOf(type: StructuredType): StructuredType | undefined {
    return type.baseType === null ? undefined : this.types.get(type.baseType);
  }
}

/** Reads and models a CSDL file (by default the vendored Graph v1.0 metadata). */
export function loadGraphMetadata(file: URL | string = METADATA_FILE): GraphMetadata {
  return new GraphMetadata(readFileSync(file, "utf8"));
}
