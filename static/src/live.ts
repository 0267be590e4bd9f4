// The live view's browser side: keeps a server-rendered page in step with
// the engine's change feed over the websocket of server/internal/ui/live.
// It subscribes, patches the data-status attribute of elements that carry
// data-workflow-id or data-task-id, dispatches a "baton:live" CustomEvent
// on document for pages that want more (new rows, times, counters), and
// shows its state in [data-live-indicator] elements ("live" or
// "reconnecting"). On a lost connection it reconnects with exponential
// back-off and jitter and resumes from the last sequence number it
// applied; the server answers with what was missed, or a gap and a
// snapshot. No dependencies.
//
// A page opts in with one element:
//
//   <main data-live="execution" data-live-id="{workflow id}" data-live-from="{epoch}:{seq}">
//   <main data-live="executions" data-live-query='{"names":["checkout"],"statuses":["RUNNING"]}'>
//   <main data-live="overview">
//
// data-live-from is the feed position the server read before rendering the
// page (engine.FeedPosition), so that nothing committed in between is
// missed; without it the first message is a snapshot.

export type Query = {
  names?: string[];
  statuses?: string[];
  correlationId?: string;
  limit?: number;
};

export type Subscription =
  | { sub: "execution"; id: string }
  | { sub: "executions"; query?: Query }
  | { sub: "overview" };

export type Position = { epoch: string; seq: number };

export type WorkflowSummary = {
  workflowId: string;
  workflowName: string;
  workflowVersion: number;
  status: string;
  correlationId?: string;
  parentWorkflowId?: string;
  reasonForIncompletion?: string;
  createTime: number;
  updateTime?: number;
  endTime?: number;
};

export type TaskSummary = {
  taskId: string;
  referenceTaskName: string;
  taskType: string;
  status: string;
  seq: number;
  retryCount: number;
  pollCount: number;
  iteration?: number;
  workerId?: string;
  reasonForIncompletion?: string;
  scheduledTime?: number;
  startTime?: number;
  endTime?: number;
};

// Message is what the server sends (see the doc of package live).
export type Message = {
  type: "snapshot" | "delta" | "gap" | "error";
  epoch?: string;
  seq: number;
  reason?: string;
  workflow?: WorkflowSummary;
  version?: number;
  tasks?: TaskSummary[];
  removedTasks?: string[];
  deleted?: boolean;
  workflows?: WorkflowSummary[];
  merged?: number;
};

export type LiveOptions = {
  subscription: Subscription;
  // from resumes after the position the page was rendered at.
  from?: Position;
  // url defaults to /live on the page's host.
  url?: string;
  // root is where elements are patched; default: document.
  root?: ParentNode;
  // The reconnect delay grows from minDelay to maxDelay (ms).
  minDelay?: number;
  maxDelay?: number;
};

export type LiveState = "connecting" | "live" | "reconnecting" | "stopped";

// Live is one live connection. start() opens it, stop() ends it.
export class Live {
  private readonly opts: Required<Omit<LiveOptions, "from">>;
  private position: Position | undefined;
  // version of the execution's snapshot: a delta at or below it is stale.
  private version = 0;
  private socket: WebSocket | undefined;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;
  private index: Map<string, HTMLElement[]> | undefined;
  private watching = false;

  constructor(opts: LiveOptions) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.opts = {
      subscription: opts.subscription,
      url: opts.url ?? `${scheme}//${location.host}/live`,
      root: opts.root ?? document,
      minDelay: opts.minDelay ?? 500,
      maxDelay: opts.maxDelay ?? 30000,
    };
    this.position = opts.from;
  }

  start(): void {
    this.stopped = false;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.opts.url);
    this.socket = ws;
    ws.onopen = () => {
      const sub: Record<string, unknown> = { ...this.opts.subscription };
      if (this.position) sub.from = this.position;
      ws.send(JSON.stringify(sub));
      // Resuming from a position the server holds sends nothing until the
      // next change: the open connection is what says the page is live (a
      // refused subscription closes it).
      this.setState("live");
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let m: Message;
      try {
        m = JSON.parse(ev.data) as Message;
      } catch {
        return;
      }
      // A message means the subscription is served: the next loss starts
      // the back-off afresh.
      this.attempt = 0;
      this.setState("live");
      this.apply(m);
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      if (this.stopped) return;
      this.dispatch({ type: "error", seq: this.position?.seq ?? 0, reason: ev.reason || `connection closed (${ev.code})` });
      this.reconnect();
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket?.close(1000, "page left");
    this.socket = undefined;
    this.setState("stopped");
  }

  // reconnect waits a random time up to an exponentially growing bound
  // ("full jitter"), so that clients dropped together do not come back
  // together.
  private reconnect(): void {
    this.setState("reconnecting");
    const bound = Math.min(this.opts.maxDelay, this.opts.minDelay * 2 ** this.attempt);
    this.attempt++;
    const delay = this.opts.minDelay / 2 + Math.random() * bound;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.start();
    }, delay);
  }

  private apply(m: Message): void {
    switch (m.type) {
      case "snapshot":
        this.position = { epoch: m.epoch ?? "", seq: m.seq };
        this.version = m.version ?? 0;
        if (m.workflow) this.patchWorkflow(m.workflow);
        for (const w of m.workflows ?? []) this.patchWorkflow(w);
        for (const t of m.tasks ?? []) this.patchTask(t);
        break;
      case "delta":
        if (this.position && m.epoch === this.position.epoch && m.seq <= this.position.seq) return; // seen
        this.position = { epoch: m.epoch ?? "", seq: m.seq };
        if (this.opts.subscription.sub === "execution" && (m.version ?? 0) <= this.version) return; // the snapshot has it
        if (m.workflow) this.patchWorkflow(m.workflow);
        for (const t of m.tasks ?? []) this.patchTask(t);
        for (const id of m.removedTasks ?? []) {
          for (const el of this.find("data-task-id", id)) el.dataset.removed = "true";
        }
        break;
      case "gap":
        // The snapshot that follows replaces what the page shows.
        break;
      case "error":
        break;
    }
    this.dispatch(m);
  }

  private patchWorkflow(w: WorkflowSummary): void {
    for (const el of this.find("data-workflow-id", w.workflowId)) setStatus(el, w.status);
  }

  private patchTask(t: TaskSummary): void {
    for (const el of this.find("data-task-id", t.taskId)) setStatus(el, t.status);
  }

  // find returns the elements whose attr is id, from an index of the page
  // built once and again only after elements were added or removed: a
  // selector query per task walks the whole page, which a busy execution's
  // thousand changes a second cannot afford.
  private find(attr: "data-task-id" | "data-workflow-id", id: string): HTMLElement[] {
    if (!this.index) {
      this.index = new Map();
      for (const el of this.opts.root.querySelectorAll<HTMLElement>("[data-task-id], [data-workflow-id]")) {
        for (const a of ["data-task-id", "data-workflow-id"]) {
          const v = el.getAttribute(a);
          if (v === null) continue;
          const key = `${a}=${v}`;
          const list = this.index.get(key);
          if (list) list.push(el);
          else this.index.set(key, [el]);
        }
      }
      if (!this.watching) {
        this.watching = true;
        new MutationObserver(() => {
          this.index = undefined;
        }).observe(this.opts.root, { childList: true, subtree: true });
      }
    }
    return this.index.get(`${attr}=${id}`) ?? [];
  }

  private dispatch(m: Message): void {
    document.dispatchEvent(new CustomEvent<Message>("baton:live", { detail: m }));
  }

  private setState(state: LiveState): void {
    for (const el of document.querySelectorAll<HTMLElement>("[data-live-indicator]")) {
      // Unchanged, it is left alone: a write is a change of the page's
      // structure (Live.find) and a new announcement for screen readers.
      if (el.dataset.state === state) continue;
      el.dataset.state = state;
      el.textContent = state === "stopped" ? "" : state;
    }
  }
}

// setStatus sets an element's data-status, and its text when it shows the
// status ([data-status-text], such as a badge).
export function setStatus(el: HTMLElement | SVGElement, status: string): void {
  if (el.dataset.status === status) return;
  el.dataset.status = status;
  if (el.hasAttribute("data-status-text")) {
    // The text node's value, not textContent: replacing the node would
    // count as a change of the page's structure (see Live.find).
    const text = el.firstChild;
    if (text && text.nodeType === Node.TEXT_NODE && !text.nextSibling) text.nodeValue = status;
    else el.textContent = status;
  }
}

// parsePosition reads data-live-from ("epoch:seq").
function parsePosition(s: string | undefined): Position | undefined {
  if (!s) return undefined;
  const i = s.lastIndexOf(":");
  const seq = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isSafeInteger(seq)) return undefined;
  return { epoch: s.slice(0, i), seq };
}

// fromPage starts the live view the page asks for with [data-live].
export function fromPage(): Live | undefined {
  const el = document.querySelector<HTMLElement>("[data-live]");
  if (!el) return undefined;
  let subscription: Subscription;
  switch (el.dataset.live) {
    case "execution":
      if (!el.dataset.liveId) return undefined;
      subscription = { sub: "execution", id: el.dataset.liveId };
      break;
    case "executions":
      subscription = { sub: "executions", query: el.dataset.liveQuery ? (JSON.parse(el.dataset.liveQuery) as Query) : undefined };
      break;
    case "overview":
      subscription = { sub: "overview" };
      break;
    default:
      return undefined;
  }
  const live = new Live({ subscription, from: parsePosition(el.dataset.liveFrom) });
  live.start();
  addEventListener("pagehide", () => live.stop());
  // A page restored from the back-forward cache picks up where it was.
  addEventListener("pageshow", (ev) => {
    if (ev.persisted) live.start();
  });
  return live;
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => fromPage());
} else {
  fromPage();
}
