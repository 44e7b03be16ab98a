/** Finding where a variable is declared (local first, then file scope) and what its declaration says. */
import { declaratorName, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

export interface VariableDeclaration {
  name: string;
  declaration: Node;
  /** The declarator of this name (array_declarator, pointer_declarator, init_declarator, identifier). */
  declarator: Node;
  typeText: string;
  isArray: boolean;
  /** Array size expression text (`512`, `BUFFER_SIZE`) for arrays with a size. */
  arraySize?: string;
  isPointer: boolean;
  initializer?: Node;
  isLocal: boolean;
  isParameter: boolean;
}

/** Answers per file, by function (node id, -1 for file scope) and name: rules ask about the same variables. */
const answers = new WeakMap<SourceFile, Map<number, Map<string, VariableDeclaration | undefined>>>();

export function findDeclaration(file: SourceFile, fn: FunctionInfo | undefined, name: string): VariableDeclaration | undefined {
  let byFunction = answers.get(file);
  if (!byFunction) {
    byFunction = new Map();
    answers.set(file, byFunction);
  }
  const key = fn ? fn.node.id : -1;
  let byName = byFunction.get(key);
  if (!byName) {
    byName = new Map();
    byFunction.set(key, byName);
  }
  if (byName.has(name)) return byName.get(name);
  const found = lookUp(file, fn, name);
  byName.set(name, found);
  return found;
}

function lookUp(file: SourceFile, fn: FunctionInfo | undefined, name: string): VariableDeclaration | undefined {
  if (fn) {
    const param = fn.params.find((candidate) => candidate.name === name);
    if (param) {
      const declarator = param.node.childForFieldName('declarator') ?? param.node;
      return describe(name, param.node, declarator, param.type, true, true);
    }
    if (fn.body) {
      // The declarations of the single walk inside the body (same nodes, same order as walking the body again).
      for (const declaration of file.within(fn.body, 'declaration')) {
        const found = declaratorFor(declaration, name);
        if (found) return describe(name, declaration, found, declaration.childForFieldName('type')?.text ?? '', true, false);
      }
    }
  }
  for (const declaration of file.root.namedChildren) {
    if (declaration?.type !== 'declaration') continue;
    const found = declaratorFor(declaration, name);
    if (found) return describe(name, declaration, found, declaration.childForFieldName('type')?.text ?? '', false, false);
  }
  return undefined;
}

function declaratorFor(declaration: Node, name: string): Node | undefined {
  for (const declarator of declaration.childrenForFieldName('declarator')) {
    if (declarator && declaratorName(declarator) === name) return declarator;
  }
  return undefined;
}

function describe(name: string, declaration: Node, declarator: Node, typeText: string, isLocal: boolean, isParameter: boolean): VariableDeclaration {
  let inner: Node | null = declarator.type === 'init_declarator' ? declarator.childForFieldName('declarator') : declarator;
  const initializer = declarator.type === 'init_declarator' ? declarator.childForFieldName('value') ?? undefined : undefined;
  let isArray = false;
  let isPointer = /^P[A-Z0-9_]+$/.test(typeText) && typeText !== 'PAGED_CODE';
  let arraySize: string | undefined;
  while (inner && inner.type !== 'identifier') {
    if (inner.type === 'array_declarator') {
      if (!isArray) arraySize = inner.childForFieldName('size')?.text;
      isArray = true;
    }
    if (inner.type === 'pointer_declarator') isPointer = true;
    inner = inner.childForFieldName('declarator');
  }
  return { name, declaration, declarator, typeText, isArray, arraySize, isPointer, initializer, isLocal, isParameter };
}
