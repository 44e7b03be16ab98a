/**
 * Flags a switch on the IOCTL control code whose unknown codes succeed: there is no `default:` that sets a failure
 * status (or the default only breaks) and the status the cases assign still holds STATUS_SUCCESS before the switch.
 * The request is then completed with success for any code user mode makes up.
 */
import type { IoctlSwitch } from '../analysis/driver-model';
import { accessPath, ancestorOfType, contains, enclosingStatement, exitsBlock, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import { type FixDescriptor, fixer, gather, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

const SUCCESS_VALUE = /^\(?\s*(STATUS_SUCCESS|0|\(NTSTATUS\)\s*0|\(NTSTATUS\)\s*STATUS_SUCCESS)\s*\)?$/;
const STATUS_NAME = /status/i;
const FAILURE = 'STATUS_INVALID_DEVICE_REQUEST';

/** The case labels (and `default:`) that belong to this switch, including those inside `#if` branches. */
/** Calls that pass the request down the stack (filters forward the control codes they do not handle). */
const FORWARDS_REQUEST = /\b(?:IoCallDriver|IofCallDriver|WdfRequestSend|WdfRequestForwardToIoQueue|WdfRequestFormatRequestUsingCurrentType|IoSkipCurrentIrpStackLocation|IoCopyCurrentIrpStackLocationToNext|\w*(?:PassThrough|PassDown|ForwardRequest|SendToNextDriver)\w*)\s*\(/;

function casesOf(file: SourceFile, ioctlSwitch: IoctlSwitch): Node[] {
  const body = ioctlSwitch.node.childForFieldName('body');
  if (!body) return [];
  return file.within(body, 'case_statement').filter((node) => ancestorOfType(node, 'switch_statement')?.id === ioctlSwitch.node.id);
}

/** The status variable the cases assign (`status = …`, `Irp->IoStatus.Status = …`): the most frequent one. */
function statusVariable(file: SourceFile, cases: Node[]): string | undefined {
  const counts = new Map<string, number>();
  for (const caseNode of cases) {
    for (const assignment of file.within(caseNode, 'assignment_expression')) {
      if (assignment.childForFieldName('operator')?.text !== '=') continue;
      const path = accessPath(assignment.childForFieldName('left'));
      if (path && STATUS_NAME.test(path) && !/Information/.test(path)) counts.set(path, (counts.get(path) ?? 0) + 1);
    }
  }
  let best: string | undefined;
  for (const [path, count] of counts) if (!best || count > counts.get(best)!) best = path;
  return best;
}

interface Store {
  node: Node;
  value: Node;
}

/** Assignments and initializations of `path` inside a function body, in document order. */
function storesTo(file: SourceFile, body: Node, path: string): Store[] {
  const stores: Store[] = [];
  for (const node of file.withinAll(body, ['init_declarator', 'assignment_expression'])) {
    if (node.type === 'init_declarator') {
      const value = node.childForFieldName('value');
      if (node.childForFieldName('declarator')?.text === path && value) stores.push({ node, value });
    } else {
      const value = node.childForFieldName('right');
      if (accessPath(node.childForFieldName('left')) === path && value) stores.push({ node, value });
    }
  }
  return stores;
}

/**
 * The store whose value reaches the switch: the last one at a level enclosing the switch, provided every later
 * store sits in a branch that leaves (`status = STATUS_INVALID_PARAMETER; goto End;`). Undefined when unsure.
 */
function valueAtSwitch(before: Store[], switchNode: Node): Store | undefined {
  for (let index = before.length - 1; index >= 0; index--) {
    const store = before[index];
    const holder = enclosingStatement(store.node).parent;
    if (holder && contains(holder, switchNode)) return store;
    if (holder?.type !== 'compound_statement' || !exitsBlock(holder)) return undefined;
  }
  return undefined;
}

/** A `default:` that does nothing but leave the switch (only `break;` and comments). */
function isEmptyDefault(defaultCase: Node): boolean {
  const statements = defaultCase.namedChildren.filter((child) => child && child.type !== 'comment');
  return statements.every((child) => child!.type === 'break_statement');
}

function caseStatements(caseNode: Node): Node[] {
  const value = caseNode.childForFieldName('value');
  return caseNode.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment' && child.id !== value?.id);
}

/** An `if` before the switch that tests the control code (an allow-list or range check of known codes). */
function validatedBefore(file: SourceFile, body: Node, switchNode: Node, condition: Node): boolean {
  const words = condition.text.match(/[A-Za-z_]\w*/g) ?? [];
  const code = words[words.length - 1];
  if (!code) return false;
  const pattern = new RegExp(`\\b${code}\\b`);
  const checks = file.within(body, 'if_statement').filter((statement) => statement.endIndex <= switchNode.startIndex
    && pattern.test(statement.childForFieldName('condition')?.text ?? ''));
  return anyCheckReaches(file, checks, switchNode.startIndex);
}

function addDefaultFix(file: SourceFile, ioctlSwitch: IoctlSwitch, cases: Node[], status: string): FixDescriptor | undefined {
  const body = ioctlSwitch.node.childForFieldName('body');
  const close = body?.lastChild;
  if (!body || !close || close.type !== '}') return undefined;
  const directCases = body.namedChildren.filter((child): child is Node => child?.type === 'case_statement');
  const last = directCases[directCases.length - 1];
  // Appending after a last case that falls through would change what that case does.
  if (!last || last.endIndex > close.startIndex || !exitsBlock(caseStatements(last).at(-1) ?? null)) return undefined;
  const lineStart = file.text.lastIndexOf('\n', close.startIndex - 1) + 1;
  if (file.text.slice(lineStart, close.startIndex).trim() !== '') return undefined;
  const caseIndent = file.indentationOf(cases[0]);
  const firstStatement = caseStatements(cases[0])[0];
  const statementIndent = firstStatement && firstStatement.startPosition.row !== cases[0].startPosition.row ? file.indentationOf(firstStatement) : `${caseIndent}    `;
  const eol = file.eol;
  return {
    title: `Add default: ${status} = ${FAILURE}`,
    edits: [fixer.replaceRange(lineStart, lineStart, `${caseIndent}default:${eol}${statementIndent}${status} = ${FAILURE};${eol}${statementIndent}break;${eol}`)],
  };
}

function fillDefaultFix(file: SourceFile, defaultCase: Node, status: string): FixDescriptor | undefined {
  // A case that falls (or is grouped) into the default would start failing too.
  const previous = defaultCase.previousNamedSibling;
  if (previous?.type === 'case_statement' && !exitsBlock(caseStatements(previous).at(-1) ?? null)) return undefined;
  const breakStatement = defaultCase.namedChildren.find((child) => child?.type === 'break_statement');
  if (!breakStatement) return undefined;
  const sameLine = breakStatement.startPosition.row === defaultCase.startPosition.row;
  const separator = sameLine ? ' ' : `${file.eol}${file.indentationOf(breakStatement)}`;
  return { title: `Set ${status} = ${FAILURE} in default`, edits: [fixer.insertBefore(breakStatement, `${status} = ${FAILURE};${separator}`)] };
}

export const rule: Rule = {
  meta: {
    id: 'ioctl-handler-no-default-fail',
    title: 'IOCTL switch lets unknown control codes succeed',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.access-control',
    description: 'A switch on the IOCTL control code has no default case that sets a failure status, so unknown codes complete with STATUS_SUCCESS.',
    rationale: 'Fuzzers and attackers send every control code. When the status is STATUS_SUCCESS before the switch and nothing sets a failure for codes the driver does not handle, an unknown request completes successfully with whatever Information and output buffer the driver left, which hides bugs, leaks data and confuses callers. Reject unknown codes with STATUS_INVALID_DEVICE_REQUEST.',
    cwe: ['CWE-478', 'CWE-394'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/dispatchdevicecontrol-and-dispatchinternaldevicecontrol-routines',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist#manage-driver-access-control',
    ],
    confidence: 'high',
    messages: {
      noDefault: 'switch on `{{code}}` has no default case: an unknown control code leaves `{{status}}` = {{initial}} and the request succeeds. Add `default: {{status}} = STATUS_INVALID_DEVICE_REQUEST; break;`.',
      emptyDefault: 'the default case of the switch on `{{code}}` sets no failure status: an unknown control code leaves `{{status}}` = {{initial}} and the request succeeds.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS status = STATUS_SUCCESS;\nswitch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\ncase IOCTL_GET_VERSION:\n    status = GetVersion(Irp);\n    break;\n}\nIrp->IoStatus.Status = status;',
      good: 'NTSTATUS status = STATUS_SUCCESS;\nswitch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\ncase IOCTL_GET_VERSION:\n    status = GetVersion(Irp);\n    break;\ndefault:\n    status = STATUS_INVALID_DEVICE_REQUEST;\n    break;\n}\nIrp->IoStatus.Status = status;',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('case_statement'),
      onEnd() {
        for (const ioctlSwitch of file.driver.ioctlSwitches()) {
          const fnBody = ioctlSwitch.fn.body;
          if (!fnBody || ioctlSwitch.node.hasError) continue;
          const cases = casesOf(file, ioctlSwitch);
          if (cases.length === 0) continue;
          const defaults = cases.filter((node) => !node.childForFieldName('value'));
          if (defaults.length > 1) continue; // one per #if branch: too clever to judge
          const defaultCase = defaults[0];
          if (defaultCase && !isEmptyDefault(defaultCase)) continue;
          const status = statusVariable(file, cases);
          if (!status) continue;
          const switchStart = ioctlSwitch.node.startIndex;
          // Stores in another `#if` arm (or a dead one) are not this build's.
          const stores = storesTo(file, fnBody, status).filter((store) => inOneBuild(file, store.node.startIndex, switchStart));
          const initial = valueAtSwitch(stores.filter((store) => store.node.endIndex <= switchStart), ioctlSwitch.node);
          if (!initial || !SUCCESS_VALUE.test(unwrap(initial.value)?.text.trim() ?? '')) continue;
          // Something after the switch may set a failure for unhandled codes: do not guess.
          if (stores.some((store) => store.node.startIndex >= ioctlSwitch.node.endIndex)) continue;
          const after = file.text.slice(ioctlSwitch.node.endIndex, fnBody.endIndex);
          if (!after.includes(status)) continue;
          // A filter hands unknown codes to the next driver: they are not succeeded here.
          if (FORWARDS_REQUEST.test(after)) continue;
          const condition = ioctlSwitch.node.childForFieldName('condition');
          if (condition && validatedBefore(file, fnBody, ioctlSwitch.node, condition)) continue;
          const code = condition ? file.textOf(condition).replace(/^\(\s*|\s*\)$/g, '') : 'the control code';
          const fix = defaultCase ? fillDefaultFix(file, defaultCase, status) : addDefaultFix(file, ioctlSwitch, cases, status);
          context.report({
            node: defaultCase ?? ioctlSwitch.node.child(0) ?? ioctlSwitch.node,
            messageId: defaultCase ? 'emptyDefault' : 'noDefault',
            data: { code, status, initial: file.textOf(unwrap(initial.value) ?? initial.value) },
            related: [{ node: initial.node, message: `${status} is ${file.textOf(initial.value)} before the switch` }],
            fix,
          });
        }
      },
    };
  },
};
