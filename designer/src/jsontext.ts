// The definition's text, read without changing it: a strict JSON scanner
// that says where a syntax error is (JSON.parse's messages carry no position
// in every engine), and where each value is, by JSON pointer, so that a
// node or a server diagnostic can point into the editor.

import { escapePointer } from "./layout";

// Loc is where a value is: from is its member name's opening quote when it
// is an object member (the line a person reads as "this field"), else the
// value's start; valueFrom..to is the value.
export interface Loc {
  from: number;
  valueFrom: number;
  to: number;
}

export class JSONSyntaxError extends Error {
  constructor(
    msg: string,
    readonly pos: number,
  ) {
    super(msg);
  }
}

const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

// scan checks that text is one JSON value and returns where every value
// is, keyed by JSON pointer ("" is the whole document). It throws a
// JSONSyntaxError at the first problem.
export function scan(text: string): Map<string, Loc> {
  const locs = new Map<string, Loc>();
  let i = 0;
  const fail = (msg: string): never => {
    throw new JSONSyntaxError(msg, i);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c < 32) fail("control character in a string: escape it");
      if (c === 92) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("bad \\u escape");
          i += 6;
          continue;
        }
        if (!e || !'"\\/bfnrt'.includes(e)) fail("bad escape \\" + (e || ""));
        i += 2;
        continue;
      }
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (ptr: string, from: number, depth: number) => {
    if (depth > 512) fail("nested too deeply");
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") i++;
      else
        for (;;) {
          ws();
          if (text[i] !== '"') fail(text[i] === "}" ? "trailing comma before }" : 'expected a member name in double quotes');
          const kfrom = i;
          const key = str();
          ws();
          if (text[i] !== ":") fail("expected ':' after the member name");
          i++;
          value(ptr + "/" + escapePointer(key), kfrom, depth + 1);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            break;
          }
          fail("expected ',' or '}' after a member");
        }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") i++;
      else
        for (let k = 0; ; k++) {
          ws();
          if (text[i] === "]") fail("trailing comma before ]");
          value(ptr + "/" + k, -1, depth + 1);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "]") {
            i++;
            break;
          }
          fail("expected ',' or ']' after an element");
        }
    } else if (c === '"') {
      str();
    } else if (text.startsWith("true", i)) i += 4;
    else if (text.startsWith("false", i)) i += 5;
    else if (text.startsWith("null", i)) i += 4;
    else {
      numberRe.lastIndex = i;
      const m = numberRe.exec(text);
      if (!m) fail(i >= text.length ? "unexpected end of the text" : `unexpected ${JSON.stringify(text[i])}`);
      i += m![0].length;
    }
    locs.set(ptr, { from: from >= 0 ? from : start, valueFrom: start, to: i });
  };
  value("", -1, 0);
  ws();
  if (i < text.length) fail("unexpected text after the end of the JSON value");
  return locs;
}

// nearest is the location of ptr, or of its nearest ancestor that exists
// (a diagnostic about a missing member points into its object).
export function nearest(locs: Map<string, Loc>, ptr: string): Loc | undefined {
  for (;;) {
    const l = locs.get(ptr);
    if (l || ptr === "") return l;
    ptr = ptr.slice(0, ptr.lastIndexOf("/"));
  }
}
