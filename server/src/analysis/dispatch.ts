/** Facts about WDM dispatch routines that several IRP rules ask: which parameter is the IRP, and whether a routine is in a dispatch table. */
import type { FunctionInfo, ParamInfo, SourceFile } from './source-file';

/** The function's PIRP parameter (`PIRP Irp`, `IRP *Irp`), if it has one. */
export function irpParam(fn: FunctionInfo): ParamInfo | undefined {
  return fn.params.find((param) => /^(PIRP|IRP\s*\*)$/.test(param.type.trim()) || (param.type.trim() === 'IRP' && param.isPointer));
}

/** The name of the function's PIRP parameter, if it has one. */
export function irpParameter(fn: FunctionInfo): string | undefined {
  return irpParam(fn)?.name;
}

/**
 * A routine stored in a MajorFunction table (here or in another file of the workspace). A `DRIVER_DISPATCH Foo;`
 * declaration alone is not enough: drivers reuse the typedef for internal helpers that return any status.
 */
export function isTableDispatch(file: SourceFile, name: string): boolean {
  const table = (roles: { role: string; detail?: string }[]) => roles.some((role) => role.role === 'wdm-dispatch' && role.detail !== undefined);
  return table(file.driver.rolesOf(name)) || table(file.workspace?.rolesOf(name) ?? []);
}

/** System routine prefixes: a call of one with the IRP or the device object is not a driver helper that might act on it. */
export const SYSTEM_ROUTINE_PREFIX = /^(Io|Iof|Ke|Ex|Rtl|Mm|Ob|Ps|Zw|Nt|Se|Po|Wdf|Dbg|Kd|Hal|Wmi|Interlocked|InsertTailList|InsertHeadList|RemoveEntryList|RemoveHeadList|RemoveTailList|InitializeListHead|IsListEmpty|memcpy|memset|memmove|NT_SUCCESS|ASSERT|NT_ASSERT|UNREFERENCED_PARAMETER|PAGED_CODE|CONTAINING_RECORD|FIELD_OFFSET|sizeof|Trace|DoTrace|WPP|Log)/;
