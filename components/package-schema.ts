// The Pulumi package schema of the keepalive component package, derived from
// the zod ClusterSpec (its JSON Schema) so the declaration is defined once:
// a YAML, Python or Go program sees the same fields, types and enums as stack
// config. Pure: no I/O. zod stays the validator (ranges, patterns, cross-field
// rules): the schema types the input, construct() validates it.
import { z } from 'zod';
import { ClusterSpec } from './spec';

export const PACKAGE = 'keepalive';
export const MODULE = 'lvs';
export const CLUSTER_TYPE = `${PACKAGE}:${MODULE}:Cluster`;
const token = (name: string) => `${PACKAGE}:${MODULE}:${name}`;

/** The subset of JSON Schema that zod's toJSONSchema writes for ClusterSpec. */
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
}

export interface PulumiProperty {
  type?: string;
  $ref?: string;
  items?: PulumiProperty;
  additionalProperties?: PulumiProperty;
  description?: string;
}

export interface PulumiObjectType {
  type: 'object';
  description?: string;
  properties: Record<string, PulumiProperty>;
  required?: string[];
}

const pascal = (s: string) => s[0].toUpperCase() + s.slice(1);
/** `directors` -> `Director`, `realServers` -> `RealServer`, `ssh` -> `Ssh` */
const singular = (s: string) => (s.endsWith('s') && s.length > 3 ? s.slice(0, -1) : s);

/** What zod's JSON Schema says beyond the type (defaults, ranges, patterns, choices), in words. */
function constraints(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.enum) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.anyOf?.every((a) => a.const !== undefined))
    parts.push(`one of ${s.anyOf.map((a) => JSON.stringify(a.const)).join(', ')}`);
  if (s.minimum !== undefined) parts.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`<= ${s.maximum}`);
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems}`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems}`);
  if (s.pattern) parts.push(`matches ${s.pattern}`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join('; ');
}

/**
 * Converts the JSON Schema of the declaration into Pulumi object types (one per
 * nested object, named after its field: directors -> DirectorSpec) and returns
 * the property that refers to the root type.
 */
export function pulumiTypesOf(
  root: JsonSchema,
  rootName: string,
): { types: Record<string, PulumiObjectType>; ref: PulumiProperty } {
  const types: Record<string, PulumiObjectType> = {};
  const where: Record<string, string> = {};

  const objectType = (s: JsonSchema, name: string, at: string): PulumiProperty => {
    const tok = token(name);
    if (where[tok]) throw new Error(`schema: type ${tok} at both ${where[tok]} and ${at}`);
    where[tok] = at;
    const properties: Record<string, PulumiProperty> = {};
    for (const [k, v] of Object.entries(s.properties ?? {}))
      properties[k] = property(v, `${pascal(singular(k))}Spec`, `${at}.${k}`);
    types[tok] = {
      type: 'object',
      properties,
      ...(s.required?.length ? { required: [...s.required] } : {}),
    };
    return { $ref: `#/types/${tok}` };
  };

  const property = (s: JsonSchema, name: string, at: string): PulumiProperty => {
    const description = constraints(s) || undefined;
    const base = ((): PulumiProperty => {
      if (s.anyOf) {
        const kinds = new Set(s.anyOf.map((a) => a.type));
        if (kinds.size !== 1) throw new Error(`schema: ${at} mixes types ${[...kinds].join(', ')}`);
        const allInt = s.anyOf.every((a) => Number.isInteger(a.const));
        return { type: allInt ? 'integer' : typeOf(s.anyOf[0], at) };
      }
      switch (s.type) {
        case 'object':
          if (s.properties) return objectType(s, name, at);
          if (typeof s.additionalProperties === 'object')
            return {
              type: 'object',
              additionalProperties: property(s.additionalProperties, name, `${at}.*`),
            };
          throw new Error(`schema: ${at} is an object without properties`);
        case 'array':
          if (!s.items) throw new Error(`schema: ${at} is an array without items`);
          return { type: 'array', items: property(s.items, name, `${at}[]`) };
        default:
          return { type: typeOf(s, at) };
      }
    })();
    return description && !base.$ref ? { ...base, description } : base;
  };

  return { types, ref: objectType(root, rootName, 'cluster') };
}

function typeOf(s: JsonSchema, at: string): string {
  if (s.type && ['string', 'number', 'integer', 'boolean'].includes(s.type)) return s.type;
  throw new Error(`schema: ${at} has type ${String(s.type)}, which has no Pulumi equivalent`);
}

/** The component package's schema (JSON): keepalive:lvs:Cluster with the declaration as its input. */
export function packageSchema(version: string): Record<string, unknown> {
  const json = z.toJSONSchema(ClusterSpec, { io: 'input' }) as JsonSchema;
  const { types, ref } = pulumiTypesOf(json, 'ClusterSpec');
  const outputs: Record<string, PulumiProperty> = {
    vip: { type: 'string', description: 'the virtual IP with its prefix' },
    master: { type: 'string', description: 'the director that starts as MASTER' },
    backups: { type: 'array', items: { type: 'string' } },
    configHashes: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: "sha256 of each director's rendered config",
    },
    metricsEndpoints: { type: 'object', additionalProperties: { type: 'string' } },
    realServers: { type: 'array', items: { type: 'string' } },
    failover: {
      $ref: 'pulumi.json#/Any',
      description: "the failover verification's verdict and steps ({verdict, steps})",
    },
  };
  return {
    name: PACKAGE,
    version,
    description:
      'Highly available LVS director pairs (keepalive-ts or keepalived) and their real servers, from one declaration',
    meta: { moduleFormat: '(.*)' },
    language: { nodejs: { respectSchemaVersion: true } },
    types,
    resources: {
      [CLUSTER_TYPE]: {
        isComponent: true,
        description:
          'A director pair, its real servers and the post-deploy failover verification, from the declaration (stack config keepalive:cluster)',
        inputProperties: {
          cluster: { ...ref, description: 'the declaration (as stack config keepalive:cluster)' },
        },
        requiredInputs: ['cluster'],
        properties: outputs,
        required: Object.keys(outputs),
      },
    },
  };
}
