// An edit of the definition's text: what every change made on the canvas,
// in the inspector or by an import is, so that each is one step of the
// editor's history (undo and redo cover them all) and the text outside the
// changed ranges stays byte for byte as it was.

// Change replaces text[from, to) with insert; offsets are UTF-16 code
// units of the text the edit was computed from.
export interface Change {
  from: number;
  to: number;
  insert: string;
}

// Edit is a set of changes to one text: sorted, not overlapping, all
// against that same text. select, when set, is the JSON pointer of the task
// to select once the edit is applied (pointers into the new text).
export interface Edit {
  changes: Change[];
  select?: string;
}

// applyEdit is text with e's changes made (for text that is not the
// editor's, such as a template being prepared).
export function applyEdit(text: string, e: Edit): string {
  let out = text;
  for (const c of [...e.changes].reverse()) out = out.slice(0, c.from) + c.insert + out.slice(c.to);
  return out;
}
