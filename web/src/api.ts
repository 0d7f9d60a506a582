// The fluxion web API (see /api/openapi.json), typed.

export interface OptionSpec {
  name: string;
  label?: string;
  kind: "value" | "flag" | "list" | "file" | "model" | "predictor" | "series";
  type: "text" | "integer" | "number" | "boolean";
  description: string;
  default: string;
  required: boolean;
  choices: string[];
  group: string;
  minimum?: number;
  exclusive_minimum?: boolean;
  maximum?: number;
  accept?: string;
}

export interface ResultView {
  file: string;
  kind: "table" | "bars" | "line" | "scatter" | "matrix" | "map" | "facts" | "ranges" | "image";
  title: string;
  x: string;
  y: string;
  error: string;
  group: string;
}

export interface Sample {
  option: string;
  label: string;
  filename: string;
  url: string;
}

export interface Analysis {
  id: string;
  command: string;
  title: string;
  summary: string;
  options: OptionSpec[];
  views: ResultView[];
  samples: Sample[];
  sample_values: Record<string, string>;
  sample_set: string;
}

export interface Catalogue {
  analyses: Analysis[];
  max_upload_bytes: number;
  retention_days: number;
}

export interface ModelList {
  models: { name: string; description: string; source: string }[];
  predictors: { name: string; description: string }[];
}

export interface JobFile {
  path: string;
  size: number;
  url: string;
}

export interface Job {
  id: string;
  analysis: string;
  title: string;
  state: "queued" | "running" | "done" | "failed" | "cancelled";
  progress: number | null;
  progress_label: string;
  message: string;
  attempts: number;
  created: string;
  started: string;
  finished: string;
  url: string;
  files?: JobFile[];
  inputs?: { option: string; name: string; size: number; sha256: string }[];
  parameters?: Record<string, string>;
}

export interface FieldError {
  field?: string;
  file?: string;
  line?: number;
  column?: number;
  message: string;
  text: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public errors: FieldError[] = [],
  ) {
    super(message);
  }
}

// The random token that lets this browser list its own jobs; only after consent.
export function ownerToken(): string | null {
  const m = document.cookie.match(/(?:^|;\s*)fluxion_owner=([A-Za-z0-9_-]{16,128})/);
  return m ? m[1] : null;
}

export function setOwnerToken(): void {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  document.cookie = `fluxion_owner=${token}; Max-Age=31536000; Path=/; SameSite=Strict`;
}

export function forgetOwnerToken(): void {
  document.cookie = "fluxion_owner=; Max-Age=0; Path=/; SameSite=Strict";
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const b = (body ?? {}) as { code?: string; message?: string; errors?: FieldError[] };
    throw new ApiError(response.status, b.code ?? "error", b.message ?? `HTTP ${response.status}`, b.errors ?? []);
  }
  return body as T;
}

export const api = {
  catalogue: () => request<Catalogue>("/api/analyses"),
  models: () => request<ModelList>("/api/models"),
  modelReactions: (name: string) => request<{ model: string; reactions: { id: string; name: string }[] }>(`/api/models/${encodeURIComponent(name)}/reactions`),
  health: () => request<{ version: string }>("/api/health"),
  job: (id: string) => request<Job>(`/api/jobs/${encodeURIComponent(id)}`),
  jobs: () => request<{ jobs: Job[] }>("/api/jobs"),
  cancel: (id: string) => request<Job>(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  submit: (form: FormData) => request<Job>("/api/jobs", { method: "POST", body: form }),
  text: async (url: string): Promise<string> => {
    const r = await fetch(url);
    if (!r.ok) throw new ApiError(r.status, "error", `cannot read ${url} (HTTP ${r.status})`);
    return r.text();
  },
};
