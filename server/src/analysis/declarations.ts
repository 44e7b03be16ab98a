/** Finding where a variable is declared (local first, then file scope) and what its declaration says. */
import { descendantsOfType, declaratorName, type Node } from './query';
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

export function findDeclaration(file: SourceFile, fn: FunctionInfo | undefined, name: string): VariableDeclaration | undefined {
  if (fn) {
    const param = fn.params.find((candidate) => candidate.name === name);
    if (param) {
      const declarator = param.node.childForFieldName('declarator') ?? param.node;
      return describe(name, param.node, declarator, param.type, true, true);
    }
    if (fn.body) {
      for (const declaration of descendantsOfType(fn.body, 'declaration')) {
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
