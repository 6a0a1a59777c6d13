/**
 * Checks an OCSF event against the standard's own definition files (test/fixtures/ocsf-schema-1.1.0,
 * a copy of ocsf/ocsf-schema at v1.1.0), not against a hand-written copy of them: the class is found
 * by its `class_uid` and resolved the way the OCSF schema compiler does it (`$include`s of
 * includes/ and profiles/, `extends` chains up to base_event, the dictionary beneath every
 * attribute), and so is every object the event nests. What it reports follows the OCSF server's
 * event validator (ocsf/ocsf-server, lib/schema/validator2.ex) with two stricter rules, both
 * because a consumer could not use the value otherwise: a value that does not match its type's
 * regex (an `ip_t` that is no address) is a problem, not a warning, and so is a null (no OCSF type
 * but json_t admits null: an attribute that does not apply is left out).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where the definition files are kept. */
export const OCSF_SCHEMA_DIR = join(__dirname, '..', 'fixtures', 'ocsf-schema-1.1.0');

/** What kind of rule a value breaks. */
export type OcsfProblemKind =
  | 'required' // a required attribute is missing
  | 'type' // the value is not of the attribute's type (or not UTF-8 text)
  | 'format' // a string that does not match its type's regex, too long, a number out of range
  | 'enum' // an *_id value that is not one of the enum's ids
  | 'unknown' // an attribute neither the class (or object) nor its active profiles define
  | 'constraint' // an object's at_least_one / just_one constraint fails
  | 'rule' // a rule between attributes: type_uid, category_uid
  | 'profile' // metadata.profiles names a profile the schema does not define
  | 'class' // class_uid names no class
  | 'deprecated' // (warning) an attribute, object or enum value marked @deprecated
  | 'sibling' // (warning) an enum's caption attribute that does not match the caption of its id
  | 'version'; // (warning) metadata.version is not the version of these files

/** One thing wrong with an event, at a JSON path (`finding_info.analytic.type_id`, `evidences[0].src_endpoint.ip`). */
export interface OcsfProblem {
  readonly path: string;
  readonly kind: OcsfProblemKind;
  readonly message: string;
}

/** What {@link OcsfSchema.validate} finds: problems make the event invalid, warnings do not. */
export interface OcsfReport {
  readonly problems: readonly OcsfProblem[];
  readonly warnings: readonly OcsfProblem[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** An attribute as a class or object defines it, the dictionary's entry beneath it. */
export interface OcsfAttribute {
  readonly type: string;
  /** Set when `type` names an object (objects/<object_type>.json). */
  readonly objectType: string | null;
  readonly isArray: boolean;
  readonly requirement: 'required' | 'recommended' | 'optional';
  readonly enum: Readonly<Record<string, { readonly caption?: string; readonly '@deprecated'?: Deprecation }>> | null;
  readonly sibling: string | null;
  /** The profiles that bring the attribute in; null when it belongs to the class or object itself. */
  readonly profiles: readonly string[] | null;
  readonly deprecated: Deprecation | null;
}

interface Deprecation {
  readonly message?: string;
  readonly since?: string;
}

/** A class or object with its inheritance, includes and dictionary resolved. */
export interface OcsfDefinition {
  readonly name: string;
  readonly caption: string;
  /** Classes only: category uid * 1000 + the class's uid, as the compiler numbers them. */
  readonly uid: number | null;
  readonly categoryUid: number | null;
  readonly attributes: Readonly<Record<string, OcsfAttribute>>;
  readonly constraints: Readonly<Record<string, readonly string[]>>;
  readonly profiles: readonly string[];
  readonly deprecated: Deprecation | null;
}

/** A definition as the files hold it, before resolution (attributes are mutable working copies). */
interface RawItem {
  name: string;
  caption?: string;
  uid?: number;
  category?: string;
  extends?: string;
  profiles?: string[];
  meta?: string;
  annotations?: JsonObject;
  constraints?: Record<string, string[]>;
  '@deprecated'?: Deprecation;
  attributes: Record<string, JsonObject>;
}

const REQUIREMENT_RANK = { optional: 0, recommended: 1, required: 2 } as const;
/** The JSON types the dictionary's types reduce to. */
const PRIMITIVES = new Set(['boolean_t', 'integer_t', 'long_t', 'float_t', 'string_t', 'json_t']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Merges `source` into `dest`, objects key by key, anything else replaced (the compiler's deep_merge). */
function deepMerge(dest: JsonObject, source: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(source)) {
    const existing = dest[key];
    if (isObject(existing) && isObject(value)) deepMerge(existing, value);
    else dest[key] = copy(value);
  }
  return dest;
}

/**
 * Merges one attribute's details on top of another's, as the compiler does for includes and
 * `extends`: new keys added, objects (enums) merged, other values replaced; profile lists joined,
 * and where two profiles bring the same attribute the stronger requirement wins.
 */
function mergeDetail(dest: JsonObject, source: JsonObject): void {
  for (const [key, value] of Object.entries(source)) {
    if (!(key in dest)) dest[key] = copy(value);
    else if (JSON.stringify(dest[key]) === JSON.stringify(value)) continue;
    else if (key === 'profiles') {
      if (value === null || !Array.isArray(dest.profiles)) dest.profiles = copy(value);
      else dest.profiles = [...new Set([...(dest.profiles as string[]), ...(value as string[])])].sort();
    } else if (key === 'requirement' && Array.isArray(source.profiles) && 'profiles' in dest) {
      const rank = (r: Json | undefined): number => REQUIREMENT_RANK[r as keyof typeof REQUIREMENT_RANK] ?? 0;
      dest.requirement = rank(dest.requirement) >= rank(value) ? dest.requirement! : value;
    } else if (isObject(dest[key]) && isObject(value)) deepMerge(dest[key] as JsonObject, value);
    else dest[key] = copy(value);
  }
}

/** Merges `source`'s attributes on top of `dest`'s (the source wins). */
function mergeAttributes(dest: Record<string, JsonObject>, source: Record<string, JsonObject>): void {
  for (const [name, detail] of Object.entries(source)) {
    if (dest[name] === undefined) dest[name] = copy(detail);
    else mergeDetail(dest[name]!, detail);
  }
}

function readJson(path: string): JsonObject {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
  if (!isObject(doc)) throw new Error(`${path}: not a JSON object`);
  return doc;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? jsonFiles(join(dir, f)) : f.endsWith('.json') ? [join(dir, f)] : []));
}

/** A class or object file, its single-profile `profile` keys turned into lists as the compiler does. */
function rawItem(doc: JsonObject, path: string): RawItem {
  if (typeof doc.name !== 'string') throw new Error(`${path}: no "name"`);
  const item = copy(doc) as unknown as RawItem;
  item.attributes = (isObject(doc.attributes) ? copy(doc.attributes) : {}) as Record<string, JsonObject>;
  for (const [name, detail] of Object.entries(item.attributes)) {
    if (name === '$include' || !isObject(detail) || !('profile' in detail)) continue;
    detail.profiles = detail.profile === null ? null : [detail.profile as string];
    delete detail.profile;
  }
  return item;
}

const SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  return `a ${typeof value === 'object' ? 'JSON object' : typeof value}`;
}

const at = (parent: string, name: string): string => (parent === '' ? name : `${parent}.${name}`);

/** The OCSF schema of one release, loaded from its definition files, and a validator of events against it. */
export class OcsfSchema {
  /** The release the files say they are (version.json). */
  readonly version: string;
  private readonly dictionary: Record<string, JsonObject>;
  private readonly types: Record<string, JsonObject>;
  private readonly categories: Record<string, { uid: number; caption: string }>;
  private readonly rawClasses = new Map<string, RawItem>();
  private readonly rawObjects = new Map<string, RawItem>();
  private readonly profileNames = new Set<string>();
  private readonly flattened = new Map<string, RawItem>();
  private readonly resolved = new Map<string, OcsfDefinition>();
  private readonly regexes = new Map<string, RegExp>();
  private readonly classesByUid = new Map<number, string>();

  private constructor(private readonly dir: string) {
    this.version = String(readJson(join(dir, 'version.json')).version);
    const dictionary = readJson(join(dir, 'dictionary.json'));
    this.dictionary = copy(dictionary.attributes) as Record<string, JsonObject>;
    this.types = copy((dictionary.types as JsonObject).attributes) as Record<string, JsonObject>;
    for (const [name, type] of Object.entries(this.types)) {
      if (typeof type.regex === 'string') this.regexes.set(name, new RegExp(type.regex));
    }
    this.categories = {};
    for (const [name, category] of Object.entries(readJson(join(dir, 'categories.json')).attributes as Record<string, JsonObject>)) {
      this.categories[name] = { uid: category.uid as number, caption: String(category.caption) };
    }
    for (const path of jsonFiles(join(dir, 'events'))) {
      const item = rawItem(readJson(path), path);
      this.rawClasses.set(item.name, item);
    }
    for (const path of jsonFiles(join(dir, 'objects'))) {
      const item = rawItem(readJson(path), path);
      this.rawObjects.set(item.name, item);
    }
    for (const path of jsonFiles(join(dir, 'profiles'))) this.profileNames.add(String(readJson(path).name ?? basename(path, '.json')));
    // The datetime profile (with the datetime_t type) gives every timestamp_t attribute a
    // `<name>_dt` sibling in RFC 3339 text; the compiler adds them to the dictionary too.
    if (this.hasDatetimeProfile()) {
      for (const [name, attribute] of Object.entries({ ...this.dictionary })) {
        if (attribute.type === 'timestamp_t') this.dictionary[`${name}_dt`] = { ...copy(attribute), type: 'datetime_t' };
      }
    }
    for (const name of this.rawClasses.keys()) {
      const resolved = this.resolveItem('class', name);
      if (resolved.uid !== null) this.classesByUid.set(resolved.uid, name);
    }
  }

  /** Loads the definition files in `dir` (by default the copy of 1.1.0 in test/fixtures). */
  static load(dir: string = OCSF_SCHEMA_DIR): OcsfSchema {
    return new OcsfSchema(dir);
  }

  /** The names of the event classes, resolved, keyed by class_uid (2004 → detection_finding). */
  classNames(): ReadonlyMap<number, string> {
    return this.classesByUid;
  }

  /** A class resolved by its class_uid, or undefined. */
  classByUid(uid: number): OcsfDefinition | undefined {
    const name = this.classesByUid.get(uid);
    return name === undefined ? undefined : this.resolveItem('class', name);
  }

  /** An object's definition resolved (for tests that look at what the files require). */
  object(name: string): OcsfDefinition {
    return this.resolveItem('object', name);
  }

  private hasDatetimeProfile(): boolean {
    return this.profileNames.has('datetime') && this.types.datetime_t !== undefined && this.types.timestamp_t !== undefined;
  }

  /** An include or profile file, by its path relative to the schema's root. */
  private include(path: string): JsonObject {
    return readJson(join(this.dir, path));
  }

  /**
   * A class or object with its `$include`s and `extends` chain merged, not yet over the
   * dictionary: the item's own definitions win over what it includes, and over its parent's.
   */
  private flatten(kind: 'class' | 'object', name: string): RawItem {
    const key = `${kind}:${name}`;
    const done = this.flattened.get(key);
    if (done) return done;
    const source = (kind === 'class' ? this.rawClasses : this.rawObjects).get(name);
    if (!source) throw new Error(`the schema defines no ${kind} "${name}"`);
    const item = copy(source);
    let attributes = item.attributes;
    const includes = attributes.$include as unknown as string | string[] | undefined;
    delete attributes.$include;
    for (const path of includes === undefined ? [] : typeof includes === 'string' ? [includes] : includes) {
      const included = this.include(path);
      const base = copy((included.attributes ?? {}) as Record<string, JsonObject>);
      for (const detail of Object.values(base)) {
        // Attributes a profile brings are that profile's: present only when an event declares it.
        if (included.meta === 'profile') detail.profiles = [String(included.name)];
        for (const [k, v] of Object.entries(isObject(included.annotations) ? included.annotations : {})) if (!(k in detail)) detail[k] = copy(v);
      }
      mergeAttributes(base, attributes);
      attributes = base;
    }
    for (const [attributeName, detail] of Object.entries(attributes)) {
      if (typeof detail.$include !== 'string') continue;
      const path = detail.$include;
      delete detail.$include;
      attributes[attributeName] = deepMerge(this.include(path), detail);
    }
    item.attributes = attributes;
    let flat = item;
    if (item.extends) {
      const parent = copy(this.flatten(kind, item.extends));
      mergeAttributes(parent.attributes, item.attributes);
      const profiles = [...new Set([...(parent.profiles ?? []), ...(item.profiles ?? [])])].sort();
      flat = { ...parent, ...item, attributes: parent.attributes, ...(profiles.length > 0 ? { profiles } : {}) };
    }
    this.flattened.set(key, flat);
    return flat;
  }

  /** A class or object ready to validate against: every attribute over its dictionary entry. */
  private resolveItem(kind: 'class' | 'object', name: string): OcsfDefinition {
    const key = `${kind}:${name}`;
    const done = this.resolved.get(key);
    if (done) return done;
    const item = copy(this.flatten(kind, name));
    const attributes = item.attributes;
    let uid: number | null = null;
    let categoryUid: number | null = null;
    if (kind === 'class') {
      // The compiler numbers a class within its category, and lets its classification
      // attributes take only the values of that class: its category, its uid, and a type_uid
      // of class_uid * 100 + each of its activity ids.
      const category = item.category === undefined ? undefined : this.categories[item.category];
      if (item.category !== undefined && item.category !== 'other' && category === undefined) throw new Error(`class "${name}": undefined category "${item.category}"`);
      categoryUid = category?.uid ?? 0;
      uid = categoryUid * 1000 + (item.uid ?? 0);
      const caption = item.caption ?? name;
      const activities = (attributes.activity_id?.enum ?? {}) as JsonObject;
      const typeEnum: JsonObject = { [String(uid * 100)]: { caption: `${caption}: Unknown` } };
      for (const [id, activity] of Object.entries(activities)) typeEnum[String(uid * 100 + Number(id))] = { caption: `${caption}: ${String((activity as JsonObject).caption ?? '')}` };
      attributes.type_uid = { ...(attributes.type_uid ?? {}), enum: typeEnum };
      attributes.class_uid = { ...(attributes.class_uid ?? {}), enum: { [String(uid)]: { caption } } };
      if (category) attributes.category_uid = { ...(attributes.category_uid ?? {}), enum: { [String(categoryUid)]: { caption: category.caption } } };
    }
    if (this.hasDatetimeProfile()) {
      for (const [attributeName, detail] of Object.entries({ ...attributes })) {
        const type = detail.type ?? this.dictionary[attributeName]?.type;
        if (type === 'timestamp_t') attributes[`${attributeName}_dt`] = { ...copy(detail), profiles: ['datetime'], requirement: 'optional' };
      }
    }
    const out: Record<string, OcsfAttribute> = {};
    for (const [attributeName, detail] of Object.entries(attributes)) {
      const entry = this.dictionary[attributeName];
      if (entry === undefined) throw new Error(`${kind} "${name}": attribute "${attributeName}" is not in the dictionary`);
      const merged = deepMerge(copy(entry), detail);
      const type = String(merged.type);
      const objectType = this.types[type] === undefined ? type : null;
      if (objectType !== null && !this.rawObjects.has(objectType)) throw new Error(`${kind} "${name}": attribute "${attributeName}" has the undefined type "${type}"`);
      out[attributeName] = {
        type: objectType === null ? type : 'object_t',
        objectType,
        isArray: merged.is_array === true,
        requirement: merged.requirement === 'required' || merged.requirement === 'recommended' ? merged.requirement : 'optional',
        enum: isObject(merged.enum) ? (merged.enum as OcsfAttribute['enum']) : null,
        sibling: typeof merged.sibling === 'string' ? merged.sibling : null,
        profiles: Array.isArray(merged.profiles) ? (merged.profiles as string[]) : null,
        deprecated: isObject(merged['@deprecated']) ? (merged['@deprecated'] as Deprecation) : null,
      };
    }
    const resolved: OcsfDefinition = {
      name,
      caption: item.caption ?? name,
      uid,
      categoryUid,
      attributes: out,
      constraints: item.constraints ?? {},
      profiles: item.profiles ?? [],
      deprecated: item['@deprecated'] ?? null,
    };
    this.resolved.set(key, resolved);
    return resolved;
  }

  /** The profiles a class can take: its own and those of every object it can nest. */
  private applicableProfiles(item: OcsfDefinition, seen = new Set<string>()): Set<string> {
    const out = new Set(item.profiles);
    for (const attribute of Object.values(item.attributes)) {
      if (attribute.objectType === null || seen.has(attribute.objectType)) continue;
      seen.add(attribute.objectType);
      for (const p of this.applicableProfiles(this.resolveItem('object', attribute.objectType), seen)) out.add(p);
    }
    return out;
  }

  /** Checks one event: its class by class_uid, the profiles in metadata.profiles, every attribute down the tree. */
  validate(event: unknown): OcsfReport {
    const problems: OcsfProblem[] = [];
    const warnings: OcsfProblem[] = [];
    const report = { problems, warnings };
    if (!isObject(event)) return { problems: [{ path: '', kind: 'type', message: `an event is a JSON object, not ${describeValue(event)}` }], warnings };
    const classUid = event.class_uid;
    if (classUid === undefined || classUid === null) return { problems: [{ path: 'class_uid', kind: 'required', message: 'required attribute "class_uid" is missing' }], warnings };
    if (typeof classUid !== 'number' || !Number.isSafeInteger(classUid)) return { problems: [{ path: 'class_uid', kind: 'type', message: `class_uid is an integer_t, not ${describeValue(classUid)}` }], warnings };
    const cls = this.classByUid(classUid);
    if (!cls) return { problems: [{ path: 'class_uid', kind: 'class', message: `no class has class_uid ${classUid} in OCSF ${this.version}` }], warnings };
    if (cls.deprecated) warnings.push({ path: '', kind: 'deprecated', message: `class "${cls.name}" is deprecated: ${cls.deprecated.message ?? ''}` });

    const metadata = event.metadata;
    const declared = isObject(metadata) && Array.isArray(metadata.profiles) ? metadata.profiles : [];
    const profiles = new Set<string>();
    const applicable = this.applicableProfiles(cls);
    declared.forEach((profile, i) => {
      if (typeof profile !== 'string') return; // a type problem, reported with the attribute
      if (!this.profileNames.has(profile)) problems.push({ path: `metadata.profiles[${i}]`, kind: 'profile', message: `OCSF ${this.version} defines no profile "${profile}"` });
      else {
        profiles.add(profile);
        if (!applicable.has(profile)) warnings.push({ path: `metadata.profiles[${i}]`, kind: 'profile', message: `class "${cls.name}" and its objects do not take the profile "${profile}"` });
      }
    });
    if (isObject(metadata) && typeof metadata.version === 'string' && metadata.version !== this.version) {
      warnings.push({ path: 'metadata.version', kind: 'version', message: `metadata.version "${metadata.version}" is not the version of these definitions, ${this.version}` });
    }

    this.checkObject(event, cls, '', profiles, report, 'class');

    // OCSF's rules between the classification attributes (the enums above already limit each).
    const { activity_id: activityId, type_uid: typeUid, category_uid: categoryUid } = event;
    if (typeof activityId === 'number' && typeof typeUid === 'number' && typeUid !== classUid * 100 + activityId) {
      problems.push({ path: 'type_uid', kind: 'rule', message: `type_uid ${typeUid} is not class_uid * 100 + activity_id = ${classUid * 100 + activityId}` });
    }
    if (typeof categoryUid === 'number' && categoryUid !== cls.categoryUid) {
      problems.push({ path: 'category_uid', kind: 'rule', message: `category_uid ${categoryUid} is not the category of class "${cls.name}", ${cls.categoryUid}` });
    }
    return report;
  }

  /** Checks a JSON object against a class or an object definition. */
  private checkObject(value: JsonObject, item: OcsfDefinition, path: string, profiles: ReadonlySet<string>, report: { problems: OcsfProblem[]; warnings: OcsfProblem[] }, kind: 'class' | 'object'): void {
    const active = Object.entries(item.attributes).filter(([, a]) => a.profiles === null || a.profiles.some((p) => profiles.has(p)));
    const known = new Set(active.map(([name]) => name));
    for (const [name, attribute] of active) this.checkAttribute(value[name], name, attribute, value, path, profiles, report);
    // An object that defines no attribute at all (`object`, the type of `unmapped`) takes any.
    if (Object.keys(item.attributes).length > 0) {
      for (const key of Object.keys(value)) {
        if (known.has(key)) continue;
        const inactive = item.attributes[key]?.profiles;
        report.problems.push({
          path: at(path, key),
          kind: 'unknown',
          message: inactive
            ? `"${key}" belongs to the profile ${inactive.map((p) => `"${p}"`).join(' or ')}, which metadata.profiles does not declare`
            : `${kind} "${item.name}" defines no attribute "${key}"`,
        });
      }
    }
    for (const [constraint, names] of Object.entries(item.constraints)) {
      const present = names.filter((n) => value[n] !== undefined && value[n] !== null).length;
      if (constraint === 'at_least_one' && present === 0) report.problems.push({ path, kind: 'constraint', message: `${kind} "${item.name}" needs at least one of ${names.join(', ')}` });
      else if (constraint === 'just_one' && present !== 1) report.problems.push({ path, kind: 'constraint', message: `${kind} "${item.name}" needs exactly one of ${names.join(', ')}, has ${present}` });
      else if (constraint !== 'at_least_one' && constraint !== 'just_one') throw new Error(`${kind} "${item.name}": unknown constraint "${constraint}"`);
    }
  }

  /** Checks one attribute's value: requirement, null, deprecation, type, then enum and sibling caption. */
  private checkAttribute(value: Json | undefined, name: string, attribute: OcsfAttribute, parent: JsonObject, parentPath: string, profiles: ReadonlySet<string>, report: { problems: OcsfProblem[]; warnings: OcsfProblem[] }): void {
    const path = at(parentPath, name);
    if (value === undefined || (value === null && attribute.type !== 'json_t')) {
      if (attribute.requirement === 'required') report.problems.push({ path, kind: 'required', message: `required attribute "${name}" is missing${value === null ? ' (null)' : ''}` });
      else if (value === null) report.problems.push({ path, kind: 'type', message: `"${name}" is null: no ${attribute.type} is null; leave out an attribute that does not apply` });
      return;
    }
    if (attribute.deprecated) report.warnings.push({ path, kind: 'deprecated', message: `"${name}" is deprecated${attribute.deprecated.since ? ` since ${attribute.deprecated.since}` : ''}: ${attribute.deprecated.message ?? ''}` });
    if (attribute.isArray) {
      if (!Array.isArray(value)) {
        report.problems.push({ path, kind: 'type', message: `"${name}" is an array of ${attribute.objectType ?? attribute.type}, not ${describeValue(value)}` });
        return;
      }
      value.forEach((element, i) => this.checkValue(element, name, attribute, `${path}[${i}]`, profiles, report));
    } else this.checkValue(value, name, attribute, path, profiles, report);
    if (attribute.enum === null) return;
    const values = attribute.isArray && Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      const where = attribute.isArray ? `${path}[${i}]` : path;
      if (typeof v !== 'number' && typeof v !== 'string') return; // a type problem already
      const entry = attribute.enum![String(v)];
      if (entry === undefined) {
        report.problems.push({ path: where, kind: 'enum', message: `${JSON.stringify(v)} is not one of the ids of "${name}": ${Object.keys(attribute.enum!).join(', ')}` });
        return;
      }
      if (entry['@deprecated']) report.warnings.push({ path: where, kind: 'deprecated', message: `${name} ${String(v)} is deprecated: ${entry['@deprecated'].message ?? ''}` });
      // The caption attribute beside an enum holds the caption of its id, or for 99 (Other) the source's own word.
      const sibling = attribute.sibling === null ? undefined : parent[attribute.sibling];
      const caption = attribute.isArray && Array.isArray(sibling) ? sibling[i] : sibling;
      if (attribute.sibling !== null && caption !== undefined && String(v) !== '99' && caption !== entry.caption) {
        report.warnings.push({ path: at(parentPath, attribute.sibling), kind: 'sibling', message: `${attribute.sibling} ${JSON.stringify(caption)} is not the caption of ${name} ${String(v)}, "${entry.caption ?? ''}"` });
      }
    });
  }

  /** Checks a single value (or array element) against an object definition or a dictionary type. */
  private checkValue(value: Json, name: string, attribute: OcsfAttribute, path: string, profiles: ReadonlySet<string>, report: { problems: OcsfProblem[]; warnings: OcsfProblem[] }): void {
    if (attribute.objectType !== null) {
      if (!isObject(value)) {
        report.problems.push({ path, kind: 'type', message: `"${name}" is a ${attribute.objectType} object, not ${describeValue(value)}` });
        return;
      }
      const object = this.resolveItem('object', attribute.objectType);
      if (object.deprecated) report.warnings.push({ path, kind: 'deprecated', message: `object "${object.name}" is deprecated: ${object.deprecated.message ?? ''}` });
      this.checkObject(value, object, path, profiles, report, 'object');
      return;
    }
    // A type and the types it refines (ip_t → string_t): the value must be of the primitive at
    // the end of the chain and meet every constraint along it.
    const chain: string[] = [];
    for (let t: string | undefined = attribute.type; t !== undefined && !chain.includes(t); t = this.types[t]?.type as string | undefined) chain.push(t);
    const primitive = chain[chain.length - 1]!;
    if (!PRIMITIVES.has(primitive)) throw new Error(`type "${attribute.type}" does not reduce to a primitive type`);
    const wrong = (): void => {
      report.problems.push({ path, kind: 'type', message: `"${name}" is a ${attribute.type}${primitive === attribute.type ? '' : ` (${primitive})`}, not ${describeValue(value)}` });
    };
    switch (primitive) {
      case 'json_t':
        return;
      case 'boolean_t':
        if (typeof value !== 'boolean') return wrong();
        break;
      case 'integer_t':
      case 'long_t':
        // JSON numbers beyond 2^53 lose digits in most readers, so an exact integer is a safe one.
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return wrong();
        break;
      case 'float_t':
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrong();
        break;
      case 'string_t':
        if (typeof value !== 'string') return wrong();
        if (SURROGATE.test(value)) {
          report.problems.push({ path, kind: 'type', message: `"${name}" holds a lone surrogate: a ${attribute.type} is UTF-8 text, which cannot encode one` });
          return;
        }
        break;
      default:
        return wrong();
    }
    for (const t of chain) {
      const type = this.types[t]!;
      if (typeof value === 'string' && typeof type.max_len === 'number') {
        // Characters as the OCSF server counts them (code points, not UTF-16 units).
        const length = [...value].length;
        if (length > type.max_len) report.problems.push({ path, kind: 'format', message: `"${name}" has ${length} characters; a ${t} has at most ${type.max_len}` });
      }
      const regex = this.regexes.get(t);
      if (typeof value === 'string' && regex && !regex.test(value)) report.problems.push({ path, kind: 'format', message: `"${name}" ${describeValue(value)} is not a ${t} (${String(type.caption ?? t)})` });
      if (typeof value === 'number' && Array.isArray(type.range) && (value < (type.range[0] as number) || value > (type.range[1] as number))) {
        report.problems.push({ path, kind: 'format', message: `"${name}" ${value} is outside the ${t} range ${type.range.join('..')}` });
      }
      if (Array.isArray(type.values) && !type.values.includes(value)) report.problems.push({ path, kind: 'format', message: `"${name}" ${describeValue(value)} is not one of the ${t} values` });
    }
  }
}
