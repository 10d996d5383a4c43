import { _ } from 'ajv';
import type { Ajv, CodeKeywordDefinition, KeywordCxt } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { eachSubschema } from './subschemas.js';

/*
 * Why validation runs on a budget: every keyword runs in time linear in the arguments (patterns, formats and
 * uniqueItems included), but a recursive schema that reaches the same nested value by two paths (two `anyOf`
 * branches that both descend into `children`) checks it again on each path, so the work doubles with each level of
 * nesting: 24 levels took seconds, and arguments may nest 64 deep. Rather than refuse such schemas (many are
 * harmless for the data they meet), each validation gets fuel in proportion to the size of the data, every subschema
 * application and every character a pattern reads burns some, and a validation that runs dry stops with
 * ArgumentsTooComplexError. A schema that applies a fixed number of subschemas to each value never gets close.
 */

/** Fuel every validation starts with, whatever the size of the data: about a millisecond of work. */
export const BASE_FUEL = 100_000;
/** Fuel per unit of data size (a JSON value, or a character of a string or key), granted when the base runs out. */
export const FUEL_PER_UNIT = 32;
/** What a pattern test burns per character read (a subschema application burns 1). */
export const PATTERN_FUEL_PER_CHAR = 4;
/** The keyword that meters a subschema; the runtime adds it to every schema object of a tool's schemas. */
export const FUEL_KEYWORD = 'x-tengine-fuel';

/** A validation that would take more work than its data's size allows (the tool error ARGUMENTS_TOO_COMPLEX). */
export class ArgumentsTooComplexError extends Error {
  override readonly name = 'ArgumentsTooComplexError';
  constructor(readonly spent: number) {
    super(`validating the data took more than ${spent} units of work, more than its size allows`);
  }
}

/** The tank: one per process, refilled by `withFuel` (validation is synchronous, so one validation runs at a time). */
const tank = {
  left: Number.POSITIVE_INFINITY,
  spent: 0,
  data: undefined as unknown,
  toppedUp: true,
  /** Called when `left` drops below zero: grants the data-size share once, then gives up. */
  refuel(): void {
    if (!tank.toppedUp) {
      tank.toppedUp = true;
      const more = FUEL_PER_UNIT * dataSize(tank.data);
      tank.spent += more;
      tank.left += more;
      if (tank.left >= 0) return;
    }
    throw new ArgumentsTooComplexError(BASE_FUEL + tank.spent);
  },
};

/** Burns `units` of fuel (outside `withFuel` the tank is infinite). */
export function burn(units: number): void {
  if ((tank.left -= units) < 0) tank.refuel();
}

/**
 * Runs `validate` with fuel for `data`: BASE_FUEL, plus FUEL_PER_UNIT per unit of `dataSize(data)` once the base is
 * spent (so small calls never measure their data). Throws ArgumentsTooComplexError when that runs out. Nests: an
 * inner call restores the outer tank when it ends.
 */
export function withFuel<T>(data: unknown, validate: () => T): T {
  // Saved in locals, not an object: this runs twice per tool call (arguments and result).
  const left = tank.left;
  const spent = tank.spent;
  const saved = tank.data;
  const toppedUp = tank.toppedUp;
  tank.left = BASE_FUEL;
  tank.spent = 0;
  tank.data = data;
  tank.toppedUp = false;
  try {
    return validate();
  } finally {
    tank.left = left;
    tank.spent = spent;
    tank.data = saved;
    tank.toppedUp = toppedUp;
  }
}

/**
 * The size of a JSON value for the budget: one per value (scalar, array or object), plus the length of every
 * string and object key. About the length of its JSON text, without writing it. Iterative.
 */
export function dataSize(value: unknown): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    size++;
    if (typeof v === 'string') size += v.length;
    else if (Array.isArray(v)) for (const item of v) stack.push(item);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        size += k.length;
        stack.push(item);
      }
    }
  }
  return size;
}

/** Burns one unit each time the subschema it sits in is applied (inline code: no call on the common path). */
const fuelKeyword: CodeKeywordDefinition = {
  keyword: FUEL_KEYWORD,
  schemaType: 'boolean',
  code(cxt: KeywordCxt) {
    const { gen } = cxt;
    const t = gen.scopeValue('obj', { ref: tank });
    gen.if(_`--${t}.left < 0`, () => gen.code(_`${t}.refuel()`));
  },
};

/** Registers the metering keyword on an Ajv for user schemas. */
export function addFuelKeyword(ajv: Ajv | Ajv2020): void {
  ajv.addKeyword(fuelKeyword);
}

/**
 * A copy of `schema` with the metering keyword on every schema object (boolean subschemas cost nothing to apply).
 * A schema that already uses the keyword's name keeps its own value replaced: the name is reserved.
 */
export function meterSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(schema);
  for (const { node } of eachSubschema(copy)) node[FUEL_KEYWORD] = true;
  return copy;
}
