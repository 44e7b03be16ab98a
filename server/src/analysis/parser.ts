import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { useRuntimeCursor } from './syntax-tree';

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
  /**
   * Grammars to load up front (default: both). The language server loads C++ only when it meets a C++ file
   * (`Analyzer.prepare`): the C++ grammar alone costs about 10 MB of memory.
   */
  preload?: readonly SourceLanguage[];
}

const GRAMMARS: Record<SourceLanguage, { file: string; packageName: string }> = {
  c: { file: 'tree-sitter-c.wasm', packageName: 'tree-sitter-c' },
  cpp: { file: 'tree-sitter-cpp.wasm', packageName: 'tree-sitter-cpp' },
};

/** Loads the WASM runtime once and the grammars as needed; hands out parsers that are cheap to reuse. */
export class ParserPool {
  private readonly parsers = new Map<SourceLanguage, Parser>();
  private readonly languages: Partial<Record<SourceLanguage, Language>> = {};
  private readonly loadingLanguages = new Map<SourceLanguage, Promise<void>>();

  private constructor(private readonly wasmDir: string | undefined) {}

  private static loading = new Map<string, Promise<ParserPool>>();

  /** Loads the runtime once per wasm folder (later calls share it) and the requested grammars. */
  static async load(options: ParserOptions = {}): Promise<ParserPool> {
    const key = options.wasmDir ?? '';
    let pool = ParserPool.loading.get(key);
    if (!pool) {
      pool = ParserPool.loadRuntime(options);
      ParserPool.loading.set(key, pool);
      pool.catch(() => ParserPool.loading.delete(key));
    }
    const loaded = await pool;
    await Promise.all((options.preload ?? ['c', 'cpp']).map((language) => loaded.ensure(language)));
    return loaded;
  }

  private static async loadRuntime(options: ParserOptions): Promise<ParserPool> {
    const runtime = locateWasm('tree-sitter.wasm', 'web-tree-sitter', options.wasmDir);
    const module = { locateFile: () => runtime };
    await Parser.init(module);
    useRuntimeCursor(module);
    return new ParserPool(options.wasmDir);
  }

  /** Whether a grammar is loaded (parsing needs it). */
  has(language: SourceLanguage): boolean {
    return this.languages[language] !== undefined;
  }

  /** Loads a grammar if it is not loaded yet. */
  ensure(language: SourceLanguage): Promise<void> {
    if (this.languages[language]) return Promise.resolve();
    let loading = this.loadingLanguages.get(language);
    if (!loading) {
      const { file, packageName } = GRAMMARS[language];
      loading = Language.load(fs.readFileSync(locateWasm(file, packageName, this.wasmDir))).then((loaded) => {
        this.languages[language] = loaded;
      });
      loading.catch(() => this.loadingLanguages.delete(language));
      this.loadingLanguages.set(language, loading);
    }
    return loading;
  }

  parser(language: SourceLanguage): Parser {
    let parser = this.parsers.get(language);
    if (!parser) {
      const grammar = this.languages[language];
      if (!grammar) throw new Error(`the ${language} grammar is not loaded (call ParserPool.ensure / Analyzer.prepare first)`);
      parser = new Parser();
      parser.setLanguage(grammar);
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
