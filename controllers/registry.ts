import type { Controller } from '../src/engine/controller.js';
import type { Kind } from '../src/model/objects.js';
import { rigController } from './rig/controller.js';
import { townController } from './town/controller.js';
import type { RigAction } from './rig/actions.js';
import type { TownAction } from './town/controller.js';

/** The closed union of every action any controller can plan. */
export type Action = TownAction | RigAction;

export type AnyController = Controller<{ type: string }, unknown, unknown>;

/** Controllers by the kind whose objects they reconcile. Kinds without one are stored and validated only. */
export const CONTROLLERS: Partial<Record<Kind, AnyController>> = {
  Town: townController as unknown as AnyController,
  Rig: rigController as unknown as AnyController,
};

/** Kinds whose removal needs cleanup first: deleting marks them, their controller removes the record when done. */
export const FINALIZED_KINDS: ReadonlySet<Kind> = new Set<Kind>(['Rig']);
