/**
 * Every identifier written as `Name(` in a text (`\b[A-Za-z_]\w*\s*\(`, matches taken left to right, each consuming
 * its `(`), with the offsets of the name and of the `(`. The workspace index (`calledNames`) and the IRQL contracts
 * (prototypes of a function) both need them for the text of the document being edited: the last text's scan is
 * kept, so a keystroke scans it once.
 */
export interface CallTokens {
  names: string[];
  starts: number[];
  parens: number[];
}

let lastText: string | undefined;
let lastTokens: CallTokens | undefined;

export function callTokens(text: string): CallTokens {
  if (lastTokens && text === lastText) return lastTokens;
  const tokens: CallTokens = { names: [], starts: [], parens: [] };
  const token = /\b[A-Za-z_]\w*(?=\s*\()/g;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    const paren = text.indexOf('(', match.index + match[0].length);
    tokens.names.push(match[0]);
    tokens.starts.push(match.index);
    tokens.parens.push(paren);
    token.lastIndex = paren + 1;
  }
  lastText = text;
  lastTokens = tokens;
  return tokens;
}
