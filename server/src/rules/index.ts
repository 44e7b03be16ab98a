/**
 * The registry: every rule, sorted by id. Explicit imports (no directory scan) so the bundler can follow them.
 * To add a rule: create `<id>.ts` exporting `rule`, add it here, add `test/rules/<id>.test.ts`, run `npm run docs:rules`.
 */
import type { Rule } from '../analysis/rule';
import { rule as allocResultUnchecked } from './alloc-result-unchecked';
import { rule as allocatedStringNotFreed } from './allocated-string-not-freed';
import { rule as callAtWrongIrql } from './call-at-wrong-irql';
import { rule as controlRegisterAccess } from './control-register-access';
import { rule as debugIoctlInRelease } from './debug-ioctl-in-release';
import { rule as deprecatedPoolAlloc } from './deprecated-pool-alloc';
import { rule as deviceInitializingNotCleared } from './device-initializing-not-cleared';
import { rule as deviceNoSddl } from './device-no-sddl';
import { rule as deviceNotSecureOpen } from './device-not-secure-open';
import { rule as dispatchMissingSal } from './dispatch-missing-sal';
import { rule as doubleFetch } from './double-fetch';
import { rule as doubleFree } from './double-free';
import { rule as embeddedUserPointer } from './embedded-user-pointer';
import { rule as executableMemoryMapping } from './executable-memory-mapping';
import { rule as executablePoolType } from './executable-pool-type';
import { rule as floatWithoutStateSave } from './float-without-state-save';
import { rule as formatStringUserControlled } from './format-string-user-controlled';
import { rule as freedPointerNotCleared } from './freed-pointer-not-cleared';
import { rule as globalSharedStateUnlocked } from './global-shared-state-unlocked';
import { rule as informationExceedsWritten } from './information-exceeds-written';
import { rule as inputLengthNotValidated } from './input-length-not-validated';
import { rule as ioctlFileAnyAccess } from './ioctl-file-any-access';
import { rule as ioctlHandlerNoDefaultFail } from './ioctl-handler-no-default-fail';
import { rule as ioctlMethodNeither } from './ioctl-method-neither';
import { rule as ioctlPrivilegedOpNoCallerCheck } from './ioctl-privileged-op-no-caller-check';
import { rule as irpCompletedTwice } from './irp-completed-twice';
import { rule as irpSystemFieldWrite } from './irp-system-field-write';
import { rule as irqlContractBroken } from './irql-contract-broken';
import { rule as kernelFileAccessNoForceCheck } from './kernel-file-access-no-force-check';
import { rule as kernelHandleNotKernelOnly } from './kernel-handle-not-kernel-only';
import { rule as kmdfMissingDeviceSddl } from './kmdf-missing-device-sddl';
import { rule as markedPendingNotReturned } from './marked-pending-not-returned';
import { rule as mdlMappingNoExecute } from './mdl-mapping-no-execute';
import { rule as memoryLeakOnErrorPath } from './memory-leak-on-error-path';
import { rule as msrAccessExposed } from './msr-access-exposed';
import { rule as mustInspectResultIgnored } from './must-inspect-result-ignored';
import { rule as nullPointerDereference } from './null-pointer-dereference';
import { rule as outputLengthNotValidated } from './output-length-not-validated';
import { rule as pagedCodeAtDispatch } from './paged-code-at-dispatch';
import { rule as pendingWithoutMark } from './pending-without-mark';
import { rule as physicalMemoryExposed } from './physical-memory-exposed';
import { rule as pointerSetToNulChar } from './pointer-set-to-nul-char';
import { rule as poolTagDefault } from './pool-tag-default';
import { rule as portIoExposed } from './port-io-exposed';
import { rule as previousModeIgnored } from './previous-mode-ignored';
import { rule as probeLengthMismatch } from './probe-length-mismatch';
import { rule as probeOutsideTry } from './probe-outside-try';
import { rule as refcountRereadAfterDecrement } from './refcount-reread-after-decrement';
import { rule as registryPathKept } from './registry-path-kept';
import { rule as secretNotSecurelyCleared } from './secret-not-securely-cleared';
import { rule as setEventWaitInPageable } from './set-event-wait-in-pageable';
import { rule as sizeArithmeticOverflow } from './size-arithmetic-overflow';
import { rule as sizeofPointerLength } from './sizeof-pointer-length';
import { rule as spinlockNotReleased } from './spinlock-not-released';
import { rule as stackLocationCopiedWhole } from './stack-location-copied-whole';
import { rule as strsafeInKernel } from './strsafe-in-kernel';
import { rule as systemObjectFieldWrite } from './system-object-field-write';
import { rule as unicodeStringLengthTrust } from './unicode-string-length-trust';
import { rule as uninitializedLocalUse } from './uninitialized-local-use';
import { rule as uninitializedOutputBuffer } from './uninitialized-output-buffer';
import { rule as uninitializedPoolUse } from './uninitialized-pool-use';
import { rule as unloadMissing } from './unload-missing';
import { rule as unsafeStringFunction } from './unsafe-string-function';
import { rule as unterminatedStringFromUser } from './unterminated-string-from-user';
import { rule as useAfterFree } from './use-after-free';
import { rule as userFunctionPointerCall } from './user-function-pointer-call';
import { rule as userHandleKernelMode } from './user-handle-kernel-mode';
import { rule as userIndexUnchecked } from './user-index-unchecked';
import { rule as userLengthCopyUnchecked } from './user-length-copy-unchecked';
import { rule as userPointerUnprobed } from './user-pointer-unprobed';
import { rule as userProcessControl } from './user-process-control';
import { rule as userTypeConfusion } from './user-type-confusion';
import { rule as userWaitOnStackObject } from './user-wait-on-stack-object';
import { rule as wdmDispatchTable } from './wdm-dispatch-table';
import { rule as zwWithUserHandle } from './zw-with-user-handle';

export const RULES: readonly Rule[] = [
  allocResultUnchecked,
  allocatedStringNotFreed,
  callAtWrongIrql,
  controlRegisterAccess,
  debugIoctlInRelease,
  deprecatedPoolAlloc,
  deviceInitializingNotCleared,
  deviceNoSddl,
  deviceNotSecureOpen,
  dispatchMissingSal,
  doubleFetch,
  doubleFree,
  embeddedUserPointer,
  executableMemoryMapping,
  executablePoolType,
  floatWithoutStateSave,
  formatStringUserControlled,
  freedPointerNotCleared,
  globalSharedStateUnlocked,
  informationExceedsWritten,
  inputLengthNotValidated,
  ioctlFileAnyAccess,
  ioctlHandlerNoDefaultFail,
  ioctlMethodNeither,
  ioctlPrivilegedOpNoCallerCheck,
  irpCompletedTwice,
  irpSystemFieldWrite,
  irqlContractBroken,
  kernelFileAccessNoForceCheck,
  kernelHandleNotKernelOnly,
  kmdfMissingDeviceSddl,
  markedPendingNotReturned,
  mdlMappingNoExecute,
  memoryLeakOnErrorPath,
  msrAccessExposed,
  mustInspectResultIgnored,
  nullPointerDereference,
  outputLengthNotValidated,
  pagedCodeAtDispatch,
  pendingWithoutMark,
  physicalMemoryExposed,
  pointerSetToNulChar,
  poolTagDefault,
  portIoExposed,
  previousModeIgnored,
  probeLengthMismatch,
  probeOutsideTry,
  refcountRereadAfterDecrement,
  registryPathKept,
  secretNotSecurelyCleared,
  setEventWaitInPageable,
  sizeArithmeticOverflow,
  sizeofPointerLength,
  spinlockNotReleased,
  stackLocationCopiedWhole,
  strsafeInKernel,
  systemObjectFieldWrite,
  unicodeStringLengthTrust,
  uninitializedLocalUse,
  uninitializedOutputBuffer,
  uninitializedPoolUse,
  unloadMissing,
  unsafeStringFunction,
  unterminatedStringFromUser,
  useAfterFree,
  userFunctionPointerCall,
  userHandleKernelMode,
  userIndexUnchecked,
  userLengthCopyUnchecked,
  userPointerUnprobed,
  userProcessControl,
  userTypeConfusion,
  userWaitOnStackObject,
  wdmDispatchTable,
  zwWithUserHandle,
];

const BY_ID = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id);
}
