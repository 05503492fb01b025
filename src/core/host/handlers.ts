/**
 * Core's complete handler map: every area's handlers merged, each built over its service on
 * the services record. To add an area, import its handler factory and type here and add one
 * entry to each of the two lists.
 */
import type { ContractHandlers, RequestName } from '#shared/contract.ts';
import { annotationHandlers, type AnnotationHandlers } from '../annotations/handlers.ts';
import { appHandlers, type AppHandlers } from './app-handlers.ts';
import { autointerpHandlers, type AutointerpHandlers } from '../autointerp/handlers.ts';
import { fileHandlers, type FileHandlers } from './files-handlers.ts';
import { jobsHandlers, type JobsHandlers } from './jobs-handlers.ts';
import type { CoreServices } from './services.ts';
import { explorerHandlers, type ExplorerHandlers } from '../explorer/handlers.ts';
import { healthHandlers, type HealthHandlers } from '../health/handlers.ts';
import { hubHandlers, type HubHandlers } from '../hub/handlers.ts';
import { indexHandlers, type IndexHandlers } from '../index/handlers.ts';
import { steerHandlers, type SteerHandlers } from '../steer/handlers.ts';
import { workspaceHandlers, type WorkspaceHandlers } from '../workspace/handlers.ts';

/** Every request's handler. Must cover the contract exactly (checked below). */
export type Handlers = AppHandlers &
  JobsHandlers &
  IndexHandlers &
  WorkspaceHandlers &
  ExplorerHandlers &
  AnnotationHandlers &
  SteerHandlers &
  HubHandlers &
  HealthHandlers &
  FileHandlers &
  AutointerpHandlers;

/** Builds the handler map for one core instance. */
export function createHandlers(core: CoreServices): Handlers {
  return {
    ...appHandlers(core),
    ...jobsHandlers(core),
    ...indexHandlers(core.index),
    ...workspaceHandlers(core.workspace),
    ...explorerHandlers(core.explorer),
    ...annotationHandlers(core.annotations),
    ...steerHandlers(core.steer),
    ...hubHandlers(core.hub),
    ...healthHandlers(core.health),
    ...fileHandlers(core),
    ...autointerpHandlers(core.autointerp),
  } satisfies ContractHandlers;
}

// Compile-time checks: Handlers implements every request, and nothing outside the contract.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const coversContract: Exact<keyof Handlers, RequestName> = true;
void coversContract;
