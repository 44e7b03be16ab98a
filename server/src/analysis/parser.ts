import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type SourceLanguage = 'c' | 'cpp';

const CPP_EXTENSIONS = new Set(['.cpp', '.cc', '.cxx', '.c++', '.hpp', '.hh', '.hxx', '.h++', '.inl', '.ipp']);
const C_EXTENSIONS = new Set(['.c', '.h']);

/** The file extensions the analyzer reads; anything else is not a C/C++ source. */
export const SOURCE_EXTENSIONS: readonly string[] = [...C_EXTENSIONS, ...CPP_EXTENSIONS];

export function isSourceFile(fileName: string): boolean {
  return SOURCE_EXTENSIONS.includes(path.extname(fileName).toLowerCase());
}

/** Constructs only C++ has, at the start of a line: a class body, a template, a namespace, an access specifier. */
const CPP_HEADER_MARKERS = /^[ \t]*(?:class\s+\w+[^;{()]*\{|template\s*<|namespace\s+\w*\s*\{|(?:public|private|protected)\s*:)/m;

/**
 * A prototype whose last parameter has a default argument (`..., const VOID* context = 0);`): C++ only. Default
 * arguments are trailing, so the last one always sits before `);`. Needs a type and a name before the `=`, which
 * a C call (`f(x = 0);`) or comparison (`status == 0`) does not have.
 */
const CPP_DEFAULT_ARGUMENT = /[A-Za-z_]\w*[ \t*&]+[A-Za-z_]\w*[ \t]*=[ \t]*[^,;(){}=\n]+\)[ \t]*;/;

/**
 * Picks the grammar: an explicit language id wins, then the file extension. A `.h` header is C unless its text
 * (when given) declares classes, templates or namespaces, or a prototype with default arguments: C++ drivers keep
 * their declarations in `.h` files.
 */
export function languageFor(fileName: string, languageId?: string, text?: string): SourceLanguage {
  if (languageId === 'cpp' || languageId === 'cuda-cpp') return 'cpp';
  if (languageId === 'c') return 'c';
  const extension = path.extname(fileName).toLowerCase();
  if (CPP_EXTENSIONS.has(extension)) return 'cpp';
  return extension === '.h' && text !== undefined && (CPP_HEADER_MARKERS.test(text) || CPP_DEFAULT_ARGUMENT.test(text)) ? 'cpp' : 'c';
}

/**
 * Finds a wasm file: next to the bundle (dist/), or in its npm package when running from sources/tests.
 * NOTE: require.resolve is only reached outside the bundle, where node_modules exists.
 */
function locateWasm(fileName: string, packageName: string, wasmDir?: string): string {
  const candidates = [wasmDir, __dirname, path.join(__dirname, '..'), path.join(__dirname, 'wasm')]
    .filter((dir): dir is string => Boolean(dir))
    .map((dir) => path.join(dir, fileName));
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return require.resolve(`${packageName}/${fileName}`);
}

export interface ParserOptions {
  /** Folder holding tree-sitter.wasm, tree-sitter-c.wasm and tree-sitter-cpp.wasm. */
  wasmDir?: string;
}

/** Loads the WASM runtime and both grammars once; hands out parsers that are cheap to reuse. */
export class ParserPool {
  private readonly parsers = new Map<SourceLanguage, Parser>();

  private constructor(private readonly languages: Record<SourceLanguage, Language>) {}

  private static loading = new Map<string, Promise<ParserPool>>();

  /** Loads once per wasm folder; later calls share the same languages. */
  static load(options: ParserOptions = {}): Promise<ParserPool> {
    const key = options.wasmDir ?? '';
    let pool = ParserPool.loading.get(key);
    if (!pool) {
      pool = ParserPool.loadUncached(options);
      ParserPool.loading.set(key, pool);
      pool.catch(() => ParserPool.loading.delete(key));
    }
    return pool;
  }

  private static async loadUncached(options: ParserOptions): Promise<ParserPool> {
    const runtime = locateWasm('tree-sitter.wasm', 'web-tree-sitter', options.wasmDir);
    await Parser.init({ locateFile: () => runtime });
    const [c, cpp] = await Promise.all([
      Language.load(fs.readFileSync(locateWasm('tree-sitter-c.wasm', 'tree-sitter-c', options.wasmDir))),
      Language.load(fs.readFileSync(locateWasm('tree-sitter-cpp.wasm', 'tree-sitter-cpp', options.wasmDir))),
    ]);
    return new ParserPool({ c, cpp });
  }

  parser(language: SourceLanguage): Parser {
    let parser = this.parsers.get(language);
    if (!parser) {
      parser = new Parser();
      parser.setLanguage(this.languages[language]);
      this.parsers.set(language, parser);
    }
    return parser;
  }

  /**
   * Parses text (already neutralized by `neutralizeAnnotations`). With `oldTree` (already edited) the parse is incremental.
   * `deadline` (ms since epoch) cancels a parse that runs too long: the result is then undefined.
   */
  parse(text: string, language: SourceLanguage, oldTree?: Tree, deadline?: number): Tree | undefined {
    const parser = this.parser(language);
    const options = deadline === undefined ? undefined : { progressCallback: () => Date.now() > deadline };
    const tree = parser.parse(text, oldTree ?? null, options as never);
    if (!tree) parser.reset();
    return tree ?? undefined;
  }
}
