/**
 * What the file says about the driver: its entry point, the dispatch routines and KMDF callbacks that user mode
 * reaches, the functions they call, and the IOCTL switches with each case's code resolved to its CTL_CODE parts.
 */
import { ARM_TYPES, isDeadAt } from './conditional';
import { firstAbove, occurrences } from './lookup';
import type { IoctlCode } from './macros';
import { calleeName, callArguments, descendantsOfType, fieldName, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';
import { KMDF_IO_CALLBACK_FIELDS, ROLE_TYPES, type FunctionRole } from './workspace-index';

export interface RoleAssignment {
  functionName: string;
  role: FunctionRole;
  /** IRP_MJ_* for WDM dispatch routines, the callback field (EvtIoDeviceControl, …) for KMDF. */
  detail?: string;
  /** Where the file assigns or declares the role (absent when it comes from another file). */
  node?: Node;
}

export interface IoctlCase {
  /** The case value expression. */
  label: Node;
  caseNode: Node;
  code?: IoctlCode;
}

export interface IoctlSwitch {
  node: Node;
  fn: FunctionInfo;
  cases: IoctlCase[];
  defaultCase?: Node;
}

export interface IoctlDefinition {
  name: string;
  node: Node;
  code: IoctlCode;
}

const USER_ENTRY_ROLES = new Set<FunctionRole>(['wdm-dispatch', 'kmdf-io', 'kmdf-in-caller-context']);

const ROLE_TYPE_NAMES = Object.keys(ROLE_TYPES);
/** The fields whose assignment registers a routine: the dispatch table, KMDF queue callbacks, unload routines. */
const REGISTERING_FIELDS = ['MajorFunction', ...KMDF_IO_CALLBACK_FIELDS, 'DriverUnload', 'EvtDriverUnload'];

/**
 * Assignments whose (unwrapped) left side is `….MajorFunction[…]` or `….Field` for one of the registering fields,
 * in document order: from each field's node up through the field expression, casts and parentheses (and for
 * MajorFunction the subscript) to the assignment whose left side that is.
 */
function registeringAssignments(file: SourceFile): Node[] {
  const found = new Map<number, Node>();
  const wrapped = (node: Node): Node => {
    let current = node;
    while (current.parent && (current.parent.type === 'parenthesized_expression' || current.parent.type === 'cast_expression')) current = current.parent;
    return current;
  };
  for (const word of file.wordNodes(REGISTERING_FIELDS)) {
    const field = word.parent;
    if (field?.type !== 'field_expression' || field.childForFieldName('field')?.id !== word.id) continue;
    let left = wrapped(field);
    if (word.text === 'MajorFunction') {
      const subscript = left.parent;
      if (subscript?.type !== 'subscript_expression' || subscript.childForFieldName('argument')?.id !== left.id) continue;
      left = wrapped(subscript);
    }
    const assignment = left.parent;
    if (assignment?.type === 'assignment_expression' && assignment.childForFieldName('left')?.id === left.id) found.set(assignment.id, assignment);
  }
  return [...found.values()].sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
}

export class DriverModel {
  readonly roles: RoleAssignment[] = [];
  private readonly rolesByName = new Map<string, RoleAssignment[]>();
  private reachable?: Set<string>;
  private switches?: IoctlSwitch[];
  private definitions?: IoctlDefinition[];
  /** Where the parsed text says `IoControlCode`. */
  private controlCodeOffsets?: number[];

  constructor(private readonly file: SourceFile) {
    this.collectRoles();
  }

  private addRole(assignment: RoleAssignment): void {
    this.roles.push(assignment);
    const list = this.rolesByName.get(assignment.functionName) ?? [];
    list.push(assignment);
    this.rolesByName.set(assignment.functionName, list);
  }

  private collectRoles(): void {
    const file = this.file;
    for (const fn of file.functions()) {
      if (fn.name === 'DriverEntry') this.addRole({ functionName: fn.name, role: 'driver-entry', node: fn.node });
    }
    // Declarations, assignments and calls are found from where the words they need occur (one scan each): reading a
    // field of every node of those types costs ms on a big file.
    for (const type of file.wordNodes(ROLE_TYPE_NAMES)) {
      const declaration = type.parent;
      // A declaration written in upper case from its start (`DRIVER_DISPATCH Foo;`, not `static DRIVER_DISPATCH Foo;`).
      if (declaration?.type !== 'declaration' || declaration.childForFieldName('type')?.id !== type.id || !/^[A-Z_]/.test(file.tree.text[declaration.startIndex] ?? '')) continue;
      const role = ROLE_TYPES[type.text];
      for (const declarator of declaration.childrenForFieldName('declarator')) {
        if (declarator?.type === 'identifier') this.addRole({ functionName: declarator.text, role: role.role, detail: role.detail, node: declaration });
      }
    }
    for (const assignment of registeringAssignments(file)) {
      if (isDeadAt(file, assignment.startIndex)) continue; // `#if 0` code registers nothing
      const left = unwrap(assignment.childForFieldName('left'));
      const right = unwrap(assignment.childForFieldName('right'));
      if (!left || right?.type !== 'identifier') continue;
      if (left.type === 'subscript_expression' && fieldName(left.childForFieldName('argument')) === 'MajorFunction') {
        const index = left.childForFieldName('index') ?? left.childForFieldName('indices');
        const major = index?.text.replace(/^\[|\]$/g, '').trim() ?? '*';
        this.addRole({ functionName: right.text, role: 'wdm-dispatch', detail: major.startsWith('IRP_MJ_') ? major : '*', node: assignment });
      } else if (left.type === 'field_expression') {
        const field = fieldName(left);
        if (field && KMDF_IO_CALLBACK_FIELDS.has(field)) this.addRole({ functionName: right.text, role: 'kmdf-io', detail: field, node: assignment });
        else if (field === 'DriverUnload' || field === 'EvtDriverUnload') this.addRole({ functionName: right.text, role: 'unload', node: assignment });
      }
    }
    for (const call of file.callsNamed(['WdfDeviceInitSetIoInCallerContextCallback'])) {
      if (isDeadAt(file, call.startIndex)) continue;
      const callback = unwrap(callArguments(call)[1]);
      if (callback?.type === 'identifier') this.addRole({ functionName: callback.text, role: 'kmdf-in-caller-context', detail: 'EvtIoInCallerContext', node: call });
    }
    for (const fn of file.functions()) {
      if (this.rolesByName.has(fn.name)) continue;
      for (const role of file.workspace?.rolesOf(fn.name) ?? []) this.addRole({ functionName: fn.name, role: role.role, detail: role.detail });
    }
    this.dropDeclaredOnlyDispatchRoles();
  }

  /**
   * `DRIVER_DISPATCH Helper;` only gives a helper the dispatch signature. When the driver's dispatch table is known
   * (`MajorFunction[IRP_MJ_…] = Routine;` in this file or the workspace) and the function is not in it, the
   * declaration does not make it a dispatch routine: it is called by one, after that routine's checks.
   */
  private dropDeclaredOnlyDispatchRoles(): void {
    const inFileTable = (assignment: RoleAssignment) => assignment.role === 'wdm-dispatch' && assignment.node?.type === 'assignment_expression';
    const workspace = this.file.workspace;
    if (!this.roles.some(inFileTable) && !workspace?.hasDispatchTable) return;
    for (const [name, assignments] of this.rolesByName) {
      const dispatch = assignments.filter((assignment) => assignment.role === 'wdm-dispatch');
      if (dispatch.length === 0 || dispatch.some(inFileTable)) continue;
      if (dispatch.some((assignment) => assignment.detail !== undefined)) continue; // from a workspace table
      if (workspace?.rolesOf(name).some((role) => role.role === 'wdm-dispatch' && role.detail !== undefined)) continue;
      const kept = assignments.filter((assignment) => assignment.role !== 'wdm-dispatch');
      this.rolesByName.set(name, kept);
      for (const assignment of dispatch) this.roles.splice(this.roles.indexOf(assignment), 1);
    }
  }

  rolesOf(name: string): RoleAssignment[] {
    return this.rolesByName.get(name) ?? [];
  }

  hasRole(name: string, role: FunctionRole): boolean {
    return this.rolesOf(name).some((assignment) => assignment.role === role);
  }

  /** A dispatch routine or KMDF I/O callback: called directly on behalf of a user-mode request. */
  isUserEntry(name: string): boolean {
    return this.rolesOf(name).some((assignment) => USER_ENTRY_ROLES.has(assignment.role));
  }

  /** KMDF callback kind of a function (EvtIoDeviceControl, EvtIoRead, …), if it is one. */
  kmdfCallbackOf(name: string): string | undefined {
    return this.rolesOf(name).find((assignment) => assignment.role === 'kmdf-io' || assignment.role === 'kmdf-in-caller-context')?.detail;
  }

  /** User entries and every function of this file they call, directly or not. */
  isUserReachable(name: string): boolean {
    if (!this.reachable) {
      this.reachable = new Set();
      const queue = this.file.functions().filter((fn) => this.isUserEntry(fn.name));
      for (const fn of queue) this.reachable.add(fn.name);
      while (queue.length > 0) {
        const fn = queue.pop()!;
        if (!fn.body) continue;
        for (const call of this.file.within(fn.body, 'call_expression')) {
          const callee = calleeName(call);
          const target = callee ? this.file.functionByName(callee) : undefined;
          if (target && !this.reachable.has(target.name)) {
            this.reachable.add(target.name);
            queue.push(target);
          }
        }
      }
    }
    return this.reachable.has(name);
  }

  /** True when the file builds a WDM dispatch table (`DriverObject->MajorFunction[...] = ...`). */
  get hasWdmDispatchTable(): boolean {
    return this.roles.some((assignment) => assignment.role === 'wdm-dispatch' && assignment.node?.type === 'assignment_expression');
  }

  /** `switch` statements on an IOCTL code, with each case resolved where the macros allow. */
  ioctlSwitches(): IoctlSwitch[] {
    if (!this.switches) {
      this.switches = [];
      for (const node of this.file.nodes('switch_statement')) {
        const fn = this.file.enclosingFunction(node);
        const condition = node.childForFieldName('condition');
        if (!fn || !condition || !this.isIoctlCodeExpression(condition, fn)) continue;
        const cases: IoctlCase[] = [];
        let defaultCase: Node | undefined;
        const body = node.childForFieldName('body');
        for (const child of body ? switchCases(body) : []) {
          if (isDeadAt(this.file, child.startIndex)) continue;
          const label = child.childForFieldName('value');
          if (!label) {
            defaultCase = child;
            continue;
          }
          cases.push({ label, caseNode: child, code: this.file.macros.resolveIoctl(label.text) });
        }
        this.switches.push({ node, fn, cases, defaultCase });
      }
    }
    return this.switches;
  }

  /** `#define IOCTL_X CTL_CODE(...)` (directly or through wrapper macros) in this file. */
  ioctlDefinitions(): IoctlDefinition[] {
    if (!this.definitions) {
      this.definitions = [];
      for (const node of this.file.nodes('preproc_def')) {
        const name = node.childForFieldName('name')?.text;
        const value = node.childForFieldName('value')?.text;
        if (!name || !value) continue;
        const expanded = value.includes('CTL_CODE') ? value : this.file.macros.expand(value);
        if (!expanded.includes('CTL_CODE') && !/^IOCTL_|_IOCTL_/.test(name)) continue;
        const code = this.file.macros.resolveIoctl(name);
        if (code) this.definitions.push({ name, node, code });
      }
    }
    return this.definitions;
  }

  /** Whether an expression holds the request's control code (directly, via a local, or the KMDF parameter). */
  private isIoctlCodeExpression(condition: Node, fn: FunctionInfo): boolean {
    const text = condition.text;
    if (/IoControlCode|ControlCode|Ioctl/i.test(text)) return true;
    const name = unwrap(condition.namedChild(0))?.text;
    if (!name || !fn.body) return false;
    // A local holding the code is assigned from something that says IoControlCode, so the body says it somewhere.
    this.controlCodeOffsets ??= occurrences(this.file.tree.text, 'IoControlCode');
    const first = firstAbove(this.controlCodeOffsets, fn.body.startIndex - 1);
    if (first >= this.controlCodeOffsets.length || this.controlCodeOffsets[first] >= fn.body.endIndex) return false;
    return this.file.withinAll(fn.body, ['init_declarator', 'assignment_expression']).some((node) => {
      const target = node.type === 'init_declarator' ? node.childForFieldName('declarator') : node.childForFieldName('left');
      const value = node.type === 'init_declarator' ? node.childForFieldName('value') : node.childForFieldName('right');
      return target?.text === name && /IoControlCode/.test(value?.text ?? '');
    });
  }
}

/**
 * The `case` labels of a switch body, also those inside `#if` arms (`#ifdef DBG  case IOCTL_X: …  #endif`) and
 * those an arm nests under an earlier case's statements.
 */
export function switchCases(body: Node): Node[] {
  const cases: Node[] = [];
  const visit = (node: Node, depth: number) => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'case_statement') {
        cases.push(child);
        if (depth < 8) visit(child, depth + 1);
      } else if (ARM_TYPES.has(child.type) && depth < 8) {
        visit(child, depth + 1);
      }
    }
  };
  visit(body, 0);
  return cases;
}
