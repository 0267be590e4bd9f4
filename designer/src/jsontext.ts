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

// notJSON says that text (what names it) is not JSON and, for a syntax
// error, at which line: "The mocks is not JSON at line 3: unexpected \"}\"".
export function notJSON(what: string, text: string, err: unknown): string {
  const at = err instanceof JSONSyntaxError ? ` at line ${text.slice(0, err.pos).split("\n").length}` : "";
  return `${what} is not JSON${at}: ${err instanceof Error ? err.message : String(err)}`;
}

const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

// JNode is a value of the text as parse finds it: where it is, and what it
// holds in document order, so that an edit can copy any part of it as its
// raw text (large integers, escapes and key order kept) instead of
// re-serialising a parsed value.
export interface JNode {
  kind: "object" | "array" | "string" | "number" | "true" | "false" | "null";
  // from..to is the value; keyFrom..keyTo is its member name with the
  // quotes when it is an object member (else both are from).
  from: number;
  to: number;
  keyFrom: number;
  keyTo: number;
  // key is the member name, decoded, for an object member.
  key?: string;
  // str is a string's decoded value.
  str?: string;
  // children are an object's members or an array's elements, in order.
  children: JNode[];
}

// parse checks that text is one JSON value and returns its tree. It throws
// a JSONSyntaxError at the first problem.
export function parse(text: string): JNode {
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
  const value = (depth: number): JNode => {
    if (depth > 512) fail("nested too deeply");
    ws();
    const start = i;
    const n: JNode = { kind: "null", from: start, to: start, keyFrom: start, keyTo: start, children: [] };
    const c = text[i];
    if (c === "{") {
      n.kind = "object";
      i++;
      ws();
      if (text[i] === "}") i++;
      else
        for (;;) {
          ws();
          if (text[i] !== '"') fail(text[i] === "}" ? "trailing comma before }" : 'expected a member name in double quotes');
          const kfrom = i;
          const key = str();
          const kto = i;
          ws();
          if (text[i] !== ":") fail("expected ':' after the member name");
          i++;
          const m = value(depth + 1);
          m.key = key;
          m.keyFrom = kfrom;
          m.keyTo = kto;
          n.children.push(m);
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
      n.kind = "array";
      i++;
      ws();
      if (text[i] === "]") i++;
      else
        for (;;) {
          ws();
          if (text[i] === "]") fail("trailing comma before ]");
          n.children.push(value(depth + 1));
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
      n.kind = "string";
      n.str = str();
    } else if (text.startsWith("true", i)) {
      n.kind = "true";
      i += 4;
    } else if (text.startsWith("false", i)) {
      n.kind = "false";
      i += 5;
    } else if (text.startsWith("null", i)) i += 4;
    else {
      numberRe.lastIndex = i;
      const m = numberRe.exec(text);
      if (!m) fail(i >= text.length ? "unexpected end of the text" : `unexpected ${JSON.stringify(text[i])}`);
      n.kind = "number";
      i += m![0].length;
    }
    n.to = i;
    return n;
  };
  const root = value(0);
  ws();
  if (i < text.length) fail("unexpected text after the end of the JSON value");
  return root;
}

// scan checks that text is one JSON value and returns where every value
// is, keyed by JSON pointer ("" is the whole document). It throws a
// JSONSyntaxError at the first problem. Of repeated member names the
// last counts, as in JSON.parse.
export function scan(text: string): Map<string, Loc> {
  const locs = new Map<string, Loc>();
  const walk = (n: JNode, ptr: string) => {
    n.children.forEach((c, k) => walk(c, ptr + "/" + (c.key === undefined ? k : escapePointer(c.key))));
    locs.set(ptr, { from: n.keyFrom, valueFrom: n.from, to: n.to });
  };
  walk(parse(text), "");
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
