/**
 * The registry: every rule, sorted by id. Explicit imports (no directory scan) so the bundler can follow them.
 * To add a rule: create `<id>.ts` exporting `rule`, add it here, add `test/rules/<id>.test.ts`, run `npm run docs:rules`.
 */
import type { Rule } from '../analysis/rule';
import { rule as allocResultUnchecked } from './alloc-result-unchecked';
import { rule as deprecatedPoolAlloc } from './deprecated-pool-alloc';
import { rule as deviceNotSecureOpen } from './device-not-secure-open';
import { rule as doubleFetch } from './double-fetch';
import { rule as embeddedUserPointer } from './embedded-user-pointer';
import { rule as executablePoolType } from './executable-pool-type';
import { rule as globalSharedStateUnlocked } from './global-shared-state-unlocked';
import { rule as informationExceedsWritten } from './information-exceeds-written';
import { rule as inputLengthNotValidated } from './input-length-not-validated';
import { rule as ioctlFileAnyAccess } from './ioctl-file-any-access';
import { rule as ioctlMethodNeither } from './ioctl-method-neither';
import { rule as irpCompletedTwice } from './irp-completed-twice';
import { rule as kernelFileAccessNoForceCheck } from './kernel-file-access-no-force-check';
import { rule as msrAccessExposed } from './msr-access-exposed';
import { rule as pagedCodeAtDispatch } from './paged-code-at-dispatch';
import { rule as pendingWithoutMark } from './pending-without-mark';
import { rule as physicalMemoryExposed } from './physical-memory-exposed';
import { rule as portIoExposed } from './port-io-exposed';
import { rule as sizeArithmeticOverflow } from './size-arithmetic-overflow';
import { rule as spinlockNotReleased } from './spinlock-not-released';
import { rule as uninitializedOutputBuffer } from './uninitialized-output-buffer';
import { rule as unsafeStringFunction } from './unsafe-string-function';
import { rule as useAfterFree } from './use-after-free';
import { rule as userFunctionPointerCall } from './user-function-pointer-call';
import { rule as userLengthCopyUnchecked } from './user-length-copy-unchecked';

export const RULES: readonly Rule[] = [
  allocResultUnchecked,
  deprecatedPoolAlloc,
  deviceNotSecureOpen,
  doubleFetch,
  embeddedUserPointer,
  executablePoolType,
  globalSharedStateUnlocked,
  informationExceedsWritten,
  inputLengthNotValidated,
  ioctlFileAnyAccess,
  ioctlMethodNeither,
  irpCompletedTwice,
  kernelFileAccessNoForceCheck,
  msrAccessExposed,
  pagedCodeAtDispatch,
  pendingWithoutMark,
  physicalMemoryExposed,
  portIoExposed,
  sizeArithmeticOverflow,
  spinlockNotReleased,
  uninitializedOutputBuffer,
  unsafeStringFunction,
  useAfterFree,
  userFunctionPointerCall,
  userLengthCopyUnchecked,
];

const BY_ID = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}
