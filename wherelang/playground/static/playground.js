// The playground page. Everything the user types is shown with textContent, never as
// markup, and the page's Content-Security-Policy allows only this script to run.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["where", "contains", "select", "include", "order_by"];
  const MAX_LINK = 8192; // longer queries get no link: browsers cut long URLs
  const DELAY = 120; // ms of quiet typing before the page asks the server

  const state = {
    config: null,
    completion: {}, // entity -> /_complete data
    seq: 0, // the newest round of requests; answers of older rounds are dropped
    controller: null,
    check: null, // the newest valid /_check answer
    tokens: [null], // continuation token of each page of rows (page 0 needs none)
    page: 0,
    suggestions: [],
    active: -1,
    timer: 0,
  };

  function show(el, value) {
    el.textContent = value == null ? "" : String(value);
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function node(tag, text, cls) {
    const el = document.createElement(tag);
    if (text != null) el.textContent = String(text);
    if (cls) el.className = cls;
    return el;
  }

  function inputs() {
    const data = { entity: $("entity").value, extended: $("level-extended").checked };
    for (const f of FIELDS) data[f] = $(f).value;
    return data;
  }

  async function call(path, options) {
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      return { ok: false, status: 0, data: { Message: "the server did not answer" }, headers: null };
    }
    let data;
    try {
      data = await response.json();
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      data = { Message: "the server answered " + response.status + " without JSON" };
    }
    return { ok: response.ok, status: response.status, data, headers: response.headers };
  }

  function post(path, body, signal) {
    return call(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  }

  // --- the permalink --------------------------------------------------------------

  function linkFor(data) {
    const params = new URLSearchParams();
    params.set("entity", data.entity);
    params.set("level", data.extended ? "extended" : "strict");
    for (const f of FIELDS) if (data[f]) params.set(f, data[f]);
    params.set("dialect", $("dialect").value);
    return "?" + params.toString();
  }

  function updateLink(data) {
    const link = $("permalink");
    const href = linkFor(data);
    if (href.length > MAX_LINK) {
      link.removeAttribute("href");
      show(link, "This query is too long to link to");
    } else {
      link.setAttribute("href", href);
      show(link, "Link to this query");
    }
  }

  function restore() {
    const params = new URLSearchParams(window.location.search);
    const entity = params.get("entity");
    if (entity && state.config.entities.some((e) => e.name === entity)) $("entity").value = entity;
    $(params.get("level") === "extended" ? "level-extended" : "level-strict").checked = true;
    for (const f of FIELDS) if (params.has(f)) $(f).value = params.get(f);
    const dialect = params.get("dialect");
    if (dialect && state.config.dialects.includes(dialect)) $("dialect").value = dialect;
  }

  // --- checking -------------------------------------------------------------------

  function showError(body) {
    const status = $("status");
    status.className = "status invalid";
    clear(status);
    const where = body.Parameter ? body.Parameter + ": " : "";
    let line = "Error: " + where + (body.Description || body.Message || "invalid request");
    if (body.Line) line += " (line " + body.Line + ", column " + body.Column + ")";
    status.appendChild(node("strong", line));
    if (body.Expected && body.Expected.length) {
      status.appendChild(node("div", "expected " + body.Expected.join(", ")));
    }
    if (body.Hint) status.appendChild(node("div", "hint: " + body.Hint, "hint"));
    if (body.Reason) status.appendChild(node("div", body.Reason, "code"));
    const caret = $("caret");
    if (body.Caret) {
      show(caret, body.Caret);
      caret.hidden = false;
    } else {
      show(caret, "");
      caret.hidden = true;
    }
    for (const id of ["canonical", "url", "sql"]) show($(id), "");
    clear($("params"));
    clearRows("No rows: the query is not valid.");
  }

  function showValid(answer) {
    const status = $("status");
    status.className = "status valid";
    clear(status);
    status.appendChild(node("strong", "valid"));
    status.appendChild(node("span", " " + answer.entity + ", " +
      (answer.extended ? "extended" : "strict") + " syntax"));
    $("caret").hidden = true;
    show($("canonical"), answer.canonical == null ? "(no where: every entity)" : answer.canonical);
    show($("url"), window.location.origin + answer.url);
  }

  // body[data-busy] is "true" while an answer is awaited: tests (and people) can tell
  // when what the page shows belongs to what was typed.
  function idle() {
    if (!state.timer) document.body.dataset.busy = "false"; // not while typing goes on
  }

  function schedule() {
    document.body.dataset.busy = "true";
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(() => {
      state.timer = 0;
      update();
    }, DELAY);
  }

  async function update() {
    const seq = ++state.seq;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const data = inputs();
    updateLink(data);
    try {
      const check = await post("_check", data, controller.signal);
      if (seq !== state.seq) return;
      if (!check.ok) {
        state.check = null;
        showError(check.data);
        return;
      }
      state.check = check.data;
      showValid(check.data);
      state.tokens = [null];
      state.page = 0;
      await Promise.all([loadSql(seq, controller.signal), loadRows(seq, controller.signal)]);
    } catch (err) {
      if (!err || err.name !== "AbortError") throw err;
    } finally {
      if (seq === state.seq) idle();
    }
  }

  async function loadSql(seq, signal) {
    const data = inputs();
    data.dialect = $("dialect").value;
    const answer = await post("_sql", data, signal);
    if (seq !== state.seq) return;
    const list = $("params");
    clear(list);
    if (!answer.ok) {
      show($("sql"), "No SQL for " + data.dialect + ": " + (answer.data.Message || "error"));
      return;
    }
    show($("sql"), answer.data.sql);
    answer.data.params.forEach((value, i) => {
      const item = node("li");
      item.appendChild(node("code", JSON.stringify(value)));
      item.appendChild(node("span", " " + answer.data.types[i], "type"));
      list.appendChild(item);
    });
  }

  // --- rows -----------------------------------------------------------------------

  function clearRows(message) {
    clear($("rows").tHead);
    clear($("rows").tBodies[0]);
    show($("rows-status"), message);
    show($("page"), "");
    $("prev").disabled = true;
    $("next").disabled = true;
  }

  function cell(value) {
    if (value === undefined || value === null) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function valueAt(row, column, answer) {
    const dot = column.indexOf(".");
    const wrapped = row && typeof row === "object" && answer.entity in row && answer.wrapped;
    if (dot > 0 && answer.related.includes(column.slice(0, dot))) {
      const related = row[column.slice(0, dot)];
      return related ? related[column.slice(dot + 1)] : null;
    }
    return wrapped ? row[answer.entity][column] : row[column];
  }

  async function loadRows(seq, signal) {
    const answer = state.check;
    if (!answer) return;
    const config = state.config;
    const params = new URLSearchParams(answer.query);
    params.set(config.limitParam, String(config.pageSize));
    const token = state.tokens[state.page];
    if (token) params.set(config.continueParam, token);
    show($("rows-status"), "Loading rows…");
    const reply = await call(answer.path + "?" + params.toString(), { signal });
    if (seq !== state.seq) return;
    if (!reply.ok) {
      clearRows("The list endpoint refused the query: " + (reply.data.Message || reply.status));
      return;
    }
    const rows = Array.isArray(reply.data) ? reply.data : [];
    const next = reply.headers.get(config.continueHeader);
    state.tokens[state.page + 1] = next || null;
    const table = $("rows");
    clear(table.tHead);
    clear(table.tBodies[0]);
    const head = node("tr");
    for (const column of answer.columns) {
      const th = node("th", column);
      th.scope = "col";
      head.appendChild(th);
    }
    head.appendChild(node("th", "JSON"));
    table.tHead.appendChild(head);
    for (const row of rows) {
      const tr = node("tr");
      const id = valueAt(row, answer.id, answer);
      if (id != null) tr.dataset.id = String(id);
      for (const column of answer.columns) tr.appendChild(node("td", cell(valueAt(row, column, answer))));
      const details = node("details");
      details.appendChild(node("summary", "show"));
      details.appendChild(node("pre", JSON.stringify(row, null, 2)));
      const td = node("td");
      td.appendChild(details);
      tr.appendChild(td);
      table.tBodies[0].appendChild(tr);
    }
    const first = state.page * config.pageSize;
    show($("rows-status"), rows.length
      ? "Rows " + (first + 1) + "–" + (first + rows.length) + (next ? " (more on the next page)" : "")
      : (state.page ? "No more rows." : "No entity matches."));
    show($("page"), "Page " + (state.page + 1));
    $("prev").disabled = state.page === 0;
    $("next").disabled = !next;
  }

  function turn(delta) {
    state.page += delta;
    const seq = ++state.seq;
    document.body.dataset.busy = "true";
    if (state.controller) state.controller.abort();
    state.controller = new AbortController();
    loadRows(seq, state.controller.signal).catch((err) => {
      if (!err || err.name !== "AbortError") throw err;
    }).finally(() => { if (seq === state.seq) idle(); });
  }

  // --- completion -----------------------------------------------------------------

  async function completionFor(entity) {
    if (!state.completion[entity]) {
      const reply = await call("_complete?entity=" + encodeURIComponent(entity));
      state.completion[entity] = reply.ok ? reply.data : { attributes: [], relations: [] };
    }
    return state.completion[entity];
  }

  const PLAIN_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._\/-]*[A-Za-z0-9])?$/;

  function keyText(key) {
    return PLAIN_KEY.test(key) ? key : "'" + key.replace(/'/g, "''") + "'";
  }

  function startsWith(text, prefix) {
    return text.toLowerCase().startsWith(prefix.toLowerCase());
  }

  // The attribute a path names (for the operators it takes), or null.
  function resolve(data, path) {
    const parts = path.split(".");
    let attrs = data.attributes;
    const relation = parts.length > 1 && data.relations.find((r) => r.field === parts[0]);
    if (relation && !attrs.some((a) => a.name === parts[0] && a.kind === "map")) {
      attrs = relation.attributes;
      parts.shift();
    }
    const attr = attrs.find((a) => a.name === parts[0]);
    if (!attr) return null;
    if (parts.length === 1) return { operators: attr.operators, values: attr.values };
    if (attr.kind === "map") return { operators: attr.keyOperators, values: null };
    return null;
  }

  function names(attrs, prefix, lead, lenOnly) {
    const out = [];
    for (const a of attrs) {
      if (lenOnly && a.kind !== "map" && a.kind !== "array") continue;
      if (startsWith(a.name, prefix)) out.push({ label: lead + a.name, detail: a.type, insert: lead + a.name });
    }
    return out;
  }

  function keys(attr, prefix, lead) {
    const out = [];
    for (const k of attr.keys || []) {
      const text = keyText(k);
      if (startsWith(text, prefix)) out.push({ label: lead + text, detail: "key", insert: lead + text });
    }
    return out;
  }

  // What to offer at the caret: [start of the replaced text, suggestions].
  function suggest(data, before, extended) {
    const quotes = (before.match(/'/g) || []).length;
    if (quotes % 2 === 1) return [before.length, []]; // inside a string
    const word = before.match(/([A-Za-z][A-Za-z0-9_]*(?:\.(?:[A-Za-z0-9._\/-]|'(?:[^']|'')*')*)?)$/);
    const lenOnly = /LEN\(\s*[A-Za-z0-9_.]*$/i.test(before);
    if (word) {
      const text = word[1];
      const start = before.length - text.length;
      const dot = text.indexOf(".");
      if (dot < 0) {
        const out = names(data.attributes, text, "", lenOnly);
        if (!lenOnly) {
          for (const r of data.relations) {
            if (startsWith(r.field, text)) out.push({ label: r.field + ".", detail: r.entity, insert: r.field + "." });
          }
          for (const kw of extended ? ["AND", "OR", "NOT", "LEN("] : ["AND", "LEN("]) {
            if (text.length > 0 && startsWith(kw, text) && kw.toLowerCase() !== text.toLowerCase()) {
              out.push({ label: kw, detail: "keyword", insert: kw + (kw.endsWith("(") ? "" : " ") });
            }
          }
        }
        return [start, out];
      }
      const head = text.slice(0, dot);
      const rest = text.slice(dot + 1);
      const attr = data.attributes.find((a) => a.name === head);
      if (attr && attr.kind === "map") return [start, keys(attr, rest, head + ".")];
      const relation = data.relations.find((r) => r.field === head);
      if (relation) {
        const inner = rest.indexOf(".");
        if (inner < 0) return [start, names(relation.attributes, rest, head + ".", false)];
        const sub = relation.attributes.find((a) => a.name === rest.slice(0, inner));
        if (sub && sub.kind === "map") {
          return [start, keys(sub, rest.slice(inner + 1), head + "." + sub.name + ".")];
        }
      }
      return [start, []];
    }
    // After a path and a space: the operators its type takes.
    const path = before.match(/(?:^|[\s(])(LEN\(\s*)?([A-Za-z][A-Za-z0-9_]*(?:\.(?:[A-Za-z0-9._\/-]|'(?:[^']|'')*')+)?)(\s*\))?\s+$/i);
    if (path && !/^(AND|OR|NOT|IS|IN|LIKE|ILIKE)$/i.test(path[2])) {
      if (path[1] && path[3]) {
        return [before.length, ["=", "!=", "<", "<=", ">", ">="].map((op) => ({ label: op, detail: "LEN()", insert: op + " " }))];
      }
      const found = resolve(data, path[2]);
      if (found) {
        return [before.length, found.operators
          .filter((op) => op !== "LEN()")
          .map((op) => ({ label: op, detail: "operator", insert: op + " " }))];
      }
    }
    // After an operator on an attribute with listed values: those values.
    const value = before.match(/([A-Za-z][A-Za-z0-9_.]*)\s*(=|!=|IN\s*\(|,)\s*$/i);
    if (value) {
      const found = resolve(data, value[1]);
      if (found && found.values) {
        return [before.length, found.values.map((v) => ({ label: "'" + v + "'", detail: "value", insert: "'" + v.replace(/'/g, "''") + "'" }))];
      }
    }
    if (/(^|\s|\()$/.test(before)) return [before.length, names(data.attributes, "", "", false)];
    return [before.length, []];
  }

  function closeSuggestions() {
    const list = $("suggestions");
    list.hidden = true;
    clear(list);
    state.suggestions = [];
    state.active = -1;
    $("where").setAttribute("aria-expanded", "false");
    $("where").removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    const list = $("suggestions");
    state.active = index;
    Array.from(list.children).forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
    const li = list.children[index];
    if (li) {
      $("where").setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  }

  async function openSuggestions(force) {
    const area = $("where");
    const data = await completionFor($("entity").value);
    const before = area.value.slice(0, area.selectionStart);
    const [start, items] = suggest(data, before, $("level-extended").checked);
    const typed = before.slice(start);
    const shown = items.filter((s) => force || s.insert !== typed).slice(0, 50);
    if (!shown.length || (!force && !typed && !/\s$/.test(before))) {
      closeSuggestions();
      return;
    }
    const list = $("suggestions");
    clear(list);
    shown.forEach((s, i) => {
      const li = node("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.appendChild(node("span", s.label, "label"));
      li.appendChild(node("span", s.detail, "detail"));
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();
        accept(i);
      });
      list.appendChild(li);
    });
    state.suggestions = shown.map((s) => ({ ...s, start }));
    list.hidden = false;
    area.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function accept(index) {
    const s = state.suggestions[index];
    if (!s) return;
    const area = $("where");
    const end = area.selectionStart;
    area.value = area.value.slice(0, s.start) + s.insert + area.value.slice(end);
    const caret = s.start + s.insert.length;
    area.setSelectionRange(caret, caret);
    closeSuggestions();
    schedule();
    if (s.insert.endsWith(".") || s.insert.endsWith(" ")) openSuggestions(false);
  }

  function onKey(event) {
    const open = !$("suggestions").hidden && state.suggestions.length > 0;
    if (event.key === " " && event.ctrlKey) {
      event.preventDefault();
      openSuggestions(true);
      return;
    }
    if (!open) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const n = state.suggestions.length;
      highlight((state.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (state.active >= 0) {
        event.preventDefault();
        accept(state.active);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeSuggestions();
    }
  }

  // --- start ----------------------------------------------------------------------

  async function start() {
    document.body.dataset.busy = "true";
    const reply = await call("_config");
    if (!reply.ok) {
      show($("status"), "The playground could not load its settings: " + (reply.data.Message || reply.status));
      return;
    }
    state.config = reply.data;
    for (const e of state.config.entities) $("entity").appendChild(node("option", e.name));
    $("entity").value = state.config.default;
    for (const d of state.config.dialects) $("dialect").appendChild(node("option", d));
    if (!window.location.search) $("where").value = "Labels.tier = 'backend' AND LEN(ApplyGates) > 0";
    restore();
    for (const id of ["entity", "level-strict", "level-extended"]) {
      $(id).addEventListener("change", () => { closeSuggestions(); schedule(); });
    }
    for (const f of FIELDS) $(f).addEventListener("input", schedule);
    $("dialect").addEventListener("change", () => {
      updateLink(inputs());
      if (!state.check) return;
      const seq = state.seq;
      document.body.dataset.busy = "true";
      loadSql(seq, undefined).finally(() => { if (seq === state.seq) idle(); });
    });
    const area = $("where");
    area.addEventListener("input", () => openSuggestions(false));
    area.addEventListener("keydown", onKey);
    area.addEventListener("blur", () => window.setTimeout(closeSuggestions, 100));
    $("query").addEventListener("submit", (event) => event.preventDefault());
    $("prev").addEventListener("click", () => turn(-1));
    $("next").addEventListener("click", () => turn(1));
    await update();
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
