/* The SQL page (data/sql/): DuckDB-WASM, served by this site, queries the published Parquet
   counts by URL (HTTP range requests: only the bytes a query needs) and the capacity and area
   CSVs. Loaded by this page alone. Tables and ready queries come from the page
   (tourhub/site/sql_console.py, where the tests run the same text in Python's DuckDB). */
const root = document.querySelector("[data-th-sql]");
const SHOWN = 1000;       // rows drawn in the table; the CSV has every row

if (root) start(root);

function start(root) {
  const config = JSON.parse(root.dataset.config);
  const labels = config.labels;
  const status = root.querySelector("[data-th-sql-status]");
  const text = root.querySelector("[data-th-sql-text]");
  const ready = root.querySelector("[data-th-sql-ready]");
  const run = root.querySelector("[data-th-sql-run]");
  const download = root.querySelector("[data-th-sql-download]");
  const result = root.querySelector("[data-th-sql-result]");
  const say = (message, kind) => {
    status.textContent = message;
    status.dataset.kind = kind || "";
  };

  ready.addEventListener("change", () => {
    if (ready.value) text.value = config.queries[ready.value];
  });
  if (typeof WebAssembly !== "object") {
    say(labels.no_wasm, "error");
    return;
  }
  // The engine (about 5 MB) loads when the visitor starts, not with the page: a phone that only
  // reads the page or takes the downloads below pays nothing for it.
  let connection = null;
  const connect = () => {
    if (connection) return connection;
    say(labels.loading);
    connection = open(root.dataset.engine, config).catch((error) => {
      say(labels.engine_failed + message(error), "error");
      throw error;
    });
    connection.then(async ({ conn, hasCounts }) => {
      say(labels.ready + (hasCounts ? "" : " " + labels.no_counts));
      for (const table of Object.keys(config.tables)) {
        const box = document.querySelector(`[data-th-sql-schema-of="${table}"]`);
        if (!box || (table === "counts" && !hasCounts)) continue;
        const described = await conn.query(`DESCRIBE ${table}`);
        box.replaceChildren(tableOf([labels.schema_column, labels.schema_type],
          described.toArray().map((row) => [row.column_name, row.column_type])));
      }
    }, () => undefined);
    return connection;
  };
  text.addEventListener("focus", connect, { once: true });
  ready.addEventListener("change", connect, { once: true });
  run.disabled = false;

  run.addEventListener("click", async () => {
    let conn;
    try {
      ({ conn } = await connect());
    } catch (error) {
      return;                                   // said above: the engine could not load
    }
    run.disabled = true;
    download.hidden = true;
    say(labels.running);
    const started = performance.now();
    try {
      const table = await conn.query(text.value);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const names = table.schema.fields.map((f) => f.name);
      const rows = table.toArray().map((row) => table.schema.fields.map((f) => cell(row[f.name], f.type)));
      result.replaceChildren(tableOf(names, rows.slice(0, SHOWN)));
      say(labels.rows.replace("{n}", rows.length).replace("{s}", seconds) +
        (rows.length > SHOWN ? " " + labels.rows_cut.replace("{shown}", SHOWN) : ""));
      if (download.href) URL.revokeObjectURL(download.href);
      download.href = URL.createObjectURL(new Blob([csv(names, rows)], { type: "text/csv;charset=utf-8" }));
      download.download = labels.download_name;
      download.hidden = false;
    } catch (error) {
      result.replaceChildren();
      say(labels.error + message(error), "error");
    } finally {
      run.disabled = false;
    }
  });
}

/* The WebAssembly, published gzipped (4 MB instead of 18 on any host), unzipped here: a blob URL
   the engine's worker instantiates. */
async function unzipped(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const wasm = new Response(response.body.pipeThrough(new DecompressionStream("gzip")),
                            { headers: { "Content-Type": "application/wasm" } });
  return URL.createObjectURL(new Blob([await wasm.arrayBuffer()], { type: "application/wasm" }));
}

/* The engine, its tables defined: Arrow (a classic script), then DuckDB's module. */
async function open(engine, config) {
  await classicScript(engine + "Arrow.es2015.min.js");
  const duckdb = await import(new URL("duckdb-browser.mjs", new URL(engine, document.baseURI)).href);
  const base = new URL(engine, document.baseURI).href;
  // Only the build for browsers with WebAssembly exceptions is published (every current browser;
  // the other build would add 22 MB to the site): older ones are told so and take the downloads.
  if (!(await duckdb.getPlatformFeatures()).wasmExceptions) throw new Error(config.labels.no_wasm);
  const worker = new Worker(base + "duckdb-browser-eh.worker.js");
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(await unzipped(base + "duckdb-eh.wasm.gz"));
  const conn = await db.connect();
  // Extensions would come from extensions.duckdb.org: another host, never contacted.
  await conn.query("SET autoinstall_known_extensions = false");
  await conn.query("SET autoload_known_extensions = false");
  const files = {};
  for (const link of document.querySelectorAll("[data-th-sql-file]")) {
    const url = new URL(link.getAttribute("href"), document.baseURI).href;
    const name = new URL(url).pathname.split("/").slice(-2).join("/");
    await db.registerFileURL(name, url, duckdb.DuckDBDataProtocol.HTTP, false);
    (files[link.dataset.thSqlFile] = files[link.dataset.thSqlFile] || []).push(name);
  }
  for (const [table, definition] of Object.entries(config.tables)) {
    if (files[table]) await conn.query(definition.replace("{files}", sqlList(files[table])));
  }
  return { conn: conn, hasCounts: Boolean(files.counts) };
}

function classicScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(src));
    document.head.append(script);
  });
}

function sqlList(names) {
  return "[" + names.map((n) => "'" + n.replace(/'/g, "''") + "'").join(", ") + "]";
}

function message(error) {
  return String((error && error.message) || error).split("\n")[0];
}

/* A value as text: dates and times in ISO form (UTC for instants), integers in full. */
function cell(value, type) {
  if (value === null || value === undefined) return "";
  const kind = String(type);
  if (/^Date/.test(kind)) return new Date(Number(value)).toISOString().slice(0, 10);
  if (/^Timestamp/.test(kind)) return new Date(Number(value)).toISOString().replace(".000Z", "Z");
  return String(value);
}

function tableOf(names, rows) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of names) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((value) => { tr.insertCell().textContent = value; });
  }
  return table;
}

function csv(names, rows) {
  const field = (v) => (/[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
  return [names, ...rows].map((row) => row.map(field).join(",")).join("\r\n") + "\r\n";
}
