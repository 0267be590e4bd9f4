// The catalog: what the server has registered that the designer offers,
// fetched in one place for the palette and the inspector: the task
// definitions (GET /api/metadata/taskdefs), the workflow names (GET
// /api/metadata/workflow/names-and-versions, without their tasks) and the
// plugins (the Connect PluginService's ListPlugins). The palette refreshes
// it on a timer and when the page becomes visible again, so that a plugin
// or task definition registered in another tab shows without a reload;
// each module listens for changes and redraws from it. Nothing here is
// fetched from a render function.

export interface TaskDefInfo {
  name: string;
  description?: string;
  inputKeys?: string[];
  outputKeys?: string[];
}

export interface PluginInfo {
  name: string;
  version: number;
  // enabled: the plugin runs (ListPlugins lists each plugin's active
  // version, so a listed plugin is one to offer when enabled).
  enabled: boolean;
  taskTypes: string[];
  workers: string[];
  manifestJson: string;
}

// Catalog holds the last answers. Each list is null until its first
// answer arrives (or while the server refuses it): the fields that offer
// it then stay plain inputs, and a failed refresh keeps what was shown.
export class Catalog {
  taskDefs: TaskDefInfo[] | null = null;
  workflows: string[] | null = null;
  plugins: PluginInfo[] | null = null;
  private readonly listeners: (() => void)[] = [];
  private key = "";
  private pending: Promise<void> | null = null;
  private loading = false;

  // onChange calls fn after every refresh that changed something.
  onChange(fn: () => void) {
    this.listeners.push(fn);
  }

  // load starts the first refresh once the page has been rendered (after
  // the next frame): starting the requests takes the main thread for a
  // while on a first open (80-130 ms on a definition of 500 tasks), which
  // would delay the page's drawing; the lists arrive after it anyway.
  load() {
    if (this.loading) return;
    this.loading = true;
    requestAnimationFrame(() => setTimeout(() => void this.refresh()));
  }

  // refresh fetches the three lists; a refresh under way is shared rather
  // than started again.
  refresh(): Promise<void> {
    if (!this.pending) this.pending = this.fetchAll().finally(() => (this.pending = null));
    return this.pending;
  }

  private async fetchAll() {
    const [defs, wfs, plugins] = await Promise.all([
      getJSON<unknown[]>("/api/metadata/taskdefs"),
      getJSON<Record<string, unknown>>("/api/metadata/workflow/names-and-versions"),
      getJSON<{ plugins?: unknown[] }>("/baton.v1.PluginService/ListPlugins", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      }),
    ]);
    if (Array.isArray(defs)) this.taskDefs = defs.filter(isTaskDef).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (wfs && typeof wfs === "object" && !Array.isArray(wfs)) this.workflows = Object.keys(wfs).sort();
    if (plugins && typeof plugins === "object") this.plugins = (Array.isArray(plugins.plugins) ? plugins.plugins : []).map(pluginOf);
    const key = JSON.stringify([this.taskDefs, this.workflows, this.plugins]);
    if (key === this.key) return;
    this.key = key;
    for (const fn of this.listeners) fn();
  }
}

// catalog is the page's one catalog.
export const catalog = new Catalog();

// getJSON is the decoded answer of a request, or null when it fails.
async function getJSON<T>(url: string, init?: RequestInit): Promise<T | null> {
  try {
    const r = await fetch(url, init);
    return r.ok ? ((await r.json()) as T) : null;
  } catch {
    return null; // offline for a moment
  }
}

function isTaskDef(t: unknown): t is TaskDefInfo {
  return !!t && typeof t === "object" && typeof (t as { name?: unknown }).name === "string" && (t as { name: string }).name !== "";
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

function pluginOf(v: unknown): PluginInfo {
  const p = (v && typeof v === "object" ? v : {}) as { [k: string]: unknown };
  return {
    name: typeof p.name === "string" ? p.name : "",
    version: typeof p.version === "number" ? p.version : 0,
    enabled: p.enabled === true,
    taskTypes: strings(p.taskTypes),
    workers: strings(p.workers),
    manifestJson: typeof p.manifestJson === "string" ? p.manifestJson : "",
  };
}
